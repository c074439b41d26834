//! The contract (`docs/contract.md`) checked for all five strategies: the seed's three tests
//! (Basics, Overflow, SetInsideListener), a model check of random single-threaded sequences,
//! `deliver` alone reaching a fresh listener, applied meaning collectible, a multi-threaded
//! stress run, drop accounting, and the thread rules in the types.
//!
//! Every audio-side call runs under `assert_no_alloc` (the global allocator below), so an
//! allocation or a free on the audio side aborts the test binary.

mod common;

use common::{audio, returns_stopped_before_next_change, Payload, Rng, Tracker};
use rtcb::{Call, Register, Strategy};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

/// How long a test may wait for another thread before it fails (a bound against hangs, not a
/// timing assertion).
const PATIENCE: Duration = Duration::from_secs(60);

type Split<R> = Option<fn(&R) -> R>;

/// One audio-thread block: ask, then deliver.
fn block<C: Call<Payload>>(caller: &mut C, value: Payload) -> bool {
    audio(|| caller.poll_listening() && caller.deliver(&value))
}

/// Retries `change` (dropping refused listeners here) until accepted, letting `caller` (if this
/// thread drives it) catch up in between.
fn until_accepted<R: Register<Payload>>(
    registrar: &mut R,
    mut change: impl FnMut(&mut R) -> Result<rtcb::Ticket, rtcb::Refused<Payload>>,
    mut catch_up: impl FnMut(),
) -> rtcb::Ticket {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match change(registrar) {
            Ok(ticket) => return ticket,
            Err(refused) => drop(refused.into_listener()),
        }
        assert!(
            Instant::now() < deadline,
            "a change was refused for too long"
        );
        catch_up();
        thread::yield_now();
    }
}

/// An audio thread that runs blocks until told to stop, then hands its caller back.
struct AudioThread<C> {
    stop: Arc<AtomicBool>,
    blocks: Arc<AtomicU64>,
    handle: thread::JoinHandle<C>,
}

impl<C: Call<Payload> + Send + 'static> AudioThread<C> {
    fn start(mut caller: C) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let blocks = Arc::new(AtomicU64::new(0));
        let handle = thread::spawn({
            let stop = stop.clone();
            let blocks = blocks.clone();
            move || {
                common::become_audio_thread();
                let deadline = Instant::now() + PATIENCE;
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    block(&mut caller, 1);
                    blocks.fetch_add(1, Ordering::SeqCst);
                }
                caller
            }
        });
        Self {
            stop,
            blocks,
            handle,
        }
    }

    fn blocks(&self) -> u64 {
        self.blocks.load(Ordering::SeqCst)
    }

    /// Waits (bounded) until `done` holds.
    fn wait_for(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            thread::yield_now();
        }
    }

    fn stop(self) -> C {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().expect("the audio thread panicked")
    }
}

/// Seed test *Basics*: an audio thread loops; a registrar sets a listener; the listener is called
/// at least 512 times.
fn basics<R, C>(_: Strategy, new: fn() -> (R, C), _: Split<R>)
where
    R: Register<Payload>,
    C: Call<Payload> + Send + 'static,
{
    let tracker = Tracker::new();
    let (mut registrar, caller) = new();
    let audio_thread = AudioThread::start(caller);
    let (_, listener) = tracker.listener(None);
    let mut listener = Some(listener);
    let set = until_accepted(
        &mut registrar,
        |r| r.set(listener.take().expect("refusals hand the listener back")),
        || {},
    );
    audio_thread.wait_for("512 calls", || tracker.calls() >= 512);
    assert!(registrar.is_applied(set));
    let clear = until_accepted(&mut registrar, |r| r.clear(), || {});
    audio_thread.wait_for("the clear", || registrar.is_applied(clear));
    let mut caller = audio_thread.stop();
    assert!(!audio(|| caller.poll_listening()));
    registrar.collect();
    drop((registrar, caller));
    assert!(tracker.calls() >= 512);
    tracker.assert_all_dropped_once();
}
for_each_strategy!(basics);

/// Seed test *Overflow*: after many sets, the newest accepted listener is the one called, and
/// every refused listener was handed back (nothing vanishes).
fn overflow<R, C>(strategy: Strategy, new: fn() -> (R, C), _: Split<R>)
where
    R: Register<Payload>,
    C: Call<Payload>,
{
    let tracker = Tracker::new();
    let (mut registrar, mut caller) = new();
    let mut newest = None;
    let mut refused = 0;
    for i in 0..2_000u64 {
        let (id, listener) = tracker.listener(None);
        match registrar.set(listener) {
            Ok(_) => newest = Some(id),
            Err(back) => {
                assert!(back.was_set());
                drop(
                    back.into_listener()
                        .expect("a refused set hands the listener back"),
                );
                refused += 1;
            }
        }
        if i % 7 == 6 {
            assert!(block(&mut caller, i));
            assert_eq!(tracker.last_called(), newest.unwrap() as u64);
        }
    }
    assert!(block(&mut caller, 0));
    assert_eq!(tracker.last_called(), newest.unwrap() as u64);
    if !strategy.can_refuse() {
        assert_eq!(refused, 0, "{strategy} never refuses");
    }
    until_accepted(
        &mut registrar,
        |r| r.clear(),
        || {
            block(&mut caller, 0);
        },
    );
    assert!(!block(&mut caller, 0));
    registrar.collect();
    drop((registrar, caller));
    tracker.assert_all_dropped_once();
}
for_each_strategy!(overflow);

/// Seed test *SetInsideListener*: the seed clears the callback from inside the callback. Here a
/// listener stops itself through its return value: no deadlock, never called again, and dropped
/// on the registrar side.
fn set_inside_listener<R, C>(strategy: Strategy, new: fn() -> (R, C), _: Split<R>)
where
    R: Register<Payload>,
    C: Call<Payload> + Send + 'static,
{
    let tracker = Tracker::new();
    let (mut registrar, caller) = new();
    let audio_thread = AudioThread::start(caller);
    let (id, listener) = tracker.listener(Some(3));
    let mut listener = Some(listener);
    until_accepted(&mut registrar, |r| r.set(listener.take().unwrap()), || {});
    audio_thread.wait_for("three calls", || tracker.calls() >= 3);
    let after = audio_thread.blocks() + 1_000;
    audio_thread.wait_for("more blocks", || audio_thread.blocks() >= after);
    assert_eq!(tracker.calls(), 3, "a stopped listener was called again");
    if returns_stopped_before_next_change(strategy) {
        audio_thread.wait_for("the stopped listener to come back", || {
            registrar.collect();
            tracker.is_dropped(id)
        });
    } else {
        let clear = until_accepted(&mut registrar, |r| r.clear(), || {});
        audio_thread.wait_for("the clear", || registrar.is_applied(clear));
        audio_thread.wait_for("the stopped listener to come back", || {
            registrar.collect();
            tracker.is_dropped(id)
        });
    }
    let caller = audio_thread.stop();
    drop((registrar, caller));
    tracker.assert_all_dropped_once();
}
for_each_strategy!(set_inside_listener);

/// Random single-threaded sequences of sets (some with self-stopping listeners), clears,
/// collects and audio blocks, checked against a model: after every audio block the listener
/// called is the newest accepted one, unless it stopped or was cleared.
fn random_sequences_match_the_model<R, C>(strategy: Strategy, new: fn() -> (R, C), _: Split<R>)
where
    R: Register<Payload>,
    C: Call<Payload>,
{
    for seed in 0..20 {
        let mut rng = Rng::new(seed);
        let tracker = Tracker::new();
        let (mut registrar, mut caller) = new();
        // The newest accepted change: Some((id, stop_after)) for a set, None for a clear.
        let mut newest: Option<(usize, Option<u64>)> = None;
        let mut calls_of_newest = 0u64;
        for step in 0..400 {
            match rng.below(100) {
                0..=34 => {
                    let stop_after = (rng.below(4) == 0).then(|| 1 + rng.below(3));
                    let (id, listener) = tracker.listener(stop_after);
                    match registrar.set(listener) {
                        Ok(_) => {
                            newest = Some((id, stop_after));
                            calls_of_newest = 0;
                        }
                        Err(back) => drop(back.into_listener()),
                    }
                }
                35..=49 => {
                    if registrar.clear().is_ok() {
                        newest = None;
                    }
                }
                50..=59 => {
                    registrar.collect();
                }
                _ => {
                    let expect_call =
                        newest.is_some_and(|(_, stop)| stop.is_none_or(|n| calls_of_newest < n));
                    let before = tracker.calls();
                    let called = block(&mut caller, step);
                    assert_eq!(
                        called, expect_call,
                        "{strategy}, seed {seed}, step {step}: called = {called}"
                    );
                    if called {
                        assert_eq!(tracker.calls(), before + 1);
                        assert_eq!(tracker.last_called(), newest.unwrap().0 as u64);
                        calls_of_newest += 1;
                    }
                }
            }
        }
        // Settle: clear, apply, collect; then every listener must be dropped exactly once.
        until_accepted(
            &mut registrar,
            |r| r.clear(),
            || {
                block(&mut caller, 0);
            },
        );
        block(&mut caller, 0);
        registrar.collect();
        drop((registrar, caller));
        assert_eq!(tracker.dropped(), tracker.made());
        tracker.assert_all_dropped_once();
    }
}
for_each_strategy!(random_sequences_match_the_model);

/// `deliver` without a `poll_listening` first still reaches a freshly set listener: it applies
/// pending changes itself, so no code that compiles drops data silently.
fn deliver_alone_reaches_a_fresh_listener<R, C>(
    strategy: Strategy,
    new: fn() -> (R, C),
    _: Split<R>,
) where
    R: Register<Payload>,
    C: Call<Payload>,
{
    const DELIVERIES: u64 = 1_000;
    let tracker = Tracker::new();
    let (mut registrar, mut caller) = new();
    let (_, listener) = tracker.listener(None);
    registrar.set(listener).expect("a first set is accepted");
    for value in 0..DELIVERIES {
        assert!(
            audio(|| caller.deliver(&value)),
            "{strategy}: delivery {value} was dropped"
        );
    }
    assert_eq!(tracker.calls(), DELIVERIES, "{strategy}");
    // And after a replacement, the first delivery reaches the new listener.
    let (second, listener) = tracker.listener(None);
    let mut listener = Some(listener);
    until_accepted(
        &mut registrar,
        |r| r.set(listener.take().expect("refusals hand the listener back")),
        || {},
    );
    assert!(audio(|| caller.deliver(&0)));
    assert_eq!(tracker.last_called(), second as u64, "{strategy}");
    let clear = until_accepted(&mut registrar, |r| r.clear(), || {});
    assert!(
        !audio(|| caller.deliver(&0)),
        "{strategy}: called after the clear"
    );
    assert!(registrar.is_applied(clear));
    registrar.collect();
    drop((registrar, caller));
    tracker.assert_all_dropped_once();
}
for_each_strategy!(deliver_alone_reaches_a_fresh_listener);

/// Applied means collectible: the moment a registrar sees its change applied, the listener that
/// change replaced is on its way back, so the next `collect` drops it (`SpinLock` drops it inside
/// the change itself). Round after round against an audio thread running flat out.
fn applied_means_collectible<R, C>(strategy: Strategy, new: fn() -> (R, C), _: Split<R>)
where
    R: Register<Payload>,
    C: Call<Payload> + Send + 'static,
{
    const ROUNDS: usize = 5_000;
    let tracker = Tracker::new();
    let (mut registrar, caller) = new();
    let audio_thread = AudioThread::start(caller);
    let mut not_collectible = 0;
    for _ in 0..ROUNDS {
        let (id, listener) = tracker.listener(None);
        let mut listener = Some(listener);
        let set = until_accepted(
            &mut registrar,
            |r| r.set(listener.take().expect("refusals hand the listener back")),
            || {},
        );
        audio_thread.wait_for("the set", || registrar.is_applied(set));
        let clear = until_accepted(&mut registrar, |r| r.clear(), || {});
        audio_thread.wait_for("the clear", || registrar.is_applied(clear));
        registrar.collect();
        not_collectible += usize::from(!tracker.is_dropped(id));
        // Whatever was not collectible yet is dropped before the next round.
        audio_thread.wait_for("the listener back", || {
            registrar.collect();
            tracker.is_dropped(id)
        });
    }
    assert_eq!(
        not_collectible, 0,
        "{strategy}: {not_collectible} of {ROUNDS} applied clears had not handed their listener back"
    );
    let caller = audio_thread.stop();
    drop((registrar, caller));
    tracker.assert_all_dropped_once();
}
for_each_strategy!(applied_means_collectible);

/// One audio thread against one registrar, or two where the strategy allows: thousands of random
/// changes while the audio thread delivers flat out. Every listener is dropped exactly once,
/// never on the audio thread, never called twice at once.
fn stress<R, C>(strategy: Strategy, new: fn() -> (R, C), split: Split<R>)
where
    R: Register<Payload> + Send + 'static,
    C: Call<Payload> + Send + 'static,
{
    const CHANGES_PER_REGISTRAR: u64 = 10_000;
    let tracker = Tracker::new();
    let (registrar, caller) = new();
    let mut registrars = vec![registrar];
    if let Some(split) = split {
        let second = split(&registrars[0]);
        registrars.push(second);
    }
    let audio_thread = AudioThread::start(caller);
    let workers: Vec<_> = registrars
        .into_iter()
        .enumerate()
        .map(|(n, mut registrar)| {
            let tracker = tracker.clone();
            thread::spawn(move || {
                let mut rng = Rng::new(1_000 + n as u64);
                for _ in 0..CHANGES_PER_REGISTRAR {
                    match rng.below(10) {
                        0..=5 => {
                            let stop_after = (rng.below(8) == 0).then(|| 1 + rng.below(5));
                            let (_, listener) = tracker.listener(stop_after);
                            if let Err(back) = registrar.set(listener) {
                                drop(back.into_listener());
                            }
                        }
                        6..=8 => {
                            let _ = registrar.clear();
                        }
                        _ => {
                            registrar.collect();
                        }
                    }
                    if rng.below(64) == 0 {
                        thread::yield_now();
                    }
                }
                registrar
            })
        })
        .collect();
    let mut registrars: Vec<R> = workers
        .into_iter()
        .map(|w| w.join().expect("a registrar panicked"))
        .collect();
    let clear = until_accepted(&mut registrars[0], |r| r.clear(), || {});
    audio_thread.wait_for("the final clear", || registrars[0].is_applied(clear));
    let mut caller = audio_thread.stop();
    assert!(!audio(|| caller.poll_listening()));
    for registrar in &mut registrars {
        registrar.collect();
    }
    assert!(
        tracker.calls() > 0,
        "{strategy}: no listener was ever called"
    );
    drop((registrars, caller));
    assert_eq!(tracker.dropped(), tracker.made());
    tracker.assert_all_dropped_once();
}
for_each_strategy!(stress);

/// CONTRACT rule 5: the thread rules are in the types.
mod thread_rules {
    use rtcb::*;
    use static_assertions::{assert_impl_all, assert_not_impl_any};

    type P = u64;
    // Audio-thread handles: Send, not Clone, not Sync.
    assert_impl_all!(spin_lock::Caller<P>: Send);
    assert_impl_all!(spsc_queue::Caller<P>: Send);
    assert_impl_all!(trap::Caller<P>: Send);
    assert_impl_all!(overwrite_ring::Caller<P>: Send);
    assert_impl_all!(mailbox::Caller<P>: Send);
    assert_impl_all!(SwitchCaller<P>: Send);
    assert_not_impl_any!(spin_lock::Caller<P>: Clone, Sync);
    assert_not_impl_any!(spsc_queue::Caller<P>: Clone, Sync);
    assert_not_impl_any!(trap::Caller<P>: Clone, Sync);
    assert_not_impl_any!(overwrite_ring::Caller<P>: Clone, Sync);
    assert_not_impl_any!(mailbox::Caller<P>: Clone, Sync);
    assert_not_impl_any!(SwitchCaller<P>: Clone, Sync);
    // Single-registrar strategies: the registrar is Send but not Clone.
    assert_impl_all!(spsc_queue::Registrar<P>: Send);
    assert_impl_all!(overwrite_ring::Registrar<P>: Send);
    assert_not_impl_any!(spsc_queue::Registrar<P>: Clone, Sync);
    assert_not_impl_any!(overwrite_ring::Registrar<P>: Clone, Sync);
    assert_impl_all!(SwitchRegistrar<P>: Send);
    assert_not_impl_any!(SwitchRegistrar<P>: Clone);
    // Multi-registrar strategies: Clone + Send + Sync.
    assert_impl_all!(spin_lock::Registrar<P>: Clone, Send, Sync);
    assert_impl_all!(trap::Registrar<P>: Clone, Send, Sync);
    assert_impl_all!(mailbox::Registrar<P>: Clone, Send, Sync);
    assert_impl_all!(Registration<P>: Send);

    #[test]
    fn strategy_table_matches_the_types() {
        let many = [Strategy::SpinLock, Strategy::Trap, Strategy::Mailbox];
        for s in Strategy::ALL {
            assert_eq!(s.allows_many_registrars(), many.contains(&s), "{s}");
        }
    }
}
