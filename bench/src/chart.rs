//! The report's charts, drawn with plotters' SVG backend: six panels of the strategies in one
//! SVG, and the contended costs of every strategy and peer side by side in another.

use crate::results::{ChangeRun, Report};
use crate::subject::Kind;
use plotters::coord::ranged1d::{AsRangedCoord, SegmentedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordi32;
use plotters::coord::Shift;
use plotters::prelude::*;
use rtcb::Strategy;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Segment = SegmentValue<i32>;

/// The colour of `strategy`'s bars.
const fn colour(strategy: Strategy) -> RGBColor {
    match strategy {
        Strategy::SpinLock => RGBColor(0xd6, 0x27, 0x28),
        Strategy::SpscQueue => RGBColor(0xff, 0x7f, 0x0e),
        Strategy::Trap => RGBColor(0x2c, 0xa0, 0x2c),
        Strategy::OverwriteRing => RGBColor(0x94, 0x67, 0xbd),
        Strategy::Mailbox => RGBColor(0x1f, 0x77, 0xb4),
    }
}

/// The fill of the bars in column `i`, the column of the `i`th strategy of [`Strategy::ALL`].
fn column_fill(i: usize) -> ShapeStyle {
    colour(Strategy::ALL[i]).filled()
}

/// The names under the strategy panels' columns.
fn strategy_names() -> Vec<&'static str> {
    Strategy::ALL.iter().map(|s| s.name()).collect()
}

/// The colour of the peers' bars.
const PEER_GREY: RGBColor = RGBColor(0x8c, 0x8c, 0x8c);

const FONT: &str = "sans-serif";

/// Draws the chart; returns the SVG text.
pub fn svg(report: &Report) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (1500, 920)).into_drawing_area();
        draw(&root, report).map_err(|e| format!("cannot draw the chart: {e}"))?;
        root.present()
            .map_err(|e| format!("cannot draw the chart: {e}"))?;
    }
    Ok(text)
}

type Error = Box<dyn std::error::Error>;
type Fallible = Result<(), Error>;

fn draw(root: &Area<'_>, report: &Report) -> Fallible {
    root.fill(&WHITE)?;
    let root = root.titled(
        &format!(
            "rtcb: five ways to hand a listener to the audio thread ({} run, {} CPUs)",
            report.method.config.mode, report.method.cpus
        ),
        (FONT, 22),
    )?;
    let panels = root.split_evenly((2, 3));
    // The six panels show rtcb's strategies only; the peers have their own chart.
    let strategies_only = |runs: &[ChangeRun]| -> Vec<ChangeRun> {
        runs.iter()
            .filter(|r| r.kind == Kind::Strategy)
            .cloned()
            .collect()
    };
    let set_unset = strategies_only(&report.set_unset);
    let held_lock = strategies_only(&report.held_lock);
    let median = |scenario: &str, gross: bool| -> Vec<f64> {
        Strategy::ALL
            .iter()
            .map(|s| {
                report.result(s.name(), scenario).map_or(0.0, |r| {
                    if gross {
                        r.summary.gross_median_ns
                    } else {
                        r.summary.median_ns
                    }
                })
            })
            .collect()
    };
    let idle_base = report
        .baseline("atomic_load")
        .map(|b| ("atomic_load", b.summary.gross_median_ns));
    let call_base = report
        .baseline("boxed_call")
        .map(|b| ("boxed_call", b.summary.median_ns));

    // Idle costs are below a nanosecond: shown with the loop around them, as compared.
    bars(
        &panels[0],
        "idle: ask \"anyone listening?\" (median ns, loop incl.)",
        "ns per loop iteration",
        &median("idle", true),
        idle_base,
    )?;
    bars(
        &panels[1],
        "uncontended: ask and deliver (median ns)",
        "ns per call",
        &median("uncontended", false),
        call_base,
    )?;
    contended(&panels[2], report)?;
    outcomes(&panels[3], &set_unset)?;
    let waits: Vec<f64> = held_lock
        .iter()
        .map(|held| held.waits_per_listener_run.unwrap_or(0.0).max(0.0))
        .collect();
    bars(
        &panels[4],
        "held_lock: registrar waits (25-100 us) per listener run",
        "waits per run of the 50 us listener",
        &waits,
        None,
    )?;
    latency(&panels[5], &set_unset)?;
    Ok(())
}

/// Draws the side-by-side chart: every strategy and peer under contention, median and p99.9;
/// returns the SVG text.
pub fn side_by_side_svg(report: &Report) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (1600, 560)).into_drawing_area();
        draw_side_by_side(&root, report).map_err(|e| format!("cannot draw the chart: {e}"))?;
        root.present()
            .map_err(|e| format!("cannot draw the chart: {e}"))?;
    }
    Ok(text)
}

fn draw_side_by_side(root: &Area<'_>, report: &Report) -> Fallible {
    root.fill(&WHITE)?;
    let contended: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.scenario == "contended")
        .collect();
    let labels: Vec<&str> = contended.iter().map(|r| r.name).collect();
    let rows: Vec<(f64, f64)> = contended
        .iter()
        .map(|r| (r.summary.median_ns, r.summary.p999_ns))
        .collect();
    let fills: Vec<ShapeStyle> = contended
        .iter()
        .map(
            |r| match Strategy::ALL.iter().find(|s| s.name() == r.name) {
                Some(&strategy) if r.kind == Kind::Strategy => colour(strategy).filled(),
                _ => PEER_GREY.filled(),
            },
        )
        .collect();
    let floor = 0.1;
    let top = rows.iter().map(|r| r.1).fold(10.0f64, f64::max) * 2.0;
    let caption = format!(
        "contended, rtcb's strategies (colour) and the peers (grey): median (bar), p99.9 (x), ns          ({} run, {} CPUs)",
        report.method.config.mode, report.method.cpus
    );
    let mut chart = panel(
        root,
        &caption,
        &labels,
        (floor..top).log_scale(),
        "ns per call (log)",
    )?;
    chart.draw_series(
        rows.iter()
            .zip(&fills)
            .enumerate()
            .map(|(i, (r, fill))| bar(i, floor, r.0.max(floor), *fill)),
    )?;
    let centre = |i: usize| SegmentValue::CenterOf(i32::try_from(i).unwrap_or(0));
    chart.draw_series(
        rows.iter()
            .enumerate()
            .map(|(i, r)| Cross::new((centre(i), r.1.max(floor)), 6, BLACK.stroke_width(2))),
    )?;
    Ok(())
}

/// The name under a segment of the x axis.
fn label(labels: &[&str], value: &Segment) -> String {
    match value {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => usize::try_from(*i)
            .ok()
            .and_then(|i| labels.get(i))
            .map_or_else(String::new, |name| (*name).to_owned()),
        SegmentValue::Last => String::new(),
    }
}

/// The bar of strategy `i` from `bottom` to `top`, a little narrower than its segment.
fn bar(i: usize, bottom: f64, top: f64, colour: ShapeStyle) -> Rectangle<(Segment, f64)> {
    let i = i32::try_from(i).unwrap_or(0);
    let mut rectangle = Rectangle::new(
        [
            (SegmentValue::Exact(i), bottom),
            (SegmentValue::Exact(i + 1), top),
        ],
        colour,
    );
    rectangle.set_margin(0, 0, 12, 12);
    rectangle
}

/// The x axis of every panel: one segment per column.
type ColumnsAxis = SegmentedCoord<RangedCoordi32>;

/// A panel with one column per strategy: `caption` above, the y axis over `y_range` described
/// by `y_desc`, its mesh drawn.
fn strategy_panel<'a, 'b, Y>(
    area: &'a Area<'b>,
    caption: &str,
    y_range: Y,
    y_desc: &str,
) -> Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<ColumnsAxis, Y::CoordDescType>>, Error>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    panel(area, caption, &strategy_names(), y_range, y_desc)
}

/// A panel with one column per name of `labels`: `caption` above, the y axis over `y_range`
/// described by `y_desc`, its mesh drawn.
fn panel<'a, 'b, Y>(
    area: &'a Area<'b>,
    caption: &str,
    labels: &[&str],
    y_range: Y,
    y_desc: &str,
) -> Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<ColumnsAxis, Y::CoordDescType>>, Error>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 16))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(56)
        .build_cartesian_2d((0..last_column(labels)).into_segmented(), y_range)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len() * 2)
        .x_label_formatter(&|value| label(labels, value))
        .max_light_lines(2)
        .y_desc(y_desc)
        .label_style((FONT, 12))
        .draw()?;
    Ok(chart)
}

/// The index of the last column (a segmented range of `0..n` has `n + 1` segments).
fn last_column(labels: &[&str]) -> i32 {
    i32::try_from(labels.len()).unwrap_or(1).max(1) - 1
}

/// One bar per strategy, with an optional dashed baseline.
fn bars(
    area: &Area<'_>,
    caption: &str,
    unit: &str,
    values: &[f64],
    baseline: Option<(&str, f64)>,
) -> Fallible {
    let top = values
        .iter()
        .copied()
        .chain(baseline.map(|(_, b)| b))
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.2;
    let mut chart = strategy_panel(area, caption, 0.0..top, unit)?;
    chart.draw_series(
        values
            .iter()
            .enumerate()
            .map(|(i, v)| bar(i, 0.0, *v, column_fill(i))),
    )?;
    if let Some((name, value)) = baseline {
        chart
            .draw_series(DashedLineSeries::new(
                [(SegmentValue::Exact(0), value), (SegmentValue::Last, value)],
                6,
                4,
                BLACK.stroke_width(2),
            ))?
            .label(format!("baseline {name}: {value:.2} ns"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 12))
            .draw()?;
    }
    Ok(())
}

/// `contended`: median as a bar, p99 and p99.9 as markers, on a log scale.
fn contended(area: &Area<'_>, report: &Report) -> Fallible {
    let rows: Vec<(f64, f64, f64)> = Strategy::ALL
        .iter()
        .map(|s| {
            report
                .result(s.name(), "contended")
                .map_or((0.0, 0.0, 0.0), |r| {
                    (r.summary.median_ns, r.summary.p99_ns, r.summary.p999_ns)
                })
        })
        .collect();
    let floor = 0.1;
    let top = rows.iter().map(|r| r.2).fold(10.0f64, f64::max) * 2.0;
    let mut chart = strategy_panel(
        area,
        "contended: median (bar), p99 (o), p99.9 (x), ns",
        (floor..top).log_scale(),
        "ns per call (log)",
    )?;
    chart.draw_series(
        rows.iter()
            .enumerate()
            .map(|(i, r)| bar(i, floor, r.0.max(floor), column_fill(i))),
    )?;
    let centre = |i: usize| SegmentValue::CenterOf(i32::try_from(i).unwrap_or(0));
    chart.draw_series(
        rows.iter()
            .enumerate()
            .map(|(i, r)| Circle::new((centre(i), r.1.max(floor)), 5, BLACK.stroke_width(2))),
    )?;
    chart.draw_series(
        rows.iter()
            .enumerate()
            .map(|(i, r)| Cross::new((centre(i), r.2.max(floor)), 6, BLACK.stroke_width(2))),
    )?;
    Ok(())
}

/// One part of a stacked bar: its name, colour and what it counts.
type Part = (&'static str, RGBColor, fn(&ChangeRun) -> u64);

/// `set_unset`: each strategy's attempted changes split into applied, coalesced and refused.
fn outcomes(area: &Area<'_>, runs: &[ChangeRun]) -> Fallible {
    let parts: [Part; 3] = [
        ("applied", RGBColor(0x2c, 0xa0, 0x2c), |r| r.applied),
        ("coalesced", RGBColor(0x9e, 0x9e, 0x9e), |r| r.coalesced),
        ("refused", RGBColor(0xd6, 0x27, 0x28), |r| r.refused),
    ];
    let mut chart = strategy_panel(
        area,
        "set_unset: fate of the registrar's changes (%)",
        0.0..100.0,
        "% of attempted",
    )?;
    let mut bottoms = vec![0.0; runs.len()];
    for (name, colour, count) in parts {
        let mut stacked = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            let share = 100.0 * count(run) as f64 / run.attempted.max(1) as f64;
            stacked.push(bar(i, bottoms[i], bottoms[i] + share, colour.filled()));
            bottoms[i] += share;
        }
        chart
            .draw_series(stacked)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 12))
        .draw()?;
    Ok(())
}

/// `set_unset`: set→applied latency, p50 as a bar and the max as a marker, on a log scale.
fn latency(area: &Area<'_>, runs: &[ChangeRun]) -> Fallible {
    let floor = 0.01;
    let top = runs
        .iter()
        .map(|r| r.applied_latency_max_us)
        .fold(1000.0f64, f64::max)
        * 2.0;
    let mut chart = strategy_panel(
        area,
        "set_unset: set -> applied, p50 (bar), max (x), us",
        (floor..top).log_scale(),
        "us (log, polled)",
    )?;
    chart.draw_series(runs.iter().enumerate().map(|(i, r)| {
        bar(
            i,
            floor,
            r.applied_latency_p50_us.max(floor),
            column_fill(i),
        )
    }))?;
    chart.draw_series(runs.iter().enumerate().map(|(i, r)| {
        Cross::new(
            (
                SegmentValue::CenterOf(i32::try_from(i).unwrap_or(0)),
                r.applied_latency_max_us.max(floor),
            ),
            6,
            BLACK.stroke_width(2),
        )
    }))?;
    Ok(())
}
