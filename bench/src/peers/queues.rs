//! rtrb and crossbeam's `ArrayQueue`: new listeners go to the audio side on one bounded queue,
//! replaced ones come back on another, so nothing is freed on the audio thread. A naive variant
//! (one queue, the replaced listener dropped on the audio thread) shows what that saves.

use crate::subject::{boxed_listener, BoxedListener, Caller, Payload, Registrar, Work};
use crossbeam_queue::ArrayQueue;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Slots of the queue to the audio side (rtcb's `SpscQueue` has as many).
pub const SLOTS: usize = 4;

/// Slots of the queue back: one more than [`SLOTS`], for the listener the audio side held.
pub const BACK_SLOTS: usize = SLOTS + 1;

/// The most listeners alive outside the registrar: in both queues and the current one.
pub const LIVE: usize = SLOTS + BACK_SLOTS + 1;

/// A change: a new listener, or `None` to clear.
type Change = Option<BoxedListener>;

/// The sending end of a bounded queue.
pub trait Enqueue: Send + 'static {
    /// Adds `value`, or hands it back if the queue is full.
    fn try_enqueue(&mut self, value: Change) -> Result<(), Change>;
    /// Whether a send would fail.
    fn is_full(&self) -> bool;
}

/// The receiving end of a bounded queue.
pub trait Dequeue: Send + 'static {
    /// Takes the oldest value, if any.
    fn try_dequeue(&mut self) -> Option<Change>;
    /// Whether there is nothing to take.
    fn is_empty(&self) -> bool;
}

impl Enqueue for rtrb::Producer<Change> {
    #[inline(always)]
    fn try_enqueue(&mut self, value: Change) -> Result<(), Change> {
        self.push(value)
            .map_err(|rtrb::PushError::Full(value)| value)
    }

    #[inline(always)]
    fn is_full(&self) -> bool {
        rtrb::Producer::is_full(self)
    }
}

impl Dequeue for rtrb::Consumer<Change> {
    #[inline(always)]
    fn try_dequeue(&mut self) -> Option<Change> {
        self.pop().ok()
    }

    #[inline(always)]
    fn is_empty(&self) -> bool {
        rtrb::Consumer::is_empty(self)
    }
}

/// One end of a shared `ArrayQueue`.
pub struct Shared(Arc<ArrayQueue<Change>>);

impl Enqueue for Shared {
    #[inline(always)]
    fn try_enqueue(&mut self, value: Change) -> Result<(), Change> {
        self.0.push(value)
    }

    #[inline(always)]
    fn is_full(&self) -> bool {
        self.0.is_full()
    }
}

impl Dequeue for Shared {
    #[inline(always)]
    fn try_dequeue(&mut self) -> Option<Change> {
        self.0.pop()
    }

    #[inline(always)]
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The registrar's side: sends changes, takes back what the audio side replaced.
pub struct QueueRegistrar<S, R> {
    to_audio: S,
    /// `None` for the naive variant.
    back: Option<R>,
    sent: u64,
    /// Changes the audio side installed; a FIFO queue installs them in order.
    applied: Arc<AtomicU64>,
}

/// The audio side: keeps the current listener.
pub struct QueueCaller<R, S> {
    from_registrar: R,
    /// `None` for the naive variant: the replaced listener is dropped here.
    back: Option<S>,
    current: Option<BoxedListener>,
    applied: Arc<AtomicU64>,
}

impl<S, R> fmt::Debug for QueueRegistrar<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueRegistrar")
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl<R, S> fmt::Debug for QueueCaller<R, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueCaller")
            .field("listening", &self.current.is_some())
            .finish_non_exhaustive()
    }
}

fn pair<S: Enqueue, R: Dequeue>(
    (to_audio, from_registrar): (S, R),
    back: Option<(S, R)>,
) -> (QueueRegistrar<S, R>, QueueCaller<R, S>) {
    let applied = Arc::new(AtomicU64::new(0));
    let (send_back, receive_back) = back.unzip();
    let registrar = QueueRegistrar {
        to_audio,
        back: receive_back,
        sent: 0,
        applied: Arc::clone(&applied),
    };
    let caller = QueueCaller {
        from_registrar,
        back: send_back,
        current: None,
        applied,
    };
    (registrar, caller)
}

fn rtrb_queue(slots: usize) -> (rtrb::Producer<Change>, rtrb::Consumer<Change>) {
    rtrb::RingBuffer::new(slots)
}

fn array_queue(slots: usize) -> (Shared, Shared) {
    let queue = Arc::new(ArrayQueue::new(slots));
    (Shared(Arc::clone(&queue)), Shared(queue))
}

/// The rtrb adapter's registrar.
pub type RtrbRegistrar = QueueRegistrar<rtrb::Producer<Change>, rtrb::Consumer<Change>>;

/// The rtrb adapter's audio side.
pub type RtrbCaller = QueueCaller<rtrb::Consumer<Change>, rtrb::Producer<Change>>;

/// The rtrb pair: two rings.
pub fn rtrb() -> (RtrbRegistrar, RtrbCaller) {
    pair(rtrb_queue(SLOTS), Some(rtrb_queue(BACK_SLOTS)))
}

/// The naive rtrb pair: one ring, replaced listeners dropped on the audio thread.
pub fn rtrb_dropped_on_audio() -> (RtrbRegistrar, RtrbCaller) {
    pair(rtrb_queue(SLOTS), None)
}

/// The `ArrayQueue` pair: two queues.
pub fn array_queues() -> (QueueRegistrar<Shared, Shared>, QueueCaller<Shared, Shared>) {
    pair(array_queue(SLOTS), Some(array_queue(BACK_SLOTS)))
}

impl<S: Enqueue, R: Dequeue> QueueRegistrar<S, R> {
    fn send(&mut self, change: Change) -> Option<u64> {
        self.collect();
        match self.to_audio.try_enqueue(change) {
            Ok(()) => {
                self.sent += 1;
                Some(self.sent)
            }
            // Refused: the listener is dropped here, on the registrar's thread.
            Err(_refused) => None,
        }
    }
}

impl<S: Enqueue, R: Dequeue> Registrar for QueueRegistrar<S, R> {
    type Listener = BoxedListener;
    type Ticket = u64;

    fn listener(work: Work) -> BoxedListener {
        boxed_listener(work)
    }

    fn set(&mut self, listener: BoxedListener) -> Option<u64> {
        self.send(Some(listener))
    }

    fn clear(&mut self) -> Option<u64> {
        self.send(None)
    }

    /// Drops every listener the audio side sent back (bounded by the queue's size).
    fn collect(&mut self) {
        if let Some(back) = &mut self.back {
            while back.try_dequeue().is_some() {}
        }
    }

    fn is_applied(&self, ticket: u64) -> bool {
        self.applied_changes() >= ticket
    }

    fn applied_changes(&self) -> u64 {
        // Acquire: pairs with the audio side's Release increment.
        self.applied.load(Ordering::Acquire)
    }
}

impl<R: Dequeue, S: Enqueue> QueueCaller<R, S> {
    /// Installs what waits, at most [`SLOTS`] changes (the queue holds no more), each only
    /// while the way back has room for the listener it replaces.
    #[inline(always)]
    fn take_changes(&mut self) {
        while !self.from_registrar.is_empty() {
            if self.back.as_ref().is_some_and(|back| back.is_full()) {
                return;
            }
            let Some(new) = self.from_registrar.try_dequeue() else {
                return;
            };
            let old = std::mem::replace(&mut self.current, new);
            match &mut self.back {
                // Never full: checked above, and only this side sends.
                Some(back) => drop(back.try_enqueue(old)),
                // The naive variant: a listener's last drop, on the audio thread.
                None => drop(old),
            }
            // Release: a registrar that sees the count may drop what came back.
            self.applied.fetch_add(1, Ordering::Release);
        }
    }
}

impl<R: Dequeue, S: Enqueue> Caller for QueueCaller<R, S> {
    #[inline(always)]
    fn ask(&mut self) -> bool {
        self.take_changes();
        self.current.is_some()
    }

    #[inline(always)]
    fn ask_and_deliver(&mut self, value: &Payload) -> bool {
        self.take_changes();
        match &mut self.current {
            Some(listener) => {
                listener(value);
                true
            }
            None => false,
        }
    }
}
