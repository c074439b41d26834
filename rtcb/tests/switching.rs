//! The runtime switch: `SwitchCaller` changes strategy between blocks, and `Registration` keeps
//! one listener on whichever strategy is active, retrying refusals with the same listener.

mod common;

use common::{audio, Payload, Rng, Tracker};
use rtcb::{switchable, Call, Registration, Status, Strategy, SwitchCaller};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

fn block(caller: &mut SwitchCaller<Payload>) -> bool {
    audio(|| caller.poll_listening() && caller.deliver(&1))
}

/// Enough blocks for the caller to service every inactive strategy once (round robin).
fn blocks(caller: &mut SwitchCaller<Payload>) {
    for _ in 0..Strategy::ALL.len() {
        block(caller);
    }
}

fn registration(tracker: &Arc<Tracker>) -> (Registration<Payload>, SwitchCaller<Payload>) {
    let (registrar, caller) = switchable();
    let tracker = tracker.clone();
    (
        Registration::new(registrar, move || tracker.listener(None).1),
        caller,
    )
}

#[test]
fn the_registration_follows_the_active_strategy() {
    let tracker = Tracker::new();
    let (mut registration, mut caller) = registration(&tracker);
    for _round in 0..3 {
        for strategy in Strategy::ALL {
            caller.set_active(strategy);
            registration.listen_on(Some(strategy));
            blocks(&mut caller);
            registration.sync();
            assert_eq!(
                registration.status(strategy),
                Status::Listening,
                "{strategy}"
            );
            let before = tracker.calls();
            assert!(block(&mut caller), "{strategy} does not deliver");
            assert_eq!(tracker.calls(), before + 1);
            blocks(&mut caller);
            registration.sync();
            for other in Strategy::ALL.into_iter().filter(|s| *s != strategy) {
                assert_eq!(registration.status(other), Status::Off, "{other}");
            }
            assert!(registration.last_latency(strategy).is_some());
        }
    }
    registration.listen_on(None);
    blocks(&mut caller);
    registration.sync();
    assert!(!block(&mut caller));
    for strategy in Strategy::ALL {
        assert_eq!(registration.status(strategy), Status::Off);
    }
    drop((registration, caller));
    tracker.assert_all_dropped_once();
}

/// A set refused by a busy strategy is shown as refused, retried on every sync with the *same*
/// listener, and lands once the audio thread has caught up.
#[test]
fn a_refused_set_is_retried_with_the_same_listener() {
    for strategy in [Strategy::Trap, Strategy::SpscQueue] {
        let tracker = Tracker::new();
        let (mut registration, mut caller) = registration(&tracker);
        caller.set_active(strategy);
        // Someone else keeps the strategy busy: a pending change (Trap) or a full queue.
        let occupy = if strategy == Strategy::Trap { 1 } else { 4 };
        for _ in 0..occupy {
            registration
                .registrar_mut()
                .set(strategy, tracker.listener(None).1)
                .unwrap();
        }
        let made_before = tracker.made();
        registration.listen_on(Some(strategy));
        assert_eq!(registration.status(strategy), Status::Refused);
        registration.sync();
        registration.sync();
        assert_eq!(registration.refusals(strategy), 3);
        assert_eq!(
            tracker.made(),
            made_before + 1,
            "retries reuse the listener"
        );
        block(&mut caller);
        registration.sync();
        assert_eq!(registration.status(strategy), Status::Applying);
        block(&mut caller);
        registration.sync();
        assert_eq!(registration.status(strategy), Status::Listening);
        assert!(block(&mut caller));
        assert_eq!(tracker.last_called(), made_before as u64);
        registration.listen_on(None);
        blocks(&mut caller);
        registration.sync();
        drop((registration, caller));
        tracker.assert_all_dropped_once();
    }
}

/// A clear refused by a busy Trap, then the same strategy wanted again: the set that was never
/// cleared stands, and the status says so (it must not stay "clearing").
#[test]
fn wanted_again_after_a_refused_clear() {
    let tracker = Tracker::new();
    let (mut registration, mut caller) = registration(&tracker);
    caller.set_active(Strategy::Trap);
    registration.listen_on(Some(Strategy::Trap));
    // The set waits in the trap: the clear is refused.
    registration.listen_on(None);
    assert_eq!(registration.status(Strategy::Trap), Status::Clearing);
    registration.listen_on(Some(Strategy::Trap));
    block(&mut caller);
    registration.sync();
    assert_eq!(registration.status(Strategy::Trap), Status::Listening);
    assert!(block(&mut caller));
    registration.listen_on(None);
    blocks(&mut caller);
    registration.sync();
    assert_eq!(registration.status(Strategy::Trap), Status::Off);
    drop((registration, caller));
    tracker.assert_all_dropped_once();
}

/// The audio thread switches strategy every 1,000 blocks while the registration chases a
/// randomly changing strategy flat out. Nothing is called twice at once, nothing is dropped on
/// the audio thread, every listener is dropped exactly once.
#[test]
fn switching_storm() {
    let tracker = Tracker::new();
    let (mut registration, mut caller) = registration(&tracker);
    let stop = Arc::new(AtomicBool::new(false));
    let active = Arc::new(AtomicUsize::new(Strategy::Mailbox.index()));
    let audio_thread = thread::spawn({
        let stop = stop.clone();
        let active = active.clone();
        move || {
            common::become_audio_thread();
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                if n.is_multiple_of(1_000) {
                    let strategy = Strategy::from_index(active.load(Ordering::SeqCst)).unwrap();
                    caller.set_active(strategy);
                }
                block(&mut caller);
                n += 1;
            }
            caller
        }
    });
    let mut rng = Rng::new(7);
    for _ in 0..20_000 {
        if rng.below(50) == 0 {
            let strategy = Strategy::ALL[rng.below(5) as usize];
            active.store(strategy.index(), Ordering::SeqCst);
            registration.listen_on(Some(strategy));
        } else {
            registration.sync();
        }
    }
    assert!(tracker.calls() > 0, "no listener was ever called");
    registration.listen_on(None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Strategy::ALL
        .into_iter()
        .any(|s| registration.status(s) != Status::Off)
    {
        assert!(Instant::now() < deadline, "the clears were never applied");
        registration.sync();
        thread::yield_now();
    }
    stop.store(true, Ordering::SeqCst);
    let caller = audio_thread.join().unwrap();
    registration.sync();
    drop((registration, caller));
    tracker.assert_all_dropped_once();
}
