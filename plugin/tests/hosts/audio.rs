//! Audio through CLAP in place (the host's output buffers are its input buffers), at every
//! block size, with MIDI and the demo pattern running at the same time: bit for bit but for
//! subnormals, which become zeros of the same sign (out of place runs through every format in
//! `formats`).

use crate::host::clap::{AudioMode, Plugin};
use crate::host::events::Ev;
use crate::host::traffic::{random_block, Rng};

const BLOCKS: u32 = 2_000;

fn passes_audio_through(max_frames: u32, mode: AudioMode, seed: u64) -> u64 {
    let mut plugin = Plugin::new();
    let demo = plugin.param_id("Demo pattern");
    let rate = plugin.param_id("Demo rate");
    let fast = plugin.text_to_value(rate, "32").unwrap();
    let mut active = plugin.activate(48_000.0, max_frames);
    let samples = plugin.run(&mut active, |audio| {
        let mut rng = Rng::new(seed);
        let mut samples = 0u64;
        for block in 0..BLOCKS {
            let frames = 1 + rng.below(u64::from(max_frames)) as u32;
            let mut input = random_block(&mut rng, frames, 16);
            if block % 500 == 0 {
                // The demo comes and goes, so the plugin is busy generating notes half the time.
                let on = (block / 500) % 2 == 0;
                input.insert(0, Ev::param(0, rate, fast));
                input.insert(0, Ev::param(0, demo, if on { 1.0 } else { 0.0 }));
            }
            let bits = audio.fill_audio(&mut rng, frames);
            audio.process_with(frames, &input, mode, None);
            assert_eq!(
                audio.output_bits(frames, mode),
                bits,
                "block {block}, {frames} samples"
            );
            samples += u64::from(frames) * bits.len() as u64;
        }
        samples
    });
    plugin.deactivate(active);
    samples
}

#[test]
fn stereo_audio_passes_through_bit_exact_in_place() {
    for (max_frames, seed) in [(1, 5), (64, 6), (512, 7), (4096, 8)] {
        let samples = passes_audio_through(max_frames, AudioMode::InPlace, seed);
        eprintln!("up to {max_frames} frames, in place: {samples} samples compared");
    }
}
