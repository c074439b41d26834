//! `Trap`: a one-place exchange between any number of registrars and the audio thread.
//!
//! # How it works
//! One slot and a state byte: `EMPTY`, `BUSY` (someone is writing the slot), `FULL` (a change
//! waits for the audio thread) and `RETIRED` (the audio thread has put a replaced listener back).
//! A registrar claims the slot from `EMPTY` or `RETIRED` with one compare-exchange, takes out the
//! retired listener (dropping it on its own thread), writes its change and marks the slot `FULL`.
//! While a change waits (`FULL`) or another party writes (`BUSY`), the set is **refused** and the
//! listener handed back: this is the seed's "set once between use calls" constraint.
//! The audio thread takes a `FULL` change, puts the listener it replaces in the same slot and
//! marks it `RETIRED` (or `EMPTY` if there was none). A listener that returns
//! [`Flow::Stop`](crate::Flow::Stop) (or panics) is retired the same way, as soon as the slot is
//! `EMPTY` (one attempt per call).
//!
//! # Costs
//! - Idle: one acquire load (a plain load on x86 and ARM64's `ldar`).
//! - Taking a change: one load, a few slot moves and one store.
//!
//! # Memory
//! At most [`MAX_LIVE_LISTENERS`] outside the registrars (the installed one and the one in the
//! slot); each registrar holds at most two more while inside `set` (its new listener and the
//! retired one it took out).

use crate::listener::{call_until_stopped, forward_handles, Change, Listener, Refused};
use crate::sync::{Arc, AtomicU8, Ordering, UnsafeCell};
use crate::ticket::{Applied, Ticket, TicketCounter};
use crate::Flow;
use std::marker::PhantomData;

/// The most listeners alive at once outside the registrars' hands.
pub const MAX_LIVE_LISTENERS: usize = 2;

const EMPTY: u8 = 0;
const BUSY: u8 = 1;
const FULL: u8 = 2;
const RETIRED: u8 = 3;

struct Slot<T: ?Sized> {
    /// The waiting change (state `FULL`).
    change: Option<Change<T>>,
    /// A listener handed back by the audio thread (state `RETIRED`).
    retired: Option<Listener<T>>,
    tickets: TicketCounter,
}

struct Shared<T: ?Sized> {
    state: AtomicU8,
    slot: UnsafeCell<Slot<T>>,
    applied: Applied,
}

// SAFETY: the slot is only touched by the one party that moved `state` to `BUSY` (registrars,
// or the audio thread retiring) or that saw `FULL` (the audio thread); listeners are `Send`.
unsafe impl<T: ?Sized> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized> Sync for Shared<T> {}

impl<T: ?Sized> Shared<T> {
    /// Claims the slot from `from`; on success the caller owns the slot until it stores a state.
    #[inline]
    fn claim(&self, from: u8) -> bool {
        // Acquire on success: the previous owner's writes to the slot are visible.
        // Relaxed on failure: we touch nothing.
        self.state
            .compare_exchange(from, BUSY, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Hands the slot over in state `to`.
    #[inline]
    fn release(&self, to: u8) {
        // Release: our writes to the slot happen before the next owner's Acquire.
        self.state.store(to, Ordering::Release);
    }

    /// Runs `f` on the slot. The caller must own it (see `claim`, or state `FULL` for the
    /// audio thread).
    #[inline]
    fn with_owned_slot<R>(&self, f: impl FnOnce(&mut Slot<T>) -> R) -> R {
        self.slot.with_mut(|slot| {
            // SAFETY: the caller owns the slot (see above): nobody else touches it.
            f(unsafe { &mut *slot })
        })
    }
}

/// Creates a connected pair: a registrar (clone it for more registrar threads) and the caller for
/// the audio thread.
pub fn new<T: ?Sized>() -> (Registrar<T>, Caller<T>) {
    let shared = Arc::new(Shared {
        state: AtomicU8::new(EMPTY),
        slot: UnsafeCell::new(Slot {
            change: None,
            retired: None,
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
            current: None,
            stopped: false,
            _not_sync: PhantomData,
        },
    )
}

/// The registrar side: `Clone + Send + Sync`. Never waits; may refuse.
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
    /// Offers `listener`; refused (and handed back) while another change waits or is written.
    pub fn set(&mut self, listener: Listener<T>) -> Result<Ticket, Refused<T>> {
        self.offer(Some(listener))
    }

    /// Offers a clear; refused while another change waits or is written.
    pub fn clear(&mut self) -> Result<Ticket, Refused<T>> {
        self.offer(None)
    }

    /// Drops a listener the audio thread has put back, if any.
    pub fn collect(&mut self) -> usize {
        if !self.shared.claim(RETIRED) {
            return 0;
        }
        let retired = self.shared.with_owned_slot(|slot| slot.retired.take());
        self.shared.release(EMPTY);
        usize::from(retired.is_some())
    }

    fn offer(&mut self, listener: Option<Listener<T>>) -> Result<Ticket, Refused<T>> {
        if !self.shared.claim(EMPTY) && !self.shared.claim(RETIRED) {
            return Err(Refused { listener });
        }
        let (ticket, retired) = self.shared.with_owned_slot(|slot| {
            let ticket = slot.tickets.next();
            slot.change = Some(Change { ticket, listener });
            (ticket, slot.retired.take())
        });
        self.shared.release(FULL);
        // Dropped here, on the registrar's thread.
        drop(retired);
        Ok(ticket)
    }
}

/// The audio thread's side: `Send`, not `Clone`, not `Sync`.
///
/// Drop it off the audio thread (it may own the installed listener).
pub struct Caller<T: ?Sized> {
    shared: Arc<Shared<T>>,
    current: Option<Listener<T>>,
    /// `current` returned `Flow::Stop` or panicked, and waits for the slot to be free to go back.
    stopped: bool,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

impl<T: ?Sized> Caller<T> {
    /// Applies a waiting change, if any, and says whether a listener is installed.
    #[inline]
    pub fn poll_listening(&mut self) -> bool {
        // Acquire: if we see FULL we own the slot and must see the registrar's writes to it.
        if self.shared.state.load(Ordering::Acquire) == FULL {
            self.take();
        } else if self.stopped {
            self.retire_stopped();
        }
        self.current.is_some() && !self.stopped
    }

    /// Applies a waiting change, if any, then calls the installed listener with `value`, if
    /// there is one. A listener that panics is never called again and goes back through the
    /// slot like a stopped one.
    #[inline]
    pub fn deliver(&mut self, value: &T) -> bool {
        if !self.poll_listening() {
            return false;
        }
        // A listener that panics stays, stopped, until the next call retires it through the slot.
        let flow = call_until_stopped(&mut self.current, value, &mut self.stopped);
        if flow == Some(Flow::Stop) {
            self.retire_stopped();
        }
        flow.is_some()
    }

    #[cold]
    fn take(&mut self) {
        let current = &mut self.current;
        let (ticket, has_retired) = self.shared.with_owned_slot(|slot| {
            let change = slot.change.take().expect("a FULL slot holds a change");
            // The replaced listener (stopped or not) goes back into the slot; a registrar
            // drops it.
            slot.retired = std::mem::replace(current, change.listener);
            (change.ticket, slot.retired.is_some())
        });
        self.stopped = false;
        self.shared
            .release(if has_retired { RETIRED } else { EMPTY });
        // Only now: the replaced listener is in the slot for a registrar to claim (see
        // `Applied::mark`).
        self.shared.applied.mark(ticket);
    }

    #[cold]
    fn retire_stopped(&mut self) {
        if !self.shared.claim(EMPTY) {
            // A change waits or a registrar is busy: try again next call.
            return;
        }
        let current = &mut self.current;
        self.shared
            .with_owned_slot(|slot| slot.retired = current.take());
        self.stopped = false;
        self.shared.release(RETIRED);
    }
}

forward_handles!(Registrar, Caller);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_second_set_is_refused_until_the_first_is_taken() {
        let (mut registrar, mut caller) = new::<u8>();
        let first = registrar.set(Listener::forever(|_| {})).unwrap();
        let refused = registrar.set(Listener::forever(|_| {})).unwrap_err();
        assert!(refused.was_set());
        assert!(refused.into_listener().is_some());
        assert!(!registrar.is_applied(first));
        assert!(caller.poll_listening());
        assert!(registrar.is_applied(first));
        let second = registrar.set(Listener::forever(|_| {})).unwrap();
        assert!(caller.poll_listening());
        assert!(registrar.is_applied(second));
        // The first listener is back in the slot, retired.
        assert_eq!(registrar.collect(), 1);
    }

    #[test]
    fn a_stopped_listener_goes_back_through_the_slot() {
        let (mut registrar, mut caller) = new::<u8>();
        registrar.set(Listener::new(|_| Flow::Stop)).unwrap();
        assert!(caller.poll_listening());
        assert!(caller.deliver(&0));
        assert!(!caller.poll_listening());
        assert_eq!(registrar.collect(), 1);
    }
}
