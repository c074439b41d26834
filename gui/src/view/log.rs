//! The note log: recent note events, newest first, with their audio time, name, velocity and
//! channel, marked in the colour of the strategy that delivered them.

use super::theme::{strategy_color, TEXT, TEXT_DIM};
use crate::batch::NoteKind;
use crate::model::{EventLog, NoteName};
use egui::{vec2, RichText, ScrollArea, Sense, TextStyle, Ui};

/// Width of the strategy mark at the start of each row.
const MARK_WIDTH: f32 = 4.0;

/// Draws the log in the space left in `ui`.
pub fn show(ui: &mut Ui, log: &EventLog) {
    ui.horizontal(|ui| {
        ui.add_space(MARK_WIDTH);
        ui.label(
            RichText::new(format!(
                "{:>9} {:<5} {:<4} {:>3} {:<5}",
                "time", "event", "note", "vel", "ch"
            ))
            .monospace()
            .color(TEXT_DIM),
        );
    });
    if log.is_empty() {
        ui.label(
            RichText::new("No note events yet. Play notes or switch the demo pattern on.")
                .small()
                .color(TEXT_DIM),
        );
        return;
    }
    let row_height = ui.text_style_height(&TextStyle::Monospace);
    ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_rows(ui, row_height, log.len(), |ui, rows| {
            ui.spacing_mut().item_spacing.y = 0.0;
            for entry in log.newest_first().skip(rows.start).take(rows.len()) {
                let event = &entry.event;
                let (kind, colour) = match event.kind {
                    NoteKind::On => ("on", TEXT),
                    NoteKind::Off => ("off", TEXT_DIM),
                    NoteKind::Choke => ("choke", TEXT_DIM),
                };
                let velocity = (event.velocity.clamp(0.0, 1.0) * 127.0).round() as u8;
                ui.horizontal(|ui| {
                    let (mark, _) =
                        ui.allocate_exact_size(vec2(MARK_WIDTH, row_height), Sense::hover());
                    ui.painter()
                        .rect_filled(mark, 1, strategy_color(entry.strategy));
                    ui.label(
                        RichText::new(format!(
                            "{:>7.2} s {:<5} {:<4} {:>3} ch {:<2}",
                            entry.seconds,
                            kind,
                            NoteName(event.note),
                            velocity,
                            event.channel + 1
                        ))
                        .monospace()
                        .color(colour),
                    );
                })
                .response
                .on_hover_text(format!("delivered by {}", entry.strategy));
            }
        });
}
