//! The rtcb benchmark report: rtcb's five strategies and the peer crates a user would otherwise
//! pick, in the same harness and the same scenarios. The `report` binary prints and writes it;
//! the criterion benches and the smoke test (`tests/report_smoke.rs`) use the same modules.

pub mod alloc_count;
pub mod changes;
pub mod chart;
pub mod config;
pub mod contended;
pub mod frozen;
pub mod hazards;
pub mod memory;
pub mod output;
pub mod peers;
pub mod per_call;
pub mod results;
pub mod subject;
pub mod syscalls;
pub mod targets;
pub mod timing;

use config::Config;
use peers::Peer;
use per_call::Scenario;
use results::{Method, Report};
use subject::Subject;

/// Runs every scenario as `config` says; `progress` hears what starts.
pub fn run(config: &Config, progress: &mut dyn FnMut(&str)) -> Report {
    let load_before = load_average();
    let subjects = Subject::all(config.peers);
    progress("memory");
    let sizes = memory::run(&subjects);
    progress("idle");
    let idle = per_call::run(Scenario::Idle, &subjects, &config.per_call);
    progress("uncontended");
    let uncontended = per_call::run(Scenario::Uncontended, &subjects, &config.per_call);
    progress("contended");
    let contended = contended::run(&subjects, &config.contended);
    // The clock's cost as measured in the quiet `idle` run corrects every timed change.
    let clock_ns = idle.reference.clock_ns;
    progress("set_unset");
    let set_unset = changes::run(&subjects, &config.set_unset, clock_ns);
    progress("held_lock");
    let mut held_lock = changes::run(&subjects, &config.held_lock, clock_ns);
    for (held, quiet) in held_lock.iter_mut().zip(&set_unset) {
        held.waits_per_listener_run = Some(targets::waits_per_listener_run(quiet, held));
    }
    progress("hazards");
    let mut hazard_subjects = subjects.clone();
    if config.peers {
        // The naive queue, to show the hazard the careful adapters avoid.
        hazard_subjects.push(Subject::Peer(Peer::RtrbDropOnAudio));
    }
    let hazards = hazards::run(&hazard_subjects, config.hazard_calls);
    progress("frozen_registrar");
    let frozen_registrar = frozen::run(&hazard_subjects, config.registrar_stops);

    let mut results = idle.results;
    results.extend(uncontended.results);
    results.extend(contended.results);
    let mut report = Report {
        results,
        baselines: vec![idle.baseline, uncontended.baseline],
        set_unset,
        held_lock,
        sizes,
        hazards,
        frozen_registrar,
        rows: Vec::new(),
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
    report.rows = report.side_by_side();
    report.targets = targets::judge(&report);
    report
}

/// The 1-minute load average, where the system tells it (`/proc/loadavg`).
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
