//! [`Ticket`]s, and the "applied" mark the audio thread publishes for them.
//!
//! Every change (a set or a clear) gets the next ticket of its strategy instance. When the audio
//! thread applies a change it publishes the change's ticket; a registrar compares numbers to
//! learn, without blocking the audio thread, whether its change is in force.

use crate::sync::{AtomicU64, Ordering};

/// Identifies one change (a set or a clear) made through a registrar.
///
/// Tickets grow with every change made on one strategy instance, so "applied" is monotonic: once
/// the audio thread has applied ticket `n`, every older change is applied or was superseded by a
/// newer one (latest wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub(crate) u64);

/// The newest ticket the audio thread has applied, and how many changes it applied, shared by
/// every handle of one strategy. Written by the audio thread only.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    newest: AtomicU64,
    count: AtomicU64,
}

impl Applied {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Audio thread: publishes that `ticket` is applied. Call it only once the listener the
    /// change replaced is on its way back (pushed, put in the slot, swapped into the middle):
    /// "applied" promises that the next `collect` finds it.
    #[inline]
    pub(crate) fn mark(&self, ticket: Ticket) {
        // Release: everything the audio thread did before (handing the replaced listener back)
        // happens before a registrar's Acquire load that sees this ticket, so applied implies
        // collectible. Tickets reach the audio thread in increasing order, so `newest` only
        // grows; one writer, so a load and a store count exactly without a read-modify-write.
        self.newest.store(ticket.0, Ordering::Release);
        // Relaxed: a counter for reports; it carries no data.
        let count = self.count.load(Ordering::Relaxed);
        self.count.store(count + 1, Ordering::Relaxed);
    }

    /// How many changes the audio thread has applied (superseded ones are not counted).
    pub(crate) fn count(&self) -> u64 {
        // Relaxed: a snapshot of a monotonic counter.
        self.count.load(Ordering::Relaxed)
    }

    /// Registrar side: whether `ticket` (or a newer change) has been applied.
    #[inline]
    pub(crate) fn covers(&self, ticket: Ticket) -> bool {
        // Acquire: pairs with `mark`'s Release, so a "yes" also makes the replaced listener's
        // hand-back visible. A stale read only answers "not yet", never a wrong "yes", because
        // the value only grows.
        self.newest.load(Ordering::Acquire) >= ticket.0
    }

    /// The newest applied ticket number (0 before the first change).
    pub(crate) fn newest(&self) -> u64 {
        // Relaxed: a snapshot of a monotonic counter, for reports.
        self.newest.load(Ordering::Relaxed)
    }
}

/// Hands out increasing tickets. Owned by a single registrar, or kept under the registrars'
/// mutex (or in the slot the registrar has claimed) so tickets are ordered like the changes.
#[derive(Debug, Default)]
pub(crate) struct TicketCounter(u64);

impl TicketCounter {
    pub(crate) fn next(&mut self) -> Ticket {
        self.0 += 1;
        Ticket(self.0)
    }
}
