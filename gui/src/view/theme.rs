//! Colours and text sizes: a dark theme with clear contrast, one colour per strategy, one per
//! registration status.

use egui::{Color32, FontFamily, FontId, TextStyle, Theme, Visuals};
use rtcb::{Status, Strategy};

/// The window's background.
pub const BACKGROUND: Color32 = Color32::from_rgb(0x17, 0x1a, 0x20);
/// Background of cards and plots, a step lighter than the window.
pub const SURFACE: Color32 = Color32::from_rgb(0x22, 0x26, 0x2e);
/// A selected card's background.
pub const SURFACE_SELECTED: Color32 = Color32::from_rgb(0x2d, 0x35, 0x44);
/// Main text.
pub const TEXT: Color32 = Color32::from_rgb(0xe6, 0xe9, 0xef);
/// Secondary text: captions, units, trade-offs.
pub const TEXT_DIM: Color32 = Color32::from_rgb(0xa0, 0xa8, 0xb6);
/// Grid lines and outlines.
pub const LINE: Color32 = Color32::from_rgb(0x3a, 0x40, 0x4c);
/// Text that warns (a debug build's numbers).
pub const WARNING: Color32 = Color32::from_rgb(0xf2, 0xd0, 0x5c);

/// Sets the editor's dark theme and text sizes on `ctx`.
pub fn apply(ctx: &egui::Context) {
    ctx.set_theme(Theme::Dark);
    ctx.style_mut_of(Theme::Dark, |style| {
        let mut visuals = Visuals::dark();
        visuals.panel_fill = BACKGROUND;
        visuals.window_fill = BACKGROUND;
        visuals.extreme_bg_color = Color32::from_rgb(0x10, 0x12, 0x16);
        visuals.faint_bg_color = SURFACE;
        visuals.override_text_color = Some(TEXT);
        style.visuals = visuals;
        style.text_styles = [
            (
                TextStyle::Heading,
                FontId::new(18.0, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(14.0, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(14.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Small,
                FontId::new(12.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(13.0, FontFamily::Monospace),
            ),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(8.0, 5.0);
    });
}

/// The colour that stands for `strategy` in badges, keys and the plot.
pub fn strategy_color(strategy: Strategy) -> Color32 {
    match strategy {
        Strategy::SpinLock => Color32::from_rgb(0xf0, 0x80, 0x5a),
        Strategy::SpscQueue => Color32::from_rgb(0xe8, 0xc5, 0x4e),
        Strategy::Trap => Color32::from_rgb(0xb9, 0x95, 0xf5),
        Strategy::OverwriteRing => Color32::from_rgb(0x55, 0xc8, 0xe0),
        Strategy::Mailbox => Color32::from_rgb(0x74, 0xd6, 0x84),
    }
}

/// A small dot of `colour`, one line of body text tall: the legend mark of a strategy.
pub fn swatch(ui: &mut egui::Ui, colour: Color32) {
    let height = ui.text_style_height(&TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, height), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.5, colour);
}

/// How a registration status reads, and its colour.
pub fn status_label(status: Status) -> (&'static str, Color32) {
    match status {
        Status::Off => ("Off", Color32::from_rgb(0x80, 0x87, 0x94)),
        Status::Refused => ("Refused (pending)", Color32::from_rgb(0xff, 0x7a, 0x6b)),
        Status::Applying => ("Applying", Color32::from_rgb(0xf2, 0xd0, 0x5c)),
        Status::Listening => ("Listening", Color32::from_rgb(0x74, 0xd6, 0x84)),
        Status::Clearing => ("Clearing", Color32::from_rgb(0x8f, 0xb4, 0xe0)),
    }
}

/// A duration in nanoseconds, in the unit that keeps it readable (`850 ns`, `2.4 µs`, `1.3 ms`).
pub fn format_ns(ns: u64) -> String {
    match ns {
        0..=999 => format!("{ns} ns"),
        1_000..=999_999 => format!("{:.1} µs", ns as f64 / 1e3),
        _ => format!("{:.1} ms", ns as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_durations_readably() {
        assert_eq!(format_ns(850), "850 ns");
        assert_eq!(format_ns(2_440), "2.4 µs");
        assert_eq!(format_ns(1_260_000), "1.3 ms");
    }

    #[test]
    fn every_strategy_has_its_own_colour() {
        let colours: std::collections::HashSet<_> =
            Strategy::ALL.into_iter().map(strategy_color).collect();
        assert_eq!(colours.len(), Strategy::ALL.len());
    }
}
