//! The report as markdown tables and as JSON.

use crate::peers::Peer;
use crate::results::{CallCost, ChangeRun, Hazards, Report};
use crate::subject::Kind;
use crate::subject::Subject;
use std::fmt::Write;

/// Every number as JSON (the shape, with more fields).
pub fn json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("the report serialises");
    text.push('\n');
    text
}

/// A number of ns with a precision that suits its size.
fn ns(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2}")
    } else if value < 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

/// `value / base`, or "n/a" when the base is too small to divide by meaningfully (below a
/// tenth of a nanosecond: less than a cycle, inside the loop's noise).
fn net_ratio(value: f64, base: f64) -> String {
    if base < 0.1 {
        "n/a".to_owned()
    } else {
        format!("{:.2}x", value / base)
    }
}

/// A number of µs from ns.
fn us_from_ns(value: f64) -> String {
    format!("{:.1}", value / 1000.0)
}

/// The tables, in markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.method;
    let load = m.load_average.map_or_else(String::new, |(before, after)| {
        format!(", load average {before:.2} before and {after:.2} after")
    });
    let _ = writeln!(
        out,
        "### Side by side ({} run, {} CPUs, {} {}{load})\n",
        m.config.mode, m.cpus, m.arch, m.os
    );
    side_by_side_table(&mut out, report);
    hazards_table(&mut out, report);
    frozen_table(&mut out, report);
    if report.results.iter().any(|r| r.kind == Kind::Peer) {
        adapters_table(&mut out, report);
    }
    let _ = writeln!(out, "### Audio side, cost per call\n");
    per_call_table(&mut out, report, "idle", Some("atomic_load"));
    per_call_table(&mut out, report, "uncontended", Some("boxed_call"));
    per_call_table(&mut out, report, "contended", None);
    let _ = writeln!(
        out,
        "Median: median over timed batches of {} calls of the mean per call, minus the empty \
         loop ({} ns/call in `idle`; \"with loop\" keeps it, and is what sub-nanosecond \
         ratios are taken on). p99/p99.9/max: single timed calls minus the clock's median \
         cost ({} ns); the clock's own p99.9 jitter is {} ns, so tails below that are noise. \
         Subjects are interleaved round by round; ratios compare numbers from the same run.\n",
        m.config.per_call.batch_calls,
        ns(m.idle_reference.empty_loop_ns),
        ns(m.idle_reference.clock_ns),
        ns(m.idle_reference.clock_jitter_p999_ns),
    );
    change_table(
        &mut out,
        &format!(
            "set_unset: the audio thread calls once per {} µs busy-wait; the registrar sets, \
             clears, sets, … as fast as it can",
            m.config.set_unset.period.as_micros()
        ),
        &report.set_unset,
        false,
    );
    change_table(
        &mut out,
        "held_lock: as set_unset, with a listener that takes 50 µs per call",
        &report.held_lock,
        true,
    );
    let _ = writeln!(
        out,
        "Change cost: single timed `set`/`clear` calls minus the clock's cost (creating the \
         listener is outside the timing; dropping a replaced or refused one is inside or outside \
         as the strategy does it). Refused = handed back (`Err`), never counted as delivered; \
         coalesced = accepted, then superseded before the audio thread saw it; applied = the \
         strategy's `applied_changes()` once the audio thread caught up. Set→applied latency: \
         after a random pause, `set`, then the registrar polls `is_applied` (the poll loop, tens \
         of ns, bounds the resolution).\n"
    );
    sizes_table(&mut out, report);
    targets_table(&mut out, report);
    out
}

fn per_call_table(out: &mut String, report: &Report, scenario: &str, baseline: Option<&str>) {
    let base = baseline.and_then(|name| report.baseline(name));
    let _ = writeln!(out, "#### {scenario} (ns per call)\n");
    match base {
        Some(b) => {
            let _ = writeln!(
                out,
                "| strategy | median | with loop | × {0} | × {0} with loop | p99 | p99.9 | max |\n\
                 |---|---:|---:|---:|---:|---:|---:|---:|",
                b.name
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| strategy | median | p99 | p99.9 | max | registrar changes/ms | listener called |\n\
                 |---|---:|---:|---:|---:|---:|---:|"
            );
        }
    }
    let row = |out: &mut String, name: &str, r: &CallCost| {
        let s = &r.summary;
        let middle = match base {
            Some(b) => format!(
                "{} | {} | {:.2}x",
                ns(s.gross_median_ns),
                net_ratio(s.median_ns, b.summary.median_ns),
                s.gross_median_ns / b.summary.gross_median_ns
            ),
            None => String::new(),
        };
        let tail = match (r.registrar_changes_per_ms, r.delivered_share) {
            (Some(rate), Some(share)) => format!(" {rate:.0} | {:.0}% |", share * 100.0),
            _ => String::new(),
        };
        let ratio = if base.is_some() {
            format!(" {middle} |")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {name} | {} |{ratio} {} | {} | {} |{tail}",
            ns(s.median_ns),
            ns(s.p99_ns),
            ns(s.p999_ns),
            ns(s.max_ns),
        );
    };
    for r in report.results.iter().filter(|r| r.scenario == scenario) {
        row(out, r.name, r);
    }
    if let Some(b) = base {
        let s = &b.summary;
        let _ = writeln!(
            out,
            "| *baseline {}* | {} | {} | 1.00x | 1.00x | {} | {} | {} |",
            b.name,
            ns(s.median_ns),
            ns(s.gross_median_ns),
            ns(s.p99_ns),
            ns(s.p999_ns),
            ns(s.max_ns),
        );
    }
    out.push('\n');
}

fn change_table(out: &mut String, title: &str, runs: &[ChangeRun], held_lock: bool) {
    let _ = writeln!(out, "#### {title}\n");
    let extra = if held_lock {
        " listener ran on audio calls | registrar waits per listener run |"
    } else {
        " set→applied p50 µs | set→applied max µs |"
    };
    let _ = writeln!(
        out,
        "| strategy | attempted | applied | refused | coalesced | balanced | change median ns \
         | change mean ns | change p99 ns | change max µs |{extra}\n\
         |---|---:|---:|---:|---:|:-:|---:|---:|---:|---:|---:|---:|"
    );
    for r in runs {
        let extra = if held_lock {
            format!(
                " {} of {} | {:.2} |",
                r.rt_deliveries,
                r.rt_calls,
                r.waits_per_listener_run.unwrap_or(f64::NAN)
            )
        } else {
            format!(
                " {:.1} | {:.1} |",
                r.applied_latency_p50_us, r.applied_latency_max_us
            )
        };
        let balanced = match (r.balanced(), r.caught_up) {
            (true, true) => "yes",
            (false, _) => "**no**",
            (true, false) => "**stuck**",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {balanced} | {} | {} | {} | {} |{extra}",
            r.name,
            r.attempted,
            r.applied,
            r.refused,
            r.coalesced,
            ns(r.change_cost_median_ns),
            ns(r.change_cost_mean_ns),
            ns(r.change_cost_p99_ns),
            us_from_ns(r.change_cost_max_ns),
        );
    }
    out.push('\n');
}

fn sizes_table(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "#### Memory (payload `u64`)\n\n\
         | strategy | shared state (heap bytes from `new()`) | `size_of` Registrar | \
         `size_of` Caller | most listeners alive |\n|---|---:|---:|---:|---:|"
    );
    for s in &report.sizes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            s.name,
            s.shared_bytes,
            s.registrar_bytes,
            s.caller_bytes,
            s.max_live_listeners
                .map_or_else(|| "unbounded".to_owned(), |n| n.to_string())
        );
    }
    let listener = report.sizes.first().map_or(0, |s| s.listener_bytes);
    let _ = writeln!(
        out,
        "\nShared state includes the `Arc`'s two counters (16 bytes). Each strategy's listener \
         is a {listener}-byte handle to its own boxed closure, not counted above. \"Unbounded\": \
         replaced listeners wait for the registrar's next change or collect.\n"
    );
}

/// A count per million audio-side calls: "0" exactly when none was seen.
fn per_million(hazards: &Hazards, count: Option<u64>) -> String {
    match count {
        None => "n/a".to_owned(),
        Some(0) => "0".to_owned(),
        Some(n) => {
            let scaled = hazards.per_million(n);
            if scaled < 10.0 {
                format!("**{scaled:.2}**")
            } else {
                format!("**{scaled:.0}**")
            }
        }
    }
}

/// Every subject in one table: the typical audio-side costs, the change cost, and what its
/// audio side did that a real-time thread must not.
fn side_by_side_table(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "| | idle ns (loop incl.) | uncontended ns | contended ns | contended p99.9 ns | \
         listener called (contended) | change ns (tight loop) | refused / coalesced (tight loop) | \
         allocations / M calls | frees / M calls | syscalls / M calls | \
         audio stalled by a stopped registrar |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let cell = |name: &str, scenario: &str, pick: fn(&CallCost) -> f64| {
        report
            .result(name, scenario)
            .map_or_else(|| "n/a".to_owned(), |r| ns(pick(r)))
    };
    for change in &report.set_unset {
        let name = change.name;
        let shown = if change.kind == Kind::Strategy {
            format!("**{name}**")
        } else {
            name.to_owned()
        };
        let (allocations, frees, syscalls) = report.hazards_of(name).map_or_else(
            || ("n/a".to_owned(), "n/a".to_owned(), "n/a".to_owned()),
            |h| {
                (
                    per_million(h, Some(h.allocations)),
                    per_million(h, Some(h.frees)),
                    per_million(h, h.syscalls),
                )
            },
        );
        let called = report
            .result(name, "contended")
            .and_then(|r| r.delivered_share)
            .map_or_else(
                || "n/a".to_owned(),
                |share| format!("{:.0}%", share * 100.0),
            );
        let stalled = report.frozen_of(name).map_or_else(
            || "n/a".to_owned(),
            |f| match f.found.stalls {
                0 => format!("0 of {}", f.found.stops),
                n => format!("**{n}** of {}", f.found.stops),
            },
        );
        let _ = writeln!(
            out,
            "| {shown} | {} | {} | {} | {} | {called} | {} | {:.1}% / {:.1}% | {allocations} | {frees} | \
             {syscalls} | {stalled} |",
            cell(name, "idle", |r| r.summary.gross_median_ns),
            cell(name, "uncontended", |r| r.summary.median_ns),
            cell(name, "contended", |r| r.summary.median_ns),
            cell(name, "contended", |r| r.summary.p999_ns),
            ns(change.tight_loop_mean_ns),
            100.0 * change.tight_loop_refused as f64 / change.tight_loop_changes.max(1) as f64,
            100.0 * change.tight_loop_coalesced as f64 / change.tight_loop_changes.max(1) as f64,
        );
    }
    let baseline = |name: &str, gross: bool| {
        report.baseline(name).map_or_else(
            || "n/a".to_owned(),
            |b| {
                ns(if gross {
                    b.summary.gross_median_ns
                } else {
                    b.summary.median_ns
                })
            },
        )
    };
    let _ = writeln!(
        out,
        "| *baselines* | {} (atomic load) | {} (boxed call) | | | | | | | | | |\n",
        baseline("atomic_load", true),
        baseline("boxed_call", false),
    );
    let _ = writeln!(
        out,
        "Bold names are rtcb's strategies. Costs are medians per audio-side call (idle with the \
         loop around it, as its sub-nanosecond ratios are taken; the others net of it), the \
         contended p99.9 from single timed calls. Change: a tight loop of {} set+clear pairs \
         per segment timed as a whole, as the C++ study does, divided by its changes (refused \
         and coalesced ones included; coalesced: accepted, then superseded before the audio \
         thread installed them). The last three columns come from the `hazards` run: {} audio-side \
         calls on a fresh thread while a registrar thread changes the listener flat out; any \
         count above 0 is in bold. The last column comes from the `frozen_registrar` run: how \
         often stopping the registrar at a random instruction left the audio side waiting.\n",
        report.method.config.set_unset.tight_pairs, report.method.config.hazard_calls,
    );
}

/// What each audio side did that a real-time thread must not, in counts.
fn hazards_table(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "#### hazards: the audio thread's allocations, frees and system calls\n\n\
         | | audio calls | listener called | allocations | frees | system calls | \
         registrar changes meanwhile |\n|---|---:|---:|---:|---:|---|---:|"
    );
    for h in &report.hazards {
        let syscalls = match (h.syscalls, &h.not_counted) {
            (Some(0), _) => "0".to_owned(),
            (Some(n), _) => {
                let names: Vec<String> = h
                    .syscall_names
                    .iter()
                    .map(|(name, count)| format!("{name} {count}"))
                    .collect();
                format!("**{n}** ({})", names.join(", "))
            }
            (None, why) => format!("not counted: {}", why.as_deref().unwrap_or("unknown")),
        };
        let bold = |n: u64| {
            if n == 0 {
                "0".to_owned()
            } else {
                format!("**{n}**")
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {syscalls} | {} |",
            h.name,
            h.calls,
            h.deliveries,
            bold(h.allocations),
            bold(h.frees),
            h.registrar_changes,
        );
    }
    let _ = writeln!(
        out,
        "\nCounted on the audio thread only: allocations and frees by a counting global \
         allocator, system calls by a seccomp filter that reports each one to a supervisor \
         thread and then lets it run (no ptrace). The audio thread is fresh per subject, so a \
         first use's cost (a thread-local node, say) counts.\n"
    );
}

/// Whether a registrar stopped mid-change made the audio side wait, with what the source says.
fn frozen_table(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "#### frozen_registrar: can a registrar make the audio side wait?\n\n\
         | | stops | audio stalled | calls while stopped (mean per stop) | registrar changes | \
         the source says |\n|---|---:|---:|---:|---:|---|"
    );
    for f in &report.frozen_registrar {
        let says = subject_named(f.name).map_or("", Subject::audio_waits_for_registrar);
        if let Some(why) = &f.not_measured {
            let _ = writeln!(out, "| {} | not measured: {why} | | | | {says} |", f.name);
            continue;
        }
        let stalled = match (f.found.stalls, f.found.never_resumed) {
            (0, _) => "0".to_owned(),
            (n, 0) => format!("**{n}**"),
            (n, stuck) => format!("**{n}** ({stuck} never resumed)"),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {stalled} | {:.0} | {} | {says} |",
            f.name,
            f.found.stops,
            f.found.calls_while_stopped as f64 / f.found.stops.max(1) as f64,
            f.found.registrar_changes,
        );
    }
    let _ = writeln!(
        out,
        "\nThe registrar changes the listener, then polls until the audio side took it, again \
         and again, while the audio side calls in a loop. Each stop sends the registrar a \
         signal whose handler blocks until released, so it stops at whatever instruction it was \
         at, holding what it held; a stall is an audio side stuck inside one call for the first \
         {} ms of the stop and {} ms more (chosen to be longer than the OS keeps a runnable thread waiting). A stop lands inside a change only some of the time: a \
         0 means \"not seen in this many stops\", and the last column says, from each \
         hand-over's source, whether it can happen.\n",
        crate::frozen::FREEZE.as_millis(),
        crate::frozen::STALL_CONFIRM.as_millis(),
    );
}

/// The strategy or peer called `name` (the naive rtrb adapter included).
fn subject_named(name: &str) -> Option<Subject> {
    Subject::all(true)
        .into_iter()
        .chain([Subject::Peer(Peer::RtrbDropOnAudio)])
        .find(|s| s.name() == name)
}

/// What each peer's adapter does.
fn adapters_table(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "#### The peers' adapters\n\n| peer | what the adapter does |\n|---|---|"
    );
    let mut peers: Vec<Peer> = Peer::MEASURED.to_vec();
    if report.hazards_of(Peer::RtrbDropOnAudio.name()).is_some() {
        peers.push(Peer::RtrbDropOnAudio);
    }
    for peer in peers {
        let _ = writeln!(out, "| {} | {} |", peer.name(), peer.adapter());
    }
    out.push('\n');
}

fn targets_table(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "#### Targets (this run)\n\n| target | measured | met |\n|---|---|:-:|"
    );
    for t in &report.targets {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            t.target,
            t.measured,
            if t.met { "yes" } else { "**no**" }
        );
    }
    out.push('\n');
}
