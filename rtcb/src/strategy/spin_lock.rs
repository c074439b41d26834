//! `SpinLock`: the listener lives behind a lock; the audio thread only ever *tries* it.
//!
//! # How it works
//! The listener sits in one slot guarded by a one-byte lock. The audio thread first reads a
//! "listening" flag (one relaxed load), then tries the lock once: if a registrar holds it, the
//! audio thread skips the listener for this block rather than wait. Registrars take the lock with
//! progressive backoff (re-check, then a CPU pause hint, then yield), swap the listener, release
//! the lock, and drop the replaced listener on their own thread.
//!
//! A listener that wants to stop returns [`Flow::Stop`](crate::Flow::Stop) from inside its
//! call: it is not called again, and it stays in the slot (not dropped on the audio thread)
//! until a registrar's next change or [`Registrar::collect`]. A listener that panics is stopped
//! the same way, and the lock is released before the panic goes on, so registrars never wait
//! for a lock nobody holds. The seed's `SetCbInCb` deadlock cannot happen: nothing in
//! the call path takes the lock a second time.
//!
//! # Costs
//! - Idle: one relaxed load.
//! - Delivering: one load, one compare-exchange, one store, and the call.
//! - A change applies at once, but a registrar **waits while the listener runs**.
//!
//! # Memory
//! At most [`MAX_LIVE_LISTENERS`] (one, in the slot) outside the registrars; each registrar holds
//! one more while it is inside `set` (the new one, then the replaced one it drops).

use crate::listener::{call_in_slot, forward_handles, Listener};
use crate::sync::{spin_hint, yield_now, Arc, AtomicBool, Ordering, UnsafeCell};
use crate::ticket::{Applied, Ticket, TicketCounter};
use crate::Flow;
use std::marker::PhantomData;

/// The most listeners alive at once outside the registrars' hands.
pub const MAX_LIVE_LISTENERS: usize = 1;

/// What the lock guards.
struct Slot<T: ?Sized> {
    listener: Option<Listener<T>>,
    /// The listener returned `Flow::Stop`; it is kept but never called again.
    stopped: bool,
    tickets: TicketCounter,
}

struct Shared<T: ?Sized> {
    locked: AtomicBool,
    /// A listener is installed and has not stopped: the audio thread's cheap idle check.
    listening: AtomicBool,
    /// The audio thread saw a listener stop: `collect` has something to take.
    stop_seen: AtomicBool,
    slot: UnsafeCell<Slot<T>>,
    applied: Applied,
}

// SAFETY: the slot is only touched by the thread holding `locked`; listeners are `Send`.
unsafe impl<T: ?Sized> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized> Sync for Shared<T> {}

impl<T: ?Sized> Shared<T> {
    /// One attempt at the lock.
    #[inline]
    fn try_lock(&self) -> bool {
        // Acquire on success: everything the previous holder wrote to the slot is visible.
        // Relaxed on failure: we read nothing.
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[inline]
    fn unlock(&self) {
        // Release: our writes to the slot happen before the next holder's Acquire.
        self.locked.store(false, Ordering::Release);
    }

    /// Registrar side: waits for the lock with progressive backoff.
    fn lock(&self) {
        let mut round = 0u32;
        while !self.try_lock() {
            // Test-and-test-and-set: wait with plain loads so we do not keep stealing the
            // cache line from the audio thread.
            // Relaxed: a hint only; `try_lock` synchronises.
            while self.locked.load(Ordering::Relaxed) {
                round = round.saturating_add(1);
                match round {
                    0..=15 => {}
                    16..=127 => spin_hint(),
                    _ => yield_now(),
                }
                if cfg!(loom) {
                    // loom has no fairness model: let the holder run instead of spinning here.
                    yield_now();
                    break;
                }
            }
        }
    }

    /// Audio thread, lock held: the slot's listener stopped (or panicked); it is never called
    /// again and waits in the slot for a registrar.
    #[inline]
    fn mark_stopped(&self, stopped: &mut bool) {
        *stopped = true;
        // Relaxed: both flags are hints; the unlock that follows publishes the slot.
        self.listening.store(false, Ordering::Relaxed);
        self.stop_seen.store(true, Ordering::Relaxed);
    }

    /// Runs `f` on the slot with the lock held (registrar side).
    fn with_slot<R>(&self, f: impl FnOnce(&mut Slot<T>) -> R) -> R {
        self.lock();
        let result = self.slot.with_mut(|slot| {
            // SAFETY: we hold the lock, so nobody else touches the slot.
            f(unsafe { &mut *slot })
        });
        self.unlock();
        result
    }
}

/// Creates a connected pair: a registrar (clone it for more registrar threads) and the caller for
/// the audio thread.
pub fn new<T: ?Sized>() -> (Registrar<T>, Caller<T>) {
    let shared = Arc::new(Shared {
        locked: AtomicBool::new(false),
        listening: AtomicBool::new(false),
        stop_seen: AtomicBool::new(false),
        slot: UnsafeCell::new(Slot {
            listener: None,
            stopped: false,
            tickets: TicketCounter::default(),
        }),
        applied: Applied::new(),
    });
    (
        Registrar {
            shared: shared.clone(),
        },
        Caller {
            shared,
            _not_sync: PhantomData,
        },
    )
}

/// The registrar side: `Clone + Send + Sync`. It may wait for the audio thread.
pub struct Registrar<T: ?Sized> {
    shared: Arc<Shared<T>>,
}

impl<T: ?Sized> Clone for Registrar<T> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T: ?Sized> Registrar<T> {
    /// Installs `listener` at once (waits while the audio thread runs the current one).
    pub fn set(&mut self, listener: Listener<T>) -> Ticket {
        self.replace(Some(listener))
    }

    /// Removes the listener at once (waits while the audio thread runs it).
    pub fn clear(&mut self) -> Ticket {
        self.replace(None)
    }

    /// Drops a listener that stopped itself. Takes the lock only if the audio thread has seen one
    /// stop, so a GUI can call it every frame without making the audio thread skip blocks.
    pub fn collect(&mut self) -> usize {
        // Relaxed: a hint whether to take the lock at all; the lock orders the slot access.
        if !self.shared.stop_seen.swap(false, Ordering::Relaxed) {
            return 0;
        }
        let stopped = self.shared.with_slot(|slot| {
            if slot.stopped {
                slot.stopped = false;
                slot.listener.take()
            } else {
                None
            }
        });
        usize::from(stopped.is_some())
    }

    fn replace(&mut self, listener: Option<Listener<T>>) -> Ticket {
        let listening = listener.is_some();
        let (ticket, old) = self.shared.with_slot(|slot| {
            let ticket = slot.tickets.next();
            slot.stopped = false;
            // Relaxed: the flag is a hint; the audio thread reads the slot only under the lock.
            self.shared.listening.store(listening, Ordering::Relaxed);
            self.shared.applied.mark(ticket);
            (ticket, std::mem::replace(&mut slot.listener, listener))
        });
        // Dropped here, on the registrar's thread, after unlocking.
        drop(old);
        ticket
    }
}

/// The audio thread's side: `Send`, not `Clone`, not `Sync`.
pub struct Caller<T: ?Sized> {
    shared: Arc<Shared<T>>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

impl<T: ?Sized> Caller<T> {
    /// Whether a listener is installed: one relaxed load. (Changes apply at once under the
    /// lock, so there is nothing to apply here.)
    #[inline]
    pub fn poll_listening(&mut self) -> bool {
        // Relaxed: a hint; `deliver` re-checks under the lock.
        self.shared.listening.load(Ordering::Relaxed)
    }

    /// Tries the lock once and calls the listener; skips (returns false) if a registrar holds it.
    /// A listener that panics is stopped, and the lock released, as the panic goes on.
    #[inline]
    pub fn deliver(&mut self, value: &T) -> bool {
        if !self.poll_listening() || !self.shared.try_lock() {
            return false;
        }
        let shared = &*self.shared;
        // Released when this function returns, and also while a panicking listener unwinds.
        let _locked = Locked(shared);
        shared.slot.with_mut(|slot| {
            // SAFETY: we hold the lock (until `_locked` drops, after this closure), so nobody
            // else touches the slot.
            let slot = unsafe { &mut *slot };
            if slot.stopped {
                return false;
            }
            let stopped = &mut slot.stopped;
            let flow = call_in_slot(&mut slot.listener, value, |_| shared.mark_stopped(stopped));
            match flow {
                None => false,
                Some(Flow::Continue) => true,
                Some(Flow::Stop) => {
                    shared.mark_stopped(&mut slot.stopped);
                    true
                }
            }
        })
    }
}

/// The audio thread holds the lock; dropping this releases it.
struct Locked<'a, T: ?Sized>(&'a Shared<T>);

impl<T: ?Sized> Drop for Locked<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.0.unlock();
    }
}

forward_handles!(Registrar, Caller, never_refuses);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_change_applies_at_once() {
        let (mut registrar, mut caller) = new::<u8>();
        assert!(!caller.poll_listening());
        let ticket = registrar.set(Listener::forever(|_| {}));
        assert!(registrar.is_applied(ticket));
        assert!(caller.deliver(&0));
        registrar.clear();
        assert!(!caller.deliver(&0));
    }

    #[test]
    fn collect_does_not_take_the_lock_unless_a_listener_stopped() {
        let (mut registrar, caller) = new::<u8>();
        registrar.set(Listener::forever(|_| {}));
        // Hold the lock as a running listener would: collect must return without waiting.
        assert!(caller.shared.try_lock());
        assert_eq!(registrar.collect(), 0);
        caller.shared.unlock();
    }

    #[test]
    fn a_stopped_listener_is_collected() {
        let (mut registrar, mut caller) = new::<u8>();
        registrar.set(Listener::new(|_| Flow::Stop));
        assert!(caller.deliver(&0));
        assert!(!caller.poll_listening());
        assert!(!caller.deliver(&0));
        assert_eq!(registrar.collect(), 1);
        assert_eq!(registrar.collect(), 0);
    }
}
