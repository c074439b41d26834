//! Bad input, clear outcome: saved states the plugin can only partly read, values and events a
//! host should not send (parameter values out of range or not finite, events past the block's
//! end, a block of 0 samples), and host behaviour the CLAP specification allows but hosts
//! rarely show (every block size from 1 to 8192 and 2^20, sample rates from 8 to 384 kHz,
//! `process` from a different thread every block, activation cycles). The README's "Bad input"
//! table lists each case with its outcome. The debug build runs `process()` under nice-plug's allocation guard: an
//! allocation or a free there aborts the test.
//!
//! States that are not JSON at all (truncated, garbled, damaged) are covered by `state.rs`: they
//! are refused as a whole and change nothing. Here the state parses, but some values in it cannot
//! be used: those load as the parameters' defaults and the rest as saved (`src/saved_state.rs`);
//! `state_log.rs` checks that the log says why.

use std::thread;

use crate::host::alone;
use crate::host::clap::{state_with_params, AudioMode, AudioThread, Plugin};
use crate::host::events::{Ev, NoteKind};
use crate::host::memory::Memory;
use crate::host::storm::{dense_block, INPUT_EVENT_CAPACITY};
use crate::host::traffic::{merge, random_block, DemoRun, Rng};
use clap_sys::process::CLAP_PROCESS_CONTINUE_IF_NOT_QUIET;
use rtcb::Strategy;

/// The value of the parameter named `name`.
fn value(plugin: &mut Plugin, name: &str) -> f64 {
    let id = plugin.param_id(name);
    plugin.value(id)
}

/// A plugin with every parameter away from its default: Trap, demo on at 12.5 notes/s.
fn configured() -> Plugin {
    let mut plugin = Plugin::new();
    plugin
        .load_state(&state_with_params(
            r#""strategy":{"string":"Trap"},"demo":{"bool":true},"demo_rate":{"f32":12.5}"#,
        ))
        .expect("a good state loads");
    assert_eq!(
        value(&mut plugin, "Strategy"),
        Strategy::Trap.index() as f64
    );
    plugin
}

#[test]
fn values_a_state_cannot_give_load_as_defaults_and_the_rest_as_saved() {
    let _alone = alone();
    let defaults = Plugin::new().param_values();
    let default_of = |name: &str| defaults.iter().find(|(n, _)| n == name).unwrap().1;
    // Each case: the saved entries, and which parameters end on their default (the others keep
    // the values saved: Trap, demo on, 12.5 notes/s).
    let cases: [(&str, &[&str]); 9] = [
        (
            r#""strategy":{"string":"NoSuchStrategy"},"demo":{"bool":true},"demo_rate":{"f32":12.5}"#,
            &["Strategy"],
        ),
        (
            // (nice-plug alone would clamp this to the first strategy; the default is the last.)
            r#""strategy":{"i32":-1},"demo":{"bool":true},"demo_rate":{"f32":12.5}"#,
            &["Strategy"],
        ),
        (
            r#""strategy":{"f32":2.0},"demo":{"bool":true},"demo_rate":{"f32":12.5}"#,
            &["Strategy"],
        ),
        (
            r#""strategy":{"string":"Trap"},"demo":{"f32":1.0},"demo_rate":{"f32":12.5}"#,
            &["Demo pattern"],
        ),
        (
            r#""strategy":{"string":"Trap"},"demo":{"bool":true},"demo_rate":{"f32":1000.0}"#,
            &["Demo rate"],
        ),
        (
            r#""strategy":{"string":"Trap"},"demo":{"bool":true},"demo_rate":{"f32":-3.0}"#,
            &["Demo rate"],
        ),
        (
            // Too large for an f32: it reads as infinity.
            r#""strategy":{"string":"Trap"},"demo":{"bool":true},"demo_rate":{"f32":1e39}"#,
            &["Demo rate"],
        ),
        (
            r#""strategy":{"string":"Trap"},"demo":{"bool":true},"demo_rate":{"string":"fast"}"#,
            &["Demo rate"],
        ),
        (
            // Missing values, and a parameter the plugin does not have.
            r#""demo":{"bool":true},"volume":{"f32":0.5}"#,
            &["Strategy", "Demo rate"],
        ),
    ];
    for (entries, to_default) in cases {
        let mut plugin = configured();
        let rescans_before = plugin.host_calls().0;
        plugin
            .load_state(&state_with_params(entries))
            .unwrap_or_else(|()| panic!("the plugin loads what it can of {entries}"));
        let rate = plugin.param_id("Demo rate");
        let saved = [
            ("Strategy", Strategy::Trap.index() as f64),
            ("Demo pattern", 1.0),
            ("Demo rate", plugin.text_to_value(rate, "12.5").unwrap()),
        ];
        for (name, saved_value) in saved {
            let expected = if to_default.contains(&name) {
                default_of(name)
            } else {
                saved_value
            };
            assert_eq!(value(&mut plugin, name), expected, "{name} after {entries}");
        }
        assert!(
            plugin.host_calls().0 > rescans_before,
            "the host is told to rescan"
        );
        plugin.assert_still_forwards(entries.len() as u64);
    }
}

/// Sends `frames`-sample blocks of dense MIDI (and random audio, checked bit for bit) through an
/// instance activated for blocks of up to `max_frames`.
fn blocks_of(plugin: &mut Plugin, max_frames: u32, frames: &[u32], seed: u64) -> usize {
    let mut active = plugin.activate(48_000.0, max_frames);
    let checked = plugin.run(&mut active, |audio| {
        let mut rng = Rng::new(seed);
        let mut checked = 0;
        for &n in frames {
            let input = dense_block(&mut rng, n, INPUT_EVENT_CAPACITY as u64);
            let bits = audio.fill_audio(&mut rng, n);
            let out = audio.process(n, &input);
            assert_eq!(out.status, CLAP_PROCESS_CONTINUE_IF_NOT_QUIET);
            assert!(out.events == merge(&input, &[]), "a block of {n}");
            assert_eq!(
                audio.output_bits(n, AudioMode::OutOfPlace),
                bits,
                "a block of {n}"
            );
            checked += out.events.len();
        }
        checked
    });
    plugin.deactivate(active);
    checked
}

#[test]
fn blocks_of_one_sample_and_of_the_maximum() {
    let _alone = alone();
    let mut plugin = Plugin::new();
    // A host that only ever sends single samples.
    let checked = blocks_of(&mut plugin, 1, &[1; 3000], 1);
    assert!(checked > 0);
    // The largest block a host may announce here (2^20 samples, 22 s at 48 kHz), at that size
    // and at the smallest, back to back.
    const MAX: u32 = 1 << 20;
    let sizes = [MAX, 1, MAX, MAX - 1, 2, 1, MAX];
    let checked = blocks_of(&mut plugin, MAX, &sizes, 2);
    assert!(checked > 0);
}

#[test]
fn every_sample_rate_from_8000_to_384000() {
    let _alone = alone();
    const RATES: [u64; 13] = [
        8_000, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000, 88_200, 96_000, 176_400, 192_000,
        352_800, 384_000,
    ];
    for sample_rate in RATES {
        let mut plugin = Plugin::new();
        let demo = plugin.param_id("Demo pattern");
        let rate = plugin.param_id("Demo rate");
        let eight = plugin.text_to_value(rate, "8").unwrap();
        let frames = 512u32;
        let mut active = plugin.activate(sample_rate as f64, frames);
        let demo_notes = plugin.run(&mut active, |audio| {
            let mut rng = Rng::new(sample_rate);
            // Two seconds of audio with the demo on at 8 notes/s from the first sample: every
            // played note and every demo note on the grid the sample rate gives.
            let run = DemoRun::new(0, sample_rate, 8, 1);
            let (mut next_step, mut position, mut demo_notes) = (0, 0u64, 0);
            while position < 2 * sample_rate {
                let mut input = random_block(&mut rng, frames, 30);
                if position == 0 {
                    input.insert(0, Ev::param(0, rate, eight));
                    input.insert(0, Ev::param(0, demo, 1.0));
                }
                let expected_demo = run.events_in(position, frames, &mut next_step);
                let out = audio.process(frames, &input);
                assert_eq!(
                    out.events,
                    merge(&input, &expected_demo),
                    "{sample_rate} Hz, block at {position}"
                );
                demo_notes += expected_demo.len();
                position += u64::from(frames);
            }
            demo_notes
        });
        plugin.deactivate(active);
        // 8 notes a second for (a little over) two seconds: at least 16 note-ons and 16 offs.
        assert!(demo_notes >= 32, "{sample_rate} Hz: {demo_notes}");
    }
}

/// Processes one block on a thread of its own (the host's thread pool picked another one).
fn on_a_new_thread(audio: &mut AudioThread<'_>, frames: u32, input: &[Ev]) -> Vec<Ev> {
    thread::scope(|scope| {
        scope
            .spawn(|| audio.process(frames, input).events)
            .join()
            .expect("the block's thread")
    })
}

#[test]
fn process_from_a_different_thread_every_block() {
    let _alone = alone();
    let mut plugin = Plugin::new();
    let strategy = plugin.param_id("Strategy");
    let mut active = plugin.activate(44_100.0, 256);
    let blocks = plugin.run(&mut active, |audio| {
        let mut rng = Rng::new(9);
        for block in 0..400u32 {
            let mut input = random_block(&mut rng, 256, 60);
            if block % 10 == 0 {
                // And the strategy changes now and then, from whichever thread runs the block.
                let to = Strategy::ALL[(block / 10 % 5) as usize];
                input.insert(0, Ev::param(0, strategy, to.index() as f64));
            }
            let out = on_a_new_thread(audio, 256, &input);
            assert_eq!(out, merge(&input, &[]), "block {block}");
        }
        400
    });
    plugin.deactivate(active);
    assert_eq!(blocks, 400);
    assert_eq!(plugin.value(strategy), Strategy::Mailbox.index() as f64);
}

#[test]
fn activation_cycles_leave_nothing_behind() {
    let _alone = alone();
    const CYCLES: u64 = 300;
    const WARM_UP: u64 = 20;
    let mut plugin = Plugin::new();
    let demo = plugin.param_id("Demo pattern");
    let rates = [22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0];
    let cycle = |plugin: &mut Plugin, n: u64| {
        let sample_rate = rates[(n % 5) as usize];
        let max_frames = [1, 64, 512, 4096][(n % 4) as usize];
        let mut active = plugin.activate(sample_rate, max_frames);
        // Start and stop processing more than once per activation; reset in between.
        for round in 0..2 {
            plugin.run(&mut active, |audio| {
                let mut rng = Rng::new(n * 2 + round);
                let input = random_block(&mut rng, max_frames, 20);
                let mut with_demo = input.clone();
                with_demo.insert(0, Ev::param(0, demo, (n % 2) as f64));
                audio.process(max_frames, &with_demo);
                audio.reset();
                // After a reset the demo stops (it is switched off here): the output is the
                // input, and the release of a demo note that was sounding.
                let input = random_block(&mut rng, max_frames, 20);
                let mut off = input.clone();
                off.insert(0, Ev::param(0, demo, 0.0));
                let mut out = audio.process(max_frames, &off).events;
                let release = out.iter().position(|e| {
                    matches!(e, Ev::Note { time: 0, kind: NoteKind::Off, channel, note_id: -1, .. }
                        if *channel == i16::from(rtcb_plugin::demo::CHANNEL))
                });
                let expected = merge(&input, &[]);
                if let (Some(at), true) = (release, out.len() > expected.len()) {
                    out.remove(at);
                }
                assert_eq!(out, expected, "cycle {n}");
            });
        }
        plugin.deactivate(active);
    };
    for n in 0..WARM_UP {
        cycle(&mut plugin, n);
    }
    let before = Memory::now();
    for n in WARM_UP..WARM_UP + CYCLES {
        cycle(&mut plugin, n);
    }
    let after = Memory::now();
    let (_, heap_growth) = after.growth_since(&before);
    eprintln!("{CYCLES} activation cycles: heap {before} -> {after} ({heap_growth:+} B)");
    // Each activation allocates what the next block size needs and frees it at deactivation;
    // nothing may accumulate (the bound absorbs allocator caches of the short-lived threads).
    assert!(
        heap_growth < 64 * 1024,
        "the heap grew by {heap_growth} bytes over {CYCLES} activations"
    );
    plugin.assert_still_forwards(77);
}

/// A note on at `time`, channel 1, key 60.
fn note_at(time: u32) -> Ev {
    Ev::Note {
        time,
        kind: NoteKind::On,
        port: 0,
        channel: 1,
        key: 60,
        note_id: -1,
        velocity: 0.5,
    }
}

#[test]
fn parameter_values_out_of_range_end_in_range() {
    let _alone = alone();
    let mut plugin = Plugin::new();
    let params = plugin.params();
    let demo = plugin.param_id("Demo pattern");
    let mut active = plugin.activate(48_000.0, 64);
    for param in &params {
        let (min, max) = (param.min, param.max);
        // Each value a host may send by mistake, and where nice-plug's wrapper puts it: finite
        // values are clamped to the range; NaN and the infinities are ignored (`None`: the value
        // stays what it was).
        // (The non-finite values follow the minimum, so "ignored" and "the maximum" differ.)
        let cases = [
            (max + 1.0, Some(max)),
            (min - 1.0, Some(min)),
            (f64::NAN, None),
            (f64::INFINITY, None),
            (f64::NEG_INFINITY, None),
            (1e300, Some(max)),
            (-1e300, Some(min)),
        ];
        for (sent, clamped) in cases {
            // The demo is switched off at the block's start, before the value under test.
            let before = if param.id == demo {
                0.0
            } else {
                plugin.value(param.id)
            };
            let expected = clamped.unwrap_or(before);
            let out = plugin.run(&mut active, |audio| {
                // A value that switches the demo on is this block's to show.
                let events = [
                    Ev::param(0, demo, 0.0),
                    Ev::param(0, param.id, sent),
                    note_at(1),
                ];
                audio.process(64, &events)
            });
            let now = plugin.value(param.id);
            assert_eq!(now, expected, "{} <- {sent}", param.name);
            // The played note comes out (beside the demo's, when a value switched it on, and
            // the note off that ends the demo's note when the next block switches it off).
            assert!(
                out.events.contains(&note_at(1)),
                "{} <- {sent}: {:?}",
                param.name,
                out.events
            );
        }
    }
    plugin.deactivate(active);
    plugin.assert_still_forwards(3);
}

#[test]
fn events_past_the_block_come_out_on_its_last_sample() {
    let _alone = alone();
    let mut plugin = Plugin::new();
    let mut active = plugin.activate(48_000.0, 64);
    plugin.run(&mut active, |audio| {
        for time in [63, 64, 65, 1_000, u32::MAX] {
            let out = audio.process(64, &[note_at(time)]);
            assert_eq!(out.events, vec![note_at(time.min(63))], "a note at {time}");
        }
    });
    plugin.deactivate(active);
}

#[test]
fn a_block_of_zero_samples_is_answered_and_the_next_one_runs() {
    let _alone = alone();
    let mut plugin = Plugin::new();
    let mut active = plugin.activate(48_000.0, 64);
    plugin.run(&mut active, |audio| {
        let empty = audio.process(0, &[]);
        assert_eq!(empty.status, CLAP_PROCESS_CONTINUE_IF_NOT_QUIET);
        assert!(empty.events.is_empty());
        // nice-plug's CLAP wrapper does not call the plugin for a block without samples, and the
        // block's events go with it (the README's known limits).
        let dropped = audio.process(0, &[note_at(0)]);
        assert_eq!(dropped.status, CLAP_PROCESS_CONTINUE_IF_NOT_QUIET);
        assert!(dropped.events.is_empty());
        let next = audio.process(64, &[note_at(5)]);
        assert_eq!(
            next.events,
            vec![note_at(5)],
            "the next block, and only its note"
        );
    });
    plugin.deactivate(active);
}

#[test]
fn every_block_size_from_1_to_8192() {
    let _alone = alone();
    let mut plugin = Plugin::new();
    // Every power of two and its neighbours, and odd sizes between, in a shuffled order.
    let mut sizes: Vec<u32> = (0..=13)
        .flat_map(|bit| {
            let n = 1u32 << bit;
            [n - 1, n, n + 1]
        })
        .filter(|n| (1..=8192).contains(n))
        .chain([3, 7, 100, 441, 480, 1000, 1023, 4410, 8191])
        .collect();
    let mut rng = Rng::new(8192);
    for i in (1..sizes.len()).rev() {
        sizes.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let checked = blocks_of(&mut plugin, 8192, &sizes, 3);
    assert!(checked > 0);
}
