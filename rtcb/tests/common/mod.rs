//! Test helpers shared by the integration tests: instrumented listeners that count their calls
//! and drops and record on which side each drop happened, and a way to run one test body for
//! every strategy.
#![allow(dead_code)] // each test binary uses a different subset

use rtcb::{Flow, Listener, Strategy};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The value the tests deliver.
pub type Payload = u64;

thread_local! {
    static ON_AUDIO_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as the (simulated) audio thread for drop accounting.
pub fn become_audio_thread() {
    ON_AUDIO_THREAD.with(|flag| flag.set(true));
}

/// Runs `f` as an audio-thread section: marked for drop accounting and under the allocation
/// guard, so an allocation or free aborts the test binary.
#[inline]
pub fn audio<R>(f: impl FnOnce() -> R) -> R {
    ON_AUDIO_THREAD.with(|flag| flag.set(true));
    let result = assert_no_alloc::assert_no_alloc(f);
    ON_AUDIO_THREAD.with(|flag| flag.set(false));
    result
}

/// Counts, for a whole test, what happened to every listener it made.
#[derive(Default)]
pub struct Tracker {
    made: AtomicUsize,
    /// Per listener id: how many times it was dropped.
    drops: Mutex<Vec<u32>>,
    dropped_on_audio_thread: AtomicUsize,
    overlapping_calls: AtomicUsize,
    calls: AtomicU64,
    /// The id of the listener called last.
    last_called: AtomicU64,
}

/// What a listener owns: its drop is recorded.
struct Owned {
    id: usize,
    tracker: Arc<Tracker>,
    in_call: AtomicBool,
}

impl Drop for Owned {
    fn drop(&mut self) {
        if ON_AUDIO_THREAD.with(Cell::get) {
            self.tracker
                .dropped_on_audio_thread
                .fetch_add(1, Ordering::SeqCst);
            // Do not even touch the mutex (or allocate) on the audio thread.
            return;
        }
        self.tracker.drops.lock().unwrap()[self.id] += 1;
    }
}

impl Tracker {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A listener with a fresh id that records its calls; it asks to stop after `stop_after`
    /// calls, if given.
    pub fn listener(self: &Arc<Self>, stop_after: Option<u64>) -> (usize, Listener<Payload>) {
        let id = {
            let mut drops = self.drops.lock().unwrap();
            drops.push(0);
            self.made.fetch_add(1, Ordering::SeqCst);
            drops.len() - 1
        };
        let owned = Owned {
            id,
            tracker: self.clone(),
            in_call: AtomicBool::new(false),
        };
        let mut calls = 0u64;
        let listener = Listener::new(move |_value: &Payload| {
            let tracker = &owned.tracker;
            if owned.in_call.swap(true, Ordering::SeqCst) {
                tracker.overlapping_calls.fetch_add(1, Ordering::SeqCst);
            }
            calls += 1;
            tracker.calls.fetch_add(1, Ordering::SeqCst);
            tracker.last_called.store(owned.id as u64, Ordering::SeqCst);
            owned.in_call.store(false, Ordering::SeqCst);
            if stop_after.is_some_and(|n| calls >= n) {
                Flow::Stop
            } else {
                Flow::Continue
            }
        });
        (id, listener)
    }

    pub fn made(&self) -> usize {
        self.made.load(Ordering::SeqCst)
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn last_called(&self) -> u64 {
        self.last_called.load(Ordering::SeqCst)
    }

    /// How many listeners have been dropped (on any thread).
    pub fn dropped(&self) -> usize {
        let drops = self.drops.lock().unwrap();
        drops.iter().filter(|d| **d > 0).count()
            + self.dropped_on_audio_thread.load(Ordering::SeqCst)
    }

    /// Whether listener `id` has been dropped.
    pub fn is_dropped(&self, id: usize) -> bool {
        self.drops.lock().unwrap()[id] > 0
    }

    /// The contract's drop rules, once every handle is gone: every listener dropped exactly
    /// once, none on the audio thread, never two calls at once.
    pub fn assert_all_dropped_once(&self) {
        assert_eq!(
            self.dropped_on_audio_thread.load(Ordering::SeqCst),
            0,
            "a listener was dropped on the audio thread"
        );
        assert_eq!(
            self.overlapping_calls.load(Ordering::SeqCst),
            0,
            "a listener was called twice at once"
        );
        let drops = self.drops.lock().unwrap();
        for (id, count) in drops.iter().enumerate() {
            assert_eq!(*count, 1, "listener {id} was dropped {count} times");
        }
    }
}

/// Runs a generic test body for every strategy: `$body` is a generic fn taking
/// `(Strategy, make_pair, split)` where `split` clones a registrar when the strategy allows
/// more than one.
#[macro_export]
macro_rules! for_each_strategy {
    ($body:ident) => {
        mod $body {
            use rtcb::*;
            #[test]
            fn spin_lock() {
                super::$body(Strategy::SpinLock, spin_lock::new, Some(Clone::clone));
            }
            #[test]
            fn spsc_queue() {
                super::$body(Strategy::SpscQueue, spsc_queue::new, None);
            }
            #[test]
            fn trap() {
                super::$body(Strategy::Trap, trap::new, Some(Clone::clone));
            }
            #[test]
            fn overwrite_ring() {
                super::$body(Strategy::OverwriteRing, overwrite_ring::new, None);
            }
            #[test]
            fn mailbox() {
                super::$body(Strategy::Mailbox, mailbox::new, Some(Clone::clone));
            }
        }
    };
}

/// Whether the strategy hands a stopped listener back before the next change (all but
/// `OverwriteRing`, whose stopped listener waits in the reader's slot for the next change).
pub fn returns_stopped_before_next_change(strategy: Strategy) -> bool {
    strategy != Strategy::OverwriteRing
}

/// A small deterministic random number generator (xorshift64*), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
