//! A listener that panics inside the plugin's `process()` (a bug on the editor's side) does not
//! take the host down: the plugin catches the panic where it delivers (`Reporter::end_block`),
//! the block's MIDI still comes out whole, the strategy retires the listener, later blocks
//! allocate nothing, and an editor that opens again hears the plugin again. Through every
//! strategy, with the plugin's real `process()` in this process: a panicking listener cannot be
//! put into the built library from outside, and without the catch a panic would abort the host
//! at the wrapper's `extern "C"` boundary (debug builds abort earlier, at the panic's allocation
//! under the framework's allocation guard).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use rtcb::{Listener, Strategy};
use rtcb_gui::batch::NoteBatch;
use rtcb_gui::model::EditorModel;
use rtcb_plugin::params::StrategyChoice;
use rtcb_plugin::Rtcb;

use crate::host::in_process::{self, HostContext};
use crate::host::stable_param_id;

const SAMPLE_RATE: f32 = 48_000.0;
const FRAMES: usize = 128;

/// A block's events: a note on and a CC.
fn block_events(block: u8) -> Vec<PluginNoteEvent<Rtcb>> {
    vec![
        NoteEvent::NoteOn {
            timing: 3,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(1),
            key: Key::Number(60 + block % 12),
            velocity: 0.75,
        },
        NoteEvent::MidiCC {
            timing: 40,
            channel: 1,
            cc: 7,
            value: 0.5,
        },
    ]
}

#[test]
fn a_panicking_listener_does_not_take_the_host_down() {
    let mut plugin = Rtcb::default();
    let params = plugin.params_handle();
    let link = plugin.editor_link();
    let mut context = HostContext::new(SAMPLE_RATE, 64);
    let mut channels = vec![vec![0.0f32; FRAMES]; 2];
    let mut buffer = Buffer::default();
    in_process::activate(&mut plugin, SAMPLE_RATE, FRAMES as u32);
    let mut block = 0u8;
    let mut process = |plugin: &mut Rtcb| {
        block = block.wrapping_add(1);
        let events = block_events(block);
        context.input.extend(events.iter().cloned());
        context.output.clear();
        let (status, allocations) =
            in_process::process(plugin, &mut channels, &mut buffer, &mut context);
        assert!(matches!(status, ProcessStatus::Normal));
        assert!(context.output == events, "the block's MIDI comes out whole");
        allocations
    };

    for strategy in Strategy::ALL {
        let normalized = params
            .strategy
            .preview_normalized(StrategyChoice::from(strategy));
        in_process::set_normalized(&params, stable_param_id("strategy"), normalized);
        link.open(strategy);
        // The editor's tap in place, then a listener that panics instead of it.
        process(&mut plugin);
        let calls = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&calls);
        let mut panicking = Some(Listener::forever(move |_: &NoteBatch| {
            counted.fetch_add(1, Ordering::SeqCst);
            panic!("the editor's listener panics");
        }));
        for _ in 0..10 {
            let Some(listener) = panicking.take() else {
                break;
            };
            // Refusing strategies take it once the audio thread has caught up.
            if let Err(refused) = link.with_registrar(|r| r.set(strategy, listener)) {
                panicking = refused.into_listener();
                process(&mut plugin);
            }
        }
        assert!(
            panicking.is_none(),
            "{strategy}: the listener was never taken"
        );
        // The listener panics in one of these blocks; each returns, whole.
        for _ in 0..4 {
            process(&mut plugin);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{strategy}: called once");
        for _ in 0..4 {
            assert_eq!(process(&mut plugin), 0, "{strategy}: allocations after");
        }

        // An editor that opens again hears the plugin again.
        link.close();
        link.sync();
        link.open(strategy);
        for _ in 0..4 {
            process(&mut plugin);
            link.follow(strategy);
        }
        let mut model = EditorModel::default();
        assert!(
            link.drain(&mut model) > 0,
            "{strategy}: heard after a reopen"
        );
        link.close();
        link.sync();
    }
}
