//! The five strategies as one generic subject: every scenario is written once against
//! [`rtcb::Register`] and [`rtcb::Call`] and runs for each strategy through [`with_strategy`].
//!
//! Shared by the report example and the criterion benches (which include this file by path).

use rtcb::{mailbox, overwrite_ring, spin_lock, spsc_queue, trap, Call, Listener, Register};
use rtcb::{Refused, Strategy, Ticket};
use std::hint::black_box;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::time::{Duration, Instant};

/// The value the audio side hands over in every scenario: small, like a note count or a level.
pub type Payload = u64;

/// A scenario body that works for any strategy. `make` builds a fresh connected pair, so the
/// body decides when (and how often) to build one.
pub trait Visit {
    /// What the scenario produces for one strategy.
    type Output;

    /// Runs the scenario for the strategy whose constructor is `make`.
    fn visit<R, C>(self, make: fn() -> (R, C)) -> Self::Output
    where
        R: Register<Payload> + Send + 'static,
        C: Call<Payload> + Send + 'static;
}

/// Runs `visitor` with the constructor of `strategy`, monomorphised per strategy (no dynamic
/// dispatch on the measured path).
pub fn with_strategy<V: Visit>(strategy: Strategy, visitor: V) -> V::Output {
    match strategy {
        Strategy::SpinLock => visitor.visit(spin_lock::new::<Payload>),
        Strategy::SpscQueue => visitor.visit(spsc_queue::new::<Payload>),
        Strategy::Trap => visitor.visit(trap::new::<Payload>),
        Strategy::OverwriteRing => visitor.visit(overwrite_ring::new::<Payload>),
        Strategy::Mailbox => visitor.visit(mailbox::new::<Payload>),
    }
}

/// The most listeners each strategy keeps alive at once outside the registrars (its module's
/// `MAX_LIVE_LISTENERS`).
pub fn max_live_listeners(strategy: Strategy) -> usize {
    match strategy {
        Strategy::SpinLock => spin_lock::MAX_LIVE_LISTENERS,
        Strategy::SpscQueue => spsc_queue::MAX_LIVE_LISTENERS,
        Strategy::Trap => trap::MAX_LIVE_LISTENERS,
        Strategy::OverwriteRing => overwrite_ring::MAX_LIVE_LISTENERS,
        Strategy::Mailbox => mailbox::MAX_LIVE_LISTENERS,
    }
}

/// The audio side's question before it builds any data: "is anyone listening?".
#[inline(always)]
pub fn ask<C: Call<Payload>>(caller: &mut C) -> bool {
    caller.poll_listening()
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

/// The audio side's whole hand-over, as `process()` does it: ask, then deliver.
#[inline(always)]
pub fn ask_and_deliver<C: Call<Payload>>(caller: &mut C, value: &Payload) -> bool {
    caller.poll_listening() && caller.deliver(value)
}

/// A listener that does a trivial amount of work: adds what it receives to its own total.
pub fn summing_listener() -> Listener<Payload> {
    let mut total: Payload = 0;
    Listener::forever(move |value: &Payload| {
        total = total.wrapping_add(*value);
        black_box(total);
    })
}

/// A listener that keeps the audio thread busy for `work` on every call (the `held_lock`
/// scenario's slow listener).
pub fn busy_listener(work: Duration) -> Listener<Payload> {
    Listener::forever(move |value: &Payload| {
        spin_for(work);
        black_box(value);
    })
}

/// Busy-waits for `span` without a system call (the clock is read through the vDSO).
pub fn spin_for(span: Duration) {
    let start = Instant::now();
    while start.elapsed() < span {
        std::hint::spin_loop();
    }
}

/// Makes one change: a set of `listener`, or a clear when it is `None`.
#[inline(always)]
pub fn change<R: Register<Payload>>(
    registrar: &mut R,
    listener: Option<Listener<Payload>>,
) -> Result<Ticket, Refused<Payload>> {
    match listener {
        Some(listener) => registrar.set(listener),
        None => registrar.clear(),
    }
}
