//! What every strategy hands around: the [`Listener`], the [`Ticket`] a change gets, the
//! [`Refused`] error that gives a listener back, and the two traits every strategy implements:
//! [`Register`] for the non-real-time side and [`Call`] for the audio thread.

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
pub struct Listener<T: ?Sized>(Box<dyn FnMut(&T) -> Flow + Send + 'static>);

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

/// Identifies one change (a set or a clear) made through a registrar.
///
/// Tickets grow with every change made on one strategy instance, so "applied" is monotonic: once
/// the audio thread has applied ticket `n`, every older change is applied or was superseded by a
/// newer one (latest wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub(crate) u64);

impl Ticket {
    /// The ticket's number, counting from 1 for the first change of a strategy instance.
    pub fn number(self) -> u64 {
        self.0
    }
}

/// A change the strategy could not accept right now. Nothing is lost: the listener (if the
/// change was a set) is handed back, and the caller decides whether to retry.
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

/// The non-real-time side of a strategy: sets and clears the listener.
///
/// Every method may be slow (it may allocate, free, and for [`SpinLock`](crate::spin_lock) wait
/// for the audio thread), so never call it from the audio thread.
pub trait Register<T: ?Sized> {
    /// Installs `listener`, replacing any previous one. The replaced listener is dropped here,
    /// on this side, once the audio thread has handed it back.
    fn set(&mut self, listener: Listener<T>) -> Result<Ticket, Refused<T>>;

    /// Removes the listener, if any.
    fn clear(&mut self) -> Result<Ticket, Refused<T>>;

    /// Whether the audio thread has applied the change `ticket` names (or a newer one that
    /// superseded it). Never blocks the audio thread.
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
pub trait Call<T: ?Sized> {
    /// Applies any pending change and says whether a listener is installed. With nothing
    /// installed and nothing pending this costs about one atomic load, so `process()` can ask
    /// it *before* it builds the data and skip the work when nobody listens.
    fn is_listening(&mut self) -> bool;

    /// Calls the installed listener, if any, with `value`; returns whether it was called.
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
/// has.
macro_rules! forward_handles {
    ($registrar:ident, $caller:ident) => {
        impl<T: ?Sized> $crate::Register<T> for $registrar<T> {
            fn set(
                &mut self,
                listener: $crate::Listener<T>,
            ) -> Result<$crate::Ticket, $crate::Refused<T>> {
                $registrar::set(self, listener)
            }
            fn clear(&mut self) -> Result<$crate::Ticket, $crate::Refused<T>> {
                $registrar::clear(self)
            }
            fn is_applied(&self, ticket: $crate::Ticket) -> bool {
                self.shared.applied.covers(ticket)
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

        impl<T: ?Sized> $crate::Call<T> for $caller<T> {
            #[inline]
            fn is_listening(&mut self) -> bool {
                $caller::is_listening(self)
            }
            #[inline]
            fn deliver(&mut self, value: &T) -> bool {
                $caller::deliver(self, value)
            }
        }
    };
}
pub(crate) use forward_handles;
