//! `OverwriteRing`: a latest-wins ring of three slots from one registrar; never refuses.
//!
//! # The published design and its race
//! The seed's overwriting ring keeps a `newest` index that the writer bumps after filling a
//! slot, and a `reading` index the reader announces after picking `newest`. The writer skips
//! the announced slot. But between the reader *loading* `newest` and *storing* `reading`, a fast
//! writer can lap the ring and start overwriting the very slot the reader picked: the reader then
//! uses a listener that is being replaced under it. `tests/loom.rs` shows that race on a copy of
//! the naive design.
//!
//! # The fix
//! Picking and announcing must be one atomic step. Here the index of the newest slot and a
//! "not yet taken" bit live in **one** atomic word, and both sides *swap* it: the writer swaps in
//! the slot it just filled and gets back the slot it may reuse; the reader swaps in the slot it
//! is done with and gets the newest. Each slot is owned by exactly one side at every moment (the
//! writer's spare, the shared middle, the reader's current), so no slot is ever written while
//! read. With three slots this is the classic triple buffer.
//!
//! The replaced listener travels back for free: the reader's old slot becomes the middle slot,
//! and the writer gets it back (and drops what is in it) on its next change or `collect`.
//! A change the reader never took comes back the same way: it was superseded (latest wins).
//!
//! A listener that returns [`Flow::Stop`](crate::Flow::Stop), or panics, is not called again; it
//! stays in the reader's slot until the next change moves it back (it cannot be collected before
//! that).
//!
//! # Costs
//! - Idle: one relaxed load.
//! - Taking a change: one swap and one ticket store.
//!
//! # Memory
//! At most [`MAX_LIVE_LISTENERS`] listeners outside the registrar: one per slot.

use crate::listener::{call_until_stopped, forward_handles, Change, Listener};
use crate::sync::{Arc, AtomicUsize, Ordering, UnsafeCell};
use crate::ticket::{Applied, Ticket, TicketCounter};
use std::marker::PhantomData;

/// Slots in the ring.
pub const SLOTS: usize = 3;

/// The most listeners alive at once outside the registrar's hands.
pub const MAX_LIVE_LISTENERS: usize = SLOTS;

/// Set in `middle` while its slot holds a change the reader has not taken yet.
const NEW: usize = 0b100;
/// The slot index part of `middle`.
const INDEX: usize = 0b011;

struct Shared<T: ?Sized> {
    slots: [UnsafeCell<Option<Change<T>>>; SLOTS],
    /// The middle slot's index, with `NEW` set while it holds an untaken change.
    middle: AtomicUsize,
    applied: Applied,
}

// SAFETY: each slot is owned by exactly one side at a time (writer's spare, middle, reader's
// current), ownership moving only through swaps of `middle`; listeners are `Send`.
unsafe impl<T: ?Sized> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized> Sync for Shared<T> {}

impl<T: ?Sized> Shared<T> {
    /// Runs `f` on slot `index`, which the calling side owns.
    #[inline]
    fn with_owned_slot<R>(&self, index: usize, f: impl FnOnce(&mut Option<Change<T>>) -> R) -> R {
        self.slots[index].with_mut(|slot| {
            // SAFETY: the calling side owns slot `index` (see the type's docs).
            f(unsafe { &mut *slot })
        })
    }
}

/// Creates a connected pair: the one registrar and the caller for the audio thread.
pub fn new<T: ?Sized>() -> (Registrar<T>, Caller<T>) {
    let shared = Arc::new(Shared {
        slots: std::array::from_fn(|_| UnsafeCell::new(None)),
        middle: AtomicUsize::new(1),
        applied: Applied::new(),
    });
    (
        Registrar {
            shared: shared.clone(),
            spare: 2,
            tickets: TicketCounter::default(),
            _not_sync: PhantomData,
        },
        Caller {
            shared,
            current: 0,
            stopped: false,
            _not_sync: PhantomData,
        },
    )
}

/// The one registrar: `Send`, not `Clone`. Never waits, never refuses.
pub struct Registrar<T: ?Sized> {
    shared: Arc<Shared<T>>,
    /// The slot this side owns.
    spare: usize,
    tickets: TicketCounter,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the registrar owns its spare slot alone and is not `Clone`; listeners are `Send`.
unsafe impl<T: ?Sized> Send for Registrar<T> {}

impl<T: ?Sized> Registrar<T> {
    /// Installs `listener` (latest wins).
    pub fn set(&mut self, listener: Listener<T>) -> Ticket {
        self.publish(Some(listener))
    }

    /// Removes the listener (latest wins).
    pub fn clear(&mut self) -> Ticket {
        self.publish(None)
    }

    /// Drops the listener the reader has put back in the middle slot, if any.
    pub fn collect(&mut self) -> usize {
        let dropped = self.drop_spare();
        // Relaxed: only decides whether to try; the exchange synchronises.
        let middle = self.shared.middle.load(Ordering::Relaxed);
        if middle & NEW != 0 {
            // The middle holds a change for the reader, not a retired listener.
            return dropped;
        }
        // AcqRel. Acquire: the reader's use of the listener in the slot we take happens before
        // we drop it. Release: our (emptied) spare slot becomes the middle.
        match self.shared.middle.compare_exchange(
            middle,
            self.spare,
            Ordering::AcqRel,
            Ordering::Relaxed,
        ) {
            Ok(previous) => {
                self.spare = previous & INDEX;
                dropped + self.drop_spare()
            }
            // The reader moved meanwhile (it took nothing: there was nothing new); next time.
            Err(_) => dropped,
        }
    }

    /// Drops whatever the spare slot holds; returns how many listeners that was.
    fn drop_spare(&mut self) -> usize {
        let old = self.shared.with_owned_slot(self.spare, Option::take);
        usize::from(old.is_some_and(|change| change.listener.is_some()))
    }

    fn publish(&mut self, listener: Option<Listener<T>>) -> Ticket {
        self.drop_spare();
        let ticket = self.tickets.next();
        self.shared
            .with_owned_slot(self.spare, |slot| *slot = Some(Change { ticket, listener }));
        // AcqRel. Release: the change written above is visible to the reader's Acquire swap.
        // Acquire: the reader's last use of the slot we get back happens before we drop it.
        let previous = self.shared.middle.swap(self.spare | NEW, Ordering::AcqRel);
        self.spare = previous & INDEX;
        // What came back is a superseded change (NEW was set) or the reader's retired slot.
        self.drop_spare();
        ticket
    }
}

/// The audio thread's side: `Send`, not `Clone`, not `Sync`.
///
/// Drop it off the audio thread (it may own the installed listener).
pub struct Caller<T: ?Sized> {
    shared: Arc<Shared<T>>,
    /// The slot this side owns.
    current: usize,
    /// The listener in `current` returned `Flow::Stop` or panicked.
    stopped: bool,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the caller owns its current slot alone and is not `Clone`; listeners are `Send`.
unsafe impl<T: ?Sized> Send for Caller<T> {}

impl<T: ?Sized> Caller<T> {
    /// Takes the newest change, if any, and says whether a listener is installed.
    #[inline]
    pub fn poll_listening(&mut self) -> bool {
        // Relaxed: a hint whether to swap; the swap synchronises.
        if self.shared.middle.load(Ordering::Relaxed) & NEW != 0 {
            self.take();
        }
        !self.stopped && self.has_listener()
    }

    /// Takes the newest change, if any, then calls the installed listener with `value`, if
    /// there is one. A listener that panics is stopped, like one that returns `Flow::Stop`.
    #[inline]
    pub fn deliver(&mut self, value: &T) -> bool {
        if !self.poll_listening() {
            return false;
        }
        let stopped = &mut self.stopped;
        self.shared
            .with_owned_slot(self.current, |slot| {
                let change = slot.as_mut()?;
                call_until_stopped(&mut change.listener, value, stopped)
            })
            .is_some()
    }

    fn has_listener(&self) -> bool {
        self.shared.with_owned_slot(self.current, |slot| {
            slot.as_ref()
                .is_some_and(|change| change.listener.is_some())
        })
    }

    #[cold]
    fn take(&mut self) {
        // AcqRel. Acquire: the writer's change in the slot we get is visible. Release: our last
        // use of the slot we give back happens before the writer reuses or drops it.
        // Only the reader clears NEW, so it is still set and we get the newest slot.
        let previous = self.shared.middle.swap(self.current, Ordering::AcqRel);
        self.current = previous & INDEX;
        self.stopped = false;
        let ticket = self
            .shared
            .with_owned_slot(self.current, |slot| slot.as_ref().map(|c| c.ticket));
        if let Some(ticket) = ticket {
            self.shared.applied.mark(ticket);
        }
    }
}

forward_handles!(Registrar, Caller, never_refuses);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn latest_wins_and_the_old_listener_comes_back_on_the_next_change() {
        let (mut registrar, mut caller) = new::<u8>();
        let first = registrar.set(Listener::forever(|_| {}));
        let second = registrar.set(Listener::forever(|_| {}));
        assert!(!registrar.is_applied(first));
        assert!(caller.poll_listening());
        assert!(registrar.is_applied(first) && registrar.is_applied(second));
        registrar.clear();
        assert!(!caller.poll_listening());
        // The second listener now sits in the middle slot, retired.
        assert_eq!(registrar.collect(), 1);
    }
}
