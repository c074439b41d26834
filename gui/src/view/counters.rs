//! The counters table: per strategy, since the editor opened, what it delivered, what did not
//! fit, how many changes it refused and how long the last set took to apply (where the listener
//! stands is on the strategy cards, and in the hover text of each name).

use super::theme::{status_label, strategy_color, TEXT_DIM};
use crate::link::StrategyReport;
use crate::model::DeliveryCounters;
use egui::{Grid, RichText, Ui};
use rtcb::{PerStrategy, Strategy};

/// Draws the table.
pub fn show(
    ui: &mut Ui,
    active: Strategy,
    reports: &PerStrategy<StrategyReport>,
    delivered: &PerStrategy<DeliveryCounters>,
) {
    Grid::new("rtcb-counters")
        .striped(true)
        .num_columns(6)
        .spacing([6.0, 3.0])
        .show(ui, |ui| {
            for (title, hover) in [
                ("Strategy", "How process() hands each block's notes to the editor"),
                ("Batches", "Blocks the editor received (one batch per block)"),
                ("Notes", "Notes the editor received"),
                ("Did not fit", "Notes counted but not shown: hover a number for where"),
                ("Refused", "Changes of listener this strategy refused"),
                (
                    "Applied",
                    "How long the last change took to apply: from its being accepted to the editor seeing it applied, measured by \
                     the editor once per frame: mostly its frame time (16-66 ms), not the \
                     hand-over, which takes one audio block at most",
                ),
            ] {
                ui.label(RichText::new(title).small().strong().color(TEXT_DIM))
                    .on_hover_text(hover);
            }
            ui.end_row();
            for (strategy, report) in reports.iter() {
                let counts = &delivered[strategy];
                let name = RichText::new(strategy.name()).color(strategy_color(strategy));
                ui.label(if strategy == active { name.strong() } else { name })
                    .on_hover_text(format!("Listener: {}", status_label(report.status).0));
                number(ui, counts.batches);
                number(ui, counts.notes);
                let lost_in_ring = counts.notes_lost_in_ring + report.losses.notes;
                let did_not_fit = counts.notes_over_capacity + lost_in_ring;
                number(ui, did_not_fit).on_hover_text(format!(
                    "{} over the batch's capacity (plugin side)\n{} that did not fit in the editor's ring ({} whole batches)\n{} calls skipped: ring busy",
                    counts.notes_over_capacity,
                    lost_in_ring,
                    report.losses.batches,
                    report.losses.contended,
                ));
                number(ui, report.refusals).on_hover_text(
                    "Changes this strategy refused since the editor opened (each retry counts); a refused set is retried every frame",
                );
                let latency = report.latency.map_or_else(
                    || "—".to_owned(),
                    |d| format!("{:.1} ms", d.as_secs_f64() * 1e3),
                );
                ui.label(RichText::new(latency).monospace()).on_hover_text(format!(
                    "From the set being accepted to the editor seeing it applied (no finer than a frame). Newest applied ticket: #{}",
                    report.applied_ticket
                ));
                ui.end_row();
            }
        });
}

fn number(ui: &mut Ui, value: u64) -> egui::Response {
    ui.label(RichText::new(value.to_string()).monospace())
}
