//! The keyboard: seven octaves with the held notes lit, brighter for louder notes.

use super::theme::{LINE, TEXT_DIM};
use crate::model::{HeldNotes, NoteName};
use egui::{pos2, vec2, Align2, Color32, FontId, Rect, Sense, Stroke, StrokeKind, Ui};

/// The lowest key drawn (C1).
pub const LOWEST: u8 = 24;
/// The highest key drawn (C8).
pub const HIGHEST: u8 = 108;

/// Draws the keyboard `height` points tall across the available width, lighting held notes in
/// `lit`. Returns how many held notes lie outside the keys drawn.
pub fn show(ui: &mut Ui, held: &HeldNotes, lit: Color32, height: f32) -> usize {
    let (response, painter) =
        ui.allocate_painter(vec2(ui.available_width(), height), Sense::hover());
    let rect = response.rect;
    let whites: Vec<u8> = (LOWEST..=HIGHEST)
        .filter(|&n| !NoteName(n).is_black())
        .collect();
    let white_width = rect.width() / whites.len() as f32;
    let shade = |velocity: f32| {
        let t = 0.45 + 0.55 * velocity.clamp(0.0, 1.0);
        Color32::from_rgb(
            (f32::from(lit.r()) * t) as u8,
            (f32::from(lit.g()) * t) as u8,
            (f32::from(lit.b()) * t) as u8,
        )
    };
    for (i, &note) in whites.iter().enumerate() {
        let key = Rect::from_min_size(
            pos2(rect.left() + i as f32 * white_width, rect.top()),
            vec2(white_width, rect.height()),
        );
        let fill = held
            .velocity(note)
            .map_or(Color32::from_rgb(0xe8, 0xe8, 0xe4), shade);
        painter.rect_filled(key.shrink2(vec2(0.5, 0.0)), 2, fill);
        if note % 12 == 0 {
            painter.text(
                pos2(key.center().x, key.bottom() - 3.0),
                Align2::CENTER_BOTTOM,
                NoteName(note),
                FontId::proportional(10.0),
                Color32::from_rgb(0x50, 0x55, 0x60),
            );
        }
    }
    let black_width = white_width * 0.62;
    for (i, pair) in whites.windows(2).enumerate() {
        if pair[1] - pair[0] != 2 {
            continue;
        }
        let black = pair[0] + 1;
        let x = rect.left() + (i + 1) as f32 * white_width;
        let key = Rect::from_min_size(
            pos2(x - black_width / 2.0, rect.top()),
            vec2(black_width, rect.height() * 0.6),
        );
        let fill = held
            .velocity(black)
            .map_or(Color32::from_rgb(0x20, 0x22, 0x28), shade);
        painter.rect_filled(key, 2, fill);
        painter.rect_stroke(key, 2, Stroke::new(1.0, LINE), StrokeKind::Inside);
    }
    let outside = (0..LOWEST)
        .chain(HIGHEST + 1..=127)
        .filter(|&n| held.velocity(n).is_some())
        .count();
    if outside > 0 {
        painter.text(
            rect.right_top() + vec2(-4.0, 2.0),
            Align2::RIGHT_TOP,
            format!("+{outside} held outside C1–C8"),
            FontId::proportional(11.0),
            TEXT_DIM,
        );
    }
    outside
}
