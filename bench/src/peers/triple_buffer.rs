//! triple_buffer: the registrar writes the latest listener; the audio side updates and calls it.

use crate::subject::{boxed_listener, BoxedListener, Caller, Payload, Registrar, Work};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use triple_buffer::{Input, Output, TripleBuffer};

/// The registrar's side.
pub struct TripleBufferRegistrar {
    input: Input<Option<BoxedListener>>,
    /// Updates the audio side took (each takes the latest write).
    updates: Arc<AtomicU64>,
}

/// The audio side.
pub struct TripleBufferCaller {
    output: Output<Option<BoxedListener>>,
    updates: Arc<AtomicU64>,
}

impl fmt::Debug for TripleBufferRegistrar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TripleBufferRegistrar")
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for TripleBufferCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TripleBufferCaller").finish_non_exhaustive()
    }
}

/// A connected pair with no listener.
pub fn new() -> (TripleBufferRegistrar, TripleBufferCaller) {
    let (input, output) = TripleBuffer::default().split();
    let updates = Arc::new(AtomicU64::new(0));
    let registrar = TripleBufferRegistrar {
        input,
        updates: Arc::clone(&updates),
    };
    (registrar, TripleBufferCaller { output, updates })
}

impl Registrar for TripleBufferRegistrar {
    type Listener = BoxedListener;
    type Ticket = ();

    fn listener(work: Work) -> BoxedListener {
        boxed_listener(work)
    }

    /// What the back buffer held (a listener the audio side let go of) is dropped here.
    fn set(&mut self, listener: BoxedListener) -> Option<()> {
        self.input.write(Some(listener));
        Some(())
    }

    fn clear(&mut self) -> Option<()> {
        self.input.write(None);
        Some(())
    }

    /// Nothing comes back: replaced listeners wait in the buffers for the next write.
    fn collect(&mut self) {}

    /// Whether the audio side has taken the latest write (so every earlier one too).
    fn is_applied(&self, _: ()) -> bool {
        self.input.consumed()
    }

    fn applied_changes(&self) -> u64 {
        // Acquire: pairs with the audio side's Release increment.
        self.updates.load(Ordering::Acquire)
    }
}

impl TripleBufferCaller {
    #[inline(always)]
    fn current(&mut self) -> &mut Option<BoxedListener> {
        if self.output.update() {
            // Release: a registrar that sees the count sees the update's effects.
            self.updates.fetch_add(1, Ordering::Release);
        }
        self.output.output_buffer_mut()
    }
}

impl Caller for TripleBufferCaller {
    #[inline(always)]
    fn ask(&mut self) -> bool {
        self.current().is_some()
    }

    #[inline(always)]
    fn ask_and_deliver(&mut self, value: &Payload) -> bool {
        match self.current() {
            Some(listener) => {
                listener(value);
                true
            }
            None => false,
        }
    }
}
