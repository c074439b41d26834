//! The cost view: what delivering a batch costs the audio thread per block — p50, p99 and max
//! over each strategy's last deliveries ([`WINDOW_BLOCKS`]) — and a live plot of the last
//! seconds, one bar per slice coloured by strategy.

use super::theme::{format_ns, strategy_color, LINE, SURFACE, TEXT_DIM};
use crate::model::{CostTracker, BUCKET_SECONDS, P99_MIN_BLOCKS, PLOT_SECONDS, WINDOW_BLOCKS};
use egui::{pos2, vec2, Align2, FontId, Grid, Rect, RichText, Sense, Stroke, StrokeKind, Ui};
use rtcb::Strategy;

/// Draws the statistics table for every strategy, the active one first in bold.
pub fn table(ui: &mut Ui, active: Strategy, cost: &CostTracker) {
    Grid::new("rtcb-cost")
        .striped(true)
        .num_columns(4)
        .spacing([10.0, 3.0])
        .show(ui, |ui| {
            let headers = [
                (
                    "Delivery cost".to_owned(),
                    "What deliver() cost the audio thread per block: the strategy's hand-over \
                     and the editor's listener copying the batch into its ring. The library's \
                     benchmarks time the hand-over alone, in nanoseconds. A debug build (the \
                     title row says so) is slower"
                        .to_owned(),
                ),
                ("p50".to_owned(), "The median".to_owned()),
                (
                    "p99".to_owned(),
                    format!("99 % of deliveries cost this or less (from {P99_MIN_BLOCKS} on)"),
                ),
                ("max".to_owned(), "The most expensive delivery".to_owned()),
            ];
            for (title, hover) in headers {
                ui.label(RichText::new(title).small().strong().color(TEXT_DIM))
                    .on_hover_text(hover);
            }
            ui.end_row();
            for strategy in Strategy::ALL {
                let name = RichText::new(strategy.name()).color(strategy_color(strategy));
                ui.label(if strategy == active {
                    name.strong()
                } else {
                    name
                });
                match cost.stats(strategy) {
                    Some(stats) => {
                        for ns in [Some(stats.p50_ns), stats.p99_ns, Some(stats.max_ns)] {
                            let Some(ns) = ns else {
                                ui.label(RichText::new("—").color(TEXT_DIM)).on_hover_text(
                                    format!(
                                        "A p99 needs {P99_MIN_BLOCKS} deliveries; {} so far.",
                                        stats.blocks
                                    ),
                                );
                                continue;
                            };
                            let text = RichText::new(format_ns(u64::from(ns))).monospace();
                            ui.label(if strategy == active {
                                text.strong()
                            } else {
                                text
                            })
                            .on_hover_text(format!(
                                "Over the last {} deliveries (at most {WINDOW_BLOCKS}).",
                                stats.blocks
                            ));
                        }
                    }
                    None => {
                        for _ in 0..3 {
                            ui.label(RichText::new("—").color(TEXT_DIM));
                        }
                    }
                }
                ui.end_row();
            }
        });
}

/// The plot's floor: costs below it are drawn at it (a log scale needs one).
const PLOT_FLOOR_NS: f64 = 100.0;

/// Draws the plot of the last [`PLOT_SECONDS`] in the space given: one bar per slice, on a
/// logarithmic scale from 100 ns to the decade above the largest cost, so a 20 µs delivery and a
/// 2 ms one are both visible. Returns where it was drawn.
pub fn plot(ui: &mut Ui, cost: &CostTracker, size: egui::Vec2) -> Rect {
    let (response, painter) = ui.allocate_painter(size, Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 4, SURFACE);
    painter.rect_stroke(rect, 4, Stroke::new(1.0, LINE), StrokeKind::Inside);
    let history = cost.history();
    // The whole caption where it fits, its gist in a narrow plot (a small window).
    let caption = if rect.width() >= 200.0 {
        format!(
            "max per {:.0} ms, last {PLOT_SECONDS:.0} s (log scale)",
            BUCKET_SECONDS * 1e3
        )
    } else {
        format!("max/{:.0} ms", BUCKET_SECONDS * 1e3)
    };
    painter.text(
        rect.left_top() + vec2(6.0, 4.0),
        Align2::LEFT_TOP,
        caption,
        FontId::proportional(11.0),
        TEXT_DIM,
    );
    let Some(newest) = history.newest() else {
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            "no deliveries yet",
            FontId::proportional(12.0),
            TEXT_DIM,
        );
        return rect;
    };
    let top_ns = history.buckets().map(|b| b.max_ns).max().unwrap_or(1);
    let top = decade_ceiling(f64::from(top_ns).max(PLOT_FLOOR_NS * 10.0));
    // Bars on the left, the scale's labels in a gutter on the right.
    let area = Rect::from_min_max(
        pos2(rect.left() + 6.0, rect.top() + 20.0),
        pos2(rect.right() - 52.0, rect.bottom() - 6.0),
    );
    let span = (top / PLOT_FLOOR_NS).log10();
    let height_of =
        |ns: f64| area.height() * ((ns.max(PLOT_FLOOR_NS) / PLOT_FLOOR_NS).log10() / span) as f32;
    let mut decade = PLOT_FLOOR_NS * 10.0;
    while decade <= top {
        let y = area.bottom() - height_of(decade);
        painter.hline(area.x_range(), y, Stroke::new(1.0, LINE));
        painter.text(
            pos2(area.right() + 4.0, y),
            Align2::LEFT_CENTER,
            format_ns(decade as u64),
            FontId::proportional(10.0),
            TEXT_DIM,
        );
        decade *= 10.0;
    }
    let slices = (PLOT_SECONDS / BUCKET_SECONDS).round() as f32;
    let bar = area.width() / slices;
    for bucket in history.buckets() {
        let age = ((newest - bucket.start) / BUCKET_SECONDS) as f32;
        let right = area.right() - age * bar;
        let height = height_of(f64::from(bucket.max_ns)).max(1.0);
        let bar_rect = Rect::from_min_max(
            pos2(right - bar + 1.0, area.bottom() - height),
            pos2(right, area.bottom()),
        );
        painter.rect_filled(bar_rect, 0, strategy_color(bucket.strategy));
    }
    rect
}

/// The smallest power of ten that is at least `value` (`value` > 0).
fn decade_ceiling(value: f64) -> f64 {
    10f64.powi(value.log10().ceil() as i32)
}

#[cfg(test)]
mod tests {
    use super::decade_ceiling;

    #[test]
    fn the_scale_ends_at_the_next_power_of_ten() {
        assert_eq!(decade_ceiling(1_000.0), 1_000.0);
        assert_eq!(decade_ceiling(1_001.0), 10_000.0);
        assert_eq!(decade_ceiling(2_000_000.0), 10_000_000.0);
    }
}
