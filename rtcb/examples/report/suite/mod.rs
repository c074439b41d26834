//! The report's scenarios, measurements and output, in modules the report example and the
//! smoke test (`tests/report_smoke.rs`) share.

pub mod alloc_count;
pub mod changes;
pub mod chart;
pub mod config;
pub mod contended;
pub mod memory;
pub mod output;
pub mod per_call;
pub mod results;
pub mod strategies;
pub mod targets;
pub mod timing;

use config::Config;
use per_call::Scenario;
use results::{Method, Report};

/// Runs every scenario as `config` says; `progress` hears what starts.
pub fn run(config: &Config, progress: &mut dyn FnMut(&str)) -> Report {
    let load_before = load_average();
    progress("memory");
    let sizes = memory::run();
    progress("idle");
    let idle = per_call::run(Scenario::Idle, &config.per_call);
    progress("uncontended");
    let uncontended = per_call::run(Scenario::Uncontended, &config.per_call);
    progress("contended");
    let contended = contended::run(&config.contended);
    // The clock's cost as measured in the quiet `idle` run corrects every timed change.
    let clock_ns = idle.reference.clock_ns;
    progress("set_unset");
    let set_unset = changes::run(&config.set_unset, clock_ns);
    progress("held_lock");
    let mut held_lock = changes::run(&config.held_lock, clock_ns);
    for (held, quiet) in held_lock.iter_mut().zip(&set_unset) {
        held.waits_per_listener_run = Some(targets::waits_per_listener_run(quiet, held));
    }

    let mut results = idle.results;
    results.extend(uncontended.results);
    results.extend(contended.results);
    let mut report = Report {
        results,
        baselines: vec![idle.baseline, uncontended.baseline],
        set_unset,
        held_lock,
        sizes,
        targets: Vec::new(),
        method: Method {
            config: *config,
            idle_reference: idle.reference,
            uncontended_reference: uncontended.reference,
            contended_reference: contended.reference,
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            arch: std::env::consts::ARCH,
            os: std::env::consts::OS,
            load_average: load_before.zip(load_average()),
        },
    };
    report.targets = targets::judge(&report);
    report
}

/// The 1-minute load average, where the system tells it (`/proc/loadavg`).
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
