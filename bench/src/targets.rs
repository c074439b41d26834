//! The targets, judged on one run's numbers (benchmarks, not tests: a missed target is
//! reported, not asserted).

use crate::results::{ChangeRun, Report, Target};
use crate::subject::Kind;
use crate::timing::Summary;

/// How many registrar waits (changes of 25 to 100 µs) each listener run in `held_lock` caused: its
/// slow changes, minus the slow changes `set_unset` had in as many audio calls (preemptions,
/// present in both), per audio call that ran the listener.
pub fn waits_per_listener_run(set_unset: &ChangeRun, held_lock: &ChangeRun) -> f64 {
    let noise = set_unset.slow_changes as f64 * held_lock.rt_calls as f64
        / set_unset.rt_calls.max(1) as f64;
    (held_lock.slow_changes as f64 - noise) / held_lock.rt_deliveries.max(1) as f64
}

/// Judges every target on `report`.
pub fn judge(report: &Report) -> Vec<Target> {
    let mut targets = Vec::new();
    let median = |strategy: &str, scenario: &str| {
        report
            .result(strategy, scenario)
            .map_or(f64::NAN, |r| r.summary.median_ns)
    };
    let baseline = |name: &str| {
        report
            .baseline(name)
            .map_or(f64::NAN, |b| b.summary.median_ns)
    };

    // Idle: the bare load costs (next to) nothing over the empty loop, so a ratio of net costs
    // is undefined; the ratio is taken on gross costs (the same loop around both), and the net
    // numbers are shown beside it.
    let gross = |summary: Option<&Summary>| summary.map_or(f64::NAN, |s| s.gross_median_ns);
    let mailbox_idle = report.result("Mailbox", "idle").map(|r| &r.summary);
    let load = report.baseline("atomic_load").map(|b| &b.summary);
    let ratio = gross(mailbox_idle) / gross(load);
    targets.push(Target {
        target: "Mailbox idle <= 1.5x the atomic-load baseline",
        measured: format!(
            "{ratio:.2}x gross ({:.2} ns vs {:.2} ns per loop iteration; net {:.2} ns vs {:.2} ns)",
            gross(mailbox_idle),
            gross(load),
            median("Mailbox", "idle"),
            baseline("atomic_load")
        ),
        met: ratio <= 1.5,
    });

    let ratio = median("Mailbox", "uncontended") / baseline("boxed_call");
    targets.push(Target {
        target: "Mailbox uncontended <= 1.3x the boxed-call baseline",
        measured: format!(
            "{ratio:.2}x ({:.2} ns vs {:.2} ns)",
            median("Mailbox", "uncontended"),
            baseline("boxed_call")
        ),
        met: ratio <= 1.3,
    });

    let mailbox = median("Mailbox", "contended");
    let lowest_other = report
        .results
        .iter()
        .filter(|r| r.scenario == "contended" && r.name != "Mailbox" && r.kind == Kind::Strategy)
        .min_by(|a, b| a.summary.median_ns.total_cmp(&b.summary.median_ns));
    if let Some(other) = lowest_other {
        targets.push(Target {
            target: "Mailbox contended median <= every other strategy's",
            measured: format!(
                "Mailbox {mailbox:.2} ns; lowest other {} {:.2} ns",
                other.name, other.summary.median_ns
            ),
            met: mailbox <= other.summary.median_ns,
        });
    }

    if let Some(contended) = report.result("Mailbox", "contended") {
        let s = &contended.summary;
        let ratio = s.p999_ns / s.median_ns;
        targets.push(Target {
            target: "Mailbox contended p99.9 <= 5x its own median",
            measured: format!(
                "{ratio:.1}x (p99.9 {:.1} ns, median {:.2} ns; clock jitter p99.9 {:.1} ns)",
                s.p999_ns, s.median_ns, report.method.contended_reference.clock_jitter_p999_ns
            ),
            met: ratio <= 5.0,
        });
    }

    let unbalanced: Vec<&str> = report
        .set_unset
        .iter()
        .filter(|r| !r.balanced() || !r.caught_up)
        .map(|r| r.name)
        .collect();
    targets.push(Target {
        target: "set_unset: attempted = applied + refused + coalesced for every subject",
        measured: if unbalanced.is_empty() {
            "every subject balances".to_owned()
        } else {
            format!("unbalanced or stuck: {}", unbalanced.join(", "))
        },
        met: unbalanced.is_empty(),
    });

    if let Some(mailbox) = report.set_unset.iter().find(|r| r.name == "Mailbox") {
        targets.push(Target {
            target: "set_unset: Mailbox refuses nothing",
            measured: format!("{} of {} refused", mailbox.refused, mailbox.attempted),
            met: mailbox.refused == 0,
        });
    }

    // Among rtcb's strategies; the peers' waits are in the table (the locks' registrars wait,
    // as they must).
    let waits: Vec<(&str, f64)> = report
        .held_lock
        .iter()
        .filter(|held| held.kind == Kind::Strategy)
        .map(|held| (held.name, held.waits_per_listener_run.unwrap_or(f64::NAN)))
        .collect();
    let spin_lock_waits = waits
        .iter()
        .find(|(s, _)| *s == "SpinLock")
        .map_or(f64::NAN, |(_, w)| *w);
    let others_worst = waits
        .iter()
        .filter(|(s, _)| *s != "SpinLock")
        .map(|(_, w)| *w)
        .fold(f64::NEG_INFINITY, f64::max);
    targets.push(Target {
        target: "held_lock: among the strategies, only SpinLock's registrar cost grows with the 50 us listener",
        measured: format!(
            "registrar waits (25-100 us) per listener run, net of set_unset: {}",
            waits
                .iter()
                .map(|(s, w)| format!("{s} {w:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        // SpinLock's registrar waits on most listener runs; the others on (next to) none.
        met: spin_lock_waits >= 0.5 && others_worst <= 0.1,
    });
    if let Some(f) = report.frozen_of("Mailbox") {
        targets.push(Target {
            target: "a registrar stopped mid-change never leaves Mailbox's audio side waiting",
            measured: format!("{} stalls in {} stops", f.found.stalls, f.found.stops),
            met: f.found.stalls == 0,
        });
    }
    if report.results.iter().any(|r| r.kind == Kind::Peer) {
        peer_targets(report, &mut targets);
    }
    targets
}

/// The peer targets: Mailbox's median at or below every peer's in idle, uncontended and
/// contended; its contended p99.9 at most 1.1x the best peer's; nothing on its audio side that
/// a real-time thread must not do.
fn peer_targets(report: &Report, targets: &mut Vec<Target>) {
    let peers = |scenario: &'static str| {
        report
            .results
            .iter()
            .filter(move |r| r.scenario == scenario && r.kind == Kind::Peer)
    };
    // Idle is compared with the loop around it (sub-nanosecond costs), the others net.
    type Pick = fn(&Summary) -> f64;
    let scenarios: [(&str, Pick); 3] = [
        ("idle", |s| s.gross_median_ns),
        ("uncontended", |s| s.median_ns),
        ("contended", |s| s.median_ns),
    ];
    for (scenario, pick) in scenarios {
        let Some(mailbox) = report.result("Mailbox", scenario) else {
            continue;
        };
        let ours = pick(&mailbox.summary);
        if let Some(best) =
            peers(scenario).min_by(|a, b| pick(&a.summary).total_cmp(&pick(&b.summary)))
        {
            let theirs = pick(&best.summary);
            targets.push(Target {
                target: match scenario {
                    "idle" => "peers: Mailbox idle median <= every peer's",
                    "uncontended" => "peers: Mailbox uncontended median <= every peer's",
                    _ => "peers: Mailbox contended median <= every peer's",
                },
                measured: format!(
                    "Mailbox {ours:.2} ns; lowest peer {} {theirs:.2} ns ({:.2}x)",
                    best.name,
                    ours / theirs
                ),
                met: ours <= theirs,
            });
        }
    }
    if let (Some(mailbox), Some(best)) = (
        report.result("Mailbox", "contended"),
        peers("contended").min_by(|a, b| a.summary.p999_ns.total_cmp(&b.summary.p999_ns)),
    ) {
        let ratio = mailbox.summary.p999_ns / best.summary.p999_ns;
        targets.push(Target {
            target: "peers: Mailbox contended p99.9 <= 1.1x the best peer's",
            measured: format!(
                "{ratio:.2}x (Mailbox {:.0} ns; best peer {} {:.0} ns)",
                mailbox.summary.p999_ns, best.name, best.summary.p999_ns
            ),
            met: ratio <= 1.1,
        });
    }
    if let Some(h) = report.hazards_of("Mailbox") {
        let syscalls = h
            .syscalls
            .map_or_else(|| "not counted".to_owned(), |n| n.to_string());
        targets.push(Target {
            target: "peers: no allocation, free or system call on Mailbox's audio side",
            measured: format!(
                "{} allocations, {} frees, {syscalls} system calls in {} calls",
                h.allocations, h.frees, h.calls
            ),
            met: h.allocations == 0 && h.frees == 0 && h.syscalls == Some(0),
        });
    }
}
