//! How long each scenario runs: a full run for the published numbers, a quick one (under a
//! minute on two cores) and a tiny one for the smoke test.

use crate::timing::Plan;
use serde::Serialize;
use std::time::Duration;

/// The seed's busy-wait between two audio-thread calls in `set_unset` and `held_lock`.
pub const SEED_PERIOD: Duration = Duration::from_micros(500);

/// How long the listener runs per call in `held_lock`.
pub const HELD_LISTENER_WORK: Duration = Duration::from_micros(50);

/// A change that took this long (from `start` up to `end`) counts as one that waited for the
/// `held_lock` listener: a registrar that waits for it waits up to its 50 µs, and from half of
/// that on the wait cannot be anything else. A preemption by other work usually lasts a
/// scheduler tick (milliseconds) and falls above the range.
pub const LISTENER_WAIT: std::ops::Range<Duration> =
    Duration::from_micros(25)..Duration::from_micros(100);

/// How the `set_unset` and `held_lock` scenarios run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ChangePlan {
    /// Segments per strategy, interleaved over strategies like timing rounds.
    pub segments: usize,
    /// How long the registrar hammers set/clear in one segment.
    pub hammer: Duration,
    /// Set→applied latency samples per segment (each followed by a clear).
    pub latency_samples: usize,
    /// The audio thread's busy-wait between two calls.
    pub period: Duration,
    /// How long the listener runs per call (`held_lock`), if at all.
    pub listener_work: Option<Duration>,
    /// Set+clear pairs per segment in the tight loop timed as a whole.
    pub tight_pairs: usize,
}

/// Everything a report run does.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Config {
    /// `"full"`, `"quick"` or `"tiny"`.
    pub mode: &'static str,
    /// `idle` and `uncontended`.
    pub per_call: Plan,
    /// `contended` (each round starts and stops a registrar thread per strategy).
    pub contended: Plan,
    /// `set_unset`.
    pub set_unset: ChangePlan,
    /// `held_lock`.
    pub held_lock: ChangePlan,
    /// Audio-side calls in the `hazards` run, per subject (at least; see `hazards`).
    pub hazard_calls: u64,
    /// Stops of the registrar per subject in the `frozen_registrar` run.
    pub registrar_stops: u64,
    /// Whether the peer crates run beside the strategies (`--peers`).
    pub peers: bool,
}

impl Config {
    /// The configuration called `mode`: `"full"`, `"quick"` or `"tiny"`.
    pub fn named(mode: &str) -> Option<Self> {
        match mode {
            "full" => Some(Self::full()),
            "quick" => Some(Self::quick()),
            "tiny" => Some(Self::tiny()),
            _ => None,
        }
    }

    /// The published run: about a minute and a half on two cores.
    fn full() -> Self {
        Self::scaled(
            "full",
            20_000,
            500,
            40,
            12,
            Duration::from_millis(250),
            100,
            10_000,
        )
    }

    /// Under a minute on two cores; numbers are noisier.
    fn quick() -> Self {
        Self::scaled(
            "quick",
            400,
            200,
            10,
            4,
            Duration::from_millis(50),
            25,
            5_000,
        )
    }

    /// Just enough to exercise every code path (the smoke test, debug builds).
    fn tiny() -> Self {
        Self::scaled("tiny", 3, 20, 2, 2, Duration::from_millis(5), 2, 100)
    }

    // One positional row per mode keeps the three modes comparable at a glance.
    #[allow(clippy::too_many_arguments)]
    fn scaled(
        mode: &'static str,
        rounds: usize,
        singles: usize,
        contended_rounds: usize,
        segments: usize,
        hammer: Duration,
        latency_samples: usize,
        tight_pairs: usize,
    ) -> Self {
        let batch_calls = if mode == "tiny" { 50 } else { 1000 };
        let set_unset = ChangePlan {
            segments,
            hammer,
            latency_samples,
            period: SEED_PERIOD,
            listener_work: None,
            tight_pairs,
        };
        Self {
            mode,
            per_call: Plan {
                rounds,
                batches_per_round: 1,
                batch_calls,
                singles_per_round: singles,
            },
            contended: Plan {
                rounds: contended_rounds,
                batches_per_round: rounds / contended_rounds.max(1),
                batch_calls,
                singles_per_round: singles * rounds / contended_rounds.max(1),
            },
            set_unset,
            held_lock: ChangePlan {
                listener_work: Some(HELD_LISTENER_WORK),
                ..set_unset
            },
            hazard_calls: if mode == "tiny" { 10_000 } else { 1_000_000 },
            registrar_stops: match mode {
                "full" => 1000,
                "quick" => 200,
                _ => 10,
            },
            peers: false,
        }
    }
}
