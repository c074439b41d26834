//! basedrop: a `SharedCell` of a counted listener; what the audio side lets go of is freed by
//! the registrar's `Collector`.

use crate::subject::{shared_listener, Caller, Payload, Registrar, SharedListener, Work};
use basedrop::{Collector, Handle, Shared, SharedCell};
use std::fmt;
use std::sync::Arc;

type Slot = SharedCell<Option<SharedListener>>;

/// The registrar's side.
pub struct BasedropRegistrar {
    slot: Arc<Slot>,
    collector: Collector,
    handle: Handle,
    accepted: u64,
}

/// The audio side.
pub struct BasedropCaller {
    slot: Arc<Slot>,
}

impl fmt::Debug for BasedropRegistrar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasedropRegistrar")
            .field("accepted", &self.accepted)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for BasedropCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasedropCaller").finish_non_exhaustive()
    }
}

/// A connected pair with no listener.
pub fn new() -> (BasedropRegistrar, BasedropCaller) {
    let collector = Collector::new();
    let handle = collector.handle();
    let slot = Arc::new(SharedCell::new(Shared::new(&handle, None)));
    let registrar = BasedropRegistrar {
        slot: Arc::clone(&slot),
        collector,
        handle,
        accepted: 0,
    };
    (registrar, BasedropCaller { slot })
}

impl BasedropRegistrar {
    fn replace(&mut self, new: Option<SharedListener>) -> Option<u64> {
        // The old value's count drops here; if the audio side still holds it, its last drop
        // queues it for the collector instead of freeing it there.
        self.slot.set(Shared::new(&self.handle, new));
        self.collector.collect();
        self.accepted += 1;
        Some(self.accepted)
    }
}

impl Registrar for BasedropRegistrar {
    type Listener = SharedListener;
    type Ticket = u64;

    fn listener(work: Work) -> SharedListener {
        shared_listener(work)
    }

    fn set(&mut self, listener: SharedListener) -> Option<u64> {
        self.replace(Some(listener))
    }

    fn clear(&mut self) -> Option<u64> {
        self.replace(None)
    }

    fn collect(&mut self) {
        self.collector.collect();
    }

    /// A set is seen by the next `get`.
    fn is_applied(&self, _: u64) -> bool {
        true
    }

    fn applied_changes(&self) -> u64 {
        self.accepted
    }
}

impl Caller for BasedropCaller {
    #[inline(always)]
    fn ask(&mut self) -> bool {
        self.slot.get().is_some()
    }

    #[inline(always)]
    fn ask_and_deliver(&mut self, value: &Payload) -> bool {
        match &*self.slot.get() {
            Some(listener) => {
                listener(value);
                true
            }
            None => false,
        }
    }
}
