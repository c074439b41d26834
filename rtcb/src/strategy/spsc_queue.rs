//! `SpscQueue`: a bounded queue of changes from one registrar to the audio thread.
//!
//! # How it works
//! The registrar pushes each change into a ring of [`QUEUE_SLOTS`] places. The audio thread pops
//! every queued change, applies only the newest, and pushes the listeners it did not install (the
//! older queued ones) and the one it replaced into a second ring going back. The registrar empties
//! that return ring, dropping what it finds, at every change and on `collect`.
//!
//! A change is **refused** (and its listener handed back) when the queue is full — the seed's
//! "throws out the latest set" constraint, except that here nothing is thrown away. The registrar
//! also counts the listeners it has sent and not yet got back, and never lets that exceed the
//! return ring's size, so the audio thread always has room to hand a listener back.
//!
//! Only one registrar: its handle is not `Clone`.
//!
//! # Costs
//! - Idle: one acquire load of the queue's tail (plus the audio thread's own head, uncontended).
//! - Taking changes: one pop per queued change, one push per returned listener.
//!
//! # Memory
//! At most [`MAX_LIVE_LISTENERS`] listeners outside the registrar: queued, installed or on their
//! way back, all counted by the registrar.

use crate::listener::{call_until_stopped, forward_handles, Change, Listener, Refused};
use crate::ring::Ring;
use crate::sync::Arc;
use crate::ticket::{Applied, Ticket, TicketCounter};
use crate::Flow;
use std::marker::PhantomData;

/// Places in the queue of pending changes.
pub const QUEUE_SLOTS: usize = 4;

/// Places in the ring that carries listeners back: every queued listener and the installed one.
pub const RETURN_SLOTS: usize = QUEUE_SLOTS + 1;

/// The most listeners alive at once outside the registrar's hands.
pub const MAX_LIVE_LISTENERS: usize = RETURN_SLOTS;

struct Shared<T: ?Sized> {
    changes: Ring<Change<T>, QUEUE_SLOTS>,
    returns: Ring<Listener<T>, RETURN_SLOTS>,
    applied: Applied,
}

/// Creates a connected pair: the one registrar and the caller for the audio thread.
pub fn new<T: ?Sized>() -> (Registrar<T>, Caller<T>) {
    let shared = Arc::new(Shared {
        changes: Ring::new(),
        returns: Ring::new(),
        applied: Applied::new(),
    });
    (
        Registrar {
            shared: shared.clone(),
            tickets: TicketCounter::default(),
            outstanding: 0,
            _not_sync: PhantomData,
        },
        Caller {
            shared,
            current: None,
            stopped: false,
            _not_sync: PhantomData,
        },
    )
}

/// The one registrar: `Send`, not `Clone`. Never waits; refuses when the queue is full.
pub struct Registrar<T: ?Sized> {
    shared: Arc<Shared<T>>,
    tickets: TicketCounter,
    /// Listeners sent to the audio thread and not yet received back.
    outstanding: usize,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the registrar is the only producer of `changes` and the only consumer of `returns`
// (it is not `Clone`, and every method takes `&mut self` but `is_applied`, which only reads an
// atomic); listeners are `Send`.
unsafe impl<T: ?Sized> Send for Registrar<T> {}

impl<T: ?Sized> Registrar<T> {
    /// Queues `listener`; refused (handed back) while the queue is full.
    pub fn set(&mut self, listener: Listener<T>) -> Result<Ticket, Refused<T>> {
        self.send(Some(listener))
    }

    /// Queues a clear; refused while the queue is full.
    pub fn clear(&mut self) -> Result<Ticket, Refused<T>> {
        self.send(None)
    }

    /// Drops the listeners the audio thread has handed back; returns how many.
    pub fn collect(&mut self) -> usize {
        let mut dropped = 0;
        // SAFETY: this registrar is the only consumer of `returns`.
        while let Some(listener) = unsafe { self.shared.returns.pop() } {
            drop(listener);
            dropped += 1;
        }
        self.outstanding -= dropped;
        dropped
    }

    fn send(&mut self, listener: Option<Listener<T>>) -> Result<Ticket, Refused<T>> {
        self.collect();
        let adds = usize::from(listener.is_some());
        if self.outstanding + adds > RETURN_SLOTS {
            return Err(Refused { listener });
        }
        let ticket = self.tickets.next();
        // SAFETY: this registrar is the only producer of `changes`.
        match unsafe { self.shared.changes.push(Change { ticket, listener }) } {
            Ok(()) => {
                self.outstanding += adds;
                Ok(ticket)
            }
            Err(change) => {
                // Full: the ticket is never used, so "applied" still only grows through real
                // changes; the next accepted change takes the following number.
                Err(Refused {
                    listener: change.listener,
                })
            }
        }
    }
}

/// The audio thread's side: `Send`, not `Clone`, not `Sync`.
///
/// Drop it off the audio thread (it may own the installed listener).
pub struct Caller<T: ?Sized> {
    shared: Arc<Shared<T>>,
    current: Option<Listener<T>>,
    /// `current` returned `Flow::Stop` (it was handed back at once: room is guaranteed) or
    /// panicked (it stays in `current`, uncalled, until the next change hands it back).
    stopped: bool,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the caller is the only consumer of `changes` and the only producer of `returns`
// (not `Clone`, `&mut self` methods); listeners are `Send`.
unsafe impl<T: ?Sized> Send for Caller<T> {}

impl<T: ?Sized> Caller<T> {
    /// Applies the newest queued change, if any, and says whether a listener is installed.
    #[inline]
    pub fn poll_listening(&mut self) -> bool {
        if !self.shared.changes.is_empty() {
            self.take();
        }
        self.current.is_some() && !self.stopped
    }

    /// Applies the newest queued change, if any, then calls the installed listener with
    /// `value`, if there is one. A listener that panics is never called again and goes back with
    /// the next change.
    #[inline]
    pub fn deliver(&mut self, value: &T) -> bool {
        if !self.poll_listening() {
            return false;
        }
        // A listener that panics stays, stopped, until the next change hands it back.
        let flow = call_until_stopped(&mut self.current, value, &mut self.stopped);
        if flow == Some(Flow::Stop) {
            if let Some(listener) = self.current.take() {
                self.hand_back(listener);
            }
        }
        flow.is_some()
    }

    /// Hands a listener back to the registrar. Never fails: the registrar keeps the number of
    /// listeners it has sent and not got back at or below the return ring's size.
    fn hand_back(&mut self, listener: Listener<T>) {
        // SAFETY: this caller is the only producer of `returns`.
        let result = unsafe { self.shared.returns.push(listener) };
        debug_assert!(result.is_ok(), "the registrar guarantees room");
        // Never drop on the audio thread, even if the guarantee were broken.
        std::mem::forget(result);
    }

    #[cold]
    fn take(&mut self) {
        let mut newest: Option<Change<T>> = None;
        // Bounded: at most QUEUE_SLOTS changes were queued when we looked, and we stop there
        // even if the registrar keeps pushing.
        for _ in 0..QUEUE_SLOTS {
            // SAFETY: this caller is the only consumer of `changes`.
            let Some(change) = (unsafe { self.shared.changes.pop() }) else {
                break;
            };
            if let Some(older) = newest.replace(change) {
                if let Some(listener) = older.listener {
                    self.hand_back(listener);
                }
            }
        }
        let Some(change) = newest else { return };
        self.stopped = false;
        if let Some(old) = std::mem::replace(&mut self.current, change.listener) {
            self.hand_back(old);
        }
        // Only now: the replaced listener is in the return ring (see `Applied::mark`).
        self.shared.applied.mark(change.ticket);
    }
}

forward_handles!(Registrar, Caller);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_hands_the_listener_back_and_the_newest_wins() {
        let (mut registrar, mut caller) = new::<u8>();
        let mut tickets = Vec::new();
        for n in 0..QUEUE_SLOTS {
            tickets.push(
                registrar
                    .set(Listener::forever(move |v: &u8| assert_eq!(*v as usize, n)))
                    .unwrap(),
            );
        }
        let refused = registrar.set(Listener::forever(|_| {})).unwrap_err();
        assert!(refused.into_listener().is_some());
        assert!(registrar.clear().is_err());
        assert!(caller.poll_listening());
        assert!(tickets.iter().all(|t| registrar.is_applied(*t)));
        assert!(caller.deliver(&(QUEUE_SLOTS as u8 - 1)));
        // The three older listeners came back unapplied.
        assert_eq!(registrar.collect(), QUEUE_SLOTS - 1);
        registrar.clear().unwrap();
        assert!(!caller.poll_listening());
        assert_eq!(registrar.collect(), 1);
    }
}
