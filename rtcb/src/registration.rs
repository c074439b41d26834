//! [`Registration`]: keeps one listener registered on whichever strategy is active, for an
//! editor that opens, closes and follows the user's strategy choice.
//!
//! It lives on a non-real-time thread (an editor's GUI thread) and is driven by calling
//! [`Registration::sync`] regularly (every frame): that retries refused changes, notices when
//! the audio thread has applied them, and drops handed-back listeners on this thread.

use crate::listener::{Listener, Ticket};
use crate::switch::SwitchRegistrar;
use crate::Strategy;
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

/// What a `Registration` knows about one strategy.
struct Place<T: ?Sized> {
    /// The listener should be on this strategy.
    wanted: bool,
    /// A refused listener, kept to retry with.
    held: Option<Listener<T>>,
    /// The last accepted change, and whether it was a set.
    accepted: Option<(Ticket, bool)>,
    /// A clear was refused and must be retried.
    clear_refused: bool,
    /// When the last accepted set was made, until it is seen applied.
    set_at: Option<Instant>,
    refusals: u64,
    latency: Option<Duration>,
}

impl<T: ?Sized> Default for Place<T> {
    fn default() -> Self {
        Self {
            wanted: false,
            held: None,
            accepted: None,
            clear_refused: false,
            set_at: None,
            refusals: 0,
            latency: None,
        }
    }
}

/// Keeps one listener on the strategy you name, and none on the others.
pub struct Registration<T: ?Sized> {
    registrar: SwitchRegistrar<T>,
    make_listener: Box<dyn FnMut() -> Listener<T> + Send>,
    places: [Place<T>; 5],
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
            places: Default::default(),
        }
    }

    /// Asks for the listener to be on `strategy` (and off every other one), or on none; then
    /// [`sync`](Self::sync)s.
    pub fn listen_on(&mut self, strategy: Option<Strategy>) {
        for s in Strategy::ALL {
            self.places[s.index()].wanted = Some(s) == strategy;
        }
        self.sync();
    }

    /// The strategy the listener is asked to be on, if any.
    pub fn wanted(&self) -> Option<Strategy> {
        Strategy::ALL
            .into_iter()
            .find(|s| self.places[s.index()].wanted)
    }

    /// Retries refused changes, notes applied ones, and drops handed-back listeners.
    pub fn sync(&mut self) {
        for strategy in Strategy::ALL {
            self.sync_one(strategy);
        }
        self.registrar.collect();
    }

    fn sync_one(&mut self, strategy: Strategy) {
        let place = &mut self.places[strategy.index()];
        let registrar = self.registrar.get(strategy);
        let has_set = matches!(place.accepted, Some((_, true)));
        if place.wanted && place.clear_refused {
            // Wanted again before a refused clear got through: the accepted set still stands.
            place.clear_refused = false;
        }
        if place.wanted && !has_set {
            let listener = place.held.take().unwrap_or_else(&mut self.make_listener);
            match registrar.set(listener) {
                Ok(ticket) => {
                    place.accepted = Some((ticket, true));
                    place.clear_refused = false;
                    place.set_at = Some(Instant::now());
                }
                Err(refused) => {
                    place.refusals += 1;
                    place.held = refused.into_listener();
                }
            }
        } else if !place.wanted && (has_set || place.clear_refused || place.held.is_some()) {
            // A refused listener that is no longer wanted is simply dropped here.
            place.held = None;
            if has_set || place.clear_refused {
                match registrar.clear() {
                    Ok(ticket) => {
                        place.accepted = Some((ticket, false));
                        place.clear_refused = false;
                        place.set_at = None;
                    }
                    Err(_) => {
                        place.refusals += 1;
                        place.clear_refused = true;
                    }
                }
            }
        }
        if let (Some(set_at), Some((ticket, true))) = (place.set_at, place.accepted) {
            if registrar.is_applied(ticket) {
                place.latency = Some(set_at.elapsed());
                place.set_at = None;
            }
        }
    }

    /// Where `strategy` stands.
    pub fn status(&mut self, strategy: Strategy) -> Status {
        let place = &self.places[strategy.index()];
        if place.held.is_some() {
            return Status::Refused;
        }
        if place.clear_refused {
            return Status::Clearing;
        }
        match place.accepted {
            None => Status::Off,
            Some((ticket, is_set)) => {
                let applied = self.registrar.get(strategy).is_applied(ticket);
                match (is_set, applied) {
                    (true, true) => Status::Listening,
                    (true, false) => Status::Applying,
                    (false, true) => Status::Off,
                    (false, false) => Status::Clearing,
                }
            }
        }
    }

    /// How many changes `strategy` has refused so far (each retry counts).
    pub fn refusals(&self, strategy: Strategy) -> u64 {
        self.places[strategy.index()].refusals
    }

    /// How long the last set on `strategy` took from being accepted to being seen applied (as
    /// seen by `sync`, so no finer than how often you call it).
    pub fn last_latency(&self, strategy: Strategy) -> Option<Duration> {
        self.places[strategy.index()].latency
    }

    /// The registrars underneath, for anything this type does not cover.
    pub fn registrar(&mut self) -> &mut SwitchRegistrar<T> {
        &mut self.registrar
    }
}
