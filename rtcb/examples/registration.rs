//! An editor that follows the user's strategy choice: all five strategies behind one
//! `SwitchCaller`, and a `Registration` that keeps one listener on whichever is active while
//! the audio thread runs.
//!
//! Run: `cargo run -p rtcb --example registration`

use rtcb::{switchable, Call, Listener, Registration, Status, Strategy};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let (registrar, mut caller) = switchable::<u64>();
    // The strategy the user picked: a parameter the audio thread reads every block.
    let active = Arc::new(AtomicU8::new(Strategy::default().index() as u8));
    let stop = Arc::new(AtomicBool::new(false));

    let audio = thread::spawn({
        let active = active.clone();
        let stop = stop.clone();
        move || {
            let mut block = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let strategy = Strategy::from_index(active.load(Ordering::Relaxed).into())
                    .expect("a valid strategy index");
                caller.set_active(strategy);
                if caller.poll_listening() {
                    caller.deliver(&block);
                }
                block += 1;
                thread::sleep(Duration::from_micros(100));
            }
            block
        }
    });

    // The editor's listener: counts what it hears (real-time safe: one atomic add).
    let heard = Arc::new(AtomicU64::new(0));
    let mut registration = Registration::new(registrar, {
        let heard = heard.clone();
        move || {
            let heard = heard.clone();
            Listener::forever(move |_block: &u64| {
                heard.fetch_add(1, Ordering::Relaxed);
            })
        }
    });

    for strategy in Strategy::ALL {
        // The user picks a strategy: the audio thread switches, the editor follows.
        active.store(strategy.index() as u8, Ordering::Relaxed);
        registration.listen_on(Some(strategy));
        let before = heard.load(Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(10);
        // The editor's frames: sync until the listener is in force and has heard a few blocks.
        while registration.status(strategy) != Status::Listening
            || heard.load(Ordering::Relaxed) < before + 10
        {
            assert!(Instant::now() < deadline, "{strategy}: never listening");
            thread::sleep(Duration::from_millis(1));
            registration.sync();
        }
        let latency = registration.last_latency(strategy).unwrap_or_default();
        println!(
            "{strategy:>13}: listening after {latency:?} (as seen by sync), {} refusals, \
             {} blocks heard",
            registration.refusals(strategy),
            heard.load(Ordering::Relaxed) - before,
        );
    }

    // The editor closes: no listener anywhere once the audio thread has applied the clear.
    registration.listen_on(None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Strategy::ALL
        .into_iter()
        .any(|s| registration.status(s) != Status::Off)
    {
        assert!(Instant::now() < deadline, "the clears were never applied");
        thread::sleep(Duration::from_millis(1));
        registration.sync();
    }
    stop.store(true, Ordering::Relaxed);
    let blocks = audio.join().expect("the audio thread ran to the end");
    println!(
        "closed: {blocks} blocks run, {} heard in all",
        heard.load(Ordering::Relaxed)
    );
}
