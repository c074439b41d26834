//! Test traffic: seeded random MIDI, and the model of what the plugin must send back.

use rtcb_plugin::demo;
use rtcb_plugin::sysex::SYSEX_CAPACITY;

use super::events::{Ev, NoteKind};
use clap_sys::events::*;

/// A small seeded generator (xorshift64*), so every run sends the same traffic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}

/// Note ids: mostly specific, sometimes "none" (-1).
fn note_id(rng: &mut Rng) -> i32 {
    if rng.percent(20) {
        -1
    } else {
        rng.below(10_000) as i32
    }
}

/// A channel or key, sometimes the wildcard -1 (where CLAP allows it).
fn maybe_wild(rng: &mut Rng, n: u64, wildcard: bool) -> i16 {
    if wildcard && rng.percent(5) {
        -1
    } else {
        rng.below(n) as i16
    }
}

/// One random event at `time`: CLAP notes and chokes, all seven note expressions, MIDI 1.0
/// channel messages (notes, poly pressure, CCs, program change, channel pressure, pitch bend)
/// and SysEx. Values are ones the plugin's formats carry exactly (velocities in 1/128 steps,
/// expressions in 1/64 steps), so output can be compared bit for bit.
pub fn random_event(rng: &mut Rng, time: u32) -> Ev {
    let channel7 = |rng: &mut Rng| rng.below(16) as u8;
    let data7 = |rng: &mut Rng| rng.below(128) as u8;
    match rng.below(100) {
        0..=29 => Ev::Note {
            time,
            kind: NoteKind::On,
            port: 0,
            channel: maybe_wild(rng, 16, false),
            key: maybe_wild(rng, 128, false),
            note_id: note_id(rng),
            velocity: (1 + rng.below(128)) as f64 / 128.0,
        },
        30..=51 => Ev::Note {
            time,
            kind: NoteKind::Off,
            port: 0,
            channel: maybe_wild(rng, 16, true),
            key: maybe_wild(rng, 128, true),
            note_id: note_id(rng),
            velocity: rng.below(129) as f64 / 128.0,
        },
        52..=55 => Ev::Note {
            time,
            kind: NoteKind::Choke,
            port: 0,
            channel: maybe_wild(rng, 16, true),
            key: maybe_wild(rng, 128, true),
            note_id: note_id(rng),
            velocity: 0.0,
        },
        56..=67 => {
            let expression = rng.below(7) as i32;
            let step = rng.below(65) as f64;
            let value = match expression {
                CLAP_NOTE_EXPRESSION_VOLUME => step / 16.0,
                CLAP_NOTE_EXPRESSION_TUNING => (step - 32.0) / 2.0,
                _ => step / 64.0,
            };
            Ev::Expression {
                time,
                expression,
                port: 0,
                channel: maybe_wild(rng, 16, true),
                key: maybe_wild(rng, 128, true),
                note_id: note_id(rng),
                value,
            }
        }
        68..=77 => {
            let data = match rng.below(4) {
                0 => [0xB0 | channel7(rng), data7(rng), data7(rng)],
                1 => [0xE0 | channel7(rng), data7(rng), data7(rng)],
                2 => [0xD0 | channel7(rng), data7(rng), 0],
                _ => [0xC0 | channel7(rng), data7(rng), 0],
            };
            Ev::Midi {
                time,
                port: 0,
                data,
            }
        }
        78..=95 => {
            let data = match rng.below(4) {
                0 => [0x90 | channel7(rng), data7(rng), 1 + rng.below(127) as u8],
                1 => [0x90 | channel7(rng), data7(rng), 0],
                2 => [0x80 | channel7(rng), data7(rng), data7(rng)],
                _ => [0xA0 | channel7(rng), data7(rng), data7(rng)],
            };
            Ev::Midi {
                time,
                port: 0,
                data,
            }
        }
        _ => {
            let len = 1 + rng.below(60) as usize;
            let mut bytes = vec![0xF0];
            bytes.extend((0..len).map(|_| rng.byte() & 0x7F));
            bytes.push(0xF7);
            Ev::SysEx {
                time,
                port: 0,
                bytes,
            }
        }
    }
}

/// Up to `max_events` random events in a block of `frames` samples, in time order.
pub fn random_block(rng: &mut Rng, frames: u32, max_events: u64) -> Vec<Ev> {
    let count = rng.below(max_events + 1);
    let mut times: Vec<u32> = (0..count)
        .map(|_| rng.below(frames.into()) as u32)
        .collect();
    times.sort_unstable();
    times.into_iter().map(|t| random_event(rng, t)).collect()
}

/// A MIDI 1.0 7-bit value as nice-plug normalizes it (`value / 127` in `f32`).
fn seven_bit(value: u8) -> f64 {
    f64::from(f32::from(value) / 127.0)
}

/// What the plugin sends for one incoming event, or `None` if it sends nothing.
///
/// "Unchanged" within what the formats carry: CLAP events come back as they went in (on the
/// plugin's one note port); MIDI 1.0 notes and poly pressure come back in CLAP's note dialect
/// (the same note, velocity or pressure as `value / 127`); other MIDI 1.0 messages come back
/// byte for byte; SysEx up to the plugin's capacity comes back byte for byte. A choke comes back
/// as a note-off with velocity 0 (nice-plug cannot send chokes). Parameter changes are consumed.
pub fn forwarded(event: &Ev) -> Option<Ev> {
    let note = |time, kind, channel: u8, key: u8, velocity| Ev::Note {
        time,
        kind,
        port: 0,
        channel: channel.into(),
        key: key.into(),
        note_id: -1,
        velocity,
    };
    match event.clone() {
        Ev::Note {
            kind: NoteKind::Choke,
            time,
            channel,
            key,
            note_id,
            ..
        } => Some(Ev::Note {
            time,
            kind: NoteKind::Off,
            port: 0,
            channel,
            key,
            note_id,
            velocity: 0.0,
        }),
        Ev::Note {
            kind: NoteKind::End,
            ..
        } => None,
        note @ Ev::Note { .. } => Some(note),
        expression @ Ev::Expression { .. } => Some(expression),
        Ev::Midi { time, data, .. } => {
            let channel = data[0] & 0x0F;
            Some(match data[0] & 0xF0 {
                0x90 if data[2] > 0 => {
                    note(time, NoteKind::On, channel, data[1], seven_bit(data[2]))
                }
                0x90 => note(time, NoteKind::Off, channel, data[1], 0.0),
                0x80 => note(time, NoteKind::Off, channel, data[1], seven_bit(data[2])),
                0xA0 => Ev::Expression {
                    time,
                    expression: CLAP_NOTE_EXPRESSION_PRESSURE,
                    port: 0,
                    channel: channel.into(),
                    key: data[1].into(),
                    note_id: -1,
                    value: seven_bit(data[2]),
                },
                _ => Ev::Midi {
                    time,
                    port: 0,
                    data,
                },
            })
        }
        Ev::SysEx { time, bytes, .. } if bytes.len() <= SYSEX_CAPACITY => Some(Ev::SysEx {
            time,
            port: 0,
            bytes,
        }),
        Ev::SysEx { .. } | Ev::ParamValue { .. } | Ev::Other { .. } => None,
    }
}

/// A random sample: any bit pattern, and often (3 %) a special one: NaNs with payloads,
/// infinities, signed zeros, subnormals.
pub fn random_sample(rng: &mut Rng) -> f32 {
    const SPECIAL: [u32; 7] = [
        0x7FC0_1234, // quiet NaN with a payload
        0xFF80_0001, // signalling NaN, negative
        0x8000_0000, // -0.0
        0x7F80_0000, // +inf
        0xFF80_0000, // -inf
        0x0000_0001, // smallest subnormal
        0x807F_FFFF, // largest negative subnormal
    ];
    let bits = if rng.percent(3) {
        SPECIAL[rng.below(SPECIAL.len() as u64) as usize]
    } else {
        rng.next_u64() as u32
    };
    f32::from_bits(bits)
}

/// Two channels of `frames` random samples ([`random_sample`]).
pub fn random_audio(rng: &mut Rng, frames: u32) -> [Vec<f32>; 2] {
    let mut channel = || (0..frames).map(|_| random_sample(rng)).collect();
    [channel(), channel()]
}

/// The bits the plugin outputs for an input sample: the same bits, except that a subnormal
/// becomes a zero of the same sign (the plugin's documented policy).
pub fn passed_through(sample: &f32) -> u32 {
    let bits = sample.to_bits();
    if sample.is_subnormal() {
        bits & 0x8000_0000
    } else {
        bits
    }
}

/// Merges the forwarded input with the demo's events the way the plugin does: both in time
/// order, and at the same sample the input first.
pub fn merge(input: &[Ev], demo: &[Ev]) -> Vec<Ev> {
    let mut out = Vec::with_capacity(input.len() + demo.len());
    let mut demo = demo.iter().peekable();
    for event in input.iter().filter_map(forwarded) {
        while let Some(d) = demo.next_if(|d| d.time() < event.time()) {
            out.push(d.clone());
        }
        out.push(event);
    }
    out.extend(demo.cloned());
    out
}

/// The demo pattern as the tests expect it, from the plugin's documented grid: at `rate`
/// notes per second (`rate_num / rate_den`), step `j` of a run sits `round(j · sr / (2 · rate))`
/// samples after the run's first sample. Steps are numbered on across rate changes (`first_step`):
/// even steps start the next note of the pattern, odd steps release it. Computed in exact integer
/// arithmetic, independently of the plugin's code.
#[derive(Debug, Clone)]
pub struct DemoRun {
    /// First sample of the run, counted since activation.
    pub start: u64,
    pub sample_rate: u64,
    pub rate_num: u64,
    pub rate_den: u64,
    /// The pattern step the run's step 0 plays (0 for a fresh start).
    pub first_step: u64,
}

impl DemoRun {
    /// A fresh run (the demo was just turned on) starting at sample `start`.
    pub fn new(start: u64, sample_rate: u64, rate_num: u64, rate_den: u64) -> DemoRun {
        DemoRun {
            start,
            sample_rate,
            rate_num,
            rate_den,
            first_step: 0,
        }
    }

    /// The run that follows a rate change at the block starting at `block_start`, after this
    /// run played its steps before `next_step`: the new grid starts one new half period after
    /// the last step played, or at the block's first sample if that is later.
    pub fn rate_change(
        &self,
        next_step: u64,
        block_start: u64,
        rate_num: u64,
        rate_den: u64,
    ) -> DemoRun {
        assert!(next_step > 0, "the old run played at least one step");
        let mut run = DemoRun {
            start: self.step_at(next_step - 1),
            rate_num,
            rate_den,
            first_step: self.first_step + next_step,
            ..*self
        };
        run.start = run.step_at(1).max(block_start);
        run
    }

    /// Sample (since activation) of step `step`.
    pub fn step_at(&self, step: u64) -> u64 {
        // round(x) = floor(x + 1/2), x = step * sr * den / (2 * num)
        self.start
            + (2 * step * self.sample_rate * self.rate_den + 2 * self.rate_num)
                / (4 * self.rate_num)
    }

    /// Whether a note is held after the steps before `next_step`.
    pub fn holds_note(&self, next_step: u64) -> bool {
        !(self.first_step + next_step).is_multiple_of(2)
    }

    /// The event of step `step` at offset `time` in its block.
    pub fn step_event(&self, step: u64, time: u32) -> Ev {
        let global = self.first_step + step;
        let key = demo::PATTERN[(global / 2) as usize % demo::PATTERN.len()];
        let on = global.is_multiple_of(2);
        Ev::Note {
            time,
            kind: if on { NoteKind::On } else { NoteKind::Off },
            port: 0,
            channel: demo::CHANNEL.into(),
            key: key.into(),
            note_id: -1,
            velocity: if on { f64::from(demo::VELOCITY) } else { 0.0 },
        }
    }

    /// The run's events in the block `[block_start, block_start + frames)`, with `next_step`
    /// the first step not yet played (updated).
    pub fn events_in(&self, block_start: u64, frames: u32, next_step: &mut u64) -> Vec<Ev> {
        let mut out = Vec::new();
        while self.step_at(*next_step) < block_start + u64::from(frames) {
            let at = self.step_at(*next_step);
            assert!(at >= block_start, "the model skipped a step");
            out.push(self.step_event(*next_step, (at - block_start) as u32));
            *next_step += 1;
        }
        out
    }
}
