//! Scenario 6, memory: the handles' sizes, the heap `new()` keeps, and the most listeners each
//! strategy keeps alive.

use crate::alloc_count::heap_kept_by;
use crate::results::Sizes;
use crate::subject::{with_subject, Caller, Registrar, Subject, Visit};
use std::mem::size_of;

struct Measure(Subject);

impl Visit for Measure {
    type Output = Sizes;

    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) -> Sizes {
        let (pair, shared_bytes) = heap_kept_by(make);
        drop(pair);
        let bytes = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        Sizes {
            name: self.0.name(),
            kind: self.0.kind(),
            shared_bytes,
            registrar_bytes: bytes(size_of::<R>()),
            caller_bytes: bytes(size_of::<C>()),
            max_live_listeners: self.0.max_live_listeners().map(bytes),
            listener_bytes: bytes(size_of::<R::Listener>()),
        }
    }
}

/// Sizes of every subject.
pub fn run(subjects: &[Subject]) -> Vec<Sizes> {
    subjects
        .iter()
        .map(|&subject| with_subject(subject, Measure(subject)))
        .collect()
}
