//! The cost view: what delivering a batch costs the audio thread per block — p50, p99 and max
//! over the last second each strategy delivered — and a live plot of the last seconds, one bar
//! per slice coloured by strategy.

use super::theme::{format_ns, strategy_color, LINE, SURFACE, TEXT_DIM};
use crate::model::{CostTracker, BUCKET_SECONDS, PLOT_SECONDS};
use egui::{pos2, vec2, Align2, FontId, Grid, Rect, RichText, Sense, Stroke, StrokeKind, Ui};
use rtcb::Strategy;

/// Draws the statistics table for every strategy, the active one first in bold.
pub fn table(ui: &mut Ui, active: Strategy, cost: &CostTracker) {
    Grid::new("rtcb-cost")
        .striped(true)
        .num_columns(4)
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            for title in ["Delivery cost", "p50", "p99", "max"] {
                ui.label(RichText::new(title).small().strong().color(TEXT_DIM));
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
                        for ns in [stats.p50_ns, stats.p99_ns, stats.max_ns] {
                            let text = RichText::new(format_ns(u64::from(ns))).monospace();
                            ui.label(if strategy == active {
                                text.strong()
                            } else {
                                text
                            });
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

/// Draws the plot of the last [`PLOT_SECONDS`] in the space given.
pub fn plot(ui: &mut Ui, cost: &CostTracker, size: egui::Vec2) {
    let (response, painter) = ui.allocate_painter(size, Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 4, SURFACE);
    painter.rect_stroke(rect, 4, Stroke::new(1.0, LINE), StrokeKind::Inside);
    let history = cost.history();
    let caption = format!(
        "max per {:.0} ms slice, last {PLOT_SECONDS:.0} s",
        BUCKET_SECONDS * 1e3
    );
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
        return;
    };
    let top = history.buckets().map(|b| b.max_ns).max().unwrap_or(1);
    let scale = nice_ceiling(u64::from(top).max(100));
    let area = Rect::from_min_max(
        pos2(rect.left() + 6.0, rect.top() + 20.0),
        pos2(rect.right() - 6.0, rect.bottom() - 4.0),
    );
    for fraction in [0.5f32, 1.0] {
        let y = area.bottom() - area.height() * fraction;
        painter.hline(area.x_range(), y, Stroke::new(1.0, LINE));
        painter.text(
            pos2(area.right(), y - 1.0),
            Align2::RIGHT_BOTTOM,
            format_ns((scale as f64 * f64::from(fraction)) as u64),
            FontId::proportional(10.0),
            TEXT_DIM,
        );
    }
    let slices = (PLOT_SECONDS / BUCKET_SECONDS).round() as f32;
    let bar = area.width() / slices;
    for bucket in history.buckets() {
        let age = ((newest - bucket.start) / BUCKET_SECONDS) as f32;
        let right = area.right() - age * bar;
        let height = area.height() * (bucket.max_ns as f32 / scale as f32).min(1.0);
        let bar_rect = Rect::from_min_max(
            pos2(right - bar + 1.0, area.bottom() - height.max(1.0)),
            pos2(right, area.bottom()),
        );
        painter.rect_filled(bar_rect, 0, strategy_color(bucket.strategy));
    }
}

/// The smallest 1, 2 or 5 times a power of ten that is at least `value`.
fn nice_ceiling(value: u64) -> u64 {
    let mut power = 1u64;
    loop {
        for step in [1, 2, 5] {
            if step * power >= value {
                return step * power;
            }
        }
        power *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::nice_ceiling;

    #[test]
    fn rounds_the_scale_up_to_1_2_5() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(101), 200);
        assert_eq!(nice_ceiling(4_900), 5_000);
        assert_eq!(nice_ceiling(5_001), 10_000);
    }
}
