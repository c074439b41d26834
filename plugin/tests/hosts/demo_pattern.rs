//! The demo pattern: turned on by a parameter, it adds notes at the configured rate, exactly on
//! the documented sample grid, merged in time order with the played notes.

use crate::host::clap::Plugin;
use crate::host::events::{Ev, NoteKind};
use crate::host::traffic::{merge, random_block, DemoRun, Rng};
use clap_sys::process::{CLAP_PROCESS_CONTINUE, CLAP_PROCESS_CONTINUE_IF_NOT_QUIET};

const SAMPLE_RATE: u64 = 48_000;

/// The CLAP values that turn the demo on at `rate` (typed as the plugin's own text).
struct DemoParams {
    demo: u32,
    rate: u32,
    rate_value: f64,
}

fn demo_params(plugin: &mut Plugin, rate_text: &str) -> DemoParams {
    let rate = plugin.param_id("Demo rate");
    let rate_value = plugin
        .text_to_value(rate, rate_text)
        .expect("the plugin reads its own rates");
    DemoParams {
        demo: plugin.param_id("Demo pattern"),
        rate,
        rate_value,
    }
}

/// One stretch of a run: the demo on at a rate (`num / den` notes per second) or off, for `secs`
/// seconds of audio.
struct Stretch {
    /// `Some((text, num, den))`: on at that rate.
    rate: Option<(&'static str, u64, u64)>,
    secs: u64,
}

/// Runs the stretches back to back with random played notes at block size `frames`, checking
/// every block's output against the played notes merged with the demo grid. The parameter
/// changes go in the first block of each stretch (at sample 0: nice-plug applies a block's
/// parameter changes before processing it). Returns (blocks, demo notes checked).
fn run_stretches(frames: u32, stretches: &[Stretch], seed: u64) -> (u64, u64) {
    let mut plugin = Plugin::new();
    let rates: Vec<Option<DemoParams>> = stretches
        .iter()
        .map(|s| s.rate.map(|(text, _, _)| demo_params(&mut plugin, text)))
        .collect();
    let demo_id = plugin.param_id("Demo pattern");
    let mut active = plugin.activate(SAMPLE_RATE as f64, frames);
    let counts = plugin.run(&mut active, |audio| {
        let mut rng = Rng::new(seed);
        let mut position = 0u64;
        let mut blocks = 0u64;
        let mut demo_notes = 0u64;
        // The run in progress and its next step.
        let mut current: Option<(DemoRun, u64)> = None;
        for (stretch, params) in stretches.iter().zip(&rates) {
            let stretch_blocks = (stretch.secs * SAMPLE_RATE).div_ceil(u64::from(frames));
            for block in 0..stretch_blocks {
                let mut input = random_block(&mut rng, frames, 4);
                let mut expected_demo = Vec::new();
                if block == 0 {
                    // The changes, at sample 0, ahead of the played notes.
                    let mut changes = match params {
                        Some(p) => vec![
                            Ev::param(0, p.rate, p.rate_value),
                            Ev::param(0, p.demo, 1.0),
                        ],
                        None => vec![Ev::param(0, demo_id, 0.0)],
                    };
                    changes.append(&mut input);
                    input = changes;
                    current = match (current.take(), stretch.rate) {
                        // Turning off releases a held note at once.
                        (Some((run, next_step)), None) => {
                            if run.holds_note(next_step) {
                                expected_demo.push(run.step_event(next_step, 0));
                            }
                            None
                        }
                        // Turning on starts the pattern at the block's first sample.
                        (None, Some((_, num, den))) => {
                            Some((DemoRun::new(position, SAMPLE_RATE, num, den), 0))
                        }
                        // A new rate continues from the last step.
                        (Some((run, next_step)), Some((_, num, den))) => {
                            Some((run.rate_change(next_step, position, num, den), 0))
                        }
                        (None, None) => None,
                    };
                }
                if let Some((run, next_step)) = current.as_mut() {
                    expected_demo.extend(run.events_in(position, frames, next_step));
                }
                let out = audio.process(frames, &input);
                assert_eq!(
                    out.events,
                    merge(&input, &expected_demo),
                    "block {block} of a stretch at {:?}, block size {frames}",
                    stretch.rate
                );
                let busy = current.is_some();
                let status = if busy {
                    CLAP_PROCESS_CONTINUE
                } else {
                    CLAP_PROCESS_CONTINUE_IF_NOT_QUIET
                };
                assert_eq!(
                    out.status, status,
                    "the host may not sleep while the demo plays"
                );
                demo_notes += expected_demo
                    .iter()
                    .filter(|e| {
                        matches!(
                            e,
                            Ev::Note {
                                kind: NoteKind::On,
                                ..
                            }
                        )
                    })
                    .count() as u64;
                position += u64::from(frames);
                blocks += 1;
            }
        }
        (blocks, demo_notes)
    });
    plugin.deactivate(active);
    counts
}

fn demo_at_block_size(frames: u32) {
    let stretches = [
        Stretch {
            rate: None,
            secs: 1,
        },
        Stretch {
            rate: Some(("7.25", 29, 4)),
            secs: 3,
        },
        Stretch {
            rate: None,
            secs: 1,
        },
        Stretch {
            rate: Some(("12", 12, 1)),
            secs: 2,
        },
        Stretch {
            rate: Some(("0.5 notes/s", 1, 2)),
            secs: 5,
        },
    ];
    let (blocks, notes) = run_stretches(frames, &stretches, u64::from(frames));
    eprintln!("block size {frames}: {blocks} blocks, {notes} demo notes on the grid");
    // At least 3 s at 7.25/s, 2 s at 12/s, 5 s at 0.5/s (stretches end on a block boundary).
    assert!(notes >= 22 + 24 + 2, "{notes} demo notes");
}

#[test]
fn demo_notes_land_on_the_grid_with_blocks_of_1() {
    demo_at_block_size(1);
}

#[test]
fn demo_notes_land_on_the_grid_with_blocks_of_64() {
    demo_at_block_size(64);
}

#[test]
fn demo_notes_land_on_the_grid_with_blocks_of_512() {
    demo_at_block_size(512);
}

#[test]
fn demo_notes_land_on_the_grid_with_blocks_of_4096() {
    demo_at_block_size(4096);
}

#[test]
fn a_host_reset_releases_the_held_demo_note_and_restarts_the_pattern() {
    let mut plugin = Plugin::new();
    let p = demo_params(&mut plugin, "8");
    let mut active = plugin.activate(SAMPLE_RATE as f64, 1000);
    plugin.run(&mut active, |audio| {
        let on = [
            Ev::param(0, p.rate, p.rate_value),
            Ev::param(0, p.demo, 1.0),
        ];
        // 8 notes/s at 48 kHz: a note-on every 6000 samples, its note-off 3000 later.
        let first = audio.process(1000, &on).events;
        assert_eq!(first.len(), 1, "{first:?}");
        let run = DemoRun::new(0, SAMPLE_RATE, 8, 1);
        assert_eq!(first[0], run.step_event(0, 0));
        audio.reset();
        // The next block releases the held note, then starts over with the first note.
        let again = audio.process(1000, &[]).events;
        assert_eq!(again, [run.step_event(1, 0), run.step_event(0, 0)]);
    });
    plugin.deactivate(active);
}

#[test]
fn the_demo_plays_in_the_midi_only_layout_too() {
    let mut plugin = Plugin::new();
    plugin.select_midi_only_layout();
    let p = demo_params(&mut plugin, "8");
    let mut active = plugin.activate(SAMPLE_RATE as f64, 480);
    let run = DemoRun::new(0, SAMPLE_RATE, 8, 1);
    plugin.run(&mut active, |audio| {
        let mut next_step = 0;
        for block in 0..200u64 {
            let input = if block == 0 {
                vec![
                    Ev::param(0, p.rate, p.rate_value),
                    Ev::param(0, p.demo, 1.0),
                ]
            } else {
                Vec::new()
            };
            let expected = run.events_in(block * 480, 480, &mut next_step);
            assert_eq!(audio.process(480, &input).events, expected, "block {block}");
        }
        // Two seconds at 8 notes per second: 16 notes, each with its note-off.
        assert_eq!(next_step, 32);
    });
    plugin.deactivate(active);
}
