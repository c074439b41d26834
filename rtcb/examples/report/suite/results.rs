//! What a report run produces, in the shape `--json` writes.

use crate::suite::config::Config;
use crate::suite::timing::{Reference, Summary};
use serde::Serialize;

/// The audio side's cost per call for one strategy in one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct CallCost {
    /// The `Strategy` variant's name.
    pub strategy: &'static str,
    /// `idle`, `uncontended` or `contended`.
    pub scenario: &'static str,
    /// The corrected costs (see `timing`).
    #[serde(flatten)]
    pub summary: Summary,
    /// `contended` only: how fast the registrar thread changed the listener meanwhile, which
    /// shows the contention was real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registrar_changes_per_ms: Option<f64>,
    /// `contended` only: the share of audio-side calls that actually called the listener
    /// (the others found none installed, or, for `SpinLock`, the lock taken). A strategy that
    /// skips the listener more often looks cheaper per call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_share: Option<f64>,
}

/// A baseline timed in the same run as the strategies.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// `atomic_load` (idle) or `boxed_call` (uncontended).
    pub name: &'static str,
    /// The scenario it belongs to.
    pub scenario: &'static str,
    /// The corrected costs.
    #[serde(flatten)]
    pub summary: Summary,
}

/// What happened to the registrar's changes in `set_unset` or `held_lock`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeRun {
    /// The `Strategy` variant's name.
    pub strategy: &'static str,
    /// Every set and clear the registrar tried while hammering.
    pub attempted: u64,
    /// Changes the audio thread installed.
    pub applied: u64,
    /// Changes handed back (`Err(Refused)`): never counted as delivered.
    pub refused: u64,
    /// Changes accepted but superseded by a newer one before the audio thread saw them.
    pub coalesced: u64,
    /// Median registrar cost of one change, in ns (single timed calls, clock cost subtracted).
    pub change_cost_median_ns: f64,
    /// Mean registrar cost of one change, in ns.
    pub change_cost_mean_ns: f64,
    /// 99th percentile of the registrar cost, in ns.
    pub change_cost_p99_ns: f64,
    /// The slowest change, in ns.
    pub change_cost_max_ns: f64,
    /// Changes that took 25 to 100 µs: about as long as the `held_lock` listener runs.
    pub slow_changes: u64,
    /// `held_lock` only: how many slow changes each listener run caused, net of the slow
    /// changes `set_unset` had in as many audio calls (preemptions). About 1 for a registrar
    /// that waits for the listener, about 0 for one that does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waits_per_listener_run: Option<f64>,
    /// Audio-thread calls while the registrar hammered.
    pub rt_calls: u64,
    /// Of those, the calls that ran the listener (none installed, or for `SpinLock` the lock
    /// held by a registrar, makes a call skip it).
    pub rt_deliveries: u64,
    /// Median set→applied latency, in µs (registrar polling, so resolution is one poll).
    pub applied_latency_p50_us: f64,
    /// Slowest set→applied latency, in µs.
    pub applied_latency_max_us: f64,
    /// Latency samples taken (each a set, then a clear, each waited for).
    pub latency_samples: u64,
    /// Latency samples whose set was refused or not applied within the patience bound.
    pub latency_failures: u64,
    /// Whether the audio thread caught up with the last accepted change at the end of every
    /// segment (false would be a bug: a change stuck in transit).
    pub caught_up: bool,
}

impl ChangeRun {
    /// Whether every attempted change is accounted for exactly once.
    pub fn balanced(&self) -> bool {
        self.attempted == self.applied + self.refused + self.coalesced
    }
}

/// Memory of one strategy.
#[derive(Debug, Clone, Serialize)]
pub struct Sizes {
    /// The `Strategy` variant's name.
    pub strategy: &'static str,
    /// Heap bytes `new()` allocates and keeps: the shared state (with the `Arc` counts).
    pub shared_bytes: u64,
    /// `size_of` the registrar handle.
    pub registrar_bytes: u64,
    /// `size_of` the caller handle.
    pub caller_bytes: u64,
    /// The module's `MAX_LIVE_LISTENERS`.
    pub max_live_listeners: u64,
    /// `size_of` one `Listener` handle (its closure is a separate allocation).
    pub listener_bytes: u64,
}

/// The targets, judged on this run's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What is promised.
    pub target: &'static str,
    /// The measured value (a ratio, a count, …), in words.
    pub measured: String,
    /// Whether the promise holds in this run.
    pub met: bool,
}

/// How the numbers were taken.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// The run's configuration.
    pub config: Config,
    /// Empty-loop and clock costs of the `idle` run.
    pub idle_reference: Reference,
    /// … of the `uncontended` run.
    pub uncontended_reference: Reference,
    /// … of the `contended` run.
    pub contended_reference: Reference,
    /// Logical CPUs the OS reports.
    pub cpus: usize,
    /// `std::env::consts::ARCH`.
    pub arch: &'static str,
    /// `std::env::consts::OS`.
    pub os: &'static str,
    /// The system's 1-minute load average when the run started and when it ended (Linux
    /// only): other work on the machine shows here, and in the tails.
    pub load_average: Option<(f64, f64)>,
}

/// Everything a report run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `idle`, `uncontended` and `contended`, five strategies each.
    pub results: Vec<CallCost>,
    /// `atomic_load` and `boxed_call`.
    pub baselines: Vec<Baseline>,
    /// The seed's set/unset scenario, counted.
    pub set_unset: Vec<ChangeRun>,
    /// `set_unset` with a 50 µs listener.
    pub held_lock: Vec<ChangeRun>,
    /// Memory per strategy.
    pub sizes: Vec<Sizes>,
    /// The targets.
    pub targets: Vec<Target>,
    /// How the numbers were taken.
    pub method: Method,
}

impl Report {
    /// The result of `strategy` in `scenario`.
    pub fn result(&self, strategy: &str, scenario: &str) -> Option<&CallCost> {
        self.results
            .iter()
            .find(|r| r.strategy == strategy && r.scenario == scenario)
    }

    /// The baseline called `name`.
    pub fn baseline(&self, name: &str) -> Option<&Baseline> {
        self.baselines.iter().find(|b| b.name == name)
    }
}
