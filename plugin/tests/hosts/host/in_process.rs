//! The plugin in this process: the same `Rtcb` and `process()` the CLAP and VST3 wrappers call,
//! with a test host's `ProcessContext`. Here a test owns the plugin instance, so it can also
//! reach the editor's side of the connection (`editor_overflow`).
//!
//! Parameter changes are applied before the block they come with, as nice-plug's wrappers do
//! (the plugin does not ask for sample-accurate automation).

use std::collections::VecDeque;
use std::sync::{Arc, RwLockReadGuard};

use nice_plug::context::process::SendEventError;
use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use rtcb_plugin::params::RtcbParams;
use rtcb_plugin::Rtcb;

use super::events::{Ev, NoteKind};
use super::{alloc_count, beside_others, stable_param_id, traffic, Block, Host, Processed};

/// The test host's side of one `process()` call: the block's events in, what the plugin sends
/// out. Both queues are allocated once, large enough for every block.
pub struct HostContext {
    pub input: VecDeque<PluginNoteEvent<Rtcb>>,
    pub output: Vec<PluginNoteEvent<Rtcb>>,
    transport: Transport,
}

impl HostContext {
    /// Queues with room for `capacity` events each way.
    pub fn new(sample_rate: f32, capacity: usize) -> HostContext {
        HostContext {
            input: VecDeque::with_capacity(capacity),
            output: Vec::with_capacity(capacity),
            transport: Transport::new(sample_rate),
        }
    }
}

impl ProcessContext<Rtcb> for HostContext {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }

    fn execute_background(&self, _task: ()) {}

    fn execute_gui(&self, _task: ()) {}

    fn transport(&self) -> &Transport {
        &self.transport
    }

    fn next_event(&mut self) -> Option<PluginNoteEvent<Rtcb>> {
        self.input.pop_front()
    }

    fn try_send_event(
        &mut self,
        event: PluginNoteEvent<Rtcb>,
    ) -> Result<(), (PluginNoteEvent<Rtcb>, SendEventError)> {
        if self.output.len() == self.output.capacity() {
            return Err((event, SendEventError::HostBufferFull));
        }
        self.output.push(event);
        Ok(())
    }

    fn set_latency_samples(&self, _samples: u32) {}

    fn request_restart(&self) {}

    fn set_current_voice_capacity(&self, _capacity: u32) {}
}

/// The host's side of `activate()`.
pub struct HostActivateContext;

impl ActivateContext<Rtcb> for HostActivateContext {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }

    fn execute(&self, _task: ()) {}

    fn set_latency_samples(&self, _samples: u32) {}

    fn set_current_voice_capacity(&self, _capacity: u32) {}
}

/// Activates `plugin` for stereo blocks of up to `max_frames` samples.
pub fn activate(plugin: &mut Rtcb, sample_rate: f32, max_frames: u32) {
    let config = BufferConfig {
        sample_rate,
        min_buffer_size: None,
        max_buffer_size: max_frames,
        process_mode: ProcessMode::Realtime,
    };
    assert!(plugin.activate(
        &<Rtcb>::AUDIO_IO_LAYOUTS[0],
        &config,
        &mut HostActivateContext
    ));
}

/// One `process()` call on `channels` with the events queued in `context`; returns the status
/// and the allocations and frees the call made.
pub fn process(
    plugin: &mut Rtcb,
    channels: &mut [Vec<f32>],
    buffer: &mut Buffer,
    context: &mut HostContext,
) -> (ProcessStatus, u64) {
    let frames = channels[0].len();
    // SAFETY: the slices point into `channels`, which outlives the call and is not touched
    // while the plugin holds them.
    unsafe {
        buffer.set_slices(frames, |slices| {
            slices.clear();
            slices.extend(
                channels
                    .iter_mut()
                    .map(|channel| std::slice::from_raw_parts_mut(channel.as_mut_ptr(), frames)),
            );
        });
    }
    let mut aux = AuxiliaryBuffers {
        inputs: &mut [],
        outputs: &mut [],
    };
    alloc_count::counting(|| plugin.process(buffer, &mut aux, context))
}

/// Sets a parameter to a normalized value the way nice-plug's wrapper applies a host's change:
/// between blocks, from the thread that runs `process()` (or while nothing processes).
pub fn set_normalized(params: &RtcbParams, id: u32, normalized: f32) {
    let (_, ptr, _) = params
        .param_map()
        .into_iter()
        .find(|(name, ..)| stable_param_id(name) == id)
        .unwrap_or_else(|| panic!("no parameter with id {id}"));
    // SAFETY: the pointer belongs to the live `params`; see above for when it is called.
    unsafe {
        ptr._internal_set_normalized_value(normalized);
    }
}

/// The plugin in this process.
pub struct InProcess {
    plugin: Rtcb,
    params: Arc<RtcbParams>,
    /// Dropped last: see [`beside_others`].
    _share: Option<RwLockReadGuard<'static, ()>>,
}

impl Host for InProcess {
    const FORMAT: &'static str = "in process";

    fn new() -> Self {
        let _share = beside_others();
        let plugin = Rtcb::default();
        let params = plugin.params_handle();
        InProcess {
            plugin,
            params,
            _share,
        }
    }

    fn param_values(&mut self) -> Vec<(u32, f64)> {
        self.params
            .param_map()
            .into_iter()
            // SAFETY: the pointer belongs to the live `params`.
            .map(|(id, ptr, _)| (stable_param_id(&id), unsafe { ptr.modulated_plain_value() }))
            .map(|(id, plain)| (id, f64::from(plain)))
            .collect()
    }

    fn set_param(&mut self, id: u32, plain: f64) {
        let (_, ptr, _) = self
            .params
            .param_map()
            .into_iter()
            .find(|(name, ..)| stable_param_id(name) == id)
            .expect("a parameter of the plugin");
        // SAFETY: the pointer belongs to the live `params`.
        let normalized = unsafe { ptr.preview_normalized(plain as f32) };
        set_normalized(&self.params, id, normalized);
    }

    fn process(&mut self, sample_rate: f64, blocks: &[Block]) -> Vec<Processed> {
        let max_frames = blocks.iter().map(|b| b.frames).max().unwrap_or(1);
        let capacity = blocks.iter().map(|b| b.events.len()).max().unwrap_or(0) + 256;
        activate(&mut self.plugin, sample_rate as f32, max_frames);
        let (plugin, params) = (&mut self.plugin, &self.params);
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let mut context = HostContext::new(sample_rate as f32, capacity);
                    let mut buffer = Buffer::default();
                    blocks
                        .iter()
                        .map(|block| {
                            for event in &block.events {
                                match *event {
                                    Ev::ParamValue {
                                        param_id, value, ..
                                    } => {
                                        let (_, ptr, _) = params
                                            .param_map()
                                            .into_iter()
                                            .find(|(name, ..)| stable_param_id(name) == param_id)
                                            .expect("a parameter of the plugin");
                                        // SAFETY: the pointer belongs to the live `params`.
                                        let normalized =
                                            unsafe { ptr.preview_normalized(value as f32) };
                                        set_normalized(params, param_id, normalized);
                                    }
                                    ref other => context.input.push_back(to_note_event(other)),
                                }
                            }
                            context.output.clear();
                            let mut channels = block.audio.to_vec();
                            let (_status, allocations) =
                                process(plugin, &mut channels, &mut buffer, &mut context);
                            let bits = |c: &Vec<f32>| c.iter().map(|s| s.to_bits()).collect();
                            Processed {
                                events: context.output.iter().map(from_note_event).collect(),
                                audio: [bits(&channels[0]), bits(&channels[1])],
                                allocations,
                            }
                        })
                        .collect()
                })
                .join()
                .expect("the audio thread finished")
        })
    }

    fn forwarded(event: &Ev) -> Option<Ev> {
        traffic::forwarded(event)
    }

    /// Notes for one key on one channel, the events the editor reports (and parameter
    /// changes).
    fn carries(event: &Ev) -> bool {
        match *event {
            Ev::Note { channel, key, .. } => channel >= 0 && key >= 0,
            Ev::ParamValue { .. } => true,
            _ => false,
        }
    }
}

/// nice-plug's form of a note event ([`InProcess::carries`]).
fn to_note_event(event: &Ev) -> PluginNoteEvent<Rtcb> {
    let Ev::Note {
        time,
        kind,
        channel,
        key,
        note_id,
        velocity,
        ..
    } = *event
    else {
        panic!("not carried in process: {event:?}");
    };
    let voice_id = if note_id >= 0 {
        VoiceID::ID(note_id)
    } else {
        VoiceID::Wildcard
    };
    let (channel, key) = (Channel::Number(channel as u8), Key::Number(key as u8));
    let velocity = velocity as f32;
    match kind {
        NoteKind::On => NoteEvent::NoteOn {
            timing: time,
            voice_id,
            channel,
            key,
            velocity,
        },
        NoteKind::Off => NoteEvent::NoteOff {
            timing: time,
            voice_id,
            channel,
            key,
            velocity,
        },
        NoteKind::Choke | NoteKind::End => NoteEvent::Choke {
            timing: time,
            voice_id,
            channel,
            key,
        },
    }
}

/// A note event the plugin sent, as an [`Ev`] (others come back as [`Ev::Other`]).
fn from_note_event(event: &PluginNoteEvent<Rtcb>) -> Ev {
    let note =
        |time, kind, voice_id: &VoiceID, channel: &Channel, key: &Key, velocity: &f32| Ev::Note {
            time,
            kind,
            port: 0,
            channel: channel.number().map_or(-1, i16::from),
            key: key.number().map_or(-1, i16::from),
            note_id: match *voice_id {
                VoiceID::ID(id) => id,
                _ => -1,
            },
            velocity: f64::from(*velocity),
        };
    match event {
        NoteEvent::NoteOn {
            timing,
            voice_id,
            channel,
            key,
            velocity,
        } => note(*timing, NoteKind::On, voice_id, channel, key, velocity),
        NoteEvent::NoteOff {
            timing,
            voice_id,
            channel,
            key,
            velocity,
        } => note(*timing, NoteKind::Off, voice_id, channel, key, velocity),
        other => Ev::Other {
            time: other.timing(),
            space_id: 0,
            type_: 0,
        },
    }
}
