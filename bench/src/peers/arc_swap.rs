//! arc-swap: the registrar swaps an `Arc`'d listener in; the audio side loads and calls.

use crate::subject::{shared_listener, Caller, Payload, Registrar, SharedListener, Work};
use arc_swap::ArcSwapOption;
use std::fmt;
use std::sync::Arc;

/// The registrar's side.
pub struct ArcSwapRegistrar {
    slot: Arc<ArcSwapOption<SharedListener>>,
    /// Replaced listeners an audio-side guard may still hold; dropped once only we hold them.
    retired: Vec<Arc<SharedListener>>,
    accepted: u64,
}

/// The audio side.
pub struct ArcSwapCaller {
    slot: Arc<ArcSwapOption<SharedListener>>,
}

impl fmt::Debug for ArcSwapRegistrar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArcSwapRegistrar")
            .field("retired", &self.retired.len())
            .field("accepted", &self.accepted)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ArcSwapCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArcSwapCaller").finish_non_exhaustive()
    }
}

/// A connected pair with no listener.
pub fn new() -> (ArcSwapRegistrar, ArcSwapCaller) {
    let slot = Arc::new(ArcSwapOption::empty());
    let registrar = ArcSwapRegistrar {
        slot: Arc::clone(&slot),
        retired: Vec::new(),
        accepted: 0,
    };
    (registrar, ArcSwapCaller { slot })
}

impl ArcSwapRegistrar {
    fn replace(&mut self, new: Option<Arc<SharedListener>>) -> Option<u64> {
        // `swap` settles every outstanding guard of the old value into a real reference
        // count, so from here on a strong count of 1 means no guard holds it.
        if let Some(old) = self.slot.swap(new) {
            self.retired.push(old);
        }
        self.collect();
        self.accepted += 1;
        Some(self.accepted)
    }
}

impl Registrar for ArcSwapRegistrar {
    type Listener = SharedListener;
    type Ticket = u64;

    fn listener(work: Work) -> SharedListener {
        shared_listener(work)
    }

    fn set(&mut self, listener: SharedListener) -> Option<u64> {
        self.replace(Some(Arc::new(listener)))
    }

    fn clear(&mut self) -> Option<u64> {
        self.replace(None)
    }

    fn collect(&mut self) {
        self.retired.retain(|old| Arc::strong_count(old) > 1);
    }

    /// A swap is seen by the next load.
    fn is_applied(&self, _: u64) -> bool {
        true
    }

    fn applied_changes(&self) -> u64 {
        self.accepted
    }
}

impl Caller for ArcSwapCaller {
    #[inline(always)]
    fn ask(&mut self) -> bool {
        self.slot.load().is_some()
    }

    #[inline(always)]
    fn ask_and_deliver(&mut self, value: &Payload) -> bool {
        match &*self.slot.load() {
            Some(listener) => {
                listener(value);
                true
            }
            None => false,
        }
    }
}
