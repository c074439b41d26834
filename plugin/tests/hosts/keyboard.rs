//! A key clicked on the editor's keyboard comes out of the plugin as a note: the editor's real
//! frames (headless egui) read the pointer, the link sends the key through its ring, and the
//! plugin's real `process()` forwards it on the block's first sample, allocating nothing. A
//! drag plays the next key; releasing the button, or closing the editor with a key held,
//! sends the note off.

use std::sync::Arc;

use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use rtcb_gui::keys::MOUSE_VELOCITY;
use rtcb_gui::view::keyboard;
use rtcb_gui::{EditorCore, EditorLink, EditorParams};
use rtcb_plugin::Rtcb;

use crate::host::in_process::{self, HostContext};

const SAMPLE_RATE: f32 = 48_000.0;
const FRAMES: usize = 256;

/// The editor's core with a headless egui context, at its default size.
struct Editor {
    core: EditorCore,
    ctx: egui::Context,
}

impl Editor {
    fn frame(&mut self, events: Vec<egui::Event>) {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(840.0, 560.0),
            )),
            events,
            ..Default::default()
        };
        let core = &mut self.core;
        let mut output = self.ctx.run_ui(input, |ui| {
            core.ui(ui);
        });
        output.textures_delta.clear();
    }

    /// A point on `note`'s key, low on it (where no black key covers a white one).
    fn on_key(&self, note: u8) -> egui::Pos2 {
        let rect = self.core.sections().keyboard;
        let key = keyboard::key_rect(rect, note).expect("a key on the keyboard");
        egui::pos2(key.center().x, key.bottom() - 4.0)
    }
}

fn button(pos: egui::Pos2, pressed: bool) -> egui::Event {
    egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    }
}

fn note(on: bool, key: u8) -> PluginNoteEvent<Rtcb> {
    let (voice_id, channel, key) = (VoiceID::Wildcard, Channel::Number(0), Key::Number(key));
    if on {
        NoteEvent::NoteOn {
            timing: 0,
            voice_id,
            channel,
            key,
            velocity: MOUSE_VELOCITY,
        }
    } else {
        NoteEvent::NoteOff {
            timing: 0,
            voice_id,
            channel,
            key,
            velocity: 0.0,
        }
    }
}

#[test]
fn a_clicked_key_comes_out_of_the_plugin() {
    let mut plugin = Rtcb::default();
    let params = plugin.params_handle();
    let link: Arc<EditorLink> = plugin.editor_link();
    let editor_params: Arc<dyn EditorParams> = params.clone();
    let mut editor = Editor {
        core: EditorCore::new(Arc::clone(&link), editor_params),
        ctx: egui::Context::default(),
    };
    let mut context = HostContext::new(SAMPLE_RATE, 64);
    let mut channels = vec![vec![0.0f32; FRAMES]; 2];
    let mut buffer = Buffer::default();
    in_process::activate(&mut plugin, SAMPLE_RATE, FRAMES as u32);
    let mut process = |plugin: &mut Rtcb| {
        context.output.clear();
        let (status, allocations) =
            in_process::process(plugin, &mut channels, &mut buffer, &mut context);
        assert!(matches!(status, ProcessStatus::Normal));
        assert_eq!(allocations, 0, "process() allocates nothing");
        // Drained, not taken: the host's list keeps its capacity.
        context.output.drain(..).collect::<Vec<_>>()
    };

    link.open(EditorParams::strategy(&*params));
    editor.frame(Vec::new());
    assert_eq!(process(&mut plugin), [], "nothing played yet");

    let (c4, d4, e4) = (editor.on_key(60), editor.on_key(62), editor.on_key(64));
    editor.frame(vec![egui::Event::PointerMoved(c4)]);
    assert_eq!(process(&mut plugin), [], "hovering plays nothing");
    editor.frame(vec![button(c4, true)]);
    assert_eq!(
        process(&mut plugin),
        [note(true, 60)],
        "a click plays the key"
    );
    editor.frame(Vec::new());
    assert_eq!(process(&mut plugin), [], "a held key is sent once");
    editor.frame(vec![egui::Event::PointerMoved(d4)]);
    assert_eq!(
        process(&mut plugin),
        [note(false, 60), note(true, 62)],
        "a drag plays the next key"
    );
    editor.frame(vec![button(d4, false)]);
    assert_eq!(
        process(&mut plugin),
        [note(false, 62)],
        "the release ends it"
    );

    // A key held while the editor closes is released.
    editor.frame(vec![egui::Event::PointerMoved(e4), button(e4, true)]);
    link.close();
    assert_eq!(process(&mut plugin), [note(true, 64), note(false, 64)]);
    assert_eq!(link.keys_dropped(), 0);
}
