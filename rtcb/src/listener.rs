//! What every strategy hands around: the [`Listener`], the [`Refused`] error that gives a
//! listener back, and the two traits every strategy implements: [`Register`] for the
//! non-real-time side and [`Call`] for the audio thread.

use crate::ticket::Ticket;
use std::fmt;

/// What a listener tells the audio thread after each call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep calling me.
    Continue,
    /// Never call me again. The listener is retired without being dropped on the audio thread:
    /// it travels back to the registrar side, which drops it on its next change or `collect`.
    Stop,
}

/// The callback a listener (an editor, a meter, a recorder) registers to receive values from the
/// audio thread.
///
/// It is called on the audio thread, so it must itself be real-time safe: no allocation, no
/// lock, no system call. It is called by one thread at a time, never twice at once, and it is
/// never dropped on the audio thread.
///
/// A listener that panics is treated as one that returned [`Flow::Stop`]: the strategy retires
/// it (it is never called again and is dropped once, on the registrar side), stays usable, and
/// the panic carries on out of `deliver` into the audio thread's code.
pub struct Listener<T: ?Sized>(Box<dyn FnMut(&T) -> Flow + Send + 'static>);

// SAFETY: a shared `&Listener` gives access to nothing: the closure is reachable only through
// `call(&mut self)` or by value, and `Debug` prints a fixed string. So sharing references
// between threads cannot race (the reasoning of `std::sync::Exclusive`). This is what makes
// `Refused<T>` `Sync`, so it fits in `Box<dyn Error + Send + Sync>` and `anyhow::Error`.
unsafe impl<T: ?Sized> Sync for Listener<T> {}

impl<T: ?Sized> Listener<T> {
    /// A listener that decides after each call whether it wants more (see [`Flow`]).
    pub fn new(callback: impl FnMut(&T) -> Flow + Send + 'static) -> Self {
        Self(Box::new(callback))
    }

    /// A listener that listens until it is cleared or replaced.
    pub fn forever(mut callback: impl FnMut(&T) + Send + 'static) -> Self {
        Self::new(move |value| {
            callback(value);
            Flow::Continue
        })
    }

    /// Calls the listener with one value.
    #[inline]
    pub fn call(&mut self, value: &T) -> Flow {
        (self.0)(value)
    }
}

impl<T: ?Sized> fmt::Debug for Listener<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Listener")
    }
}

/// Calls the listener in `slot`, if there is one, with `value`, and returns what it said.
///
/// If the call panics, `on_unwind` gets the slot while the panic unwinds through this frame: the
/// strategy retires the listener there (never to call it again, never dropping it on the audio
/// thread), and the panic carries on into the audio thread's code. On the path that does not
/// panic this costs nothing: the guard is disarmed, and only the unwind path has code.
#[inline]
pub(crate) fn call_in_slot<T: ?Sized, F: FnOnce(&mut Option<Listener<T>>)>(
    slot: &mut Option<Listener<T>>,
    value: &T,
    on_unwind: F,
) -> Option<Flow> {
    slot.as_ref()?;
    let mut guard = RetireOnUnwind {
        slot,
        on_unwind: Some(on_unwind),
    };
    let flow = guard.slot.as_mut().map(|listener| listener.call(value));
    guard.on_unwind = None;
    flow
}

/// [`call_in_slot`] for a strategy that keeps a finished listener where it is, behind a `stopped`
/// flag, until it can go back: returning [`Flow::Stop`] or panicking sets the flag.
#[inline]
pub(crate) fn call_until_stopped<T: ?Sized>(
    slot: &mut Option<Listener<T>>,
    value: &T,
    stopped: &mut bool,
) -> Option<Flow> {
    let flow = call_in_slot(slot, value, |_| *stopped = true)?;
    *stopped = flow == Flow::Stop;
    Some(flow)
}

/// Runs its closure on the slot if dropped while still armed: only when a listener call unwinds.
struct RetireOnUnwind<'a, T: ?Sized, F: FnOnce(&mut Option<Listener<T>>)> {
    slot: &'a mut Option<Listener<T>>,
    on_unwind: Option<F>,
}

impl<T: ?Sized, F: FnOnce(&mut Option<Listener<T>>)> Drop for RetireOnUnwind<'_, T, F> {
    fn drop(&mut self) {
        if let Some(retire) = self.on_unwind.take() {
            retire(self.slot);
        }
    }
}

/// A change the strategy could not accept right now. Nothing is lost: the listener (if the
/// change was a set) is handed back, and the caller decides whether to retry.
///
/// `Send + Sync + Error`, so it can be returned as `Box<dyn Error + Send + Sync>` or
/// `anyhow::Error` (the listener goes with it; take it back first if you want to retry).
pub struct Refused<T: ?Sized> {
    pub(crate) listener: Option<Listener<T>>,
}

impl<T: ?Sized> Refused<T> {
    /// Takes back the listener of a refused set (`None` for a refused clear).
    pub fn into_listener(self) -> Option<Listener<T>> {
        self.listener
    }

    /// Whether the refused change was a set.
    pub fn was_set(&self) -> bool {
        self.listener.is_some()
    }
}

impl<T: ?Sized> fmt::Debug for Refused<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refused")
            .field("was_set", &self.was_set())
            .finish()
    }
}

impl<T: ?Sized> fmt::Display for Refused<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.was_set() { "set" } else { "clear" };
        write!(
            f,
            "the strategy cannot take this {what} until the audio thread catches up"
        )
    }
}

impl<T: ?Sized> std::error::Error for Refused<T> {}

/// Keeps [`Register`] and [`Call`] implemented by this crate's strategies only.
pub(crate) mod sealed {
    /// Implemented by every registrar and caller in this crate, and nothing outside it.
    pub trait Sealed {}
}

/// The non-real-time side of a strategy: sets and clears the listener.
///
/// Every method may be slow (it may allocate, free, and for [`SpinLock`](crate::spin_lock) wait
/// for the audio thread), so never call it from the audio thread.
///
/// This trait is sealed on purpose: what it promises (applied implies collectible, every
/// listener dropped exactly once and never on the audio thread, monotonic tickets) is a property
/// of each strategy's protocol, proven with loom for the ones in this crate; another
/// implementation could not be held to it. Write your own trait to put other code beside these.
///
/// ```compile_fail,E0277
/// use rtcb::{Listener, Refused, Register, Ticket};
///
/// #[derive(Debug)]
/// struct MyStrategy;
///
/// // error[E0277]: the trait bound `MyStrategy: Sealed` is not satisfied
/// impl Register<u8> for MyStrategy {
///     fn set(&mut self, _: Listener<u8>) -> Result<Ticket, Refused<u8>> { unimplemented!() }
///     fn clear(&mut self) -> Result<Ticket, Refused<u8>> { unimplemented!() }
///     fn is_applied(&self, _: Ticket) -> bool { false }
///     fn collect(&mut self) -> usize { 0 }
///     fn newest_applied(&self) -> u64 { 0 }
///     fn applied_changes(&self) -> u64 { 0 }
/// }
/// ```
pub trait Register<T: ?Sized>: sealed::Sealed + fmt::Debug {
    /// Installs `listener`, replacing any previous one. The replaced listener is dropped here,
    /// on this side, once the audio thread has handed it back.
    fn set(&mut self, listener: Listener<T>) -> Result<Ticket, Refused<T>>;

    /// Removes the listener, if any.
    fn clear(&mut self) -> Result<Ticket, Refused<T>>;

    /// Whether the audio thread has applied the change `ticket` names (or a newer one that
    /// superseded it). Never blocks the audio thread. Once it is true, the listener that change
    /// replaced has been handed back: the next [`collect`](Self::collect) drops it (or this
    /// side already did, inside `set`/`clear`).
    fn is_applied(&self, ticket: Ticket) -> bool;

    /// Drops every listener the audio thread has handed back so far; returns how many.
    fn collect(&mut self) -> usize;

    /// The newest ticket number the audio thread has applied (0 before the first change).
    fn newest_applied(&self) -> u64;

    /// How many changes the audio thread has applied. Superseded changes are not counted, so
    /// once the audio thread has caught up, accepted changes minus this is the number coalesced.
    fn applied_changes(&self) -> u64;
}

/// The audio-thread side of a strategy. Every method is real-time safe: no allocation, no free,
/// no lock that can block, no system call, a bounded number of steps.
///
/// Sealed on purpose, like [`Register`].
pub trait Call<T: ?Sized>: sealed::Sealed + fmt::Debug {
    /// Applies any pending change and says whether a listener is installed. With nothing
    /// installed and nothing pending this costs about one atomic load, so `process()` can ask
    /// it *before* it builds the data and skip the work when nobody listens.
    fn poll_listening(&mut self) -> bool;

    /// Applies any pending change, then calls the installed listener, if any, with `value`;
    /// returns whether it was called. Correct on its own; call
    /// [`poll_listening`](Self::poll_listening) first to skip building `value` for nobody.
    ///
    /// If the listener panics, it is retired (as if it returned [`Flow::Stop`]) and the panic
    /// carries on out of this call.
    fn deliver(&mut self, value: &T) -> bool;
}

/// One change in transit from a registrar to the audio thread: the listener to install (`None`
/// for a clear) and its ticket.
pub(crate) struct Change<T: ?Sized> {
    pub(crate) ticket: Ticket,
    pub(crate) listener: Option<Listener<T>>,
}

/// Implements [`Register`] and [`Call`] for a strategy's `Registrar` and `Caller`: the changes and
/// calls forward to the inherent methods of the same names (so each strategy reads as plain
/// methods); the three "applied" queries read the `applied` field every strategy's shared state
/// has. `never_refuses` is for strategies whose inherent `set`/`clear` return a bare `Ticket`.
macro_rules! forward_handles {
    ($registrar:ident, $caller:ident) => {
        $crate::listener::forward_handles!(@impl $registrar, $caller, |result| result);
    };
    ($registrar:ident, $caller:ident, never_refuses) => {
        $crate::listener::forward_handles!(@impl $registrar, $caller, |ticket| Ok(ticket));
    };
    (@impl $registrar:ident, $caller:ident, |$r:ident| $wrap:expr) => {
        impl<T: ?Sized> $crate::listener::sealed::Sealed for $registrar<T> {}
        impl<T: ?Sized> $crate::listener::sealed::Sealed for $caller<T> {}

        impl<T: ?Sized> $crate::Register<T> for $registrar<T> {
            fn set(
                &mut self,
                listener: $crate::Listener<T>,
            ) -> Result<$crate::Ticket, $crate::Refused<T>> {
                let $r = $registrar::set(self, listener);
                $wrap
            }
            fn clear(&mut self) -> Result<$crate::Ticket, $crate::Refused<T>> {
                let $r = $registrar::clear(self);
                $wrap
            }
            fn is_applied(&self, ticket: $crate::Ticket) -> bool {
                $registrar::is_applied(self, ticket)
            }
            fn collect(&mut self) -> usize {
                $registrar::collect(self)
            }
            fn newest_applied(&self) -> u64 {
                self.shared.applied.newest()
            }
            fn applied_changes(&self) -> u64 {
                self.shared.applied.count()
            }
        }

        impl<T: ?Sized> $registrar<T> {
            /// Whether the audio thread has applied the change `ticket` names (or a newer one);
            /// once it has, the listener that change replaced is collectible. Never blocks.
            pub fn is_applied(&self, ticket: $crate::Ticket) -> bool {
                self.shared.applied.covers(ticket)
            }
        }

        impl<T: ?Sized> std::fmt::Debug for $registrar<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(concat!(module_path!(), "::", stringify!($registrar)))
                    .field("newest_applied", &self.shared.applied.newest())
                    .finish_non_exhaustive()
            }
        }

        impl<T: ?Sized> std::fmt::Debug for $caller<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(concat!(module_path!(), "::", stringify!($caller)))
                    .field("newest_applied", &self.shared.applied.newest())
                    .finish_non_exhaustive()
            }
        }

        impl<T: ?Sized> $crate::Call<T> for $caller<T> {
            #[inline]
            fn poll_listening(&mut self) -> bool {
                $caller::poll_listening(self)
            }
            #[inline]
            fn deliver(&mut self, value: &T) -> bool {
                $caller::deliver(self, value)
            }
        }
    };
}
pub(crate) use forward_handles;
