//! The report as markdown tables and as JSON.

use crate::suite::results::{CallCost, ChangeRun, Report};
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
        "### Audio side, cost per call ({} run, {} CPUs, {} {}{load})\n",
        m.config.mode, m.cpus, m.arch, m.os
    );
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
        row(out, r.strategy, r);
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
            r.strategy,
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
            s.strategy, s.shared_bytes, s.registrar_bytes, s.caller_bytes, s.max_live_listeners
        );
    }
    let listener = report.sizes.first().map_or(0, |s| s.listener_bytes);
    let _ = writeln!(
        out,
        "\nShared state includes the `Arc`'s two counters (16 bytes). Each listener is a \
         {listener}-byte handle to its own boxed closure, not counted above.\n"
    );
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
