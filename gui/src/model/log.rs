//! [`EventLog`]: the most recent note events, newest first, and [`NoteName`] to print them.

use crate::batch::NoteEvent;
use rtcb::Strategy;
use std::collections::VecDeque;
use std::fmt;

/// How many events the log keeps.
pub const LOG_CAPACITY: usize = 200;

/// One note event as the log shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoggedEvent {
    /// Audio time of the event, in seconds since the plugin was activated.
    pub seconds: f64,
    /// The event.
    pub event: NoteEvent,
    /// The strategy that delivered it.
    pub strategy: Strategy,
}

/// The last [`LOG_CAPACITY`] note events.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    entries: VecDeque<LoggedEvent>,
}

impl EventLog {
    /// Adds an event, forgetting the oldest one when full.
    pub fn push(&mut self, entry: LoggedEvent) {
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// The events, newest first.
    pub fn newest_first(&self) -> impl ExactSizeIterator<Item = &LoggedEvent> + '_ {
        self.entries.iter().rev()
    }

    /// How many events the log holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets every event.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// A MIDI note number shown as a name with its octave, middle C (60) being `C4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteName(pub u8);

impl NoteName {
    const NAMES: [&'static str; 12] = [
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
    ];

    /// Whether the note is a black key.
    pub fn is_black(self) -> bool {
        Self::NAMES[usize::from(self.0 % 12)].len() == 2
    }
}

impl fmt::Display for NoteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let octave = i32::from(self.0 / 12) - 1;
        let name = format!("{}{octave}", Self::NAMES[usize::from(self.0 % 12)]);
        f.pad(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(seconds: f64) -> LoggedEvent {
        LoggedEvent {
            seconds,
            event: NoteEvent::default(),
            strategy: Strategy::Mailbox,
        }
    }

    #[test]
    fn keeps_the_newest_first_and_forgets_the_oldest() {
        let mut log = EventLog::default();
        for n in 0..LOG_CAPACITY + 5 {
            log.push(logged(n as f64));
        }
        assert_eq!(log.len(), LOG_CAPACITY);
        let seconds: Vec<f64> = log.newest_first().map(|e| e.seconds).collect();
        assert_eq!(seconds[0], (LOG_CAPACITY + 4) as f64);
        assert_eq!(seconds[LOG_CAPACITY - 1], 5.0);
        log.clear();
        assert!(log.is_empty());
    }

    #[test]
    fn names_notes_with_middle_c_as_c4() {
        assert_eq!(NoteName(60).to_string(), "C4");
        assert_eq!(NoteName(61).to_string(), "C#4");
        assert_eq!(NoteName(0).to_string(), "C-1");
        assert_eq!(NoteName(127).to_string(), "G9");
        assert_eq!(format!("{:<4}|", NoteName(69)), "A4  |");
        assert!(NoteName(61).is_black());
        assert!(!NoteName(64).is_black());
    }
}
