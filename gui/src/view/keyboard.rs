//! The keyboard: seven octaves with the held notes lit, brighter for louder notes. It is also
//! played: the key under a pressed pointer is reported to the caller, which sends it to the
//! plugin ([`crate::keys`]); dragging across keys plays them in turn.

use super::theme::{LINE, TEXT_DIM};
use crate::model::{HeldNotes, NoteName};
use egui::{pos2, vec2, Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Ui};

/// The lowest key drawn (C1).
pub const LOWEST: u8 = 24;
/// The highest key drawn (C8).
pub const HIGHEST: u8 = 108;

/// What a frame of the keyboard showed and what the pointer did on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyboardFrame {
    /// Where the keyboard was drawn.
    pub rect: Rect,
    /// The key a pressed pointer is on, if any.
    pub pressed: Option<u8>,
    /// Held notes outside the keys drawn.
    pub held_outside: usize,
}

/// Keys with the area each is drawn in: (MIDI key number, area).
pub type KeyAreas = Vec<(u8, Rect)>;

/// The keys drawn in `rect`: white keys, then black keys (drawn over them).
pub fn keys(rect: Rect) -> (KeyAreas, KeyAreas) {
    let whites: Vec<u8> = (LOWEST..=HIGHEST)
        .filter(|&n| !NoteName(n).is_black())
        .collect();
    let white_width = rect.width() / whites.len() as f32;
    let white_keys = whites
        .iter()
        .enumerate()
        .map(|(i, &note)| {
            let key = Rect::from_min_size(
                pos2(rect.left() + i as f32 * white_width, rect.top()),
                vec2(white_width, rect.height()),
            );
            (note, key)
        })
        .collect();
    let black_width = white_width * 0.62;
    let black_keys = whites
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| pair[1] - pair[0] == 2)
        .map(|(i, pair)| {
            let x = rect.left() + (i + 1) as f32 * white_width;
            let key = Rect::from_min_size(
                pos2(x - black_width / 2.0, rect.top()),
                vec2(black_width, rect.height() * 0.6),
            );
            (pair[0] + 1, key)
        })
        .collect();
    (white_keys, black_keys)
}

/// The key at `pos` on a keyboard drawn in `rect` (black keys lie on top of white ones).
pub fn key_at(rect: Rect, pos: Pos2) -> Option<u8> {
    let (whites, blacks) = keys(rect);
    blacks
        .iter()
        .chain(&whites)
        .find(|(_, key)| key.contains(pos))
        .map(|&(note, _)| note)
}

/// The area of `note` on a keyboard drawn in `rect`, if it is drawn.
pub fn key_rect(rect: Rect, note: u8) -> Option<Rect> {
    let (whites, blacks) = keys(rect);
    whites
        .into_iter()
        .chain(blacks)
        .find(|&(n, _)| n == note)
        .map(|(_, key)| key)
}

/// Draws the keyboard `height` points tall across the available width, lighting held notes in
/// `lit`, and reads the pointer on it.
pub fn show(ui: &mut Ui, held: &HeldNotes, lit: Color32, height: f32) -> KeyboardFrame {
    let (response, painter) =
        ui.allocate_painter(vec2(ui.available_width(), height), Sense::click_and_drag());
    let rect = response.rect;
    let pressed = if response.is_pointer_button_down_on() {
        ui.input(|input| input.pointer.interact_pos())
            .and_then(|pos| key_at(rect, pos))
    } else {
        None
    };
    let shade = |velocity: f32| {
        let t = 0.45 + 0.55 * velocity.clamp(0.0, 1.0);
        Color32::from_rgb(
            (f32::from(lit.r()) * t) as u8,
            (f32::from(lit.g()) * t) as u8,
            (f32::from(lit.b()) * t) as u8,
        )
    };
    let (whites, blacks) = keys(rect);
    for (note, key) in whites {
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
    for (note, key) in blacks {
        let fill = held
            .velocity(note)
            .map_or(Color32::from_rgb(0x20, 0x22, 0x28), shade);
        painter.rect_filled(key, 2, fill);
        painter.rect_stroke(key, 2, Stroke::new(1.0, LINE), StrokeKind::Inside);
    }
    let held_outside = (0..LOWEST)
        .chain(HIGHEST + 1..=127)
        .filter(|&n| held.velocity(n).is_some())
        .count();
    if held_outside > 0 {
        painter.text(
            rect.right_top() + vec2(-4.0, 2.0),
            Align2::RIGHT_TOP,
            format!("+{held_outside} held outside C1–C8"),
            FontId::proportional(11.0),
            TEXT_DIM,
        );
    }
    KeyboardFrame {
        rect,
        pressed,
        held_outside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_where_it_is_drawn() {
        let rect = Rect::from_min_size(pos2(10.0, 20.0), vec2(800.0, 58.0));
        let (whites, blacks) = keys(rect);
        assert_eq!(
            whites.len() + blacks.len(),
            usize::from(HIGHEST - LOWEST) + 1
        );
        for (note, key) in blacks {
            assert_eq!(key_at(rect, key.center()), Some(note), "black {note}");
        }
        // A white key's lower part is its own (the black keys cover only the upper 60 %).
        for (note, key) in whites {
            let low = pos2(key.center().x, key.bottom() - 2.0);
            assert_eq!(key_at(rect, low), Some(note), "white {note}");
            assert_eq!(key_rect(rect, note), Some(key));
        }
        assert_eq!(key_at(rect, pos2(5.0, 30.0)), None, "left of the keyboard");
        assert_eq!(key_rect(rect, LOWEST - 1), None);
    }
}
