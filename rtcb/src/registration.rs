//! [`Registration`]: keeps one listener registered on whichever strategy is active, for an
//! editor that opens, closes and follows the user's strategy choice.
//!
//! It lives on a non-real-time thread (an editor's GUI thread) and is driven by calling
//! [`Registration::sync`] regularly (every frame): that retries refused changes, notices when
//! the audio thread has applied them, and drops handed-back listeners on this thread.

use crate::listener::Listener;
use crate::switch::SwitchRegistrar;
use crate::ticket::Ticket;
use crate::{PerStrategy, Strategy};
use std::fmt;
use std::time::{Duration, Instant};

/// Where one strategy stands, as seen by a [`Registration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No listener, nothing pending.
    Off,
    /// A set was refused; it is retried on every `sync` (with the same listener).
    Refused,
    /// A set was accepted; the audio thread has not applied it yet.
    Applying,
    /// The audio thread has applied the set: the listener is being called.
    Listening,
    /// A clear was accepted (or refused and is being retried) and is not yet applied.
    Clearing,
}

/// What a `Registration` has done on one strategy so far.
enum State<T: ?Sized> {
    /// No set accepted since the last clear; `clear` is that clear, if there was one.
    Off { clear: Option<Ticket> },
    /// A set was refused; it is retried with the same listener. `clear` as in `Off`.
    SetRefused {
        listener: Listener<T>,
        clear: Option<Ticket>,
    },
    /// A set was accepted. `sent_at` is when, until it is seen applied.
    Set {
        ticket: Ticket,
        sent_at: Option<Instant>,
    },
    /// A clear of the accepted set `set` was refused; it is retried.
    ClearRefused {
        set: Ticket,
        sent_at: Option<Instant>,
    },
}

/// What a `Registration` knows about one strategy.
struct Place<T: ?Sized> {
    state: State<T>,
    refusals: u64,
    latency: Option<Duration>,
}

impl<T: ?Sized> Default for Place<T> {
    fn default() -> Self {
        Self {
            state: State::Off { clear: None },
            refusals: 0,
            latency: None,
        }
    }
}

/// Keeps one listener on the strategy you name, and none on the others.
pub struct Registration<T: ?Sized> {
    registrar: SwitchRegistrar<T>,
    make_listener: Box<dyn FnMut() -> Listener<T> + Send>,
    wanted: Option<Strategy>,
    places: PerStrategy<Place<T>>,
}

impl<T: ?Sized> Registration<T> {
    /// A registration over `registrar` that makes a fresh listener with `make_listener` each
    /// time it registers on a strategy.
    pub fn new(
        registrar: SwitchRegistrar<T>,
        make_listener: impl FnMut() -> Listener<T> + Send + 'static,
    ) -> Self {
        Self {
            registrar,
            make_listener: Box::new(make_listener),
            wanted: None,
            places: PerStrategy::from_fn(|_| Place::default()),
        }
    }

    /// Asks for the listener to be on `strategy` (and off every other one), or on none; then
    /// [`sync`](Self::sync)s.
    pub fn listen_on(&mut self, strategy: Option<Strategy>) {
        self.wanted = strategy;
        self.sync();
    }

    /// The strategy the listener is asked to be on, if any.
    pub fn wanted(&self) -> Option<Strategy> {
        self.wanted
    }

    /// Makes the changes that bring every strategy to what is wanted (retrying refused ones),
    /// notes which the audio thread has applied, and drops handed-back listeners.
    pub fn sync(&mut self) {
        for strategy in Strategy::ALL {
            self.sync_one(strategy);
        }
        self.registrar.collect();
    }

    fn sync_one(&mut self, strategy: Strategy) {
        let wanted = self.wanted == Some(strategy);
        let place = &mut self.places[strategy];
        let registrar = self.registrar.get_mut(strategy);
        let state = std::mem::replace(&mut place.state, State::Off { clear: None });
        place.state = match (wanted, state) {
            (true, State::Off { clear }) => {
                let listener = (self.make_listener)();
                Self::try_set(registrar, &mut place.refusals, listener, clear)
            }
            (true, State::SetRefused { listener, clear }) => {
                Self::try_set(registrar, &mut place.refusals, listener, clear)
            }
            // Wanted again before a refused clear got through: the accepted set still stands.
            (true, State::ClearRefused { set, sent_at }) => State::Set {
                ticket: set,
                sent_at,
            },
            // A refused listener that is no longer wanted is simply dropped here.
            (false, State::SetRefused { clear, .. }) => State::Off { clear },
            (
                false,
                State::Set { ticket, sent_at }
                | State::ClearRefused {
                    set: ticket,
                    sent_at,
                },
            ) => match registrar.clear() {
                Ok(clear) => State::Off { clear: Some(clear) },
                Err(_) => {
                    place.refusals += 1;
                    State::ClearRefused {
                        set: ticket,
                        sent_at,
                    }
                }
            },
            (_, state) => state,
        };
        if let State::Set { ticket, sent_at } = &mut place.state {
            if let Some(at) = sent_at.filter(|_| registrar.is_applied(*ticket)) {
                place.latency = Some(at.elapsed());
                *sent_at = None;
            }
        }
    }

    /// Sets `listener`; the state that follows.
    fn try_set(
        registrar: &mut dyn crate::Register<T>,
        refusals: &mut u64,
        listener: Listener<T>,
        clear: Option<Ticket>,
    ) -> State<T> {
        match registrar.set(listener) {
            Ok(ticket) => State::Set {
                ticket,
                sent_at: Some(Instant::now()),
            },
            Err(refused) => {
                *refusals += 1;
                match refused.into_listener() {
                    Some(listener) => State::SetRefused { listener, clear },
                    None => State::Off { clear },
                }
            }
        }
    }

    /// Where `strategy` stands.
    pub fn status(&self, strategy: Strategy) -> Status {
        let applied = |ticket| self.registrar.is_applied(strategy, ticket);
        match self.places[strategy].state {
            State::Off { clear: None } => Status::Off,
            State::Off {
                clear: Some(ticket),
            } if applied(ticket) => Status::Off,
            State::Off { clear: Some(_) } | State::ClearRefused { .. } => Status::Clearing,
            State::SetRefused { .. } => Status::Refused,
            State::Set { ticket, .. } if applied(ticket) => Status::Listening,
            State::Set { .. } => Status::Applying,
        }
    }

    /// How many changes `strategy` has refused so far (each retry counts).
    pub fn refusals(&self, strategy: Strategy) -> u64 {
        self.places[strategy].refusals
    }

    /// How long the last set on `strategy` took from being accepted to being seen applied (as
    /// seen by `sync`, so no finer than how often you call it).
    pub fn last_latency(&self, strategy: Strategy) -> Option<Duration> {
        self.places[strategy].latency
    }

    /// The registrars underneath, for queries this type does not cover.
    pub fn registrar(&self) -> &SwitchRegistrar<T> {
        &self.registrar
    }

    /// The registrars underneath, for changes of your own beside this registration's (it keeps
    /// track of its own changes only).
    pub fn registrar_mut(&mut self) -> &mut SwitchRegistrar<T> {
        &mut self.registrar
    }
}

impl<T: ?Sized> fmt::Debug for Registration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = PerStrategy::from_fn(|s| self.status(s));
        f.debug_struct("Registration")
            .field("wanted", &self.wanted)
            .field("status", &status)
            .finish_non_exhaustive()
    }
}
