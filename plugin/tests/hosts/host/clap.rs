//! A small CLAP host for the tests, built on `clack-host`. It loads the plugin library cargo built
//! for this test run (`target/<profile>/librtcb_plugin.so`, or `$RTCB_PLUGIN_LIB`), creates
//! instances, and drives them the way a DAW does: main-thread calls on the test's thread,
//! processing on a separate audio thread, `start_processing`/`stop_processing` around each run.
//!
//! Events and audio go through raw CLAP structures (see [`events`]), so a test sees exactly what
//! the plugin pushed, including SysEx bytes and events a friendlier API would hide.

use std::cell::Cell;
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLockReadGuard;
use std::thread::ThreadId;

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::gui::HostGui;
use clack_extensions::note_ports::{NoteDialects, NotePortInfoBuffer, PluginNotePorts};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamInfoFlags, ParamRescanFlags, PluginParams,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_host::prelude::*;
use clap_sys::audio_buffer::clap_audio_buffer;
use clap_sys::events::{clap_input_events, clap_output_events};
use clap_sys::ext::params::{clap_plugin_params, CLAP_EXT_PARAMS};
use clap_sys::process::{clap_process, clap_process_status};

use super::events::{Ev, InputList, OutputList};
use super::{
    alloc_count, beside_others, gui, plugin_library, traffic, Block, Host, Processed, Project,
};

/// The CLAP id the plugin has promised never to change.
pub const PLUGIN_ID: &CStr = c"invalid.example.rtcb";

/// A state in nice-plug's CLAP format: the JSON's length (little-endian `u64`), then the JSON.
pub fn clap_state(json: &[u8]) -> Vec<u8> {
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(json);
    bytes
}

/// A state in nice-plug's CLAP format with these parameter entries (JSON text, e.g.
/// `"demo": {"bool": true}`).
pub fn state_with_params(params: &str) -> Vec<u8> {
    clap_state(format!(r#"{{"version":"0.1.0","params":{{{params}}},"fields":{{}}}}"#).as_bytes())
}

/// Loads the plugin library (clack shares one loaded copy between entries, and unloads it when
/// the last entry is dropped).
pub fn load_entry() -> PluginEntry {
    // SAFETY: the library is the plugin this crate builds; loading it runs its CLAP entry, which
    // is the point of the test.
    unsafe { PluginEntry::load(plugin_library()) }.expect("the plugin library loads")
}

/// The host's side, for the plugin's callbacks.
pub struct TestHost;

/// Host state shared between threads.
pub struct Shared {
    main_thread: ThreadId,
    /// The plugin asked for `on_main_thread`.
    pub callback_requested: AtomicBool,
    /// The plugin asked to be restarted (deactivated and activated again).
    pub restart_requested: AtomicBool,
    /// The plugin asked for a parameter flush.
    pub flush_requested: AtomicBool,
    /// What the plugin's editor asked of the host (see [`gui`]).
    pub gui: gui::HostGuiCalls,
}

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {
        self.restart_requested.store(true, Ordering::SeqCst);
    }

    fn request_process(&self) {}

    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostThreadCheckImpl for Shared {
    fn is_main_thread(&self) -> bool {
        std::thread::current().id() == self.main_thread
    }

    fn is_audio_thread(&self) -> bool {
        std::thread::current().id() != self.main_thread
    }
}

impl HostParamsImplShared for Shared {
    fn request_flush(&self) {
        self.flush_requested.store(true, Ordering::SeqCst);
    }
}

/// Host state on the main thread.
#[derive(Default)]
pub struct MainThread {
    /// `params.rescan` calls and their flags.
    pub rescans: Cell<u32>,
    pub rescan_flags: Cell<u32>,
    /// `state.mark_dirty` calls.
    pub dirty_marks: Cell<u32>,
}

impl MainThreadHandler<'_> for MainThread {}

impl HostParamsImplMainThread for MainThread {
    fn rescan(&self, flags: ParamRescanFlags) {
        self.rescans.set(self.rescans.get() + 1);
        self.rescan_flags
            .set(self.rescan_flags.get() | flags.bits());
    }

    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostStateImpl for MainThread {
    fn mark_dirty(&self) {
        self.dirty_marks.set(self.dirty_marks.get() + 1);
    }
}

impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostThreadCheck>()
            .register::<HostParams>()
            .register::<HostState>()
            .register::<HostGui>();
    }
}

/// One parameter as the plugin describes it.
#[derive(Debug, Clone)]
pub struct ParamDesc {
    pub id: u32,
    pub name: String,
    pub flags: ParamInfoFlags,
    pub min: f64,
    pub max: f64,
    pub default: f64,
}

/// One audio ports configuration.
#[derive(Debug, Clone)]
pub struct AudioConfig {
    pub id: u32,
    pub name: String,
    pub inputs: u32,
    pub outputs: u32,
    pub main_input_channels: Option<u32>,
    pub main_output_channels: Option<u32>,
}

/// A plugin instance and the extensions the tests use.
pub struct Plugin {
    pub instance: PluginInstance<TestHost>,
    params: PluginParams,
    state: PluginState,
    audio_ports: PluginAudioPorts,
    audio_ports_config: PluginAudioPortsConfig,
    note_ports: PluginNotePorts,
    _entry: PluginEntry,
    /// Dropped last: see [`beside_others`].
    _share: Option<RwLockReadGuard<'static, ()>>,
}

impl Plugin {
    /// A fresh instance of the plugin.
    pub fn new() -> Plugin {
        let share = beside_others();
        let entry = load_entry();
        let host = HostInfo::new("rtcb test host", "rtcb", "https://example.invalid", "1.0")
            .expect("valid host info");
        let mut instance = PluginInstance::<TestHost>::new(
            |_| Shared {
                main_thread: std::thread::current().id(),
                callback_requested: AtomicBool::new(false),
                restart_requested: AtomicBool::new(false),
                flush_requested: AtomicBool::new(false),
                gui: gui::HostGuiCalls::default(),
            },
            |_| MainThread::default(),
            &entry,
            PLUGIN_ID,
            &host,
        )
        .expect("the plugin instantiates");
        let handle = instance.plugin_handle();
        let params = handle.get_extension().expect("plugin has params");
        let state = handle.get_extension().expect("plugin has state");
        let audio_ports = handle.get_extension().expect("plugin has audio-ports");
        let audio_ports_config = handle
            .get_extension()
            .expect("plugin has audio-ports-config");
        let note_ports = handle.get_extension().expect("plugin has note-ports");
        Plugin {
            instance,
            params,
            state,
            audio_ports,
            audio_ports_config,
            note_ports,
            _entry: entry,
            _share: share,
        }
    }

    /// All parameters, in the plugin's order.
    pub fn params(&mut self) -> Vec<ParamDesc> {
        let handle = self.instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        (0..self.params.count(&handle))
            .map(|index| {
                let info = self
                    .params
                    .get_info(&handle, index, &mut buffer)
                    .expect("every index below count has info");
                ParamDesc {
                    id: info.id.get(),
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    flags: info.flags,
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                }
            })
            .collect()
    }

    /// The id of the parameter named `name`.
    pub fn param_id(&mut self, name: &str) -> u32 {
        self.params()
            .into_iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no parameter named {name:?}"))
            .id
    }

    /// A parameter's current value, in CLAP's units for it.
    pub fn value(&mut self, param_id: u32) -> f64 {
        let handle = self.instance.plugin_handle();
        self.params
            .get_value(&handle, ClapId::new(param_id))
            .expect("known parameter")
    }

    /// The plugin's text for `value` of a parameter.
    pub fn value_to_text(&mut self, param_id: u32, value: f64) -> String {
        let handle = self.instance.plugin_handle();
        let mut buffer = [0u8; 256];
        let text = self
            .params
            .value_to_text(&handle, ClapId::new(param_id), value, &mut buffer)
            .expect("the plugin formats its own values");
        String::from_utf8_lossy(text).into_owned()
    }

    /// The value the plugin reads from `text`, if it can.
    pub fn text_to_value(&mut self, param_id: u32, text: &str) -> Option<f64> {
        let handle = self.instance.plugin_handle();
        let text = CString::new(text).expect("no NUL in test text");
        self.params
            .text_to_value(&handle, ClapId::new(param_id), &text)
    }

    /// Sends parameter changes while the plugin is inactive (`params.flush`); returns what the
    /// plugin sent back.
    pub fn flush(&mut self, events: &[Ev]) -> Vec<Ev> {
        assert!(
            !self.instance.is_active(),
            "flush here is for an inactive plugin"
        );
        let handle = self.instance.plugin_handle();
        let plugin = handle.as_raw();
        let input = InputList::new(events);
        let in_events = input.as_clap();
        let mut output = OutputList::default();
        let out_events = output.as_clap();
        // SAFETY: the plugin is valid and inactive (flush may be called on the main thread then);
        // the extension pointer comes from the plugin for CLAP_EXT_PARAMS, so it is a
        // `clap_plugin_params`; both lists outlive the call.
        unsafe {
            let ext = plugin.get_extension.expect("get_extension")(plugin, CLAP_EXT_PARAMS.as_ptr())
                as *const clap_plugin_params;
            assert!(!ext.is_null());
            (*ext).flush.expect("params.flush")(plugin, &in_events, &out_events);
        }
        self.service_main_thread();
        output.events
    }

    /// Saves the plugin's state.
    pub fn save_state(&mut self) -> Vec<u8> {
        let handle = self.instance.plugin_handle();
        let mut bytes = Vec::new();
        self.state
            .save(&handle, &mut bytes)
            .expect("the plugin saves its state");
        bytes
    }

    /// Loads a state; `Err` when the plugin refuses it.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), ()> {
        let handle = self.instance.plugin_handle();
        let result = self.state.load(&handle, &mut &bytes[..]).map_err(|_| ());
        self.service_main_thread();
        result
    }

    /// The audio ports configurations.
    pub fn audio_configs(&mut self) -> Vec<AudioConfig> {
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortsConfigBuffer::new();
        (0..self.audio_ports_config.count(&handle))
            .map(|index| {
                let config = self
                    .audio_ports_config
                    .get(&handle, index, &mut buffer)
                    .expect("every index below count has a config");
                AudioConfig {
                    id: config.id.get(),
                    name: String::from_utf8_lossy(config.name).into_owned(),
                    inputs: config.input_port_count,
                    outputs: config.output_port_count,
                    main_input_channels: config.main_input.map(|p| p.channel_count),
                    main_output_channels: config.main_output.map(|p| p.channel_count),
                }
            })
            .collect()
    }

    /// Selects the MIDI-only configuration (no audio ports; the plugin must be inactive).
    pub fn select_midi_only_layout(&mut self) {
        let midi_only = self
            .audio_configs()
            .into_iter()
            .find(|c| c.inputs == 0 && c.outputs == 0)
            .expect("a MIDI-only configuration");
        assert!(self.select_audio_config(midi_only.id));
    }

    /// Selects an audio ports configuration (the plugin must be inactive).
    pub fn select_audio_config(&mut self, id: u32) -> bool {
        let handle = self.instance.plugin_handle();
        self.audio_ports_config
            .select(&handle, ClapId::new(id))
            .is_ok()
    }

    /// Channel counts of the current audio ports, inputs then outputs.
    pub fn audio_ports(&mut self) -> (Vec<u32>, Vec<u32>) {
        let handle = self.instance.plugin_handle();
        let mut buffer = AudioPortInfoBuffer::new();
        let mut ports = |is_input| {
            (0..self.audio_ports.count(&handle, is_input))
                .map(|index| {
                    self.audio_ports
                        .get(&handle, index, is_input, &mut buffer)
                        .expect("every index below count has info")
                        .channel_count
                })
                .collect::<Vec<_>>()
        };
        (ports(true), ports(false))
    }

    /// The note ports: (count, supported dialects) for inputs and for outputs.
    pub fn note_ports(&mut self) -> [(u32, Option<NoteDialects>); 2] {
        let handle = self.instance.plugin_handle();
        let mut buffer = NotePortInfoBuffer::new();
        [true, false].map(|is_input| {
            let count = self.note_ports.count(&handle, is_input);
            let dialects = self
                .note_ports
                .get(&handle, 0, is_input, &mut buffer)
                .map(|info| info.supported_dialects);
            (count, dialects)
        })
    }

    /// What the plugin has called on the host's main thread so far: (`params.rescan` calls,
    /// their flags or-ed together, `state.mark_dirty` calls).
    pub fn host_calls(&self) -> (u32, u32, u32) {
        self.instance.access_handler(|main: &MainThread| {
            (
                main.rescans.get(),
                main.rescan_flags.get(),
                main.dirty_marks.get(),
            )
        })
    }

    /// Runs `on_main_thread` if the plugin asked for it.
    pub fn service_main_thread(&mut self) {
        let requested = self
            .instance
            .access_shared_handler(|s: &Shared| s.callback_requested.swap(false, Ordering::SeqCst));
        if requested {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Activates at `sample_rate` for blocks of 1 to `max_frames` samples, with the current audio
    /// ports configuration.
    pub fn activate(&mut self, sample_rate: f64, max_frames: u32) -> Active {
        let (inputs, outputs) = self.audio_ports();
        let stopped = self
            .instance
            .activate(
                |_, _| (),
                PluginAudioConfiguration {
                    sample_rate,
                    min_frames_count: 1,
                    max_frames_count: max_frames,
                },
            )
            .expect("the plugin activates");
        self.service_main_thread();
        Active {
            processor: Some(stopped.into()),
            audio: AudioBuffers::new(&inputs, &outputs, max_frames as usize),
            max_frames,
            steady_time: 0,
        }
    }

    /// Runs `work` on an audio thread with the plugin processing (started before, stopped after),
    /// then services main-thread callbacks the plugin asked for meanwhile.
    pub fn run<R: Send>(
        &mut self,
        active: &mut Active,
        work: impl FnOnce(&mut AudioThread<'_>) -> R + Send,
    ) -> R {
        let result = std::thread::scope(|scope| {
            scope
                .spawn(|| active.process_with(work))
                .join()
                .expect("the audio thread finished")
        });
        self.service_main_thread();
        result
    }

    /// Deactivates (the plugin must not be processing).
    pub fn deactivate(&mut self, mut active: Active) {
        let processor = active.processor.take().expect("active");
        self.instance.deactivate(processor.into_stopped());
        self.service_main_thread();
    }

    /// Every parameter's value, by name.
    pub fn param_values(&mut self) -> Vec<(String, f64)> {
        self.params()
            .into_iter()
            .map(|p| (p.name.clone(), self.value(p.id)))
            .collect()
    }

    /// Checks the instance still works: activates it, switches the demo off, processes 50 blocks
    /// of random MIDI (from `seed`) and checks each comes back exactly, then deactivates it.
    pub fn assert_still_forwards(&mut self, seed: u64) {
        let demo = self.param_id("Demo pattern");
        let mut active = self.activate(48_000.0, 256);
        self.run(&mut active, |audio| {
            let mut rng = traffic::Rng::new(seed);
            // With the demo switched off, the output is exactly the input.
            audio.process(256, &[Ev::param(0, demo, 0.0)]);
            for _ in 0..50 {
                let input = traffic::random_block(&mut rng, 256, 40);
                assert_eq!(
                    audio.process(256, &input).events,
                    traffic::merge(&input, &[])
                );
            }
        });
        self.deactivate(active);
    }
}

/// An activated plugin: its audio processor and the host's buffers for it.
pub struct Active {
    processor: Option<PluginAudioProcessor<TestHost>>,
    audio: AudioBuffers,
    max_frames: u32,
    steady_time: u64,
}

impl Active {
    /// The host's buffers, inputs filled with random samples, and their tables for `process_raw`
    /// (valid while `self` is neither moved nor dropped).
    pub fn random_input_channels(&mut self, seed: u64, mode: AudioMode) -> Channels {
        let frames = self.max_frames;
        self.audio
            .fill_inputs(&mut traffic::Rng::new(seed), frames as usize);
        Channels::new(&mut self.audio, mode)
    }

    /// On the calling thread (the audio thread): starts processing, runs `work`, stops
    /// processing.
    pub fn process_with<R>(&mut self, work: impl FnOnce(&mut AudioThread<'_>) -> R) -> R {
        let processor = self.processor.as_mut().expect("active");
        processor
            .ensure_processing_started()
            .expect("the plugin starts processing");
        let mut audio_thread = AudioThread {
            processor: processor.as_started_mut().expect("started"),
            audio: &mut self.audio,
            max_frames: self.max_frames,
            steady_time: &mut self.steady_time,
        };
        let result = work(&mut audio_thread);
        processor.ensure_processing_stopped();
        result
    }
}

/// The host's audio buffers: one port of `n` channels per plugin port.
pub struct AudioBuffers {
    pub inputs: Vec<Vec<Vec<f32>>>,
    pub outputs: Vec<Vec<Vec<f32>>>,
}

impl AudioBuffers {
    /// Fills the first `frames` samples of every input channel with random bit patterns
    /// ([`traffic::random_sample`]).
    fn fill_inputs(&mut self, rng: &mut traffic::Rng, frames: usize) {
        for channel in self.inputs.iter_mut().flatten() {
            for sample in channel.iter_mut().take(frames) {
                *sample = traffic::random_sample(rng);
            }
        }
    }

    fn new(inputs: &[u32], outputs: &[u32], frames: usize) -> AudioBuffers {
        let port = |channels: &u32| vec![vec![0.0; frames]; *channels as usize];
        AudioBuffers {
            inputs: inputs.iter().map(port).collect(),
            outputs: outputs.iter().map(port).collect(),
        }
    }
}

/// How the host lays out audio for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioMode {
    /// Separate input and output buffers.
    OutOfPlace,
    /// The output buffers are the input buffers (CLAP's in-place processing).
    InPlace,
}

/// The CLAP buffer tables for [`AudioBuffers`]: each port's channel pointers, and a
/// `clap_audio_buffer` per port pointing at them. Made once, they serve any number of calls
/// while the buffers are neither resized nor moved.
pub struct Channels {
    // Each port's channel pointers; `inputs` and `outputs` point into these.
    _input_ptrs: Vec<Vec<*mut f32>>,
    _output_ptrs: Vec<Vec<*mut f32>>,
    inputs: Vec<clap_audio_buffer>,
    outputs: Vec<clap_audio_buffer>,
}

impl Channels {
    /// The tables for `audio`, laid out as `mode` says.
    pub fn new(audio: &mut AudioBuffers, mode: AudioMode) -> Channels {
        let pointers = |ports: &mut Vec<Vec<Vec<f32>>>| -> Vec<Vec<*mut f32>> {
            ports
                .iter_mut()
                .map(|port| port.iter_mut().map(|ch| ch.as_mut_ptr()).collect())
                .collect()
        };
        let mut input_ptrs = pointers(&mut audio.inputs);
        let mut output_ptrs = match mode {
            AudioMode::OutOfPlace => pointers(&mut audio.outputs),
            AudioMode::InPlace => input_ptrs.clone(),
        };
        let buffers = |ptrs: &mut Vec<Vec<*mut f32>>| -> Vec<clap_audio_buffer> {
            ptrs.iter_mut()
                .map(|channels| clap_audio_buffer {
                    data32: channels.as_mut_ptr(),
                    data64: std::ptr::null_mut(),
                    channel_count: channels.len() as u32,
                    latency: 0,
                    constant_mask: 0,
                })
                .collect()
        };
        Channels {
            inputs: buffers(&mut input_ptrs),
            outputs: buffers(&mut output_ptrs),
            _input_ptrs: input_ptrs,
            _output_ptrs: output_ptrs,
        }
    }
}

/// What one `process` call returned.
#[derive(Debug)]
pub struct Returned {
    pub status: clap_sys::process::clap_process_status,
    pub events: Vec<Ev>,
    /// Allocations and frees in the plugin's `process()` ([`alloc_count`]).
    pub allocations: u64,
}

/// The audio thread's view of an active plugin.
pub struct AudioThread<'a> {
    processor: &'a mut StartedPluginAudioProcessor<TestHost>,
    /// Fill `audio.inputs` before a call, read `audio.outputs` after.
    pub audio: &'a mut AudioBuffers,
    max_frames: u32,
    steady_time: &'a mut u64,
}

impl AudioThread<'_> {
    /// Processes one block of `frames` samples with `events` (in time order).
    pub fn process(&mut self, frames: u32, events: &[Ev]) -> Returned {
        self.process_with(frames, events, AudioMode::OutOfPlace, None)
    }

    /// Processes one block; `out_capacity` limits how many events the host's output list takes.
    pub fn process_with(
        &mut self,
        frames: u32,
        events: &[Ev],
        mode: AudioMode,
        out_capacity: Option<usize>,
    ) -> Returned {
        let input = InputList::new(events);
        let mut output = OutputList {
            events: Vec::with_capacity(events.len() + 64),
            refused: 0,
            capacity: out_capacity,
        };
        let mut channels = Channels::new(self.audio, mode);
        let (status, allocations) = alloc_count::counting(|| {
            self.process_raw(frames, &input.as_clap(), &output.as_clap(), &mut channels)
        });
        Returned {
            status,
            events: std::mem::take(&mut output.events),
            allocations,
        }
    }

    /// Processes one block with event lists and channel tables the caller made beforehand:
    /// nothing here allocates, frees or makes a system call (what the real-time proof needs
    /// of the host's side, `rt_proof.rs`).
    pub fn process_raw(
        &mut self,
        frames: u32,
        in_events: &clap_input_events,
        out_events: &clap_output_events,
        channels: &mut Channels,
    ) -> clap_process_status {
        // 0 is allowed: a host may send events without audio (`bad_input.rs`).
        assert!(frames <= self.max_frames);
        let process = clap_process {
            steady_time: *self.steady_time as i64,
            frames_count: frames,
            transport: std::ptr::null(),
            audio_inputs: if channels.inputs.is_empty() {
                std::ptr::null()
            } else {
                channels.inputs.as_ptr()
            },
            audio_outputs: if channels.outputs.is_empty() {
                std::ptr::null_mut()
            } else {
                channels.outputs.as_mut_ptr()
            },
            audio_inputs_count: channels.inputs.len() as u32,
            audio_outputs_count: channels.outputs.len() as u32,
            in_events,
            out_events,
        };
        let plugin = self.processor.plugin_handle().as_raw_ptr();
        // SAFETY: the plugin is active and processing on this thread; every pointer in `process`
        // points to lists and buffers that outlive the call (`channels` points into
        // `self.audio`, sized for `max_frames` samples).
        let status = unsafe { (*plugin).process.expect("process")(plugin, &process) };
        *self.steady_time += u64::from(frames);
        status
    }

    /// Fills the first `frames` samples of every input channel with random bit patterns
    /// ([`traffic::random_sample`]) and the outputs with other noise; returns what a
    /// pass-through must give back ([`traffic::passed_through`]).
    pub fn fill_audio(&mut self, rng: &mut traffic::Rng, frames: u32) -> Vec<Vec<u32>> {
        let frames = frames as usize;
        self.audio.fill_inputs(rng, frames);
        let expected = self
            .audio
            .inputs
            .iter()
            .flatten()
            .map(|channel| {
                channel[..frames]
                    .iter()
                    .map(traffic::passed_through)
                    .collect()
            })
            .collect();
        for channel in self.audio.outputs.iter_mut().flatten() {
            for sample in channel.iter_mut().take(frames) {
                *sample = f32::from_bits(rng.next_u64() as u32);
            }
        }
        expected
    }

    /// The bits of the first `frames` output samples of every channel (for in-place calls, the
    /// output is the input buffer).
    pub fn output_bits(&self, frames: u32, mode: AudioMode) -> Vec<Vec<u32>> {
        let ports = match mode {
            AudioMode::OutOfPlace => &self.audio.outputs,
            AudioMode::InPlace => &self.audio.inputs,
        };
        ports
            .iter()
            .flatten()
            .map(|channel| {
                channel[..frames as usize]
                    .iter()
                    .map(|s| s.to_bits())
                    .collect()
            })
            .collect()
    }

    /// The plugin's `reset` (audio thread, while processing).
    pub fn reset(&mut self) {
        self.processor.reset();
    }
}

impl Host for Plugin {
    const FORMAT: &'static str = "CLAP";

    fn new() -> Self {
        Plugin::new()
    }

    fn param_values(&mut self) -> Vec<(u32, f64)> {
        self.params()
            .into_iter()
            .map(|p| (p.id, self.value(p.id)))
            .collect()
    }

    fn set_param(&mut self, id: u32, plain: f64) {
        // An inactive CLAP plugin takes parameter changes through `params.flush`.
        let sent_back = self.flush(&[Ev::param(0, id, plain)]);
        assert_eq!(sent_back, [], "a flushed change sends nothing back");
    }

    fn process(&mut self, sample_rate: f64, blocks: &[Block]) -> Vec<Processed> {
        let max_frames = blocks.iter().map(|b| b.frames).max().unwrap_or(1);
        let mut active = self.activate(sample_rate, max_frames);
        let processed = self.run(&mut active, |audio| {
            blocks
                .iter()
                .map(|block| {
                    let frames = block.frames as usize;
                    for (channel, samples) in audio.audio.inputs[0].iter_mut().zip(&block.audio) {
                        channel[..frames].copy_from_slice(samples);
                    }
                    let returned = audio.process(block.frames, &block.events);
                    let bits = audio.output_bits(block.frames, AudioMode::OutOfPlace);
                    Processed {
                        events: returned.events,
                        audio: [bits[0].clone(), bits[1].clone()],
                        allocations: returned.allocations,
                    }
                })
                .collect()
        });
        self.deactivate(active);
        processed
    }

    fn forwarded(event: &Ev) -> Option<Ev> {
        traffic::forwarded(event)
    }

    fn carries(_event: &Ev) -> bool {
        true
    }
}

impl Project for Plugin {
    fn save_state(&mut self) -> Vec<u8> {
        Plugin::save_state(self)
    }

    fn load_state(&mut self, bytes: &[u8]) -> Result<(), ()> {
        Plugin::load_state(self, bytes)
    }
}
