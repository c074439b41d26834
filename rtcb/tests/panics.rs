//! A listener that panics on the audio thread, for every strategy: the panic comes out of
//! `deliver` on the audio thread, the listener is never called again and is dropped exactly once
//! on the registrar side, the strategy takes new changes and delivers to them, and nothing
//! hangs (`SpinLock` releases its lock on unwind).

mod common;

use common::{Payload, Tracker};
use rtcb::{Call, Flow, Listener, Register, Strategy, Ticket};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

/// How long a step may take before the test calls it a hang (a bound, not a timing assertion).
const PATIENCE: Duration = Duration::from_secs(60);

type Split<R> = Option<fn(&R) -> R>;

/// A listener that panics on its `panic_on`-th call, counting its calls and its drop (through a
/// tracker listener it wraps).
fn panicking(tracker: &Arc<Tracker>, panic_on: u64, calls: Arc<AtomicU64>) -> Listener<Payload> {
    let (_, mut inner) = tracker.listener(None);
    Listener::new(move |value: &Payload| {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        inner.call(value);
        if n == panic_on {
            panic!("listener panics on call {n}");
        }
        Flow::Continue
    })
}

/// Runs `change` on another thread and waits for it, so a registrar that hangs (a lock never
/// released) fails the test instead of hanging it.
fn within_patience<R: Send + 'static, X: Send + 'static>(
    mut registrar: R,
    change: impl FnOnce(&mut R) -> X + Send + 'static,
) -> (R, X) {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let x = change(&mut registrar);
        let _ = done.send((registrar, x));
    });
    result
        .recv_timeout(PATIENCE)
        .expect("a registrar change hung after a listener panicked")
}

/// Retries a change until accepted (refusing strategies take it once the audio thread has
/// caught up), running one audio block between tries.
fn until_accepted<R: Register<Payload>, C: Call<Payload>>(
    registrar: &mut R,
    caller: &mut C,
    mut make: impl FnMut() -> Option<Listener<Payload>>,
) -> Ticket {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let result = match make() {
            Some(listener) => registrar.set(listener),
            None => registrar.clear(),
        };
        match result {
            Ok(ticket) => return ticket,
            Err(refused) => drop(refused.into_listener()),
        }
        assert!(
            Instant::now() < deadline,
            "a change was refused for too long"
        );
        caller.poll_listening();
    }
}

/// The audio thread delivers until the listener panics; the panic comes out of `deliver`.
fn a_panicking_listener_is_retired<R, C>(strategy: Strategy, new: fn() -> (R, C), _: Split<R>)
where
    R: Register<Payload> + Send + 'static,
    C: Call<Payload> + Send + 'static,
{
    let tracker = Tracker::new();
    let calls = Arc::new(AtomicU64::new(0));
    let (mut registrar, caller) = new();
    registrar
        .set(panicking(&tracker, 3, calls.clone()))
        .expect("a first set is accepted");

    // The audio thread: ten blocks, each delivery under catch_unwind as a host would run it.
    let audio = thread::spawn(move || {
        common::become_audio_thread();
        let mut caller = caller;
        let mut panics = 0;
        for value in 0..10 {
            let block = panic::catch_unwind(AssertUnwindSafe(|| {
                caller.poll_listening() && caller.deliver(&value)
            }));
            panics += usize::from(block.is_err());
        }
        (caller, panics)
    });
    let (mut caller, panics) = audio.join().expect("the audio thread itself survives");
    assert_eq!(panics, 1, "{strategy}: the panic came out of deliver once");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "{strategy}: not called after it panicked"
    );
    assert!(
        !caller.poll_listening(),
        "{strategy}: still listening after a panic"
    );
    assert!(!caller.deliver(&0), "{strategy}: delivered after a panic");

    // The registrar side still works: collecting (which takes SpinLock's lock, since a listener
    // stopped) does not wait for a lock nobody holds, and a new listener is taken and called.
    let (mut registrar, _) = within_patience(registrar, |r| r.collect());
    let calls_before = tracker.calls();
    let ticket = until_accepted(&mut registrar, &mut caller, || {
        Some(tracker.listener(None).1)
    });
    assert!(
        caller.poll_listening(),
        "{strategy}: a new listener after the panic"
    );
    assert!(registrar.is_applied(ticket));
    assert!(caller.deliver(&1));
    assert_eq!(
        tracker.calls(),
        calls_before + 1,
        "{strategy}: the new listener was called"
    );

    // Everything goes back and is dropped exactly once, none on the audio thread.
    let clear = until_accepted(&mut registrar, &mut caller, || None);
    caller.poll_listening();
    assert!(registrar.is_applied(clear));
    registrar.collect();
    drop((registrar, caller));
    assert_eq!(tracker.dropped(), tracker.made(), "{strategy}");
    tracker.assert_all_dropped_once();
}
for_each_strategy!(a_panicking_listener_is_retired);

/// `SpinLock` specifically: a registrar that is waiting for the lock while the listener panics
/// gets it (the lock is released on unwind), and the panicking listener is dropped by the
/// registrar, once.
#[test]
fn a_spin_lock_registrar_waiting_while_the_listener_panics_gets_the_lock() {
    let tracker = Tracker::new();
    let (mut registrar, mut caller) = rtcb::spin_lock::new::<Payload>();
    let entered = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let (_, mut inner) = tracker.listener(None);
    registrar.set(Listener::new({
        let entered = entered.clone();
        let release = release.clone();
        move |value: &Payload| {
            inner.call(value);
            entered.store(true, Ordering::SeqCst);
            let deadline = Instant::now() + PATIENCE;
            while !release.load(Ordering::SeqCst) && Instant::now() < deadline {
                thread::yield_now();
            }
            panic!("listener panics while a registrar waits");
        }
    }));
    let audio = thread::spawn(move || {
        common::become_audio_thread();
        let panicked = panic::catch_unwind(AssertUnwindSafe(|| caller.deliver(&0))).is_err();
        (caller, panicked)
    });
    let deadline = Instant::now() + PATIENCE;
    while !entered.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the listener was never called");
        thread::yield_now();
    }
    // The registrar asks for the lock while the listener holds it, then the listener panics.
    let (waiting, cleared) = mpsc::channel();
    let registrar_thread = thread::spawn(move || {
        let ticket = registrar.clear();
        let _ = waiting.send(());
        (registrar, ticket)
    });
    release.store(true, Ordering::SeqCst);
    cleared
        .recv_timeout(PATIENCE)
        .expect("the registrar hung on a lock the panicking listener held");
    let (registrar, ticket) = registrar_thread.join().unwrap();
    let (caller, panicked) = audio.join().unwrap();
    assert!(panicked);
    assert!(registrar.is_applied(ticket));
    drop((registrar, caller));
    tracker.assert_all_dropped_once();
}
