//! atomic_refcell, parking_lot's and std's `Mutex`: one listener behind a lock. The audio side
//! only ever tries the lock and skips the call when the registrar holds it; the registrar takes
//! it (waiting if the audio side is calling) and drops the replaced listener after releasing it.

use crate::subject::{boxed_listener, BoxedListener, Caller, Payload, Registrar, Work};
use atomic_refcell::AtomicRefCell;
use std::fmt;
use std::sync::Arc;

type Slot = Option<BoxedListener>;

/// A lock around the listener slot.
pub trait Lock: Send + Sync + 'static {
    /// Runs `f` on the slot if the lock is free at once; `None` (without waiting) if not.
    fn try_with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> Option<T>;
    /// Runs `f` on the slot, waiting for the lock as the crate waits.
    fn with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> T;
}

impl Lock for AtomicRefCell<Slot> {
    #[inline(always)]
    fn try_with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> Option<T> {
        self.try_borrow_mut().ok().map(|mut slot| f(&mut slot))
    }

    /// A borrow that fails would panic, so the registrar retries: spinning, then yielding.
    fn with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> T {
        let mut tries = 0u32;
        loop {
            if let Ok(mut slot) = self.try_borrow_mut() {
                return f(&mut slot);
            }
            tries += 1;
            if tries < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

impl Lock for parking_lot::Mutex<Slot> {
    #[inline(always)]
    fn try_with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> Option<T> {
        self.try_lock().map(|mut slot| f(&mut slot))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> T {
        f(&mut self.lock())
    }
}

impl Lock for std::sync::Mutex<Slot> {
    #[inline(always)]
    fn try_with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> Option<T> {
        match self.try_lock() {
            Ok(mut slot) => Some(f(&mut slot)),
            // A listener that panicked poisoned it; the slot is still consistent.
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(f(&mut poisoned.into_inner())),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> T {
        f(&mut self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// The registrar's side.
pub struct LockRegistrar<L> {
    slot: Arc<L>,
    accepted: u64,
}

/// The audio side.
pub struct LockCaller<L> {
    slot: Arc<L>,
}

impl<L> fmt::Debug for LockRegistrar<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockRegistrar")
            .field("accepted", &self.accepted)
            .finish_non_exhaustive()
    }
}

impl<L> fmt::Debug for LockCaller<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockCaller").finish_non_exhaustive()
    }
}

fn pair<L: Lock>(lock: L) -> (LockRegistrar<L>, LockCaller<L>) {
    let slot = Arc::new(lock);
    let registrar = LockRegistrar {
        slot: Arc::clone(&slot),
        accepted: 0,
    };
    (registrar, LockCaller { slot })
}

/// The atomic_refcell pair.
pub fn atomic_refcell() -> (
    LockRegistrar<AtomicRefCell<Slot>>,
    LockCaller<AtomicRefCell<Slot>>,
) {
    pair(AtomicRefCell::new(None))
}

/// The parking_lot pair.
pub fn parking_lot() -> (
    LockRegistrar<parking_lot::Mutex<Slot>>,
    LockCaller<parking_lot::Mutex<Slot>>,
) {
    pair(parking_lot::Mutex::new(None))
}

/// The std pair.
pub fn std_mutex() -> (
    LockRegistrar<std::sync::Mutex<Slot>>,
    LockCaller<std::sync::Mutex<Slot>>,
) {
    pair(std::sync::Mutex::new(None))
}

impl<L: Lock> LockRegistrar<L> {
    fn replace(&mut self, new: Slot) -> Option<u64> {
        let old = self.slot.with(|slot| std::mem::replace(slot, new));
        // Dropped after the lock is released, on the registrar's thread.
        drop(old);
        self.accepted += 1;
        Some(self.accepted)
    }
}

impl<L: Lock> Registrar for LockRegistrar<L> {
    type Listener = BoxedListener;
    type Ticket = u64;

    fn listener(work: Work) -> BoxedListener {
        boxed_listener(work)
    }

    fn set(&mut self, listener: BoxedListener) -> Option<u64> {
        self.replace(Some(listener))
    }

    fn clear(&mut self) -> Option<u64> {
        self.replace(None)
    }

    /// Nothing comes back: the registrar drops what it replaces.
    fn collect(&mut self) {}

    /// The change is in place when the registrar's lock is released.
    fn is_applied(&self, _: u64) -> bool {
        true
    }

    fn applied_changes(&self) -> u64 {
        self.accepted
    }
}

impl<L: Lock> Caller for LockCaller<L> {
    #[inline(always)]
    fn ask(&mut self) -> bool {
        self.slot.try_with(|slot| slot.is_some()).unwrap_or(false)
    }

    #[inline(always)]
    fn ask_and_deliver(&mut self, value: &Payload) -> bool {
        self.slot
            .try_with(|slot| match slot {
                Some(listener) => {
                    listener(value);
                    true
                }
                None => false,
            })
            .unwrap_or(false)
    }
}
