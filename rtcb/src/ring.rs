//! A small bounded single-producer single-consumer ring, written here (rather than taken from
//! `rtrb`) so that loom can check it together with the strategies that use it.
//!
//! The producer and the consumer each own a cursor; a value moves from producer to consumer
//! through the slot between them. Both sides are wait-free: one load of the other side's cursor
//! and one store of their own.

use crate::sync::{AtomicUsize, Ordering, UnsafeCell};
use std::mem::MaybeUninit;

/// The shared part of the ring. `push` must only be called by one thread at a time and `pop`
/// by one thread at a time; the owners (strategies) enforce that through their handle types.
pub(crate) struct Ring<V, const N: usize> {
    /// Next slot to read; written by the consumer only.
    head: AtomicUsize,
    /// Next slot to write; written by the producer only.
    tail: AtomicUsize,
    slots: [UnsafeCell<MaybeUninit<V>>; N],
}

// SAFETY: values move between threads (hence `V: Send`); every slot is accessed by one side at a
// time, as the head/tail protocol below guarantees.
unsafe impl<V: Send, const N: usize> Sync for Ring<V, N> {}
// SAFETY: as above; the ring owns `V`s, which may be sent.
unsafe impl<V: Send, const N: usize> Send for Ring<V, N> {}

impl<V, const N: usize> Ring<V, N> {
    pub(crate) fn new() -> Self {
        Self {
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
        }
    }

    /// Producer: appends `value`, or gives it back if the ring is full.
    ///
    /// # Safety
    /// Only one thread may be the producer at a time.
    #[inline]
    pub(crate) unsafe fn push(&self, value: V) -> Result<(), V> {
        // Relaxed: only this (producer) thread writes `tail`.
        let tail = self.tail.load(Ordering::Relaxed);
        // Acquire: the consumer's Release store of `head` happens after it moved the value out
        // of the slot, so once we see the slot free we may overwrite it.
        let head = self.head.load(Ordering::Acquire);
        if tail.wrapping_sub(head) == N {
            return Err(value);
        }
        self.slots[tail % N].with_mut(|slot| {
            // SAFETY: the slot at `tail` is outside head..tail, so the consumer does not touch
            // it; only the single producer writes here.
            unsafe { (*slot).write(value) };
        });
        // Release: publishes the value written above to the consumer's Acquire load of `tail`.
        self.tail.store(tail.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Consumer: takes the oldest value, if any.
    ///
    /// # Safety
    /// Only one thread may be the consumer at a time.
    #[inline]
    pub(crate) unsafe fn pop(&self) -> Option<V> {
        // Relaxed: only this (consumer) thread writes `head`.
        let head = self.head.load(Ordering::Relaxed);
        // Acquire: pairs with the producer's Release store, so the value in the slot is visible.
        let tail = self.tail.load(Ordering::Acquire);
        if head == tail {
            return None;
        }
        let value = self.slots[head % N].with(|slot| {
            // SAFETY: head..tail slots hold initialised values the producer no longer touches;
            // moving it out leaves the slot logically empty once `head` moves on.
            unsafe { (*slot).assume_init_read() }
        });
        // Release: the slot is free again only after the read above.
        self.head.store(head.wrapping_add(1), Ordering::Release);
        Some(value)
    }

    /// How many values are in the ring right now (exact for either side's own view).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        // Acquire on both: a snapshot; used by the owners for bookkeeping only.
        let tail = self.tail.load(Ordering::Acquire);
        let head = self.head.load(Ordering::Acquire);
        tail.wrapping_sub(head)
    }

    /// Whether nothing is queued: one atomic load pair, for the audio thread's idle check.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<V, const N: usize> Drop for Ring<V, N> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no other thread can push or pop any more.
        while unsafe { self.pop() }.is_some() {}
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_refuses_when_full() {
        let ring = Ring::<u32, 3>::new();
        // SAFETY: single-threaded test: this thread is both the only producer and consumer.
        unsafe {
            assert_eq!(ring.push(1), Ok(()));
            assert_eq!(ring.push(2), Ok(()));
            assert_eq!(ring.push(3), Ok(()));
            assert_eq!(ring.push(4), Err(4));
            assert_eq!(ring.len(), 3);
            assert_eq!(ring.pop(), Some(1));
            assert_eq!(ring.push(4), Ok(()));
            assert_eq!(ring.pop(), Some(2));
            assert_eq!(ring.pop(), Some(3));
            assert_eq!(ring.pop(), Some(4));
            assert_eq!(ring.pop(), None);
            assert!(ring.is_empty());
        }
    }

    #[test]
    fn drops_what_is_left() {
        let value = std::sync::Arc::new(());
        let ring = Ring::<_, 4>::new();
        // SAFETY: single-threaded test.
        unsafe {
            ring.push(value.clone()).unwrap();
            ring.push(value.clone()).unwrap();
        }
        drop(ring);
        assert_eq!(std::sync::Arc::strong_count(&value), 1);
    }
}
