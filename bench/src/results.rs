//! What a report run produces, in the shape `--json` writes.

use crate::config::Config;
use crate::frozen::Stops;
use crate::subject::Kind;
use crate::timing::{Reference, Summary};
use serde::Serialize;

/// The audio side's cost per call for one subject in one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct CallCost {
    /// The strategy's or peer's name.
    pub name: &'static str,
    /// `strategy` or `peer`.
    pub kind: Kind,
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
    /// `baseline`.
    pub kind: Kind,
    /// The scenario it belongs to.
    pub scenario: &'static str,
    /// The corrected costs.
    #[serde(flatten)]
    pub summary: Summary,
}

/// What happened to the registrar's changes in `set_unset` or `held_lock`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeRun {
    /// The strategy's or peer's name.
    pub name: &'static str,
    /// `strategy` or `peer`.
    pub kind: Kind,
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
    /// 99.9th percentile of the registrar cost, in ns.
    pub change_cost_p999_ns: f64,
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
    /// Changes made in the tight loop of set+clear pairs (the C++ study's measurement).
    pub tight_loop_changes: u64,
    /// Of those, the refused ones.
    pub tight_loop_refused: u64,
    /// Of those, the ones accepted but superseded before the audio thread installed them.
    pub tight_loop_coalesced: u64,
    /// The tight loop's time divided by its changes, in ns (refused ones included, as in the
    /// study).
    pub tight_loop_mean_ns: f64,
}

impl ChangeRun {
    /// Whether every attempted change is accounted for exactly once.
    pub fn balanced(&self) -> bool {
        self.attempted == self.applied + self.refused + self.coalesced
    }
}

/// Memory of one subject.
#[derive(Debug, Clone, Serialize)]
pub struct Sizes {
    /// The strategy's or peer's name.
    pub name: &'static str,
    /// `strategy` or `peer`.
    pub kind: Kind,
    /// Heap bytes `new()` allocates and keeps: the shared state (with the `Arc` counts).
    pub shared_bytes: u64,
    /// `size_of` the registrar handle.
    pub registrar_bytes: u64,
    /// `size_of` the caller handle.
    pub caller_bytes: u64,
    /// The most listeners alive at once outside the registrar (a strategy module's
    /// `MAX_LIVE_LISTENERS`); `None` when nothing bounds it.
    pub max_live_listeners: Option<u64>,
    /// `size_of` one listener handle (its closure is a separate allocation).
    pub listener_bytes: u64,
}

/// What a subject's audio side did that a real-time thread must not, while a registrar thread
/// changed its listener as fast as it could.
#[derive(Debug, Clone, Serialize)]
pub struct Hazards {
    /// The strategy's or peer's name.
    pub name: &'static str,
    /// `strategy` or `peer`.
    pub kind: Kind,
    /// Audio-side calls (ask and deliver) counted.
    pub calls: u64,
    /// Of those, the calls that ran the listener.
    pub deliveries: u64,
    /// Allocations the audio thread made during the calls.
    pub allocations: u64,
    /// Frees the audio thread made during the calls.
    pub frees: u64,
    /// System calls the audio thread made during the calls; `None` if they could not be
    /// counted here (see `not_counted`).
    pub syscalls: Option<u64>,
    /// The system calls by name, most frequent first.
    pub syscall_names: Vec<(String, u64)>,
    /// Why system calls were not counted, if they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_counted: Option<String>,
    /// Changes the registrar made while the audio-side calls ran.
    pub registrar_changes: u64,
}

impl Hazards {
    /// `count` scaled to one million audio-side calls.
    pub fn per_million(&self, count: u64) -> f64 {
        count as f64 * 1e6 / self.calls.max(1) as f64
    }
}

/// What stopping a subject's registrar mid-change did to its audio side (`frozen_registrar`).
#[derive(Debug, Clone, Serialize)]
pub struct FrozenRegistrar {
    /// The strategy's or peer's name.
    pub name: &'static str,
    /// `strategy` or `peer`.
    pub kind: Kind,
    /// What the stops found.
    #[serde(flatten)]
    pub found: Stops,
    /// Why nothing was measured, if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_measured: Option<String>,
}

/// One line of the side-by-side table, as `--json` writes it in `rows`: a subject in one
/// scenario, with its audio side's hazards per million calls.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The strategy's or peer's name.
    pub name: &'static str,
    /// `strategy`, `peer` or `baseline`.
    pub kind: Kind,
    /// `idle`, `uncontended`, `contended`, or `set_unset` (whose median is the tight loop's
    /// mean cost per change, and whose p99.9 is that of single timed changes).
    pub scenario: &'static str,
    /// The median cost, in ns.
    pub median_ns: f64,
    /// The p99.9 cost, in ns.
    pub p999_ns: f64,
    /// Audio-thread allocations per million audio-side calls (from the `hazards` run).
    pub allocations: Option<f64>,
    /// Audio-thread frees per million audio-side calls.
    pub frees: Option<f64>,
    /// Audio-thread system calls per million audio-side calls.
    pub syscalls: Option<f64>,
    /// Of the `frozen_registrar` run's stops of the registrar, those that left the audio side
    /// waiting.
    pub stalled_stops: Option<u64>,
    /// The `frozen_registrar` run's stops of the registrar.
    pub stops: Option<u64>,
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
    /// `idle`, `uncontended` and `contended`, every subject in each.
    pub results: Vec<CallCost>,
    /// `atomic_load` and `boxed_call`.
    pub baselines: Vec<Baseline>,
    /// The seed's set/unset scenario, counted.
    pub set_unset: Vec<ChangeRun>,
    /// `set_unset` with a 50 µs listener.
    pub held_lock: Vec<ChangeRun>,
    /// Memory per subject.
    pub sizes: Vec<Sizes>,
    /// What each audio side did that a real-time thread must not.
    pub hazards: Vec<Hazards>,
    /// Whether a registrar stopped mid-change made the audio side wait.
    pub frozen_registrar: Vec<FrozenRegistrar>,
    /// Every subject in every scenario, side by side (derived from the above).
    pub rows: Vec<Row>,
    /// The targets.
    pub targets: Vec<Target>,
    /// How the numbers were taken.
    pub method: Method,
}

impl Report {
    /// The result of the subject called `name` in `scenario`.
    pub fn result(&self, name: &str, scenario: &str) -> Option<&CallCost> {
        self.results
            .iter()
            .find(|r| r.name == name && r.scenario == scenario)
    }

    /// The hazards of the subject called `name`.
    pub fn hazards_of(&self, name: &str) -> Option<&Hazards> {
        self.hazards.iter().find(|h| h.name == name)
    }

    /// The `frozen_registrar` result of the subject called `name`.
    pub fn frozen_of(&self, name: &str) -> Option<&FrozenRegistrar> {
        self.frozen_registrar
            .iter()
            .find(|f| f.name == name && f.not_measured.is_none())
    }

    /// The side-by-side rows: every subject in `idle`, `uncontended`, `contended` and
    /// `set_unset`, and the baselines.
    pub fn side_by_side(&self) -> Vec<Row> {
        let per_million = |name: &str, pick: fn(&Hazards) -> Option<u64>| {
            self.hazards_of(name)
                .and_then(|h| pick(h).map(|count| h.per_million(count)))
        };
        let row = |name: &'static str, kind: Kind, scenario: &'static str, median, p999| Row {
            name,
            kind,
            scenario,
            median_ns: median,
            p999_ns: p999,
            allocations: per_million(name, |h| Some(h.allocations)),
            frees: per_million(name, |h| Some(h.frees)),
            syscalls: per_million(name, |h| h.syscalls),
            stalled_stops: self.frozen_of(name).map(|f| f.found.stalls),
            stops: self.frozen_of(name).map(|f| f.found.stops),
        };
        let calls = self.results.iter().map(|r| {
            row(
                r.name,
                r.kind,
                r.scenario,
                r.summary.median_ns,
                r.summary.p999_ns,
            )
        });
        let baselines = self.baselines.iter().map(|b| Row {
            allocations: None,
            frees: None,
            syscalls: None,
            stalled_stops: None,
            stops: None,
            ..row(
                b.name,
                b.kind,
                b.scenario,
                b.summary.median_ns,
                b.summary.p999_ns,
            )
        });
        let changes = self.set_unset.iter().map(|c| {
            row(
                c.name,
                c.kind,
                "set_unset",
                c.tight_loop_mean_ns,
                c.change_cost_p999_ns,
            )
        });
        calls.chain(baselines).chain(changes).collect()
    }

    /// The baseline called `name`.
    pub fn baseline(&self, name: &str) -> Option<&Baseline> {
        self.baselines.iter().find(|b| b.name == name)
    }
}
