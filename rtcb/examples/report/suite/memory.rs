//! Scenario 6, memory: the handles' sizes, the heap `new()` keeps, and the most listeners each
//! strategy keeps alive.

use crate::suite::alloc_count::heap_kept_by;
use crate::suite::results::Sizes;
use crate::suite::strategies::{max_live_listeners, with_strategy, Payload, Visit};
use rtcb::{Call, Listener, Register, Strategy};
use std::mem::size_of;

struct Measure(Strategy);

impl Visit for Measure {
    type Output = Sizes;

    fn visit<R, C>(self, make: fn() -> (R, C)) -> Sizes
    where
        R: Register<Payload> + Send + 'static,
        C: Call<Payload> + Send + 'static,
    {
        let (pair, shared_bytes) = heap_kept_by(make);
        drop(pair);
        let bytes = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        Sizes {
            strategy: self.0.name(),
            shared_bytes,
            registrar_bytes: bytes(size_of::<R>()),
            caller_bytes: bytes(size_of::<C>()),
            max_live_listeners: bytes(max_live_listeners(self.0)),
            listener_bytes: bytes(size_of::<Listener<Payload>>()),
        }
    }
}

/// Sizes of all five strategies.
pub fn run() -> Vec<Sizes> {
    Strategy::ALL
        .into_iter()
        .map(|strategy| with_strategy(strategy, Measure(strategy)))
        .collect()
}
