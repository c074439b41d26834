//! All five strategies behind one registrar and one caller, so a plugin can change the active
//! strategy between blocks with no allocation and no dynamic dispatch (a `match` per call).

use crate::listener::{sealed, Listener, Refused};
use crate::strategy::{mailbox, overwrite_ring, spin_lock, spsc_queue, trap};
use crate::ticket::Ticket;
use crate::{Call, Register, Strategy};
use std::fmt;

/// Creates the five strategies at once (all allocation happens here) and returns their
/// registrar and caller sides bundled.
pub fn switchable<T: ?Sized>() -> (SwitchRegistrar<T>, SwitchCaller<T>) {
    let (spin_lock, spin_lock_caller) = spin_lock::new();
    let (spsc_queue, spsc_queue_caller) = spsc_queue::new();
    let (trap, trap_caller) = trap::new();
    let (overwrite_ring, overwrite_ring_caller) = overwrite_ring::new();
    let (mailbox, mailbox_caller) = mailbox::new();
    (
        SwitchRegistrar {
            spin_lock,
            spsc_queue,
            trap,
            overwrite_ring,
            mailbox,
        },
        SwitchCaller {
            spin_lock: spin_lock_caller,
            spsc_queue: spsc_queue_caller,
            trap: trap_caller,
            overwrite_ring: overwrite_ring_caller,
            mailbox: mailbox_caller,
            active: Strategy::default(),
            next_idle: 0,
        },
    )
}

/// The registrar sides of all five strategies. Not `Clone` (two of the five allow only one
/// registrar); `Send`, so it can live in an editor on the GUI thread.
pub struct SwitchRegistrar<T: ?Sized> {
    spin_lock: spin_lock::Registrar<T>,
    spsc_queue: spsc_queue::Registrar<T>,
    trap: trap::Registrar<T>,
    overwrite_ring: overwrite_ring::Registrar<T>,
    mailbox: mailbox::Registrar<T>,
}

impl<T: ?Sized> SwitchRegistrar<T> {
    /// The registrar of one strategy, for queries.
    pub fn get(&self, strategy: Strategy) -> &dyn Register<T> {
        match strategy {
            Strategy::SpinLock => &self.spin_lock,
            Strategy::SpscQueue => &self.spsc_queue,
            Strategy::Trap => &self.trap,
            Strategy::OverwriteRing => &self.overwrite_ring,
            Strategy::Mailbox => &self.mailbox,
        }
    }

    /// The registrar of one strategy, for changes.
    pub fn get_mut(&mut self, strategy: Strategy) -> &mut dyn Register<T> {
        match strategy {
            Strategy::SpinLock => &mut self.spin_lock,
            Strategy::SpscQueue => &mut self.spsc_queue,
            Strategy::Trap => &mut self.trap,
            Strategy::OverwriteRing => &mut self.overwrite_ring,
            Strategy::Mailbox => &mut self.mailbox,
        }
    }

    /// Sets `listener` on `strategy`.
    pub fn set(&mut self, strategy: Strategy, listener: Listener<T>) -> Result<Ticket, Refused<T>> {
        self.get_mut(strategy).set(listener)
    }

    /// Clears the listener of `strategy`.
    pub fn clear(&mut self, strategy: Strategy) -> Result<Ticket, Refused<T>> {
        self.get_mut(strategy).clear()
    }

    /// Whether `strategy`'s audio side has applied `ticket`.
    pub fn is_applied(&self, strategy: Strategy, ticket: Ticket) -> bool {
        self.get(strategy).is_applied(ticket)
    }

    /// Collects handed-back listeners on all five; returns how many were dropped.
    pub fn collect(&mut self) -> usize {
        Strategy::ALL
            .into_iter()
            .map(|s| self.get_mut(s).collect())
            .sum()
    }
}

impl<T: ?Sized> fmt::Debug for SwitchRegistrar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_map();
        for s in Strategy::ALL {
            list.entry(&s, self.get(s));
        }
        list.finish()
    }
}

/// The caller sides of all five strategies; one of them is active.
///
/// Each `poll_listening` also services one inactive strategy (round robin, about one atomic
/// load), so a clear made on a strategy that is no longer active is still applied and its
/// listener handed back.
pub struct SwitchCaller<T: ?Sized> {
    spin_lock: spin_lock::Caller<T>,
    spsc_queue: spsc_queue::Caller<T>,
    trap: trap::Caller<T>,
    overwrite_ring: overwrite_ring::Caller<T>,
    mailbox: mailbox::Caller<T>,
    active: Strategy,
    next_idle: usize,
}

macro_rules! on_caller {
    ($self:ident, $strategy:expr, |$caller:ident| $body:expr) => {
        match $strategy {
            Strategy::SpinLock => {
                let $caller = &mut $self.spin_lock;
                $body
            }
            Strategy::SpscQueue => {
                let $caller = &mut $self.spsc_queue;
                $body
            }
            Strategy::Trap => {
                let $caller = &mut $self.trap;
                $body
            }
            Strategy::OverwriteRing => {
                let $caller = &mut $self.overwrite_ring;
                $body
            }
            Strategy::Mailbox => {
                let $caller = &mut $self.mailbox;
                $body
            }
        }
    };
}

impl<T: ?Sized> SwitchCaller<T> {
    /// The strategy that delivers.
    pub fn active(&self) -> Strategy {
        self.active
    }

    /// Makes `strategy` the one that delivers, from the next call on. Real-time safe.
    #[inline]
    pub fn set_active(&mut self, strategy: Strategy) {
        self.active = strategy;
    }

    /// Applies pending changes on one inactive strategy (round robin).
    #[inline]
    fn service_one_idle(&mut self) {
        self.next_idle = (self.next_idle + 1) % Strategy::ALL.len();
        let idle = Strategy::ALL[self.next_idle];
        if idle != self.active {
            on_caller!(self, idle, |caller| caller.poll_listening());
        }
    }
}

impl<T: ?Sized> fmt::Debug for SwitchCaller<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SwitchCaller")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl<T: ?Sized> sealed::Sealed for SwitchCaller<T> {}

impl<T: ?Sized> Call<T> for SwitchCaller<T> {
    #[inline]
    fn poll_listening(&mut self) -> bool {
        self.service_one_idle();
        on_caller!(self, self.active, |caller| caller.poll_listening())
    }

    #[inline]
    fn deliver(&mut self, value: &T) -> bool {
        on_caller!(self, self.active, |caller| caller.deliver(value))
    }
}
