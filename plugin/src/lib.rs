//! # rtcb, the plugin
//!
//! A MIDI pass-through plugin (CLAP and VST3) that shows, live, the five ways [`rtcb`] offers to
//! hand data from the audio thread to a listener that comes and goes: its editor.
//!
//! - **Audio**: stereo in, stereo out, passed through bit for bit (so hosts that want audio ports
//!   load it as an effect on an instrument track); a MIDI-only layout is the alternative.
//! - **MIDI**: every incoming event the format carries is forwarded unchanged at its original
//!   sample offset. CLAP (and the standalone) carry notes, note expressions, CCs, pitch bend,
//!   channel pressure, program changes and SysEx up to [`sysex::SYSEX_CAPACITY`] bytes. The VST3
//!   build carries notes, poly pressure and note expressions only ([`Vst3Midi`] says why). One
//!   exception: nice-plug cannot send a note *choke*, so a choke is forwarded as a note-off with
//!   velocity 0 (the note still stops downstream).
//! - **Audio output**: bit for bit the input, except that subnormal samples become zero of the
//!   same sign ([`flush_subnormals`]).
//! - **Demo pattern**: the `demo` parameter adds a built-in arpeggio at `demo_rate` notes per
//!   second ([`demo`]), forwarded and reported like played notes.
//! - **Reporting**: when someone listens, each block's note events are gathered into a
//!   preallocated [`NoteBatch`] and delivered once per block through the strategy the `strategy`
//!   parameter selects ([`report`]).
//!
//! `process()` never allocates, frees, locks or makes a system call. Debug builds check the first
//! two: nice-plug's `assert_process_allocs` runs `process()` under an allocation guard that
//! aborts on any allocation or free.

use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::sync::Arc;

use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use rtcb::Strategy;
use rtcb_gui::batch::NoteBatch;
use rtcb_gui::keys::{KeyEvent, KeyReceiver};
use rtcb_gui::{EditorLink, RtcbEditor};

pub mod demo;
pub mod params;
pub mod report;
mod resident;
pub mod saved_state;
pub mod sysex;

use demo::{Arpeggio, DemoSettings};
use params::RtcbParams;
use report::Reporter;
use sysex::SysEx;

/// Which MIDI a plugin format's build takes in and sends out.
pub trait FormatMidi: Send + 'static {
    /// nice-plug's MIDI setting for input and output.
    const MIDI: MidiConfig;
}

/// CLAP and the standalone: every MIDI message. CLAP carries MIDI 1.0 messages as events, so
/// CCs, pitch bend and channel pressure cost nothing when unused.
pub struct ClapMidi;

impl FormatMidi for ClapMidi {
    const MIDI: MidiConfig = MidiConfig::MidiCCs;
}

/// VST3: notes, poly pressure and note expressions, but no CCs, pitch bend or channel pressure.
///
/// VST3 has no MIDI events for those. A plugin gets them only through `IMidiMapping`: nice-plug
/// exports 2,080 hidden parameters (130 controllers on 16 channels). Hosts store those
/// parameters' values in the project and restore them when it reloads. Every restored value then
/// comes out of the plugin as a CC or pitch bend that nobody played. Ardour 7 sent 546 of them
/// (bank select, volume, sustain, mono mode) in the first block after a reload, and grew
/// nice-plug's event queue on the audio thread to hold them. The 2,083 parameters also made
/// pedalboard take 22 s to load the plugin. A relay must not invent MIDI, so the VST3 build has
/// no mapping. Use the CLAP build to relay controllers.
pub struct Vst3Midi;

impl FormatMidi for Vst3Midi {
    const MIDI: MidiConfig = MidiConfig::Basic;
}

/// The plugin: forwards MIDI, plays the demo pattern, and reports each block's notes to whoever
/// listens through the selected strategy. `M` is the MIDI its format carries ([`ClapMidi`] for
/// CLAP and the standalone, [`Vst3Midi`] for VST3).
pub struct Rtcb<M: FormatMidi = ClapMidi> {
    params: Arc<RtcbParams>,
    /// The audio thread's side of the editor connection.
    reporter: Reporter,
    /// The other side of the connection: the editor's registration and the ring its listener
    /// fills, shared by every editor this instance opens.
    link: Arc<EditorLink>,
    /// The demo pattern's generator.
    arpeggio: Arpeggio,
    /// Keys played on the editor's keyboard, sent on as notes at the start of each block.
    keys: KeyReceiver,
    format: PhantomData<M>,
}

impl<M: FormatMidi> Default for Rtcb<M> {
    fn default() -> Self {
        // Hosts create instances through here; from now on the library must stay loaded.
        resident::stay_loaded();
        // All five strategies are allocated here, once; the audio thread only uses them.
        let (registrar, caller) = rtcb::switchable::<NoteBatch>();
        let link = Arc::new(EditorLink::new(registrar));
        let keys = link.take_key_receiver().expect("a new link's key receiver");
        Self {
            params: Arc::new(RtcbParams::default()),
            reporter: Reporter::new(caller),
            link,
            // The real sample rate comes with `activate()`, before any processing.
            arpeggio: Arpeggio::new(0.0),
            keys,
            format: PhantomData,
        }
    }
}

impl<M: FormatMidi> Rtcb<M> {
    /// The editor's side of the connection: the editor registers its listener through it on
    /// whichever strategy the parameter selects.
    pub fn editor_link(&self) -> Arc<EditorLink> {
        Arc::clone(&self.link)
    }

    /// The plugin's parameters.
    pub fn params_handle(&self) -> Arc<RtcbParams> {
        Arc::clone(&self.params)
    }
}

impl<M: FormatMidi> Plugin for Rtcb<M> {
    const NAME: &'static str = env!("RTCB_PLUGIN_NAME");
    const VENDOR: &'static str = env!("CARGO_PKG_AUTHORS");
    const URL: &'static str = env!("CARGO_PKG_HOMEPAGE");
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            names: PortNames {
                layout: Some("Stereo pass-through"),
                ..PortNames::const_default()
            },
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            names: PortNames {
                layout: Some("MIDI only"),
                ..PortNames::const_default()
            },
            ..AudioIOLayout::const_default()
        },
    ];

    const MIDI_INPUT: MidiConfig = M::MIDI;
    const MIDI_OUTPUT: MidiConfig = M::MIDI;
    /// Room for a dense block of input events before nice-plug has to grow its queue (beyond
    /// it, nice-plug's wrapper grows the queue on the audio thread, an allocation it permits and
    /// logs).
    const INPUT_EVENT_CAPACITY: usize = 2048;

    type Editor = RtcbEditor;
    type SysExMessage = SysEx;
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        rtcb_gui::create_editor(self.link.clone(), self.params.clone())
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.arpeggio.activate(buffer_config.sample_rate);
        self.reporter.activate(buffer_config.sample_rate);
        // Keys played while the plugin was inactive are stale now.
        self.keys.discard();
        true
    }

    fn reset(&mut self) {
        self.arpeggio.reset();
    }

    /// Values a saved state cannot give become the parameters' defaults, with a warning in the
    /// log ([`saved_state`]).
    fn filter_state(state: &mut PluginState) {
        saved_state::repair(state);
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // nice-plug has already put the input in the output buffers.
        flush_subnormals(buffer.as_slice());
        let block_len = buffer.samples() as u32;
        let strategy = Strategy::from(self.params.strategy.value());
        self.reporter
            .begin_block(strategy, block_len, self.link.editor_is_open());

        let demo = DemoSettings {
            enabled: self.params.demo.value(),
            rate: self.params.demo_rate.value(),
        };
        // Keys played on the editor's keyboard since the last block go first, on its first
        // sample (at most `KEY_QUEUE` of them: the ring holds no more).
        while let Some(key) = self.keys.pop() {
            forward(&mut self.reporter, context, key_note(key));
        }
        let mut demo_notes = self.arpeggio.block(block_len, demo).peekable();
        // Both sources are in time order; merging keeps the output in time order too (at the
        // same sample, played notes go first).
        while let Some(event) = context.next_event() {
            while let Some(note) = demo_notes.next_if(|note| note.timing() < event.timing()) {
                forward(&mut self.reporter, context, note);
            }
            forward(&mut self.reporter, context, event);
        }
        for note in demo_notes {
            forward(&mut self.reporter, context, note);
        }

        self.reporter.end_block();
        if self.arpeggio.is_busy() {
            // The demo makes events out of silence: the host must not put the plugin to sleep.
            ProcessStatus::KeepAlive
        } else {
            ProcessStatus::Normal
        }
    }
}

/// Replaces every subnormal sample with a zero of the same sign; every other value (NaN
/// payloads and infinities included) stays bit for bit.
///
/// Subnormals are inaudible (below 1.2e-38) but can cost a hundred times the CPU of a normal
/// number in the plugins after this one, and validators (clap-validator's fuzz test) reject
/// them in a plugin's output.
pub fn flush_subnormals(channels: &mut [&mut [f32]]) {
    for sample in channels.iter_mut().flat_map(|channel| channel.iter_mut()) {
        if sample.is_subnormal() {
            *sample = f32::from_bits(sample.to_bits() & SIGN_BIT);
        }
    }
}

/// The sign bit of an `f32`.
const SIGN_BIT: u32 = 0x8000_0000;

/// Reports `event` if anyone listens and sends it on to the host, at its own sample offset.
/// A key played on the editor's keyboard as a note at the block's first sample, on the first
/// MIDI channel.
fn key_note<S>(key: KeyEvent) -> NoteEvent<S> {
    match key {
        KeyEvent::On { note, velocity } => NoteEvent::NoteOn {
            timing: 0,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(0),
            key: Key::Number(note),
            velocity,
        },
        KeyEvent::Off { note } => NoteEvent::NoteOff {
            timing: 0,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(0),
            key: Key::Number(note),
            velocity: 0.0,
        },
    }
}

fn forward<P: Plugin>(
    reporter: &mut Reporter,
    context: &mut impl ProcessContext<P>,
    event: PluginNoteEvent<P>,
) {
    reporter.note(&event);
    let event = match event {
        // nice-plug has no way to send a choke; a note-off still stops the note downstream.
        NoteEvent::Choke {
            timing,
            voice_id,
            channel,
            key,
        } => NoteEvent::NoteOff {
            timing,
            voice_id,
            channel,
            key,
            velocity: 0.0,
        },
        other => other,
    };
    // The host's output queue is the only place an event can go: when it is full, the event is
    // dropped (nothing in the event owns memory, so dropping it frees nothing).
    let _ = context.try_send_event(event);
}

impl ClapPlugin for Rtcb<ClapMidi> {
    /// Stable forever: hosts store it in projects.
    const CLAP_ID: &'static str = "invalid.example.rtcb";
    const CLAP_DESCRIPTION: Option<&'static str> = Some(env!("CARGO_PKG_DESCRIPTION"));
    const CLAP_MANUAL_URL: Option<&'static str> = Some(Self::URL);
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[ClapFeature::NoteEffect, ClapFeature::Utility];
}

impl Vst3Plugin for Rtcb<Vst3Midi> {
    /// Stable forever: hosts store it in projects.
    const VST3_CLASS_ID: [u8; 16] = *b"RtcbListenRelay1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Tools];
}

nice_export_clap!(Rtcb);
nice_export_vst3!(Rtcb<Vst3Midi>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnormals_become_signed_zeros_and_nothing_else_changes() {
        let kept = [
            0x7FC0_1234, // quiet NaN with a payload
            0xFF80_0001, // signalling NaN
            0x7F80_0000, // +inf
            0x0080_0000, // smallest normal
            0x8000_0000, // -0.0
            0x0000_0000, // +0.0
            0x3F80_0000, // 1.0
        ];
        let flushed = [(0x0000_0001, 0x0000_0000), (0x807F_FFFF, 0x8000_0000)];
        let mut left: Vec<f32> = kept.iter().map(|&b| f32::from_bits(b)).collect();
        let mut right: Vec<f32> = flushed.iter().map(|&(b, _)| f32::from_bits(b)).collect();
        flush_subnormals(&mut [&mut left, &mut right]);
        let bits = |samples: &[f32]| samples.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&left), kept);
        assert_eq!(bits(&right), flushed.map(|(_, zero)| zero));
    }
}
