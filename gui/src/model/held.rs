//! [`HeldNotes`]: which keys are down, per channel, from the note events the editor received.

use crate::batch::{NoteEvent, NoteKind};

const CHANNELS: usize = 16;
const NOTES: usize = 128;

/// The notes currently held, with the velocity they were struck at.
#[derive(Debug, Clone)]
pub struct HeldNotes {
    /// Velocity per channel and note; 0 when the note is not held.
    velocity: [[f32; NOTES]; CHANNELS],
}

impl Default for HeldNotes {
    fn default() -> Self {
        Self {
            velocity: [[0.0; NOTES]; CHANNELS],
        }
    }
}

impl HeldNotes {
    /// Applies one event: an `On` with a velocity above 0 presses the key, anything else
    /// releases it. Events with an out-of-range channel or note are ignored.
    pub fn apply(&mut self, event: &NoteEvent) {
        let Some(place) = self
            .velocity
            .get_mut(usize::from(event.channel))
            .and_then(|channel| channel.get_mut(usize::from(event.note)))
        else {
            return;
        };
        *place = match event.kind {
            NoteKind::On if event.velocity > 0.0 => event.velocity,
            NoteKind::On | NoteKind::Off | NoteKind::Choke => 0.0,
        };
    }

    /// Releases every note (used when events may have been missed).
    pub fn release_all(&mut self) {
        *self = Self::default();
    }

    /// The loudest velocity `note` is held at on any channel, if it is held.
    pub fn velocity(&self, note: u8) -> Option<f32> {
        let note = usize::from(note);
        if note >= NOTES {
            return None;
        }
        self.velocity
            .iter()
            .map(|channel| channel[note])
            .filter(|v| *v > 0.0)
            .reduce(f32::max)
    }

    /// How many (channel, note) pairs are held.
    pub fn count(&self) -> usize {
        self.velocity.iter().flatten().filter(|v| **v > 0.0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: NoteKind, channel: u8, note: u8, velocity: f32) -> NoteEvent {
        NoteEvent {
            timing: 0,
            kind,
            channel,
            note,
            velocity,
        }
    }

    #[test]
    fn presses_and_releases_per_channel() {
        let mut held = HeldNotes::default();
        held.apply(&event(NoteKind::On, 0, 60, 0.5));
        held.apply(&event(NoteKind::On, 3, 60, 0.8));
        held.apply(&event(NoteKind::On, 0, 64, 0.3));
        assert_eq!(held.count(), 3);
        assert_eq!(held.velocity(60), Some(0.8));
        held.apply(&event(NoteKind::Off, 3, 60, 0.0));
        assert_eq!(held.velocity(60), Some(0.5));
        held.apply(&event(NoteKind::Choke, 0, 60, 0.0));
        assert_eq!(held.velocity(60), None);
        assert_eq!(held.velocity(64), Some(0.3));
        held.release_all();
        assert_eq!(held.count(), 0);
    }

    #[test]
    fn an_on_with_zero_velocity_releases_and_bad_events_are_ignored() {
        let mut held = HeldNotes::default();
        held.apply(&event(NoteKind::On, 0, 60, 0.5));
        held.apply(&event(NoteKind::On, 0, 60, 0.0));
        assert_eq!(held.velocity(60), None);
        held.apply(&event(NoteKind::On, 16, 60, 0.5));
        held.apply(&event(NoteKind::On, 0, 128, 0.5));
        assert_eq!(held.count(), 0);
        assert_eq!(held.velocity(200), None);
    }
}
