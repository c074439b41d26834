//! The demo pattern: a built-in arpeggio, so the plugin shows note traffic without a keyboard.
//!
//! Timing is sample accurate and does not drift. At `rate` notes per second and sample rate
//! `sr`, the arpeggio alternates note-ons and note-offs on a grid of half periods: grid step `j`
//! sits `round(j · sr / (2 · rate))` samples after the grid's start. Even steps start the next
//! note of [`PATTERN`], odd steps release it, so each note is held for half its period.
//!
//! - Turning the demo on starts a grid at the first sample of that block, with the first note
//!   of the pattern.
//! - Changing the rate starts a new grid one new half period after the last step (or at the
//!   block's first sample if that is already past), so a change never bunches or skips steps.
//! - Turning the demo off (or a [`reset`](Arpeggio::reset)) releases the sounding note at the
//!   first sample of the next block, so no note is left hanging downstream.
//!
//! Everything is plain fields: generating a block allocates nothing and takes at most one step
//! per sample of the block.

use nice_plug::midi::{Channel, Key, NoteEvent, VoiceID};

/// The keys the arpeggio walks through, over and over: a C major seventh up and down.
pub const PATTERN: [u8; 8] = [60, 64, 67, 71, 72, 71, 67, 64];
/// Velocity of every demo note.
pub const VELOCITY: f32 = 0.75;
/// MIDI channel (zero based) of every demo note.
pub const CHANNEL: u8 = 0;

/// What the parameters ask of the demo for one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoSettings {
    /// Whether the arpeggio plays.
    pub enabled: bool,
    /// Notes per second.
    pub rate: f32,
}

/// The arpeggio generator. Lives on the audio thread; see the module docs for its timing.
#[derive(Debug, Clone)]
pub struct Arpeggio {
    sample_rate: f64,
    /// First sample of the next block, counted since activation.
    position: u64,
    /// The grid in use, if the demo is playing.
    grid: Option<Grid>,
    /// The key of the note the arpeggio holds down (its note-off is still to come).
    sounding: Option<u8>,
    /// Position in [`PATTERN`] of the next note.
    next_in_pattern: usize,
}

/// One run of the arpeggio at one rate.
#[derive(Debug, Clone, Copy)]
struct Grid {
    /// Sample (since activation) of step 0.
    start: u64,
    /// Samples between two steps (half the period of a note).
    half_period: f64,
    /// The rate this grid was made for, to notice changes.
    rate: f32,
    /// Index of the next step.
    next_step: u64,
}

impl Grid {
    fn new(start: u64, rate: f32, sample_rate: f64) -> Self {
        Self {
            start,
            // At least one sample per step keeps a block's work bounded by its length, whatever
            // the host's sample rate.
            half_period: (sample_rate / (2.0 * f64::from(rate))).max(1.0),
            rate,
            next_step: 0,
        }
    }

    /// Sample (since activation) of step `step`.
    fn step_position(&self, step: u64) -> u64 {
        // `step` stays far below 2^53 (that would be millions of years), so the product is exact
        // to well under a sample and the rounding lands on the nearest sample, without drift.
        self.start + (step as f64 * self.half_period).round() as u64
    }
}

impl Arpeggio {
    /// A silent arpeggio for `sample_rate`.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            sample_rate: f64::from(sample_rate),
            position: 0,
            grid: None,
            sounding: None,
            next_in_pattern: 0,
        }
    }

    /// Starts over at sample 0 with a new sample rate (the plugin was activated). A note still
    /// sounding is released in the first block.
    pub fn activate(&mut self, sample_rate: f32) {
        self.sample_rate = f64::from(sample_rate);
        self.position = 0;
        self.grid = None;
    }

    /// Stops the pattern; it starts again from the next block if still enabled. A note still
    /// sounding is released at the first sample of the next block.
    pub fn reset(&mut self) {
        self.grid = None;
    }

    /// Whether a note-off is still to come (the host must keep calling `process()`).
    pub fn is_busy(&self) -> bool {
        self.grid.is_some() || self.sounding.is_some()
    }

    /// The demo's events for the next block of `len` samples, in time order. Consume the
    /// iterator fully before the next call; what it does not yield moves to the next block.
    pub fn block<S>(&mut self, len: u32, settings: DemoSettings) -> DemoBlock<'_, S> {
        let block_start = self.position;
        self.position += u64::from(len);
        let mut release_at_start = false;
        if !settings.enabled {
            self.grid = None;
            release_at_start = self.sounding.is_some();
        } else {
            match self.grid {
                None => {
                    // A fresh start: release a note left over from before, then begin the pattern.
                    release_at_start = self.sounding.is_some();
                    self.next_in_pattern = 0;
                    self.grid = Some(Grid::new(block_start, settings.rate, self.sample_rate));
                }
                Some(grid) if grid.rate != settings.rate => {
                    self.grid = Some(if grid.next_step == 0 {
                        // Nothing played on the old grid yet: same start, new rate.
                        Grid::new(grid.start, settings.rate, self.sample_rate)
                    } else {
                        let last_step = grid.step_position(grid.next_step - 1);
                        let mut next = Grid::new(last_step, settings.rate, self.sample_rate);
                        next.start = next.step_position(1).max(block_start);
                        next
                    });
                }
                Some(_) => {}
            }
        }
        DemoBlock {
            arpeggio: self,
            block_start,
            block_end: block_start + u64::from(len),
            release_at_start,
            _sysex: std::marker::PhantomData,
        }
    }

    /// The event of the next grid step, and advances past it.
    fn take_step<S>(&mut self, timing: u32) -> NoteEvent<S> {
        if let Some(grid) = self.grid.as_mut() {
            grid.next_step += 1;
        }
        match self.sounding.take() {
            Some(key) => note_off(timing, key),
            None => {
                let key = PATTERN[self.next_in_pattern];
                self.next_in_pattern = (self.next_in_pattern + 1) % PATTERN.len();
                self.sounding = Some(key);
                NoteEvent::NoteOn {
                    timing,
                    voice_id: VoiceID::Wildcard,
                    channel: Channel::Number(CHANNEL),
                    key: Key::Number(key),
                    velocity: VELOCITY,
                }
            }
        }
    }
}

fn note_off<S>(timing: u32, key: u8) -> NoteEvent<S> {
    NoteEvent::NoteOff {
        timing,
        voice_id: VoiceID::Wildcard,
        channel: Channel::Number(CHANNEL),
        key: Key::Number(key),
        velocity: 0.0,
    }
}

/// The demo's events inside one block, as an iterator (see [`Arpeggio::block`]).
pub struct DemoBlock<'a, S> {
    arpeggio: &'a mut Arpeggio,
    block_start: u64,
    block_end: u64,
    release_at_start: bool,
    _sysex: std::marker::PhantomData<fn() -> S>,
}

impl<S> Iterator for DemoBlock<'_, S> {
    type Item = NoteEvent<S>;

    fn next(&mut self) -> Option<NoteEvent<S>> {
        if self.release_at_start {
            self.release_at_start = false;
            return self.arpeggio.sounding.take().map(|key| note_off(0, key));
        }
        let grid = self.arpeggio.grid?;
        let at = grid.step_position(grid.next_step);
        if at >= self.block_end {
            return None;
        }
        // A grid never starts before the block that made it, so `at >= block_start`.
        let timing = (at - self.block_start) as u32;
        Some(self.arpeggio.take_step(timing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f32 = 48_000.0;

    /// Runs blocks of `len` and returns every event as (absolute sample, is note-on, key).
    fn run(
        arp: &mut Arpeggio,
        blocks: usize,
        len: u32,
        settings: DemoSettings,
    ) -> Vec<(u64, bool, u8)> {
        let mut out = Vec::new();
        for _ in 0..blocks {
            let start = arp.position;
            for event in arp.block::<()>(len, settings) {
                match event {
                    NoteEvent::NoteOn { timing, key, .. } => {
                        out.push((start + u64::from(timing), true, key.number().unwrap()))
                    }
                    NoteEvent::NoteOff { timing, key, .. } => {
                        out.push((start + u64::from(timing), false, key.number().unwrap()))
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        out
    }

    /// `round(step * sr / (2 * rate))` in exact integer arithmetic, `rate = num / den`.
    fn grid(step: u64, num: u64, den: u64) -> u64 {
        let sr = SR as u64;
        (2 * step * sr * den + 2 * num) / (4 * num)
    }

    #[test]
    fn steps_land_on_the_exact_grid_whatever_the_block_size() {
        let on = |rate| DemoSettings {
            enabled: true,
            rate,
        };
        for len in [1, 7, 64, 512, 4096] {
            let mut arp = Arpeggio::new(SR);
            let events = run(&mut arp, (200_000 / len) as usize, len, on(7.25));
            assert!(events.len() > 50);
            for (step, &(at, is_on, key)) in events.iter().enumerate() {
                assert_eq!(
                    at,
                    grid(step as u64, 29, 4),
                    "block size {len}, step {step}"
                );
                assert_eq!(is_on, step % 2 == 0);
                assert_eq!(key, PATTERN[(step / 2) % PATTERN.len()]);
            }
        }
    }

    #[test]
    fn turning_off_releases_the_note_at_once_and_on_restarts_the_grid() {
        let mut arp = Arpeggio::new(SR);
        let on = DemoSettings {
            enabled: true,
            rate: 8.0,
        };
        let off = DemoSettings {
            enabled: false,
            ..on
        };
        // 8 notes/s: on at 0, off at 3000, on at 6000.
        assert_eq!(
            run(&mut arp, 1, 6001, on),
            [(0, true, 60), (3000, false, 60), (6000, true, 64)]
        );
        assert!(arp.is_busy());
        assert_eq!(run(&mut arp, 1, 100, off), [(6001, false, 64)]);
        assert!(!arp.is_busy());
        assert_eq!(run(&mut arp, 3, 100, off), []);
        assert_eq!(run(&mut arp, 1, 100, on), [(6401, true, 60)]);
    }

    #[test]
    fn a_rate_change_continues_from_the_last_step() {
        let mut arp = Arpeggio::new(SR);
        let at = |rate| DemoSettings {
            enabled: true,
            rate,
        };
        // 8 notes/s: steps every 3000 samples; the block ends after the step at 3000.
        assert_eq!(run(&mut arp, 1, 4000, at(8.0)).len(), 2);
        // 16 notes/s: next step 1500 after the last (3000) = 4500.
        assert_eq!(run(&mut arp, 1, 1000, at(16.0)), [(4500, true, 64)]);
        // Back to 1 note/s: last step 4500 + 24000 = 28500.
        let slow = run(&mut arp, 30, 1000, at(1.0));
        assert_eq!(slow[0], (28_500, false, 64));
        // A jump to a fast rate long after the last step plays at the block's first sample.
        let mut arp = Arpeggio::new(SR);
        assert_eq!(
            run(&mut arp, 1, 30_000, at(1.0)),
            [(0, true, 60), (24_000, false, 60)]
        );
        assert_eq!(run(&mut arp, 1, 100, at(32.0)), [(30_000, true, 64)]);
    }

    #[test]
    fn reset_releases_the_held_note_and_restarts_the_pattern() {
        let mut arp = Arpeggio::new(SR);
        let on = DemoSettings {
            enabled: true,
            rate: 8.0,
        };
        assert_eq!(
            run(&mut arp, 1, 6010, on),
            [(0, true, 60), (3000, false, 60), (6000, true, 64)]
        );
        arp.reset();
        assert_eq!(
            run(&mut arp, 1, 3010, on),
            [(6010, false, 64), (6010, true, 60), (9010, false, 60)]
        );
        arp.activate(SR);
        assert_eq!(run(&mut arp, 1, 10, on), [(0, true, 60)]);
    }
}
