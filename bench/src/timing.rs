//! How the report times things on a noisy, shared, two-core machine.
//!
//! - **Typical cost** comes from batches: [`Plan::batch_calls`] calls timed together, divided by
//!   the count, minus the per-call cost of an empty loop measured in the same run. The median
//!   over all batches is the number reported.
//! - **Tails** (p99, p99.9, max) come from single timed calls recorded in an HDR histogram,
//!   minus the median cost of an empty timed region (the clock's own cost). They cannot resolve
//!   anything below the clock's jitter, which the report prints alongside.
//! - Subjects are **interleaved**: every round times every subject once, starting from a
//!   different subject each round, so drift (frequency changes, other processes) hits all alike.
//!   Ratios are only ever taken between numbers measured in the same run.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// How much to time, per subject.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Plan {
    /// Rounds over all subjects (plus one warm-up round that is not recorded).
    pub rounds: usize,
    /// Timed batches per subject and round.
    pub batches_per_round: usize,
    /// Calls in one timed batch.
    pub batch_calls: u32,
    /// Single timed calls per subject and round.
    pub singles_per_round: usize,
}

/// Something the report can time: one call of it is one "call" in the tables.
pub trait Timed {
    /// Times `calls` calls in a row.
    fn batch(&mut self, calls: u32) -> Duration;
    /// Times one call.
    fn single(&mut self) -> Duration;
}

/// A closure as a [`Timed`] subject; its result is passed through `black_box` so the call
/// cannot be optimised away.
pub struct Calls<F>(pub F);

impl<F: FnMut() -> bool> Timed for Calls<F> {
    #[inline(never)]
    fn batch(&mut self, calls: u32) -> Duration {
        let start = Instant::now();
        for _ in 0..calls {
            black_box((self.0)());
        }
        start.elapsed()
    }

    #[inline(never)]
    fn single(&mut self) -> Duration {
        let start = Instant::now();
        black_box((self.0)());
        start.elapsed()
    }
}

/// The subject every measurement is corrected by: a call that does nothing.
pub fn nothing() -> Calls<impl FnMut() -> bool> {
    Calls(|| black_box(false))
}

/// A histogram for nanosecond values from 1 ns to 100 s, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

/// Nanoseconds in `span`, saturating.
pub fn nanos(span: Duration) -> u64 {
    u64::try_from(span.as_nanos()).unwrap_or(u64::MAX)
}

/// Everything timed for one subject.
pub struct Samples {
    /// Mean cost per call of each timed batch, in ns (not yet corrected).
    pub per_call_ns: Vec<f64>,
    /// Single timed calls, in ns (not yet corrected).
    pub singles: Histogram<u64>,
}

impl Default for Samples {
    fn default() -> Self {
        Self {
            per_call_ns: Vec::new(),
            singles: histogram(),
        }
    }
}

impl Samples {
    /// Times one round of `subject`.
    pub fn take_round(&mut self, subject: &mut dyn Timed, plan: &Plan) {
        for _ in 0..plan.batches_per_round {
            let span = subject.batch(plan.batch_calls);
            self.per_call_ns
                .push(nanos(span) as f64 / f64::from(plan.batch_calls));
        }
        for _ in 0..plan.singles_per_round {
            self.singles.saturating_record(nanos(subject.single()));
        }
    }
}

/// Times every subject in interleaved rounds (see the module docs); returns their samples in
/// the same order.
pub fn interleave(subjects: &mut [Box<dyn Timed>], plan: &Plan) -> Vec<Samples> {
    let count = subjects.len();
    let mut samples: Vec<Samples> = (0..count).map(|_| Samples::default()).collect();
    // Warm-up: caches, branch predictors and the CPU's clock settle; nothing is kept.
    for subject in subjects.iter_mut() {
        Samples::default().take_round(subject.as_mut(), plan);
    }
    for round in 0..plan.rounds {
        for k in 0..count {
            let i = (round + k) % count;
            samples[i].take_round(subjects[i].as_mut(), plan);
        }
    }
    samples
}

/// What every measurement is corrected by, measured in the same run as the subjects.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Reference {
    /// Median per-call cost of an empty batch loop, in ns.
    pub empty_loop_ns: f64,
    /// Median cost of an empty single timed region (reading the clock twice), in ns.
    pub clock_ns: f64,
    /// The p99.9 of the empty timed region minus its median: the smallest tail the single
    /// timings can tell apart from the clock's own jitter, in ns.
    pub clock_jitter_p999_ns: f64,
}

impl Reference {
    /// The reference from the samples of the [`nothing`] subject.
    pub fn from_empty(empty: &Samples) -> Self {
        let clock_ns = empty.singles.value_at_quantile(0.5) as f64;
        Self {
            empty_loop_ns: median(&empty.per_call_ns),
            clock_ns,
            clock_jitter_p999_ns: empty.singles.value_at_quantile(0.999) as f64 - clock_ns,
        }
    }
}

/// A subject's cost per call, corrected by the [`Reference`].
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    /// Median over batches of the mean cost per call, in ns.
    pub median_ns: f64,
    /// 99th percentile of single calls, in ns.
    pub p99_ns: f64,
    /// 99.9th percentile of single calls, in ns.
    pub p999_ns: f64,
    /// The slowest single call, in ns.
    pub max_ns: f64,
    /// Median over batches of the mean cost per call *including* the loop around it (not
    /// corrected by the empty loop), in ns. Ratios of two sub-nanosecond costs are taken on this.
    pub gross_median_ns: f64,
    /// Median of single calls, in ns (coarse: the clock's resolution and jitter dominate it).
    pub single_median_ns: f64,
    /// Timed batches behind `median_ns`.
    pub batches: usize,
    /// Single calls behind the percentiles.
    pub single_calls: u64,
}

impl Summary {
    /// Corrects `samples` by `reference`; costs below the reference read as 0.
    pub fn of(samples: &Samples, reference: &Reference) -> Self {
        let tail = |quantile: f64| {
            (samples.singles.value_at_quantile(quantile) as f64 - reference.clock_ns).max(0.0)
        };
        let gross = median(&samples.per_call_ns);
        Self {
            median_ns: (gross - reference.empty_loop_ns).max(0.0),
            gross_median_ns: gross,
            p99_ns: tail(0.99),
            p999_ns: tail(0.999),
            max_ns: (samples.singles.max() as f64 - reference.clock_ns).max(0.0),
            single_median_ns: tail(0.5),
            batches: samples.per_call_ns.len(),
            single_calls: samples.singles.len(),
        }
    }
}

/// The median of `values` (0 for none).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

/// A [`Timed`] subject that keeps something alive beside it (say, the registrar whose caller
/// is timed) without touching it on the timed path.
pub struct Keeping<K, T> {
    /// Kept alive (dropped with the subject), never used while timing.
    pub _kept: K,
    /// What is timed.
    pub subject: T,
}

impl<K, T: Timed> Timed for Keeping<K, T> {
    fn batch(&mut self, calls: u32) -> Duration {
        self.subject.batch(calls)
    }

    fn single(&mut self) -> Duration {
        self.subject.single()
    }
}
