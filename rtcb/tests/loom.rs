//! Model checks of every strategy over all interleavings (bounded preemptions), with loom.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p rtcb --release --test loom`
//!
//! Each model runs a registrar thread (two where the strategy allows) against the audio thread,
//! with up to three changes in flight from one registrar (set, set, clear) or four from two
//! (each sets then clears), and checks: no data race on any slot (loom tracks every cell
//! access), every listener dropped exactly once and never on the audio thread, a stopped listener never called again, the newest
//! accepted change is the one in force after one more audio block, a change seen applied has
//! handed back the listener it replaced, and no leak (loom checks that every `Arc` is freed).
//!
//! Preemptions are bounded at [`PREEMPTIONS`] so the suite stays well under five minutes on two
//! cores; the known race of the naive overwriting ring needs only one preemption to show.
#![cfg(loom)]

use loom::thread;
use rtcb::{Call, Flow, Listener, Refused, Register, Ticket};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// The preemption bound for every model.
const PREEMPTIONS: usize = 3;

fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTIONS);
    builder.check(model);
}

/// Like [`check`], and also proves the model is not vacuous: in at least one explored
/// interleaving the audio thread called a listener while the registrar(s) were still running.
/// (Without yields between blocks, loom's scheduler tends to run the audio thread to the end
/// first, and a model would then never exercise a change meeting the audio thread.)
fn check_with_coverage(model: impl Fn(&AtomicUsize) + Sync + Send + 'static) {
    let covered = Arc::new(AtomicUsize::new(0));
    check({
        let covered = covered.clone();
        move || model(&covered)
    });
    assert!(
        covered.load(SeqCst) > 0,
        "no interleaving had the audio thread call a listener while a registrar ran"
    );
}

/// Audio blocks while other threads run, yielding between them so loom schedules the others;
/// counts the calls into `covered`.
fn concurrent_blocks<C: Call<u8>>(caller: &mut C, blocks: usize, covered: &AtomicUsize) {
    for _ in 0..blocks {
        if block(caller) {
            covered.fetch_add(1, SeqCst);
        }
        thread::yield_now();
    }
}

loom::thread_local! {
    static ON_AUDIO_THREAD: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// Test bookkeeping (plain std atomics: they only count, they order nothing).
#[derive(Default)]
struct Probe {
    made: AtomicUsize,
    drops: [AtomicUsize; 4],
    calls: [AtomicUsize; 4],
    dropped_on_audio_thread: AtomicUsize,
    /// 1 + the id of the listener called last (0: none yet).
    last_called: AtomicUsize,
}

struct Owned {
    id: usize,
    probe: Arc<Probe>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        if ON_AUDIO_THREAD.with(|f| f.get()) {
            self.probe.dropped_on_audio_thread.fetch_add(1, SeqCst);
        }
        self.probe.drops[self.id].fetch_add(1, SeqCst);
    }
}

impl Probe {
    fn listener(self: &Arc<Self>, stop_after: Option<usize>) -> (usize, Listener<u8>) {
        let id = self.made.fetch_add(1, SeqCst);
        let owned = Owned {
            id,
            probe: self.clone(),
        };
        let listener = Listener::new(move |_: &u8| {
            let calls = owned.probe.calls[owned.id].fetch_add(1, SeqCst) + 1;
            owned.probe.last_called.store(owned.id + 1, SeqCst);
            if stop_after.is_some_and(|n| calls >= n) {
                Flow::Stop
            } else {
                Flow::Continue
            }
        });
        (id, listener)
    }

    fn last_called(&self) -> Option<usize> {
        self.last_called.load(SeqCst).checked_sub(1)
    }

    fn assert_all_dropped_once(&self) {
        assert_eq!(
            self.dropped_on_audio_thread.load(SeqCst),
            0,
            "dropped on the audio thread"
        );
        for id in 0..self.made.load(SeqCst) {
            assert_eq!(self.drops[id].load(SeqCst), 1, "listener {id} drops");
        }
    }
}

/// One audio block: apply pending changes, deliver if someone listens.
fn block<C: Call<u8>>(caller: &mut C) -> bool {
    ON_AUDIO_THREAD.with(|f| f.set(true));
    let called = caller.poll_listening() && caller.deliver(&7);
    ON_AUDIO_THREAD.with(|f| f.set(false));
    called
}

/// Keeps the id of an accepted set; drops a refused listener here (registrar side).
fn note(result: Result<Ticket, Refused<u8>>) -> Option<Ticket> {
    result.map_err(|refused| drop(refused.into_listener())).ok()
}

/// After the threads are joined: clear (the audio thread catching up between refusals), apply,
/// collect, drop every handle, and check the drop rules.
fn settle<R: Register<u8>, C: Call<u8>>(probe: &Probe, mut registrar: R, mut caller: C) {
    let mut clear = None;
    for _ in 0..3 {
        clear = note(registrar.clear());
        if clear.is_some() {
            break;
        }
        block(&mut caller);
    }
    let clear = clear.expect("a clear is accepted once the audio thread has caught up");
    assert!(!block(&mut caller));
    assert!(
        registrar.is_applied(clear),
        "the last change is applied after one more block"
    );
    registrar.collect();
    drop(registrar);
    drop(caller);
    probe.assert_all_dropped_once();
}

/// The skeleton of the one-registrar models: `registrar_side` runs on a registrar thread while
/// the audio thread runs two blocks; after the join, `afterwards` checks the audio side with what
/// the registrar side returned; then everything is settled.
fn one_registrar_races_audio<R, C, X>(
    new: fn() -> (R, C),
    registrar_side: fn(&mut R, &Arc<Probe>) -> X,
    afterwards: fn(&mut C, &Probe, X),
) where
    R: Register<u8> + Send + 'static,
    C: Call<u8> + Send + 'static,
    X: Send + 'static,
{
    check_with_coverage(move |covered| {
        let probe = Arc::new(Probe::default());
        let (mut registrar, mut caller) = new();
        let registrar_thread = thread::spawn({
            let probe = probe.clone();
            move || {
                let result = registrar_side(&mut registrar, &probe);
                (registrar, result)
            }
        });
        concurrent_blocks(&mut caller, 2, covered);
        let (registrar, result) = registrar_thread.join().unwrap();
        afterwards(&mut caller, &probe, result);
        settle(&probe, registrar, caller);
    });
}

/// A registrar sets then clears while the audio thread runs two blocks.
fn set_then_clear<R, C>(new: fn() -> (R, C))
where
    R: Register<u8> + Send + 'static,
    C: Call<u8> + Send + 'static,
{
    one_registrar_races_audio(
        new,
        |registrar, probe| {
            note(registrar.set(probe.listener(None).1)).expect("a first set is accepted");
            note(registrar.clear());
        },
        |_, _, ()| {},
    );
}

/// Latest wins: two sets in a row; after one more block the newest accepted one is called.
fn set_then_set<R, C>(new: fn() -> (R, C))
where
    R: Register<u8> + Send + 'static,
    C: Call<u8> + Send + 'static,
{
    one_registrar_races_audio(
        new,
        |registrar, probe| {
            let (a, first) = probe.listener(None);
            note(registrar.set(first)).expect("a first set is accepted");
            let (b, second) = probe.listener(None);
            if note(registrar.set(second)).is_some() {
                b
            } else {
                a
            }
        },
        |caller, probe, newest| {
            assert!(block(caller));
            assert_eq!(probe.last_called(), Some(newest));
        },
    );
}

/// Three changes in flight: set, set, clear in a row while the audio thread runs; after one more
/// block the newest accepted change is in force (a listener called, or nobody).
fn changes_in_flight<R, C>(new: fn() -> (R, C))
where
    R: Register<u8> + Send + 'static,
    C: Call<u8> + Send + 'static,
{
    one_registrar_races_audio(
        new,
        |registrar, probe| {
            let (a, first) = probe.listener(None);
            note(registrar.set(first)).expect("a first set is accepted");
            let mut newest = Some(a);
            let (b, second) = probe.listener(None);
            if note(registrar.set(second)).is_some() {
                newest = Some(b);
            }
            if note(registrar.clear()).is_some() {
                newest = None;
            }
            newest
        },
        assert_newest_in_force,
    );
}

/// After the registrars are done: one more block calls the listener of the newest accepted
/// change, or nobody if that change was a clear (`newest`: the listener's id, or `None`).
fn assert_newest_in_force<C: Call<u8>>(caller: &mut C, probe: &Probe, newest: Option<usize>) {
    assert_eq!(
        block(caller),
        newest.is_some(),
        "the newest change in force"
    );
    if newest.is_some() {
        assert_eq!(probe.last_called(), newest);
    }
}

/// A listener stops itself on its first call: never called again, dropped off the audio thread.
fn listener_stops_itself<R, C>(new: fn() -> (R, C))
where
    R: Register<u8> + Send + 'static,
    C: Call<u8> + Send + 'static,
{
    one_registrar_races_audio(
        new,
        |registrar, probe| {
            note(registrar.set(probe.listener(Some(1)).1)).expect("a first set is accepted");
            registrar.collect();
        },
        |caller, probe, ()| {
            block(caller);
            assert!(probe.calls[0].load(SeqCst) <= 1, "called after it stopped");
        },
    );
}

/// Applied means collectible: a registrar that sees its clear applied finds the listener the
/// clear replaced on its next `collect` (or already dropped it, inside the clear).
fn applied_means_collectible<R, C>(new: fn() -> (R, C))
where
    R: Register<u8> + Send + 'static,
    C: Call<u8> + Send + 'static,
{
    one_registrar_races_audio(
        new,
        |registrar, probe| {
            let (id, listener) = probe.listener(None);
            note(registrar.set(listener)).expect("a first set is accepted");
            let Some(clear) = note(registrar.clear()) else {
                return;
            };
            if registrar.is_applied(clear) {
                registrar.collect();
                assert_eq!(
                    probe.drops[id].load(SeqCst),
                    1,
                    "the clear was applied, yet the listener it replaced was not collectible"
                );
            }
        },
        |_, _, ()| {},
    );
}

/// Two registrars set at once; after one more block the listener called is the accepted one
/// with the newest ticket.
fn two_registrars<R, C>(new: fn() -> (R, C))
where
    R: Register<u8> + Clone + Send + 'static,
    C: Call<u8> + Send + 'static,
{
    two_registrars_race_audio(new, false);
}

/// Two registrars each set then clear, four changes in flight at most; after one more block the
/// change with the newest accepted ticket is in force.
fn two_registrars_change_twice<R, C>(new: fn() -> (R, C))
where
    R: Register<u8> + Clone + Send + 'static,
    C: Call<u8> + Send + 'static,
{
    two_registrars_race_audio(new, true);
}

/// The skeleton of the two-registrar models: each registrar sets (and clears after, with
/// `then_clear`) while the audio thread runs two blocks; then the newest accepted change must be
/// in force, and everything is settled.
fn two_registrars_race_audio<R, C>(new: fn() -> (R, C), then_clear: bool)
where
    R: Register<u8> + Clone + Send + 'static,
    C: Call<u8> + Send + 'static,
{
    check_with_coverage(move |covered| {
        let probe = Arc::new(Probe::default());
        let (registrar, mut caller) = new();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let mut registrar = registrar.clone();
                let probe = probe.clone();
                thread::spawn(move || {
                    let (id, listener) = probe.listener(None);
                    let set = note(registrar.set(listener)).map(|ticket| (ticket, Some(id)));
                    let clear = then_clear
                        .then(|| note(registrar.clear()).map(|ticket| (ticket, None)))
                        .flatten();
                    [set, clear]
                })
            })
            .collect();
        concurrent_blocks(&mut caller, 2, covered);
        let accepted: Vec<_> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .flatten()
            .collect();
        let newest = accepted.iter().max().expect("one set is always accepted").1;
        assert_newest_in_force(&mut caller, &probe, newest);
        settle(&probe, registrar, caller);
    });
}

macro_rules! models {
    ($module:ident, many_registrars: $many:tt) => {
        models!($module, many_registrars: $many, two_changes_each: $many);
    };
    ($module:ident, many_registrars: $many:tt, two_changes_each: $twice:tt) => {
        mod $module {
            #[test]
            fn set_then_clear() {
                super::set_then_clear(rtcb::$module::new);
            }

            #[test]
            fn set_then_set() {
                super::set_then_set(rtcb::$module::new);
            }

            #[test]
            fn changes_in_flight() {
                super::changes_in_flight(rtcb::$module::new);
            }

            #[test]
            fn listener_stops_itself() {
                super::listener_stops_itself(rtcb::$module::new);
            }

            #[test]
            fn applied_means_collectible() {
                super::applied_means_collectible(rtcb::$module::new);
            }

            models!(@many $module $many);
            models!(@twice $module $twice);
        }
    };
    (@many $module:ident true) => {
        #[test]
        fn two_registrars() {
            super::two_registrars(rtcb::$module::new);
        }
    };
    (@many $module:ident false) => {};
    (@twice $module:ident true) => {
        #[test]
        fn two_registrars_change_twice() {
            super::two_registrars_change_twice(rtcb::$module::new);
        }
    };
    (@twice $module:ident false) => {};
}

// SpinLock's registrars wait for each other: one that finds the lock taken yields and tries
// again, and with two registrars making two changes each, loom's executions run past its bound
// on one execution's length (1,000 branches; at 100,000 the model had not finished after two
// minutes). Its two registrars make one change each (`two_registrars`).
models!(spin_lock, many_registrars: true, two_changes_each: false);
models!(spsc_queue, many_registrars: false);
models!(trap, many_registrars: true);
models!(overwrite_ring, many_registrars: false);
models!(mailbox, many_registrars: true);

/// The overwriting ring as published: `newest` and `reading` are two separate atomics. Between
/// the reader loading `newest` and announcing `reading`, the writer can lap the ring and write
/// the slot the reader is about to read. Loom finds that interleaving.
mod naive_overwrite_ring {
    use loom::cell::UnsafeCell;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;

    struct NaiveRing {
        slots: [UnsafeCell<u32>; 3],
        newest: AtomicUsize,
        reading: AtomicUsize,
    }

    impl NaiveRing {
        fn write(&self, value: u32) {
            let reading = self.reading.load(Ordering::Acquire);
            let newest = self.newest.load(Ordering::Relaxed);
            let slot = (0..3).find(|i| *i != reading && *i != newest).unwrap();
            // SAFETY (of the test, not of the design): loom checks this access; the point of
            // the test is that it can race with `read`.
            self.slots[slot].with_mut(|p| unsafe { *p = value });
            self.newest.store(slot, Ordering::Release);
        }

        /// Reads the newest value once there is one (waiting, with yields, for the first write so
        /// that loom explores the reader meeting a running writer).
        fn read(&self) -> u32 {
            let slot = loop {
                let slot = self.newest.load(Ordering::Acquire);
                if slot != 0 {
                    break slot;
                }
                loom::thread::yield_now();
            };
            // The race window: the writer does not know yet that `slot` is being read.
            self.reading.store(slot, Ordering::Release);
            // SAFETY: as in `write`: loom checks it, and finds the race.
            self.slots[slot].with(|p| unsafe { *p })
        }
    }

    #[test]
    #[should_panic(expected = "Causality violation")]
    fn the_published_design_races() {
        super::check(|| {
            let ring = Arc::new(NaiveRing {
                slots: [UnsafeCell::new(0), UnsafeCell::new(0), UnsafeCell::new(0)],
                newest: AtomicUsize::new(0),
                reading: AtomicUsize::new(0),
            });
            let writer = loom::thread::spawn({
                let ring = ring.clone();
                move || {
                    for value in 1..=3 {
                        ring.write(value);
                    }
                }
            });
            ring.read();
            writer.join().unwrap();
        });
    }
}

/// The shipped ring under the same pressure: a writer lapping it with four changes (listeners
/// that stop themselves, to also exercise retirement) while the reader runs two blocks.
#[test]
fn overwrite_ring_survives_a_lapping_writer() {
    check_with_coverage(|covered| {
        let probe = Arc::new(Probe::default());
        let (mut registrar, mut caller) = rtcb::overwrite_ring::new();
        let writer = thread::spawn({
            let probe = probe.clone();
            move || {
                for _ in 0..3 {
                    registrar.set(probe.listener(Some(1)).1);
                }
                registrar.clear();
                registrar
            }
        });
        concurrent_blocks(&mut caller, 2, covered);
        let registrar = writer.join().unwrap();
        for id in 0..3 {
            assert!(probe.calls[id].load(SeqCst) <= 1);
        }
        settle(&probe, registrar, caller);
    });
}
