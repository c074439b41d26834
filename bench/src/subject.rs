//! Everything the report measures, as one generic subject: rtcb's five strategies and the peer
//! crates a user would otherwise pick. Every scenario is written once against [`Registrar`] and
//! [`Caller`] and runs for each subject through [`with_subject`].
//!
//! rtcb's own traits are sealed (no peer can implement them), so the bench defines this pair;
//! for rtcb it forwards to `Register` and `Call` with nothing added.

use crate::peers::{self, Peer};
use rtcb::{mailbox, overwrite_ring, spin_lock, spsc_queue, trap, Call, Listener, Register};
use rtcb::{Strategy, Ticket};
use serde::Serialize;
use std::fmt;
use std::hint::black_box;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The value the audio side hands over in every scenario: small, like a note count or a level.
pub type Payload = u64;

/// What a listener does with each value it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Adds the value to its own total: a trivial amount of work.
    Sum,
    /// Keeps the audio thread busy for this long per call (the `held_lock` scenario).
    Busy(Duration),
}

/// The registrar's side of a subject: installs and removes listeners.
pub trait Registrar: Send + 'static {
    /// The listener this subject hands over (built outside any timed region).
    type Listener: Send + 'static;
    /// What a change returns, to ask later whether the audio side took it.
    type Ticket: Copy + Send;

    /// A listener that does `work`.
    fn listener(work: Work) -> Self::Listener;
    /// Installs `listener`; `None` if refused (the listener is then dropped here, on the
    /// registrar's thread).
    fn set(&mut self, listener: Self::Listener) -> Option<Self::Ticket>;
    /// Removes the listener; `None` if refused.
    fn clear(&mut self) -> Option<Self::Ticket>;
    /// Takes back (and drops here) what the audio side has handed back, where the subject
    /// hands anything back.
    fn collect(&mut self);
    /// Whether the audio side has taken the change of `ticket` (or a later one).
    fn is_applied(&self, ticket: Self::Ticket) -> bool;
    /// Changes the audio side has installed so far. A subject whose changes take effect at the
    /// store (the next audio call sees them) counts its accepted changes.
    fn applied_changes(&self) -> u64;
}

/// The audio side of a subject.
pub trait Caller: Send + 'static {
    /// "Is anyone listening?", the question before building any data.
    fn ask(&mut self) -> bool;
    /// The whole hand-over, as `process()` does it: ask, then deliver. Whether the listener
    /// was called.
    fn ask_and_deliver(&mut self, value: &Payload) -> bool;
}

/// One thing the report measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// One of rtcb's strategies.
    Strategy(Strategy),
    /// A crate people would use instead.
    Peer(Peer),
}

/// Whether a subject is one of rtcb's strategies or a peer crate (the JSON's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One of rtcb's five.
    #[default]
    Strategy,
    /// A peer crate's adapter.
    Peer,
    /// A baseline: the essential step with nothing around it.
    Baseline,
}

impl Subject {
    /// rtcb's five strategies.
    pub fn strategies() -> impl Iterator<Item = Subject> {
        Strategy::ALL.into_iter().map(Subject::Strategy)
    }

    /// The five strategies, then (if `with_peers`) every peer of [`Peer::MEASURED`].
    pub fn all(with_peers: bool) -> Vec<Subject> {
        let peers = Peer::MEASURED.into_iter().map(Subject::Peer);
        Self::strategies()
            .chain(peers.filter(|_| with_peers))
            .collect()
    }

    /// The name in the tables and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Subject::Strategy(strategy) => strategy.name(),
            Subject::Peer(peer) => peer.name(),
        }
    }

    /// Whether it is a strategy or a peer.
    pub fn kind(self) -> Kind {
        match self {
            Subject::Strategy(_) => Kind::Strategy,
            Subject::Peer(_) => Kind::Peer,
        }
    }

    /// Whether a registrar stopped in the middle of a change can make this subject's audio side
    /// wait, as its source says, and why. The `frozen_registrar` run looks for it happening.
    pub fn audio_waits_for_registrar(self) -> &'static str {
        match self {
            Subject::Strategy(Strategy::SpinLock) => "no: one try-lock; a held lock skips the call",
            Subject::Strategy(Strategy::SpscQueue) => {
                "no: a change is visible only once written (the ring's tail store)"
            }
            Subject::Strategy(Strategy::Trap) => {
                "no: a slot being written (`BUSY`) is not taken; the next call looks again"
            }
            Subject::Strategy(Strategy::OverwriteRing) => {
                "no: one swap takes the newest finished slot"
            }
            Subject::Strategy(Strategy::Mailbox) => {
                "no: one swap of the inbox; registrars' mutex is never touched"
            }
            Subject::Peer(peer) => peer.audio_waits_for_registrar(),
        }
    }

    /// The most listeners it keeps alive at once outside the registrar, if bounded.
    pub fn max_live_listeners(self) -> Option<usize> {
        match self {
            Subject::Strategy(Strategy::SpinLock) => Some(spin_lock::MAX_LIVE_LISTENERS),
            Subject::Strategy(Strategy::SpscQueue) => Some(spsc_queue::MAX_LIVE_LISTENERS),
            Subject::Strategy(Strategy::Trap) => Some(trap::MAX_LIVE_LISTENERS),
            Subject::Strategy(Strategy::OverwriteRing) => Some(overwrite_ring::MAX_LIVE_LISTENERS),
            Subject::Strategy(Strategy::Mailbox) => Some(mailbox::MAX_LIVE_LISTENERS),
            Subject::Peer(peer) => peer.max_live_listeners(),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A scenario body that works for any subject. `make` builds a fresh connected pair, so the
/// body decides when (and how often) to build one.
pub trait Visit {
    /// What the scenario produces for one subject.
    type Output;

    /// Runs the scenario for the subject whose constructor is `make`.
    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) -> Self::Output;
}

/// Runs `visitor` with the constructor of `subject`, monomorphised per subject (no dynamic
/// dispatch on the measured path).
pub fn with_subject<V: Visit>(subject: Subject, visitor: V) -> V::Output {
    match subject {
        Subject::Strategy(strategy) => match strategy {
            Strategy::SpinLock => visitor.visit(|| rtcb_pair(spin_lock::new::<Payload>())),
            Strategy::SpscQueue => visitor.visit(|| rtcb_pair(spsc_queue::new::<Payload>())),
            Strategy::Trap => visitor.visit(|| rtcb_pair(trap::new::<Payload>())),
            Strategy::OverwriteRing => {
                visitor.visit(|| rtcb_pair(overwrite_ring::new::<Payload>()))
            }
            Strategy::Mailbox => visitor.visit(|| rtcb_pair(mailbox::new::<Payload>())),
        },
        Subject::Peer(peer) => peers::with_peer(peer, visitor),
    }
}

/// An rtcb registrar as a [`Registrar`].
#[derive(Debug)]
pub struct RtcbRegistrar<R>(pub R);

/// An rtcb caller as a [`Caller`].
#[derive(Debug)]
pub struct RtcbCaller<C>(pub C);

fn rtcb_pair<R, C>((registrar, caller): (R, C)) -> (RtcbRegistrar<R>, RtcbCaller<C>) {
    (RtcbRegistrar(registrar), RtcbCaller(caller))
}

impl<R: Register<Payload> + Send + 'static> Registrar for RtcbRegistrar<R> {
    type Listener = Listener<Payload>;
    type Ticket = Ticket;

    fn listener(work: Work) -> Listener<Payload> {
        match work {
            Work::Sum => Listener::forever(sum_fn()),
            Work::Busy(span) => Listener::forever(busy_fn(span)),
        }
    }

    #[inline(always)]
    fn set(&mut self, listener: Listener<Payload>) -> Option<Ticket> {
        // A refused listener is dropped here, on the registrar's thread.
        self.0.set(listener).ok()
    }

    #[inline(always)]
    fn clear(&mut self) -> Option<Ticket> {
        self.0.clear().ok()
    }

    fn collect(&mut self) {
        self.0.collect();
    }

    fn is_applied(&self, ticket: Ticket) -> bool {
        self.0.is_applied(ticket)
    }

    fn applied_changes(&self) -> u64 {
        self.0.applied_changes()
    }
}

impl<C: Call<Payload> + Send + 'static> Caller for RtcbCaller<C> {
    #[inline(always)]
    fn ask(&mut self) -> bool {
        self.0.poll_listening()
    }

    #[inline(always)]
    fn ask_and_deliver(&mut self, value: &Payload) -> bool {
        self.0.poll_listening() && self.0.deliver(value)
    }
}

/// The summing listener's body: adds what it receives to its own total. Every subject wraps
/// this same closure in its own kind of listener.
pub fn sum_fn() -> impl FnMut(&Payload) + Send + 'static {
    let mut total: Payload = 0;
    move |value: &Payload| {
        total = total.wrapping_add(*value);
        black_box(total);
    }
}

/// The `held_lock` listener's body: keeps the audio thread busy for `span` on every call.
pub fn busy_fn(span: Duration) -> impl Fn(&Payload) + Send + Sync + 'static {
    move |value: &Payload| {
        spin_for(span);
        black_box(value);
    }
}

/// A listener the audio side calls through `&mut` (queues, buffers, locks), boxed. `Sync`
/// because atomic_refcell's cell is shared only if its content is (the closures here are).
pub type BoxedListener = Box<dyn FnMut(&Payload) + Send + Sync>;

/// A listener the audio side calls through a shared reference (arc-swap, basedrop), boxed.
pub type SharedListener = Box<dyn Fn(&Payload) + Send + Sync>;

/// A [`BoxedListener`] that does `work`.
pub fn boxed_listener(work: Work) -> BoxedListener {
    match work {
        Work::Sum => Box::new(sum_fn()),
        Work::Busy(span) => Box::new(busy_fn(span)),
    }
}

/// A [`SharedListener`] that does `work`. Called through `&`, the sum is kept in an atomic
/// with a relaxed load and store (one writer: no read-modify-write), which costs what the
/// plain addition of [`sum_fn`] costs.
pub fn shared_listener(work: Work) -> SharedListener {
    match work {
        Work::Sum => {
            let total = AtomicU64::new(0);
            Box::new(move |value: &Payload| {
                // Relaxed: only the audio side touches the total; nobody reads it.
                let sum = total.load(Ordering::Relaxed).wrapping_add(*value);
                total.store(black_box(sum), Ordering::Relaxed);
            })
        }
        Work::Busy(span) => Box::new(busy_fn(span)),
    }
}

/// The `uncontended` baseline: rtcb's boxed listener around [`sum_fn`], called directly.
pub fn summing_listener() -> Listener<Payload> {
    Listener::forever(sum_fn())
}

/// Makes one change: a set of `listener`, or a clear when it is `None`.
#[inline(always)]
pub fn change<R: Registrar>(registrar: &mut R, listener: Option<R::Listener>) -> Option<R::Ticket> {
    match listener {
        Some(listener) => registrar.set(listener),
        None => registrar.clear(),
    }
}

/// The `idle` baseline: the question asked of a bare atomic pointer (a load plus a branch on it),
/// with nothing around it.
#[inline(always)]
pub fn ask_bare(listener: &AtomicPtr<Payload>) -> bool {
    // Relaxed: the same cheap check the strategies make.
    let found = listener.load(Ordering::Relaxed);
    if found.is_null() {
        false
    } else {
        black_box(found);
        true
    }
}

/// Busy-waits for `span` without a system call (the clock is read through the vDSO).
pub fn spin_for(span: Duration) {
    let start = Instant::now();
    while start.elapsed() < span {
        std::hint::spin_loop();
    }
}
