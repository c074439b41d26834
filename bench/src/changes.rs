//! Scenarios 4 and 5, `set_unset` and `held_lock`: the seed's registrar benchmark, counted.
//!
//! An audio thread loops { busy-wait 500 µs, one call (ask and deliver) }. The registrar
//! (this thread) hammers set, clear, set, … for a while and times each change. Every attempted
//! change is then accounted for: refused (`Err`, its listener dropped here), applied (the
//! strategy's `applied_changes()` delta once the audio thread has caught up) or coalesced
//! (accepted but superseded before the audio thread saw it). Then it samples set→applied
//! latency: after a random pause it sets, polls `is_applied` until true, clears and waits again.
//! Before the latency samples, as the C++ study does, it times a tight loop of set+clear pairs
//! as a whole (the mean per change, below the clock's resolution), counting refusals. Segments
//! of every subject are interleaved, like timing rounds.
//!
//! `held_lock` is the same with a listener that takes 50 µs per call.

use crate::config::{ChangePlan, LISTENER_WAIT};
use crate::results::ChangeRun;
use crate::subject::{change, spin_for, with_subject, Caller, Payload, Registrar, Subject};
use crate::subject::{Visit, Work};
use crate::timing::{histogram, nanos};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long the registrar waits for the audio thread before it calls a change stuck.
const PATIENCE: Duration = Duration::from_secs(2);

/// Counts and timings of one strategy, summed over segments.
struct Tally {
    attempted: u64,
    accepted: u64,
    refused: u64,
    applied: u64,
    costs: Histogram<u64>,
    latencies: Histogram<u64>,
    latency_failures: u64,
    rt_calls: u64,
    rt_deliveries: u64,
    caught_up: bool,
    tight_changes: u64,
    tight_refused: u64,
    tight_coalesced: u64,
    tight_time: Duration,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            attempted: 0,
            accepted: 0,
            refused: 0,
            applied: 0,
            costs: histogram(),
            latencies: histogram(),
            latency_failures: 0,
            rt_calls: 0,
            rt_deliveries: 0,
            caught_up: true,
            tight_changes: 0,
            tight_refused: 0,
            tight_coalesced: 0,
            tight_time: Duration::ZERO,
        }
    }
}

impl Tally {
    fn finish(&self, subject: Subject, clock_ns: f64) -> ChangeRun {
        let cost = |ns: f64| (ns - clock_ns).max(0.0);
        let micros = |ns: u64| ns as f64 / 1000.0;
        let latency = |quantile: f64| {
            if self.latencies.is_empty() {
                0.0
            } else {
                micros(self.latencies.value_at_quantile(quantile))
            }
        };
        ChangeRun {
            name: subject.name(),
            kind: subject.kind(),
            attempted: self.attempted,
            applied: self.applied,
            refused: self.refused,
            coalesced: self.accepted.saturating_sub(self.applied),
            change_cost_median_ns: cost(self.costs.value_at_quantile(0.5) as f64),
            change_cost_mean_ns: cost(self.costs.mean()),
            change_cost_p99_ns: cost(self.costs.value_at_quantile(0.99) as f64),
            change_cost_p999_ns: cost(self.costs.value_at_quantile(0.999) as f64),
            change_cost_max_ns: cost(self.costs.max() as f64),
            slow_changes: self
                .costs
                .count_between(nanos(LISTENER_WAIT.start), nanos(LISTENER_WAIT.end) - 1),
            waits_per_listener_run: None,
            rt_calls: self.rt_calls,
            rt_deliveries: self.rt_deliveries,
            applied_latency_p50_us: latency(0.5),
            applied_latency_max_us: if self.latencies.is_empty() {
                0.0
            } else {
                micros(self.latencies.max())
            },
            latency_samples: self.latencies.len(),
            latency_failures: self.latency_failures,
            caught_up: self.caught_up,
            tight_loop_changes: self.tight_changes,
            tight_loop_refused: self.tight_refused,
            tight_loop_coalesced: self.tight_coalesced,
            tight_loop_mean_ns: nanos(self.tight_time) as f64 / self.tight_changes.max(1) as f64,
        }
    }
}

/// One strategy's pair, kept across segments.
trait Segment {
    fn segment(&mut self, plan: &ChangePlan, tally: &mut Tally, rng: &mut XorShift);
}

struct Pair<R, C> {
    registrar: R,
    caller: C,
}

/// The audio thread's progress, as the registrar sees it.
struct AudioClock {
    calls: AtomicU64,
    /// Calls that actually called the listener.
    deliveries: AtomicU64,
    stop: AtomicBool,
}

impl AudioClock {
    fn calls(&self) -> u64 {
        // Acquire: pairs with the audio thread's Release increment, so what that call did
        // (its `applied` marks) is visible once we see the count.
        self.calls.load(Ordering::Acquire)
    }

    fn deliveries(&self) -> u64 {
        // Relaxed: a statistic; exact enough at the moments it is read (a call may be in
        // flight, which moves one delivery between phases).
        self.deliveries.load(Ordering::Relaxed)
    }

    /// Waits until the audio thread has made `more` calls after now (bounded by `until`).
    fn wait_calls(&self, more: u64, until: Instant) -> bool {
        let target = self.calls() + more;
        while self.calls() < target {
            if Instant::now() > until {
                return false;
            }
            thread::yield_now();
        }
        true
    }
}

/// Sets the audio thread's stop flag when dropped, so a panicking segment still ends it.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        // Relaxed: the flag carries no data; the scope's join synchronises.
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The audio thread: busy-wait one period, make one call, until told to stop.
fn audio_thread<C: Caller>(caller: &mut C, period: Duration, clock: &AudioClock) {
    let value: Payload = 1;
    // Relaxed: the flag carries no data.
    while !clock.stop.load(Ordering::Relaxed) {
        spin_for(period);
        if caller.ask_and_deliver(&value) {
            // Relaxed: a statistic.
            clock.deliveries.fetch_add(1, Ordering::Relaxed);
        }
        // Release: see `AudioClock::calls`.
        clock.calls.fetch_add(1, Ordering::Release);
    }
}

impl<R: Registrar, C: Caller> Segment for Pair<R, C> {
    fn segment(&mut self, plan: &ChangePlan, tally: &mut Tally, rng: &mut XorShift) {
        let Pair { registrar, caller } = self;
        let clock = AudioClock {
            calls: AtomicU64::new(0),
            deliveries: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        };
        let work = plan.listener_work.map_or(Work::Sum, Work::Busy);
        let listener = || R::listener(work);
        thread::scope(|scope| {
            let _stop_on_exit = StopOnDrop(&clock.stop);
            scope.spawn(|| audio_thread(caller, plan.period, &clock));
            let calls_before = clock.calls();
            let deliveries_before = clock.deliveries();
            hammer(registrar, plan, tally, &clock, &listener);
            tally.rt_calls += clock.calls() - calls_before;
            tally.rt_deliveries += clock.deliveries() - deliveries_before;
            tight_loop(registrar, plan, tally, &clock, &listener);
            // Waits for every change it makes, so the next segment starts with none in flight.
            sample_latency(registrar, plan, tally, &clock, &listener, rng);
        });
    }
}

/// Hammers set/clear for `plan.hammer`, then waits for the audio thread to catch up and
/// accounts for every change.
fn hammer<R: Registrar>(
    registrar: &mut R,
    plan: &ChangePlan,
    tally: &mut Tally,
    clock: &AudioClock,
    listener: &dyn Fn() -> R::Listener,
) {
    let applied_before = registrar.applied_changes();
    let mut last_accepted: Option<R::Ticket> = None;
    let start = Instant::now();
    let mut set_next = true;
    loop {
        let new = set_next.then(listener);
        let before = Instant::now();
        if before - start >= plan.hammer {
            break;
        }
        let result = change(registrar, new);
        tally.costs.saturating_record(nanos(before.elapsed()));
        tally.attempted += 1;
        match result {
            Some(ticket) => {
                tally.accepted += 1;
                last_accepted = Some(ticket);
            }
            // The listener was dropped inside `change`, on this thread.
            None => tally.refused += 1,
        }
        set_next = !set_next;
    }
    if !catch_up(registrar, clock, last_accepted) {
        tally.caught_up = false;
    }
    tally.applied += registrar.applied_changes() - applied_before;
}

/// Waits until the audio thread has taken `last` (the last accepted change): a call that
/// *started* after it must complete (hence two), and the returned listeners must be collected
/// (a full return ring makes a strategy wait). False if that took longer than [`PATIENCE`].
fn catch_up<R: Registrar>(registrar: &mut R, clock: &AudioClock, last: Option<R::Ticket>) -> bool {
    let deadline = Instant::now() + PATIENCE;
    loop {
        registrar.collect();
        let waited = clock.wait_calls(2, deadline);
        if last.is_none_or(|ticket| registrar.is_applied(ticket)) {
            return true;
        }
        if !waited || Instant::now() > deadline {
            return false;
        }
    }
}

/// Polls until `ticket` is applied; the poll loop bounds the resolution (a few tens of ns
/// while spinning, a yield's worth after the first 20 µs, which gives the core to the audio
/// thread if the two share one). `None` if it was not applied within [`PATIENCE`].
fn time_until_applied<R: Registrar>(registrar: &R, ticket: R::Ticket) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if registrar.is_applied(ticket) {
            return Some(start.elapsed());
        }
        let waited = start.elapsed();
        if waited > PATIENCE {
            return None;
        }
        if waited < Duration::from_micros(20) {
            std::hint::spin_loop();
        } else {
            thread::yield_now();
        }
    }
}

/// Samples set→applied latency: a random pause (so the set lands at a random point of the
/// audio thread's period), a set, poll until applied, a clear, poll until applied.
fn sample_latency<R: Registrar>(
    registrar: &mut R,
    plan: &ChangePlan,
    tally: &mut Tally,
    clock: &AudioClock,
    listener: &dyn Fn() -> R::Listener,
    rng: &mut XorShift,
) {
    for _ in 0..plan.latency_samples {
        spin_for(plan.period.mul_f64(rng.unit()));
        match registrar.set(listener()) {
            Some(ticket) => match time_until_applied(registrar, ticket) {
                Some(latency) => tally.latencies.saturating_record(nanos(latency)),
                None => tally.latency_failures += 1,
            },
            None => tally.latency_failures += 1,
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            match registrar.clear() {
                Some(ticket) => {
                    if time_until_applied(registrar, ticket).is_none() {
                        tally.latency_failures += 1;
                    }
                    break;
                }
                // Refused: let the audio thread take what waits, then try again.
                None if clock.wait_calls(1, deadline) => {}
                None => {
                    tally.latency_failures += 1;
                    break;
                }
            }
        }
        registrar.collect();
    }
}

/// The study's measurement: `plan.tight_pairs` set+clear pairs back to back, timed as a
/// whole. The listeners are built before the clock starts; refused ones are dropped inside the
/// loop (a cost refusing puts on the registrar). Afterwards, outside the timing, it waits for
/// the audio thread to take the last change, and counts the accepted changes it never
/// installed (coalesced: superseded in flight).
fn tight_loop<R: Registrar>(
    registrar: &mut R,
    plan: &ChangePlan,
    tally: &mut Tally,
    clock: &AudioClock,
    listener: &dyn Fn() -> R::Listener,
) {
    let mut listeners: Vec<R::Listener> = (0..plan.tight_pairs).map(|_| listener()).collect();
    let mut refused = 0u64;
    let mut last = None;
    // The hammer before waited for the audio thread, so no change is in flight here.
    let applied_before = registrar.applied_changes();
    let start = Instant::now();
    for listener in listeners.drain(..) {
        for ticket in [registrar.set(listener), registrar.clear()] {
            match ticket {
                Some(ticket) => last = Some(ticket),
                None => refused += 1,
            }
        }
    }
    let spent = start.elapsed();
    if !catch_up(registrar, clock, last) {
        tally.caught_up = false;
    }
    let changes = 2 * plan.tight_pairs as u64;
    let applied = registrar.applied_changes() - applied_before;
    tally.tight_time += spent;
    tally.tight_changes += changes;
    tally.tight_refused += refused;
    tally.tight_coalesced += (changes - refused).saturating_sub(applied);
}

/// A small deterministic generator for the latency pauses.
pub struct XorShift(u64);

impl XorShift {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Build;

impl Visit for Build {
    type Output = Box<dyn Segment>;

    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) -> Box<dyn Segment> {
        let (registrar, caller) = make();
        Box::new(Pair { registrar, caller })
    }
}

/// Runs one change scenario (`set_unset` or `held_lock`, as `plan` says) for `subjects`.
/// `clock_ns` (the clock's own cost) is subtracted from every timed change.
pub fn run(subjects: &[Subject], plan: &ChangePlan, clock_ns: f64) -> Vec<ChangeRun> {
    let mut pairs: Vec<Box<dyn Segment>> = subjects
        .iter()
        .map(|&subject| with_subject(subject, Build))
        .collect();
    let mut tallies: Vec<Tally> = pairs.iter().map(|_| Tally::default()).collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for segment in 0..plan.segments {
        for k in 0..pairs.len() {
            let i = (segment + k) % pairs.len();
            pairs[i].segment(plan, &mut tallies[i], &mut rng);
        }
    }
    subjects
        .iter()
        .zip(&tallies)
        .map(|(&subject, tally)| tally.finish(subject, clock_ns))
        .collect()
}
