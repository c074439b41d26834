//! Tickets and the "applied" mark the audio thread publishes (CONTRACT rule 7).

use crate::listener::Ticket;
use crate::sync::{AtomicU64, Ordering};

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

    /// Audio thread: publishes that `ticket` is applied.
    #[inline]
    pub(crate) fn mark(&self, ticket: Ticket) {
        // Relaxed everywhere: the marks carry no data. Readers only compare numbers; what they
        // then do with a listener they get back is ordered by the strategy's own hand-back
        // protocol. Tickets reach the audio thread in increasing order, so `newest` only grows.
        // One writer, so a load and a store count exactly without a read-modify-write.
        self.newest.store(ticket.0, Ordering::Relaxed);
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
        // Relaxed: see `mark`; a stale read only answers "not yet", never a wrong "yes", because
        // the value only grows.
        self.newest.load(Ordering::Relaxed) >= ticket.0
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
