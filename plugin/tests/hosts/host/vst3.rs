//! A small VST3 host for the tests: it loads the plugin library as a VST3 module (the Linux
//! entry points, then the factory), creates components and drives them through the interfaces
//! the SDK documents for a host (`IComponent`, `IAudioProcessor`, `IEditController`). The host
//! side's event lists, parameter changes and memory stream are COM objects written here; the
//! plugin calls them from inside `process()`, so, like a real host's, they do not allocate there.

use std::ffi::{c_char, c_void, CStr};
use std::ptr::null_mut;
use std::sync::{Mutex, RwLockReadGuard};

use clap_sys::events::CLAP_NOTE_EXPRESSION_PRESSURE;
use vst3::Steinberg::IBStream_::IStreamSeekMode_::{kIBSeekCur, kIBSeekEnd, kIBSeekSet};
use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::Event_::EventTypes_::{kNoteOffEvent, kNoteOnEvent, kPolyPressureEvent};
use vst3::Steinberg::Vst::MediaTypes_::kEvent;
use vst3::Steinberg::Vst::ProcessModes_::kRealtime;
use vst3::Steinberg::Vst::SymbolicSampleSizes_::kSample32;
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, Event, Event__type0, IAudioProcessor,
    IAudioProcessorTrait, IComponent, IComponentTrait, IComponent_iid, IEditController,
    IEditControllerTrait, IEventList, IEventListTrait, IParamValueQueue, IParamValueQueueTrait,
    IParameterChanges, IParameterChangesTrait, NoteOffEvent, NoteOnEvent, ParamID, ParamValue,
    ParameterInfo, PolyPressureEvent, ProcessData, ProcessSetup,
};
use vst3::Steinberg::{
    int32, int64, kInvalidArgument, kResultFalse, kResultOk, tresult, IBStream, IBStreamTrait,
    IPluginBaseTrait, IPluginFactory, IPluginFactory2, IPluginFactory2Trait, IPluginFactoryTrait,
    PClassInfo2,
};
use vst3::{Class, ComPtr, ComWrapper};

use super::events::{Ev, NoteKind};
use super::{alloc_count, beside_others, plugin_library, traffic, Block, Host, Processed, Project};

/// A NUL-terminated C string in a fixed array.
pub fn text(chars: &[c_char]) -> String {
    // SAFETY: `c_char` and `u8` have the same size and alignment.
    let bytes = unsafe { &*(chars as *const [c_char] as *const [u8]) };
    CStr::from_bytes_until_nul(bytes)
        .expect("NUL-terminated")
        .to_str()
        .expect("UTF-8")
        .to_owned()
}

/// The plugin's VST3 module, loaded as a host loads it on Linux: `ModuleEntry`, then the
/// factory from `GetPluginFactory`; [`unload`](Module::unload) releases the factory and calls
/// `ModuleExit`.
pub struct Module {
    library: libloading::Library,
    pub factory: ComPtr<IPluginFactory>,
}

impl Module {
    pub fn load() -> Module {
        // SAFETY: the library is the plugin this crate builds (see [`plugin_library`]); the
        // signatures are the VST3 module entry points of Linux (`ModuleEntry`) and every
        // platform (`GetPluginFactory`).
        unsafe {
            let library = libloading::Library::new(plugin_library()).expect("loads");
            let module_entry = library
                .get::<extern "C" fn(*mut c_void) -> bool>(b"ModuleEntry")
                .expect("ModuleEntry is exported");
            let get_factory = library
                .get::<extern "system" fn() -> *mut c_void>(b"GetPluginFactory")
                .expect("GetPluginFactory is exported");
            assert!(module_entry(null_mut()));
            let factory =
                ComPtr::from_raw(get_factory() as *mut IPluginFactory).expect("a factory");
            Module { library, factory }
        }
    }

    /// The factory's one class.
    pub fn class(&self) -> PClassInfo2 {
        let factory2 = self
            .factory
            .cast::<IPluginFactory2>()
            .expect("IPluginFactory2");
        // SAFETY: `PClassInfo2` is plain data, filled in by the factory.
        unsafe {
            let mut class: PClassInfo2 = std::mem::zeroed();
            assert_eq!(factory2.getClassInfo2(0, &mut class), kResultOk);
            class
        }
    }

    /// A new component of the plugin's class, initialized (without a host context).
    pub fn component(&self) -> ComPtr<IComponent> {
        let class = self.class();
        // SAFETY: the factory creates the class it lists, as the interface asked for.
        unsafe {
            let mut object = null_mut();
            let created = self.factory.createInstance(
                class.cid.as_ptr(),
                IComponent_iid.as_ptr(),
                &mut object,
            );
            assert_eq!(created, kResultOk);
            let component = ComPtr::from_raw(object as *mut IComponent).expect("a component");
            assert_eq!(component.initialize(null_mut()), kResultOk);
            component
        }
    }

    /// Releases the factory and leaves the module (every component must be gone).
    pub fn unload(self) {
        drop(self.factory);
        // SAFETY: `ModuleExit` is the Linux module exit point, called once after `ModuleEntry`.
        unsafe {
            let module_exit = self
                .library
                .get::<extern "C" fn() -> bool>(b"ModuleExit")
                .expect("ModuleExit is exported");
            assert!(module_exit());
        }
    }
}

/// The host's event list for one block: the input events, or room for the plugin's output
/// events. `addEvent` never grows it (the plugin calls it inside `process()`, on the audio
/// thread): a full list refuses the event, as a host's fixed-size list does.
pub struct EventList {
    events: Mutex<Vec<Event>>,
}

impl EventList {
    pub fn new(events: Vec<Event>) -> ComWrapper<Self> {
        ComWrapper::new(Self {
            events: Mutex::new(events),
        })
    }

    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }
}

impl Class for EventList {
    type Interfaces = (IEventList,);
}

impl IEventListTrait for EventList {
    unsafe fn getEventCount(&self) -> int32 {
        self.events.lock().unwrap().len() as int32
    }

    unsafe fn getEvent(&self, index: int32, event: *mut Event) -> tresult {
        let events = self.events.lock().unwrap();
        match usize::try_from(index).ok().and_then(|i| events.get(i)) {
            Some(found) if !event.is_null() => {
                // SAFETY: the caller passes a valid place for one event.
                unsafe { *event = *found };
                kResultOk
            }
            _ => kInvalidArgument,
        }
    }

    unsafe fn addEvent(&self, event: *mut Event) -> tresult {
        // Host code: what it might allocate is not the plugin's (it allocates nothing).
        let _paused = alloc_count::Paused::new();
        let mut events = self.events.lock().unwrap();
        if event.is_null() || events.len() == events.capacity() {
            return kResultFalse;
        }
        // SAFETY: the caller passes a valid event.
        events.push(unsafe { *event });
        kResultOk
    }
}

/// One parameter's changes in a block (read only: the host's input).
struct ParamQueue {
    id: ParamID,
    points: Vec<(int32, ParamValue)>,
}

impl Class for ParamQueue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for ParamQueue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id
    }

    unsafe fn getPointCount(&self) -> int32 {
        self.points.len() as int32
    }

    unsafe fn getPoint(
        &self,
        index: int32,
        sample_offset: *mut int32,
        value: *mut ParamValue,
    ) -> tresult {
        match usize::try_from(index).ok().and_then(|i| self.points.get(i)) {
            Some(&(offset, point)) if !sample_offset.is_null() && !value.is_null() => {
                // SAFETY: the caller passes valid places for both.
                unsafe {
                    *sample_offset = offset;
                    *value = point;
                }
                kResultOk
            }
            _ => kInvalidArgument,
        }
    }

    unsafe fn addPoint(&self, _offset: int32, _value: ParamValue, _index: *mut int32) -> tresult {
        kResultFalse
    }
}

/// The parameter changes of one block (read only: the host's input).
struct ParamChanges {
    queues: Vec<ComWrapper<ParamQueue>>,
}

impl Class for ParamChanges {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for ParamChanges {
    unsafe fn getParameterCount(&self) -> int32 {
        self.queues.len() as int32
    }

    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        // Not add-ref'd: VST3 hands out borrowed queues, alive while `self` is.
        usize::try_from(index)
            .ok()
            .and_then(|i| self.queues.get(i))
            .and_then(|queue| queue.as_com_ref::<IParamValueQueue>())
            .map_or(null_mut(), |queue| queue.as_ptr())
    }

    unsafe fn addParameterData(
        &self,
        _id: *const ParamID,
        _index: *mut int32,
    ) -> *mut IParamValueQueue {
        null_mut()
    }
}

/// The note id nice-plug 0.4.2 gives every outgoing VST3 note: `VoiceID::id_or_fallback`
/// ignores the note's own id and always computes `key | channel << 16` (CLAP keeps the id).
pub fn nice_plug_vst3_note_id(channel: i16, pitch: i16) -> i32 {
    i32::from(pitch) | i32::from(channel) << 16
}

/// A host's memory stream (`IBStream`): what a component saves, or what it is given to load.
pub struct MemoryStream {
    /// The bytes, and the read/write position.
    inner: Mutex<(Vec<u8>, usize)>,
}

impl MemoryStream {
    pub fn new(bytes: Vec<u8>) -> ComWrapper<Self> {
        ComWrapper::new(Self {
            inner: Mutex::new((bytes, 0)),
        })
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.inner.lock().unwrap().0.clone()
    }
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(&self, buffer: *mut c_void, num_bytes: int32, num_read: *mut int32) -> tresult {
        let mut inner = self.inner.lock().unwrap();
        let (bytes, position) = &mut *inner;
        let count = usize::try_from(num_bytes)
            .unwrap_or(0)
            .min(bytes.len() - *position);
        // SAFETY: the caller passes room for `num_bytes` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes[*position..].as_ptr(), buffer as *mut u8, count);
        }
        *position += count;
        if !num_read.is_null() {
            // SAFETY: the caller passes a valid place for the count, or null.
            unsafe { *num_read = count as int32 };
        }
        kResultOk
    }

    unsafe fn write(
        &self,
        buffer: *mut c_void,
        num_bytes: int32,
        num_written: *mut int32,
    ) -> tresult {
        let mut inner = self.inner.lock().unwrap();
        let (bytes, position) = &mut *inner;
        let count = usize::try_from(num_bytes).unwrap_or(0);
        // SAFETY: the caller passes `num_bytes` readable bytes.
        let written = unsafe { std::slice::from_raw_parts(buffer as *const u8, count) };
        let end = *position + count;
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[*position..end].copy_from_slice(written);
        *position = end;
        if !num_written.is_null() {
            // SAFETY: the caller passes a valid place for the count, or null.
            unsafe { *num_written = count as int32 };
        }
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let mut inner = self.inner.lock().unwrap();
        let (bytes, position) = &mut *inner;
        let base = match mode as u32 {
            m if m == kIBSeekSet => 0,
            m if m == kIBSeekCur => *position as int64,
            m if m == kIBSeekEnd => bytes.len() as int64,
            _ => return kInvalidArgument,
        };
        let Some(target) = base
            .checked_add(pos)
            .filter(|t| (0..=bytes.len() as int64).contains(t))
        else {
            return kInvalidArgument;
        };
        *position = target as usize;
        if !result.is_null() {
            // SAFETY: the caller passes a valid place for the position, or null.
            unsafe { *result = target };
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: checked above.
        unsafe { *pos = self.inner.lock().unwrap().1 as int64 };
        kResultOk
    }
}

/// The id and normalized value of every parameter the controller lists (the MIDI controller
/// parameters of the plugin's MIDI mapping included).
pub fn normalized_values(controller: &ComPtr<IEditController>) -> Vec<(ParamID, ParamValue)> {
    // SAFETY: plain VST3 calls; `ParameterInfo` is plain data the plugin fills in.
    unsafe {
        (0..controller.getParameterCount())
            .map(|index| {
                let mut info: ParameterInfo = std::mem::zeroed();
                assert_eq!(controller.getParameterInfo(index, &mut info), kResultOk);
                (info.id, controller.getParamNormalized(info.id))
            })
            .collect()
    }
}

/// The VST3 form of an event the format carries ([`Vst3::carries`]).
fn to_vst3(event: &Ev) -> Event {
    // SAFETY: `Event` is plain data; zero is a valid value for every field.
    let mut raw: Event = unsafe { std::mem::zeroed() };
    raw.sampleOffset = event.time() as i32;
    match *event {
        Ev::Note {
            kind,
            channel,
            key,
            note_id,
            velocity,
            ..
        } => {
            let velocity = velocity as f32;
            if kind == NoteKind::On {
                raw.r#type = kNoteOnEvent as u16;
                raw.__field0 = Event__type0 {
                    noteOn: NoteOnEvent {
                        channel,
                        pitch: key,
                        tuning: 0.0,
                        velocity,
                        length: 0,
                        noteId: note_id,
                    },
                };
            } else {
                raw.r#type = kNoteOffEvent as u16;
                raw.__field0 = Event__type0 {
                    noteOff: NoteOffEvent {
                        channel,
                        pitch: key,
                        velocity,
                        noteId: note_id,
                        tuning: 0.0,
                    },
                };
            }
        }
        Ev::Expression {
            channel,
            key,
            note_id,
            value,
            ..
        } => {
            raw.r#type = kPolyPressureEvent as u16;
            raw.__field0 = Event__type0 {
                polyPressure: PolyPressureEvent {
                    channel,
                    pitch: key,
                    pressure: value as f32,
                    noteId: note_id,
                },
            };
        }
        ref other => panic!("VST3 does not carry {other:?}"),
    }
    raw
}

/// An event the plugin sent, as an [`Ev`] (an unexpected type comes back as [`Ev::Other`]).
fn from_vst3(raw: &Event) -> Ev {
    let time = raw.sampleOffset as u32;
    let note = |kind, channel, key, note_id, velocity: f32| Ev::Note {
        time,
        kind,
        port: 0,
        channel,
        key,
        note_id,
        velocity: velocity.into(),
    };
    // SAFETY: the union member read is the one `type` names.
    unsafe {
        match u32::from(raw.r#type) {
            t if t == kNoteOnEvent => {
                let n = raw.__field0.noteOn;
                note(NoteKind::On, n.channel, n.pitch, n.noteId, n.velocity)
            }
            t if t == kNoteOffEvent => {
                let n = raw.__field0.noteOff;
                note(NoteKind::Off, n.channel, n.pitch, n.noteId, n.velocity)
            }
            t if t == kPolyPressureEvent => {
                let p = raw.__field0.polyPressure;
                Ev::Expression {
                    time,
                    expression: CLAP_NOTE_EXPRESSION_PRESSURE,
                    port: 0,
                    channel: p.channel,
                    key: p.pitch,
                    note_id: p.noteId,
                    value: p.pressure.into(),
                }
            }
            other => Ev::Other {
                time,
                space_id: 0,
                type_: other as u16,
            },
        }
    }
}

/// The COM pointers of one component (the plugin is its own processor and controller).
struct Instance {
    component: ComPtr<IComponent>,
    processor: ComPtr<IAudioProcessor>,
    controller: ComPtr<IEditController>,
}

/// A plugin instance through VST3: its own module (loaded for it), and its component.
pub struct Vst3 {
    instance: Option<Instance>,
    module: Option<Module>,
    /// Dropped last: see [`beside_others`].
    _share: Option<RwLockReadGuard<'static, ()>>,
}

impl Vst3 {
    /// The component, as `IComponent`.
    pub fn component(&self) -> &ComPtr<IComponent> {
        &self.instance.as_ref().expect("alive").component
    }

    /// The component, as `IEditController`.
    pub fn controller(&self) -> &ComPtr<IEditController> {
        &self.instance.as_ref().expect("alive").controller
    }

    fn processor(&self) -> &ComPtr<IAudioProcessor> {
        &self.instance.as_ref().expect("alive").processor
    }

    /// A plain value of a parameter, normalized by the plugin.
    fn normalized(&self, id: u32, plain: f64) -> f64 {
        // SAFETY: a plain VST3 call on a live controller.
        unsafe { self.controller().plainParamToNormalized(id, plain) }
    }

    /// One block through `IAudioProcessor::process` (the plugin is processing).
    fn process_block(&self, block: &Block) -> Processed {
        let frames = block.frames as usize;
        let mut input = block.audio.clone();
        let mut output = [vec![0f32; frames], vec![0f32; frames]];
        let mut input_ptrs: Vec<*mut f32> = input.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let mut output_ptrs: Vec<*mut f32> = output.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let bus = |ptrs: &mut Vec<*mut f32>| AudioBusBuffers {
            numChannels: 2,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 {
                channelBuffers32: ptrs.as_mut_ptr(),
            },
        };
        let mut inputs = bus(&mut input_ptrs);
        let mut outputs = bus(&mut output_ptrs);

        // Parameter changes go in one queue per parameter, in time order; the rest are events.
        let mut queues: Vec<(ParamID, Vec<(int32, ParamValue)>)> = Vec::new();
        let mut sent = Vec::new();
        for event in &block.events {
            match *event {
                Ev::ParamValue {
                    time,
                    param_id,
                    value,
                } => {
                    let point = (time as int32, self.normalized(param_id, value));
                    match queues.iter_mut().find(|(id, _)| *id == param_id) {
                        Some((_, points)) => points.push(point),
                        None => queues.push((param_id, vec![point])),
                    }
                }
                ref other => sent.push(to_vst3(other)),
            }
        }
        let param_changes = ComWrapper::new(ParamChanges {
            queues: queues
                .into_iter()
                .map(|(id, points)| ComWrapper::new(ParamQueue { id, points }))
                .collect(),
        });
        let input_events = EventList::new(sent);
        // Room for every event the plugin could send back: a full list refuses more.
        let output_events = EventList::new(Vec::with_capacity(block.events.len() + 256));
        let input_list = input_events.to_com_ptr::<IEventList>().unwrap();
        let output_list = output_events.to_com_ptr::<IEventList>().unwrap();
        let param_list = param_changes.to_com_ptr::<IParameterChanges>().unwrap();
        let mut data = ProcessData {
            processMode: kRealtime as i32,
            symbolicSampleSize: kSample32 as i32,
            numSamples: block.frames as i32,
            numInputs: 1,
            numOutputs: 1,
            inputs: &mut inputs,
            outputs: &mut outputs,
            inputParameterChanges: param_list.as_ptr(),
            outputParameterChanges: null_mut(),
            inputEvents: input_list.as_ptr(),
            outputEvents: output_list.as_ptr(),
            processContext: null_mut(),
        };
        // SAFETY: the component is set up, active and processing; every pointer in `data`
        // points to buffers and lists that outlive the call, sized for `frames` samples.
        let (result, allocations) =
            alloc_count::counting(|| unsafe { self.processor().process(&mut data) });
        assert_eq!(result, kResultOk);
        let bits = |channel: &Vec<f32>| channel.iter().map(|s| s.to_bits()).collect();
        Processed {
            events: output_events.events().iter().map(from_vst3).collect(),
            audio: [bits(&output[0]), bits(&output[1])],
            allocations,
        }
    }
}

impl Drop for Vst3 {
    fn drop(&mut self) {
        if let Some(instance) = self.instance.take() {
            // SAFETY: the component was initialized and is no longer used.
            unsafe { assert_eq!(instance.component.terminate(), kResultOk) };
        }
        if let Some(module) = self.module.take() {
            module.unload();
        }
    }
}

impl Host for Vst3 {
    const FORMAT: &'static str = "VST3";
    const FIRST_CHANGE_ON_A_THREAD_ALLOCATIONS: u64 = 2;

    fn new() -> Self {
        let _share = beside_others();
        let module = Module::load();
        let component = module.component();
        let processor = component
            .cast::<IAudioProcessor>()
            .expect("the component is the audio processor");
        let controller = component
            .cast::<IEditController>()
            .expect("the component is its own edit controller");
        Vst3 {
            instance: Some(Instance {
                component,
                processor,
                controller,
            }),
            module: Some(module),
            _share,
        }
    }

    fn param_values(&mut self) -> Vec<(u32, f64)> {
        let controller = self.controller();
        normalized_values(controller)
            .into_iter()
            // SAFETY: a plain VST3 call on a live controller.
            .map(|(id, value)| (id, unsafe { controller.normalizedParamToPlain(id, value) }))
            .collect()
    }

    fn set_param(&mut self, id: u32, plain: f64) {
        let normalized = self.normalized(id, plain);
        // SAFETY: a plain VST3 call on a live controller (not processing).
        unsafe {
            assert_eq!(
                self.controller().setParamNormalized(id, normalized),
                kResultOk
            );
        }
    }

    fn process(&mut self, sample_rate: f64, blocks: &[Block]) -> Vec<Processed> {
        let max_frames = blocks.iter().map(|b| b.frames).max().unwrap_or(1);
        let mut setup = ProcessSetup {
            processMode: kRealtime as i32,
            symbolicSampleSize: kSample32 as i32,
            maxSamplesPerBlock: max_frames as i32,
            sampleRate: sample_rate,
        };
        // SAFETY: VST3 calls in the order the SDK documents for a host: set up, activate,
        // process (on an audio thread of its own), and back.
        unsafe {
            assert_eq!(self.processor().setupProcessing(&mut setup), kResultOk);
            for direction in [kInput, kOutput] {
                assert_eq!(
                    self.component()
                        .activateBus(kEvent as i32, direction as i32, 0, 1),
                    kResultOk
                );
            }
            assert_eq!(self.component().setActive(1), kResultOk);
        }
        let this = SendPtr(self);
        let processed = std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let this = this;
                    // SAFETY: the main thread waits for this thread; meanwhile only it uses
                    // the component, as a host's audio thread does while processing.
                    let host = unsafe { &*this.0 };
                    // SAFETY: as above.
                    unsafe { assert_eq!(host.processor().setProcessing(1), kResultOk) };
                    let processed: Vec<Processed> =
                        blocks.iter().map(|b| host.process_block(b)).collect();
                    // SAFETY: as above.
                    unsafe { assert_eq!(host.processor().setProcessing(0), kResultOk) };
                    processed
                })
                .join()
                .expect("the audio thread finished")
        });
        // SAFETY: as above.
        unsafe { assert_eq!(self.component().setActive(0), kResultOk) };
        processed
    }

    fn forwarded(event: &Ev) -> Option<Ev> {
        // nice-plug 0.4.2 gives every outgoing VST3 note the id `key | channel << 16`.
        match traffic::forwarded(event)? {
            Ev::Note {
                time,
                kind,
                port,
                channel,
                key,
                velocity,
                ..
            } => Some(Ev::Note {
                time,
                kind,
                port,
                channel,
                key,
                note_id: nice_plug_vst3_note_id(channel, key),
                velocity,
            }),
            Ev::Expression {
                time,
                expression,
                port,
                channel,
                key,
                value,
                ..
            } => Some(Ev::Expression {
                time,
                expression,
                port,
                channel,
                key,
                note_id: nice_plug_vst3_note_id(channel, key),
                value,
            }),
            other => Some(other),
        }
    }

    /// VST3 events carry notes and poly pressure for one key on one channel (and, with the
    /// plugin's [`Vst3Midi`](rtcb_plugin::Vst3Midi), nothing of MIDI 1.0 beyond them).
    fn carries(event: &Ev) -> bool {
        match *event {
            Ev::Note {
                kind: NoteKind::On | NoteKind::Off,
                channel,
                key,
                ..
            } => channel >= 0 && key >= 0,
            Ev::Expression {
                expression,
                channel,
                key,
                ..
            } => expression == CLAP_NOTE_EXPRESSION_PRESSURE && channel >= 0 && key >= 0,
            Ev::ParamValue { .. } => true,
            _ => false,
        }
    }
}

impl Project for Vst3 {
    fn save_state(&mut self) -> Vec<u8> {
        let saved = MemoryStream::new(Vec::new());
        let stream = saved.to_com_ptr::<IBStream>().unwrap();
        // SAFETY: a plain VST3 call; the stream outlives it.
        unsafe { assert_eq!(self.component().getState(stream.as_ptr()), kResultOk) };
        saved.bytes()
    }

    fn load_state(&mut self, bytes: &[u8]) -> Result<(), ()> {
        let stream = MemoryStream::new(bytes.to_vec());
        let stream = stream.to_com_ptr::<IBStream>().unwrap();
        // SAFETY: a plain VST3 call; the stream outlives it.
        match unsafe { self.component().setState(stream.as_ptr()) } {
            result if result == kResultOk => Ok(()),
            _ => Err(()),
        }
    }
}

/// The host, handed to its audio thread (the COM pointers are not `Send`; VST3 lets a host
/// call `process` from its audio thread).
struct SendPtr(*const Vst3);

// SAFETY: see `Vst3::process`: the pointer is used on the audio thread only while the main
// thread waits for it.
unsafe impl Send for SendPtr {}
