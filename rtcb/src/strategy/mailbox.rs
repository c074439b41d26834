//! `Mailbox`: any number of registrars, never refuses, never waits for the audio thread, latest
//! wins; the audio thread's side is wait-free.
//!
//! # How it works
//! A registrar puts its change in a parcel (allocated on its own thread) and *swaps* it into the
//! one-place inbox. If the inbox still held an older parcel the audio thread never took, the
//! registrar gets it back from the same swap and drops it: that change was superseded (latest
//! wins). The audio thread checks the inbox with one atomic load; when it is not empty it takes
//! the parcel with one swap, moves the new listener out of it into its own field (so a call is
//! one indirection, like calling a plain boxed closure), and sends the replaced listener back in
//! the parcel that brought the previous one, through a small return ring. Registrars empty the
//! return ring (dropping what they find) at every change and on `collect`. Registrars serialise
//! among themselves with a mutex that the audio thread never touches, on a cache line apart from
//! the inbox.
//!
//! # Costs
//! - Idle (nothing installed, nothing pending): one relaxed atomic load.
//! - Delivering with nothing pending: one relaxed load and the listener call.
//! - Taking a change: one swap, two ticket stores, one ring push (two loads, one store).
//!
//! # Memory
//! At most [`MAX_LIVE_LISTENERS`] listeners are alive at once outside the registrars: the
//! installed one, one waiting in the inbox and [`RETURN_SLOTS`] in the return ring. Each
//! registrar holds at most one more while it is inside `set`. In practice the ring never holds
//! more than three: between two registrar changes the audio thread can take at most two parcels
//! (the one pending before the change and the new one), each of which sends one back. Should
//! the ring ever be full, the audio thread leaves the next parcel in the inbox until a registrar
//! has made room, and keeps a listener that stops itself meanwhile (uncalled) until the next
//! change takes it back: it waits, it never drops.

use crate::listener::{call_in_slot, forward_handles, Change, Listener};
use crate::ring::Ring;
use crate::sync::{Arc, AtomicPtr, CacheLine, Mutex, Ordering, UnsafeCell};
use crate::ticket::{Applied, Ticket, TicketCounter};
use crate::Flow;
use std::marker::PhantomData;
use std::ptr;

/// Places in the ring that carries retired parcels back to the registrars.
pub const RETURN_SLOTS: usize = 4;

/// The most listeners alive at once outside the registrars' hands.
pub const MAX_LIVE_LISTENERS: usize = 2 + RETURN_SLOTS;

/// A change on its way to the audio thread, boxed so one atomic pointer can carry it.
struct Parcel<T: ?Sized> {
    ticket: Ticket,
    /// In a (loom-checked) cell so that loom sees every access to the listener and would report
    /// a parcel read before it was published.
    listener: UnsafeCell<Option<Listener<T>>>,
}

impl<T: ?Sized> Parcel<T> {
    fn boxed(change: Change<T>) -> Box<Self> {
        Box::new(Self {
            ticket: change.ticket,
            listener: UnsafeCell::new(change.listener),
        })
    }
}

struct Shared<T: ?Sized> {
    /// The newest change not yet taken by the audio thread, or null. On its own cache line: it
    /// is what the audio thread reads every block.
    inbox: CacheLine<AtomicPtr<Parcel<T>>>,
    /// Parcels on their way back, each with the listener it retires (or none). Producer: the
    /// caller. Consumer: whichever registrar holds `registrars`.
    returns: CacheLine<Ring<Box<Parcel<T>>, RETURN_SLOTS>>,
    /// Serialises registrars (never the audio thread) and orders their tickets.
    registrars: CacheLine<Mutex<TicketCounter>>,
    applied: Applied,
}

// SAFETY: the parcels (and the listeners in them) move between threads, so `Listener<T>` must
// be `Send`, which it is by construction (`dyn FnMut + Send`). Each parcel is owned by one
// party at a time, as the inbox swap and the ring protocol hand it over.
unsafe impl<T: ?Sized> Send for Shared<T> {}
// SAFETY: as above: all shared access goes through atomics, the ring and the mutex.
unsafe impl<T: ?Sized> Sync for Shared<T> {}

impl<T: ?Sized> Drop for Shared<T> {
    fn drop(&mut self) {
        // Relaxed: `&mut self`, every other handle is gone.
        let pending = self.inbox.swap(ptr::null_mut(), Ordering::Relaxed);
        if !pending.is_null() {
            // SAFETY: a non-null inbox pointer always comes from `Box::into_raw` in `publish`
            // and is owned by the inbox until swapped out, which just happened.
            drop(unsafe { Box::from_raw(pending) });
        }
    }
}

/// Creates a connected pair: a registrar (clone it for more registrar threads) and the caller for
/// the audio thread.
pub fn new<T: ?Sized>() -> (Registrar<T>, Caller<T>) {
    let shared = Arc::new(Shared {
        inbox: CacheLine(AtomicPtr::new(ptr::null_mut())),
        returns: CacheLine(Ring::new()),
        registrars: CacheLine(Mutex::new(TicketCounter::default())),
        applied: Applied::new(),
    });
    (
        Registrar {
            shared: shared.clone(),
        },
        Caller {
            shared,
            listener: None,
            envelope: None,
            stopped: None,
            _not_sync: PhantomData,
        },
    )
}

/// The registrar side: `Clone + Send + Sync`; use it from any number of non-real-time threads.
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
    /// Installs `listener` (latest wins). Never refused, never waits for the audio thread.
    pub fn set(&mut self, listener: Listener<T>) -> Ticket {
        self.publish(Some(listener))
    }

    /// Removes the listener (latest wins). Never refused, never waits for the audio thread.
    pub fn clear(&mut self) -> Ticket {
        self.publish(None)
    }

    /// Drops the listeners the audio thread has handed back; returns how many.
    pub fn collect(&mut self) -> usize {
        let tickets = self
            .shared
            .registrars
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let dropped = self.drain_returns();
        drop(tickets);
        dropped
    }

    /// Empties the return ring. Call with the registrars' mutex held (only one consumer).
    fn drain_returns(&self) -> usize {
        let mut dropped = 0;
        // SAFETY: the caller holds the registrars' mutex, so this is the only consumer.
        while let Some(parcel) = unsafe { self.shared.returns.pop() } {
            dropped += usize::from(parcel.listener.with(|l| {
                // SAFETY: the parcel came back through the ring, so we own it alone.
                unsafe { (*l).is_some() }
            }));
            drop(parcel);
        }
        dropped
    }

    fn publish(&mut self, listener: Option<Listener<T>>) -> Ticket {
        let mut tickets = self
            .shared
            .registrars
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.drain_returns();
        let ticket = tickets.next();
        let parcel = Box::into_raw(Parcel::boxed(Change { ticket, listener }));
        // AcqRel. Release: the parcel's contents, written above, are visible to whoever swaps
        // it out (the audio thread's Acquire swap, or the next registrar's). Acquire: if we get
        // an older parcel back, its contents (written by another registrar) are visible to us.
        let superseded = self.shared.inbox.swap(parcel, Ordering::AcqRel);
        // Unlock before dropping the superseded listener: its drop may be slow.
        drop(tickets);
        if !superseded.is_null() {
            // SAFETY: non-null inbox pointers come from `Box::into_raw` above; the swap moved
            // ownership of this one to us, and the audio thread never saw it.
            drop(unsafe { Box::from_raw(superseded) });
        }
        ticket
    }
}

/// The audio thread's side: `Send`, not `Clone`, not `Sync`.
///
/// Drop it off the audio thread (it may own the installed listener).
pub struct Caller<T: ?Sized> {
    shared: Arc<Shared<T>>,
    /// The installed listener, moved out of its parcel so a call is one indirection.
    listener: Option<Listener<T>>,
    /// The (emptied) parcel that brought the installed change; it carries the listener back
    /// when the next change arrives or the listener stops. `None` only when nothing was taken
    /// since the last hand-back, and then `listener` is `None` too.
    envelope: Option<Box<Parcel<T>>>,
    /// A listener that panicked, or returned `Flow::Stop` when the return ring had no room:
    /// never called again, it goes back with the next change. (Kept apart from `listener` so
    /// the hot paths check one field.)
    stopped: Option<Listener<T>>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the caller owns its listener and parcel, both `Send`; `Shared` is `Send + Sync`.
unsafe impl<T: ?Sized> Send for Caller<T> {}

impl<T: ?Sized> Caller<T> {
    /// Applies a pending change, if any, and says whether a listener is installed.
    #[inline]
    pub fn poll_listening(&mut self) -> bool {
        // Relaxed: only a hint whether to swap; the swap below synchronises.
        if !self.shared.inbox.load(Ordering::Relaxed).is_null() {
            self.take_pending();
        }
        self.listener.is_some()
    }

    /// Applies a pending change, if any, then calls the installed listener with `value`, if
    /// there is one. A listener that panics is parked, never called again, and goes back with
    /// the next change.
    #[inline]
    pub fn deliver(&mut self, value: &T) -> bool {
        self.poll_listening();
        let stopped = &mut self.stopped;
        let flow = call_in_slot(&mut self.listener, value, |listener| {
            // It panicked: park it with the stopped ones; it goes back with the next change.
            debug_assert!(
                stopped.is_none(),
                "a stopped listener is never installed too"
            );
            std::mem::forget(std::mem::replace(stopped, listener.take()));
        });
        match flow {
            None => false,
            Some(Flow::Continue) => true,
            Some(Flow::Stop) => {
                self.retire_stopped();
                true
            }
        }
    }

    /// Puts `listener` (possibly none) into the envelope and sends it back. The caller has
    /// checked there is room.
    fn send_back(&mut self, envelope: Box<Parcel<T>>, listener: Option<Listener<T>>) {
        envelope.listener.with_mut(|slot| {
            // SAFETY: the caller owns this parcel alone (taken from the inbox by swap, never
            // shared since).
            unsafe { *slot = listener };
        });
        // SAFETY: this thread is the ring's only producer.
        let pushed = unsafe { self.shared.returns.push(envelope) };
        debug_assert!(pushed.is_ok(), "room was checked");
        // Never drop on the audio thread, even if the check were wrong.
        std::mem::forget(pushed);
    }

    fn has_room(&self) -> bool {
        self.shared.returns.len() < RETURN_SLOTS
    }

    #[cold]
    fn take_pending(&mut self) {
        if self.envelope.is_some() && !self.has_room() {
            // No room to send back the change we would replace: leave the new one pending.
            return;
        }
        // Acquire: pairs with the registrar's Release swap, so the parcel's contents are
        // visible. (Release is not needed: we publish nothing with this swap.)
        let taken = self.shared.inbox.swap(ptr::null_mut(), Ordering::Acquire);
        if taken.is_null() {
            return;
        }
        // SAFETY: non-null inbox pointers come from `Box::into_raw` in `publish`; the swap
        // moved ownership to us. Building the Box frees nothing.
        let parcel = unsafe { Box::from_raw(taken) };
        let ticket = parcel.ticket;
        let new_listener = parcel.listener.with_mut(|slot| {
            // SAFETY: we own the parcel alone.
            unsafe { (*slot).take() }
        });
        // The replaced listener: the installed one, or one that stopped itself and is waiting.
        let old_listener =
            std::mem::replace(&mut self.listener, new_listener).or_else(|| self.stopped.take());
        if let Some(old_envelope) = self.envelope.replace(parcel) {
            self.send_back(old_envelope, old_listener);
        } else {
            debug_assert!(old_listener.is_none(), "a listener always has its envelope");
            std::mem::forget(old_listener);
        }
        // Only now: the replaced listener is in the return ring (see `Applied::mark`).
        self.shared.applied.mark(ticket);
    }

    /// The installed listener returned `Flow::Stop`: it is never called again, and goes back
    /// now if the ring has room, else with the next change.
    #[cold]
    fn retire_stopped(&mut self) {
        let listener = self.listener.take();
        if !self.has_room() {
            self.stopped = listener;
            return;
        }
        if let Some(envelope) = self.envelope.take() {
            self.send_back(envelope, listener);
        } else {
            debug_assert!(listener.is_none(), "a listener always has its envelope");
            std::mem::forget(listener);
        }
    }
}

forward_handles!(Registrar, Caller, never_refuses);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn latest_wins_and_superseded_changes_are_dropped_by_the_registrar() {
        let (mut registrar, mut caller) = new::<u32>();
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        for i in 0..10 {
            let seen = seen.clone();
            registrar.set(Listener::forever(move |v: &u32| {
                seen.store(v + i, std::sync::atomic::Ordering::Relaxed)
            }));
        }
        let ticket = registrar.clear();
        let last = registrar.set(Listener::forever(|_| {}));
        assert!(!registrar.is_applied(ticket));
        assert!(caller.poll_listening());
        assert!(registrar.is_applied(ticket) && registrar.is_applied(last));
        assert!(caller.deliver(&1));
        assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[test]
    fn a_stopped_listener_is_not_called_again_and_comes_back() {
        let (mut registrar, mut caller) = new::<u32>();
        let mut calls = 0;
        registrar.set(Listener::new(move |_| {
            calls += 1;
            if calls == 2 {
                Flow::Stop
            } else {
                Flow::Continue
            }
        }));
        assert!(caller.poll_listening());
        assert!(caller.deliver(&0));
        assert!(caller.deliver(&0));
        assert!(!caller.poll_listening());
        assert!(!caller.deliver(&0));
        assert_eq!(registrar.collect(), 1);
    }

    #[test]
    fn a_listener_stopping_while_the_return_ring_is_full_goes_back_with_the_next_change() {
        let (mut registrar, mut caller) = new::<u32>();
        let drops = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counted = Counted(drops.clone());
        registrar.set(Listener::new(move |_| {
            let _keep = &counted;
            Flow::Stop
        }));
        assert!(caller.poll_listening());
        // Fill the return ring with empty parcels (the protocol itself never fills it).
        for ticket in 0..RETURN_SLOTS as u64 {
            let filler = Parcel::boxed(Change {
                ticket: Ticket(ticket),
                listener: None,
            });
            // SAFETY: this thread plays the audio thread, the ring's only producer.
            assert!(unsafe { caller.shared.returns.push(filler) }.is_ok());
        }
        // The listener stops: never called again, kept while the ring is full.
        assert!(caller.deliver(&0));
        assert!(!caller.poll_listening());
        assert!(!caller.deliver(&0));
        assert_eq!(registrar.collect(), 0, "only the empty fillers came back");
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 0);
        // The next change takes it back to the registrar, which drops it.
        registrar.clear();
        assert!(!caller.poll_listening());
        assert_eq!(registrar.collect(), 1);
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// Counts its drop.
    struct Counted(std::sync::Arc<std::sync::atomic::AtomicU32>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}
