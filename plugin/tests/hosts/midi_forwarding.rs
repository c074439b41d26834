//! Forwarding through CLAP beyond what every format shows (`formats`): block sizes that vary
//! from block to block, the MIDI-only layout, reactivations at other sample rates, SysEx too
//! long to hold, and a host queue that fills up.

use crate::host::clap::{AudioMode, Plugin};
use crate::host::events::Ev;
use crate::host::traffic::{merge, random_block, Rng};
use clap_sys::process::{CLAP_PROCESS_CONTINUE_IF_NOT_QUIET, CLAP_PROCESS_ERROR};

const SAMPLE_RATE: f64 = 48_000.0;
/// Blocks per run: each block carries fresh random events.
const BLOCKS: u32 = 2_000;

/// At most this many events in a block of `frames` samples: dense, but within what nice-plug
/// preallocates for a block.
fn max_events(frames: u32) -> u64 {
    (u64::from(frames) / 8).clamp(3, 400)
}

/// Processes `blocks` blocks of `frames()` samples with random MIDI; checks each block's output
/// events against the input. Returns (blocks, events sent, events checked).
fn forward_random_midi(
    plugin: &mut Plugin,
    sample_rate: f64,
    max_frames: u32,
    blocks: u32,
    seed: u64,
    mut frames: impl FnMut(&mut Rng) -> u32 + Send,
) -> (u32, usize, usize) {
    let mut active = plugin.activate(sample_rate, max_frames);
    let counts = plugin.run(&mut active, |audio| {
        let mut rng = Rng::new(seed);
        let (mut sent, mut checked) = (0, 0);
        for block in 0..blocks {
            let frames = frames(&mut rng);
            let input = random_block(&mut rng, frames, max_events(frames));
            let out = audio.process(frames, &input);
            assert_eq!(
                out.status, CLAP_PROCESS_CONTINUE_IF_NOT_QUIET,
                "block {block}"
            );
            let expected = merge(&input, &[]);
            assert_eq!(out.events, expected, "block {block} of {frames} samples");
            sent += input.len();
            checked += out.events.len();
        }
        (blocks, sent, checked)
    });
    plugin.deactivate(active);
    counts
}

#[test]
fn forwards_every_event_with_varying_block_sizes() {
    let mut plugin = Plugin::new();
    let (_, sent, _) = forward_random_midi(&mut plugin, 44_100.0, 4096, BLOCKS, 7, |rng| {
        1 + rng.below(4096) as u32
    });
    assert!(sent > 0);
}

#[test]
fn forwards_in_the_midi_only_layout() {
    let mut plugin = Plugin::new();
    plugin.select_midi_only_layout();
    // No audio ports at all: the host passes no audio buffers, only the frame count.
    let (blocks, sent, _) = forward_random_midi(&mut plugin, SAMPLE_RATE, 512, BLOCKS, 99, |_| 512);
    assert_eq!(blocks, BLOCKS);
    assert!(sent > 0);
}

#[test]
fn keeps_forwarding_across_reactivations_and_sample_rates() {
    let mut plugin = Plugin::new();
    for (round, (sample_rate, frames)) in [(48_000.0, 256), (96_000.0, 1024), (22_050.0, 64)]
        .into_iter()
        .enumerate()
    {
        let (_, sent, _) = forward_random_midi(
            &mut plugin,
            sample_rate,
            frames,
            300,
            round as u64 + 11,
            |_| frames,
        );
        assert!(sent > 0);
    }
}

#[test]
fn drops_sysex_too_long_to_hold_and_forwards_the_rest() {
    let mut plugin = Plugin::new();
    let mut active = plugin.activate(SAMPLE_RATE, 64);
    plugin.run(&mut active, |audio| {
        let sysex = |time, len: usize| {
            let mut bytes = vec![0xF0];
            bytes.extend(std::iter::repeat_n(0x42, len - 2));
            bytes.push(0xF7);
            Ev::SysEx {
                time,
                port: 0,
                bytes,
            }
        };
        let capacity = rtcb_plugin::sysex::SYSEX_CAPACITY;
        let input = [
            sysex(0, 6),
            sysex(1, capacity),
            sysex(2, capacity + 1),
            sysex(3, 4096),
            Ev::Midi {
                time: 4,
                port: 0,
                data: [0xB3, 7, 100],
            },
        ];
        let out = audio.process(64, &input);
        assert_eq!(
            out.events,
            [input[0].clone(), input[1].clone(), input[4].clone()]
        );
    });
    plugin.deactivate(active);
}

#[test]
fn survives_a_host_queue_that_fills_up() {
    let mut plugin = Plugin::new();
    let mut active = plugin.activate(SAMPLE_RATE, 512);
    plugin.run(&mut active, |audio| {
        let mut rng = Rng::new(5);
        for _ in 0..200 {
            let input = random_block(&mut rng, 512, 64);
            let out = audio.process_with(512, &input, AudioMode::OutOfPlace, Some(10));
            assert_ne!(out.status, CLAP_PROCESS_ERROR);
            // What the queue took is the start of what was sent, unchanged.
            let expected = merge(&input, &[]);
            assert_eq!(out.events, expected[..expected.len().min(10)]);
        }
        // Once the queue has room again, everything goes through.
        let input = random_block(&mut rng, 512, 64);
        assert_eq!(audio.process(512, &input).events, merge(&input, &[]));
    });
    plugin.deactivate(active);
}
