//! The strategy selector: one card per strategy with its trade-off and where the editor's
//! listener stands on it. A click asks the host to change the strategy parameter.

use super::theme::{
    status_label, strategy_color, swatch, LINE, SURFACE, SURFACE_SELECTED, TEXT_DIM,
};
use crate::link::StrategyReport;
use egui::{Align, Frame, Label, Layout, Margin, Rect, RichText, Sense, Stroke, Ui};
use rtcb::{PerStrategy, Strategy};

/// Draws the five cards side by side; returns the strategy clicked (if any) and where each
/// card was drawn.
pub fn show(
    ui: &mut Ui,
    active: Strategy,
    reports: &PerStrategy<StrategyReport>,
) -> (Option<Strategy>, PerStrategy<Rect>) {
    let mut picked = None;
    let mut cards = PerStrategy::from_fn(|_| Rect::NOTHING);
    ui.columns(Strategy::COUNT, |columns| {
        for (column, (strategy, report)) in columns.iter_mut().zip(reports.iter()) {
            let (clicked, rect) = card(column, strategy, strategy == active, report);
            cards[strategy] = rect;
            if clicked {
                picked = Some(strategy);
            }
        }
    });
    (picked.filter(|&strategy| strategy != active), cards)
}

/// Cards narrower than this (inside their margins) show no trade-off line.
const ROOMY_CARD_WIDTH: f32 = 130.0;

/// One strategy's card; returns whether it was clicked, and where it was drawn.
fn card(ui: &mut Ui, strategy: Strategy, selected: bool, report: &StrategyReport) -> (bool, Rect) {
    let colour = strategy_color(strategy);
    let (fill, stroke) = if selected {
        (SURFACE_SELECTED, Stroke::new(2.0, colour))
    } else {
        (SURFACE, Stroke::new(1.0, LINE))
    };
    let frame = Frame::new()
        .fill(fill)
        .stroke(stroke)
        .corner_radius(6)
        .inner_margin(Margin::symmetric(8, 6))
        .show(ui, |ui| {
            let width = ui.available_width();
            ui.set_min_width(width);
            ui.set_max_width(width);
            // Narrow cards (a small window) leave the trade-off to the hover text.
            let roomy = width >= ROOMY_CARD_WIDTH;
            ui.set_min_height(if roomy { 76.0 } else { 40.0 });
            // Left-aligned, not justified: `columns` justifies, which spreads wrapped words.
            ui.with_layout(Layout::top_down(Align::Min), |ui| {
                ui.spacing_mut().item_spacing.y = 3.0;
                ui.horizontal(|ui| {
                    swatch(ui, colour);
                    // Cut with an ellipsis where the card is too narrow for the whole name.
                    ui.add(Label::new(RichText::new(strategy.name()).strong()).truncate());
                });
                let (status, status_colour) = status_label(report.status);
                ui.label(RichText::new(status).small().strong().color(status_colour));
                if roomy {
                    ui.add(
                        Label::new(RichText::new(strategy.trade_off()).small().color(TEXT_DIM))
                            .wrap(),
                    );
                }
            });
        });
    let response = ui
        .interact(
            frame.response.rect,
            ui.scope_id().with(("rtcb-strategy-card", strategy.index())),
            Sense::click(),
        )
        .on_hover_text(details(strategy));
    if response.hovered() && !selected {
        ui.painter().rect_stroke(
            frame.response.rect,
            6,
            Stroke::new(1.5, colour),
            egui::StrokeKind::Inside,
        );
    }
    (response.clicked(), frame.response.rect)
}

/// The hover text: the strategy's properties in full.
fn details(strategy: Strategy) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    format!(
        "{}\nregistrars: {}\na set can be refused: {}\nregistrar waits for the audio thread: {}\n\nClick to make it the active strategy (through the host: undoable, automatable).",
        strategy.trade_off(),
        if strategy.allows_many_registrars() { "many" } else { "one" },
        yes_no(strategy.can_refuse()),
        yes_no(strategy.registrar_waits()),
    )
}
