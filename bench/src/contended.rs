//! Scenario 3, `contended`: a registrar thread sets and clears as fast as it can while the
//! audio side asks and delivers. Every round starts a registrar thread for each strategy in
//! turn (rotating the order), times the audio side, and stops it.

use crate::results::CallCost;
use crate::subject::{change, with_subject, Caller, Payload, Registrar, Subject, Visit, Work};
use crate::timing::{nothing, Calls, Plan, Reference, Samples, Summary};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// One strategy's pair, kept across rounds.
trait Round {
    /// Times one round of the audio side while a registrar thread hammers.
    fn round(&mut self, samples: &mut Samples, plan: &Plan) -> RoundStats;
}

/// What one round saw besides the timings.
#[derive(Default)]
struct RoundStats {
    /// Changes the registrar made while the audio side was timed.
    changes: u64,
    /// How long the audio side was timed.
    timed: Duration,
    /// Untimed calls made right after the timing, and how many of them called the listener.
    probe_calls: u64,
    delivered: u64,
}

impl RoundStats {
    fn add(&mut self, other: RoundStats) {
        self.changes += other.changes;
        self.timed += other.timed;
        self.probe_calls += other.probe_calls;
        self.delivered += other.delivered;
    }
}

/// Untimed calls per round that count how often the listener was actually called.
const PROBE_CALLS: u64 = 10_000;

struct Pair<R, C> {
    registrar: R,
    caller: C,
}

impl<R: Registrar, C: Caller> Round for Pair<R, C> {
    fn round(&mut self, samples: &mut Samples, plan: &Plan) -> RoundStats {
        let Pair { registrar, caller } = self;
        let stop = AtomicBool::new(false);
        let changes = AtomicU64::new(0);
        thread::scope(|scope| {
            let _stop_on_exit = StopOnDrop(&stop);
            scope.spawn(|| hammer(registrar, &stop, &changes));
            wait_for_first_change(&changes);
            let value: Payload = 1;
            // Relaxed: snapshots of a progress counter.
            let changes_before = changes.load(Ordering::Relaxed);
            let started = Instant::now();
            samples.take_round(&mut Calls(|| caller.ask_and_deliver(&value)), plan);
            let timed = started.elapsed();
            let changes_after = changes.load(Ordering::Relaxed);
            let delivered = (0..PROBE_CALLS)
                .map(|_| u64::from(caller.ask_and_deliver(&value)))
                .sum();
            RoundStats {
                changes: changes_after - changes_before,
                timed,
                probe_calls: PROBE_CALLS,
                delivered,
            }
        })
    }
}

/// Sets `stop` when dropped, so a panicking round still ends its registrar thread.
pub struct StopOnDrop<'a>(pub &'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        // Relaxed: the flag carries no data; the scope's join synchronises.
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The registrar thread: set, clear, set, … until told to stop; refused listeners are dropped
/// here. Counts its changes.
pub fn hammer<R: Registrar>(registrar: &mut R, stop: &AtomicBool, changes: &AtomicU64) {
    let mut made = 0;
    // Relaxed: the flag carries no data.
    while !stop.load(Ordering::Relaxed) {
        let listener = (made % 2 == 0).then(|| R::listener(Work::Sum));
        // A refused listener is dropped inside `change`, on this thread.
        let _ = change(registrar, listener);
        made += 1;
        // Relaxed: a progress counter for the report.
        changes.store(made, Ordering::Relaxed);
    }
    registrar.collect();
}

/// Waits (boundedly) until the registrar thread is running, so every timed call is contended.
pub fn wait_for_first_change(changes: &AtomicU64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    // Relaxed: a progress counter.
    while changes.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
        thread::yield_now();
    }
}

struct Build;

impl Visit for Build {
    type Output = Box<dyn Round>;

    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) -> Box<dyn Round> {
        let (registrar, caller) = make();
        Box::new(Pair { registrar, caller })
    }
}

/// What `contended` measured.
pub struct Measured {
    /// One entry per subject, in the order they were given.
    pub results: Vec<CallCost>,
    /// The empty-loop and clock costs, timed in the same rounds without a registrar thread.
    pub reference: Reference,
}

/// Runs `contended` for `subjects`.
pub fn run(subjects: &[Subject], plan: &Plan) -> Measured {
    let mut pairs: Vec<Box<dyn Round>> = subjects
        .iter()
        .map(|&subject| with_subject(subject, Build))
        .collect();
    let count = pairs.len() + 1;
    let mut samples: Vec<Samples> = (0..count).map(|_| Samples::default()).collect();
    let mut stats: Vec<RoundStats> = pairs.iter().map(|_| RoundStats::default()).collect();
    let mut empty = nothing();
    for round in 0..plan.rounds {
        for k in 0..count {
            let i = (round + k) % count;
            match pairs.get_mut(i) {
                Some(pair) => stats[i].add(pair.round(&mut samples[i], plan)),
                None => samples[i].take_round(&mut empty, plan),
            }
        }
    }
    let reference = Reference::from_empty(&samples[count - 1]);
    let results = subjects
        .iter()
        .enumerate()
        .map(|(i, subject)| CallCost {
            name: subject.name(),
            kind: subject.kind(),
            scenario: "contended",
            summary: Summary::of(&samples[i], &reference),
            registrar_changes_per_ms: Some(
                stats[i].changes as f64
                    / (stats[i].timed.as_secs_f64() * 1000.0).max(f64::MIN_POSITIVE),
            ),
            delivered_share: Some(stats[i].delivered as f64 / stats[i].probe_calls.max(1) as f64),
        })
        .collect();
    Measured { results, reference }
}
