//! A level meter: the audio thread computes each block's peak only while an editor listens, and
//! hands it over through a `Mailbox`; the editor opens, reads the meter for a while, and closes.
//!
//! Run: `cargo run -p rtcb --example meter`

use rtcb::{mailbox, Listener};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const BLOCK: usize = 64;
const BLOCKS: u64 = 4_000;

/// What the editor reads: the latest peak, written by the listener on the audio thread.
#[derive(Default)]
struct Meter {
    peak_bits: AtomicU32,
    blocks: AtomicU64,
}

fn main() {
    let (mut registrar, mut caller) = mailbox::new::<[f32]>();
    let done = Arc::new(AtomicBool::new(false));
    let peaks_computed = Arc::new(AtomicU64::new(0));

    // The audio thread: a sine wave at a slowly changing level, one block per 50 µs.
    let audio = thread::spawn({
        let done = done.clone();
        let peaks_computed = peaks_computed.clone();
        move || {
            let mut samples = [0.0f32; BLOCK];
            let mut peak = [0.0f32; 1];
            for block in 0..BLOCKS {
                let level = 0.5 + 0.5 * (block as f32 / 500.0).sin();
                for (i, sample) in samples.iter_mut().enumerate() {
                    *sample = level * ((block as usize * BLOCK + i) as f32 * 0.05).sin();
                }
                // Ask first: with nobody listening this is one atomic load, and no peak is
                // computed at all.
                if caller.poll_listening() {
                    peak[0] = samples.iter().fold(0.0, |m, s| m.max(s.abs()));
                    peaks_computed.fetch_add(1, Ordering::Relaxed);
                    caller.deliver(&peak);
                }
                thread::sleep(Duration::from_micros(50));
            }
            done.store(true, Ordering::Release);
            // The caller may own the installed listener: it is dropped here, off the audio
            // thread's real-time work, when the thread ends.
        }
    });

    // The editor: opens after a while, listens, closes, and the audio thread carries on alone.
    thread::sleep(Duration::from_millis(20));
    let meter = Arc::new(Meter::default());
    let ticket = registrar.set(Listener::forever({
        let meter = meter.clone();
        // Runs on the audio thread: two atomic stores, nothing that can block or allocate.
        move |peak: &[f32]| {
            meter.peak_bits.store(peak[0].to_bits(), Ordering::Relaxed);
            meter.blocks.fetch_add(1, Ordering::Relaxed);
        }
    }));
    for frame in 0..5 {
        thread::sleep(Duration::from_millis(16));
        let peak = f32::from_bits(meter.peak_bits.load(Ordering::Relaxed));
        let bar = "#".repeat((peak * 40.0) as usize);
        println!(
            "frame {frame}: applied {} | peak {peak:.3} {bar}",
            registrar.is_applied(ticket)
        );
    }
    let closed = registrar.clear();
    while !registrar.is_applied(closed) && !done.load(Ordering::Acquire) {
        thread::sleep(Duration::from_millis(1));
    }
    let collected = registrar.collect();
    let heard = meter.blocks.load(Ordering::Relaxed);
    audio.join().expect("the audio thread ran to the end");
    let computed = peaks_computed.load(Ordering::Relaxed);
    println!(
        "{BLOCKS} blocks: {computed} peaks computed, {heard} heard by the editor, \
         {collected} listener dropped by the editor after closing"
    );
    assert!(heard > 0, "the editor heard nothing");
    assert!(
        computed < BLOCKS,
        "peaks were computed while nobody listened"
    );
    assert_eq!(collected, 1, "the closed editor's listener came back");
}
