//! The VST3 side of the built library, driven the way a VST3 host drives it:
//! - the factory describes the plugin with its stable class id and categories, and a component
//!   instantiates with the documented buses;
//! - a component's state (`IComponent::getState`) loads into a fresh component with the same
//!   parameter values; a truncated or garbage state is refused and changes nothing;
//! - the component processes through `IAudioProcessor`: audio passes bit for bit; every note
//!   event comes back on the output event list at its sample offset (with the note id nice-plug
//!   0.4.2 makes up for every outgoing VST3 note, see [`nice_plug_vst3_note_id`]); MIDI
//!   controllers, channel pressure and pitch bend, sent as changes of the parameters the plugin's
//!   `IMidiMapping` names, come back as MIDI controller events; and `strategy` changes
//!   arrive as parameter changes. The host side's event and parameter lists are COM objects
//!   written here; the plugin calls them from inside `process()`, so, like a real host's, they
//!   do not allocate there. (The debug build's allocation guard watches the plugin library's own
//!   allocator: it checks the plugin's code on this path, not these host-side lists.)

mod host;

use std::ffi::{c_char, c_void, CStr};
use std::ptr::null_mut;
use std::sync::Mutex;

use host::one_at_a_time;
use host::traffic::Rng;
use vst3::Steinberg::IBStream_::IStreamSeekMode_::{kIBSeekCur, kIBSeekEnd, kIBSeekSet};
use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::Event_::EventTypes_::{
    kLegacyMIDICCOutEvent, kNoteOffEvent, kNoteOnEvent,
};
use vst3::Steinberg::Vst::MediaTypes_::{kAudio, kEvent};
use vst3::Steinberg::Vst::ProcessModes_::kRealtime;
use vst3::Steinberg::Vst::SymbolicSampleSizes_::kSample32;
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, BusInfo, Event, Event__type0, IAudioProcessor,
    IAudioProcessorTrait, IComponent, IComponentTrait, IComponent_iid, IEditController,
    IEditControllerTrait, IEventList, IEventListTrait, IMidiMapping, IMidiMappingTrait,
    IParamValueQueue, IParamValueQueueTrait, IParameterChanges, IParameterChangesTrait,
    NoteOffEvent, NoteOnEvent, ParamID, ParamValue, ParameterInfo, ProcessData, ProcessSetup,
};
use vst3::Steinberg::{
    int32, int64, kInvalidArgument, kResultFalse, kResultOk, tresult, IBStream, IBStreamTrait,
    IPluginBaseTrait, IPluginFactory, IPluginFactory2, IPluginFactory2Trait, IPluginFactoryTrait,
    PClassInfo2, PFactoryInfo,
};
use vst3::{Class, ComPtr, ComWrapper};

/// A NUL-terminated C string in a fixed array.
fn text(chars: &[c_char]) -> String {
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
struct Module {
    library: libloading::Library,
    factory: ComPtr<IPluginFactory>,
}

impl Module {
    fn load() -> Module {
        // SAFETY: the library is the plugin this crate builds (see `host::plugin_library`); the
        // signatures are the VST3 module entry points of Linux (`ModuleEntry`) and every
        // platform (`GetPluginFactory`).
        unsafe {
            let library = libloading::Library::new(host::plugin_library()).expect("loads");
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
    fn class(&self) -> PClassInfo2 {
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
    fn component(&self) -> ComPtr<IComponent> {
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
    fn unload(self) {
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

#[test]
fn vst3_factory_and_component_describe_the_plugin() {
    let _one_at_a_time = one_at_a_time();
    let module = Module::load();
    // SAFETY: VST3 calls on the module's factory and component, in the SDK's order; the info
    // structures are plain data the plugin fills in.
    unsafe {
        let factory = &module.factory;
        let mut info: PFactoryInfo = std::mem::zeroed();
        assert_eq!(factory.getFactoryInfo(&mut info), kResultOk);
        assert_eq!(text(&info.vendor), env!("CARGO_PKG_AUTHORS"));
        assert_eq!(text(&info.url), env!("CARGO_PKG_HOMEPAGE"));

        assert_eq!(factory.countClasses(), 1);
        let class = module.class();
        let cid: [u8; 16] = std::mem::transmute(class.cid);
        assert_eq!(&cid, b"RtcbListenRelay1", "the class id never changes");
        assert_eq!(text(&class.category), "Audio Module Class");
        assert_eq!(text(&class.name), "rtcb");
        assert_eq!(text(&class.subCategories), "Fx|Tools");
        assert_eq!(text(&class.vendor), env!("CARGO_PKG_AUTHORS"));
        assert_eq!(text(&class.version), env!("CARGO_PKG_VERSION"));

        let component = module.component();
        // Stereo in and out (the default layout), one event bus each way.
        let bus = |media, direction| {
            let mut info: BusInfo = std::mem::zeroed();
            assert_eq!(
                component.getBusInfo(media, direction, 0, &mut info),
                kResultOk
            );
            info.channelCount
        };
        assert_eq!(component.getBusCount(kAudio as i32, kInput as i32), 1);
        assert_eq!(component.getBusCount(kAudio as i32, kOutput as i32), 1);
        assert_eq!(bus(kAudio as i32, kInput as i32), 2);
        assert_eq!(bus(kAudio as i32, kOutput as i32), 2);
        assert_eq!(component.getBusCount(kEvent as i32, kInput as i32), 1);
        assert_eq!(component.getBusCount(kEvent as i32, kOutput as i32), 1);
        assert_eq!(component.terminate(), kResultOk);
    }
    module.unload();
}

/// The host's event list for one block: the input events, or room for the plugin's output
/// events. `addEvent` never grows it (the plugin calls it inside `process()`, on the audio
/// thread): a full list refuses the event, as a host's fixed-size list does.
struct EventList {
    events: Mutex<Vec<Event>>,
}

impl EventList {
    fn new(events: Vec<Event>) -> ComWrapper<Self> {
        ComWrapper::new(Self {
            events: Mutex::new(events),
        })
    }

    fn events(&self) -> Vec<Event> {
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

/// A note on or off event for the host's lists.
fn note_event(on: bool, offset: i32, channel: i16, pitch: i16, velocity: f32, id: i32) -> Event {
    // SAFETY: `Event` is plain data; zero is a valid value for every field.
    let mut event: Event = unsafe { std::mem::zeroed() };
    event.sampleOffset = offset;
    if on {
        event.r#type = kNoteOnEvent as u16;
        event.__field0 = Event__type0 {
            noteOn: NoteOnEvent {
                channel,
                pitch,
                tuning: 0.0,
                velocity,
                length: 0,
                noteId: id,
            },
        };
    } else {
        event.r#type = kNoteOffEvent as u16;
        event.__field0 = Event__type0 {
            noteOff: NoteOffEvent {
                channel,
                pitch,
                velocity,
                noteId: id,
                tuning: 0.0,
            },
        };
    }
    event
}

/// What an event carries, comparable.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fields {
    /// A note on (`true`) or off: offset, channel, pitch, velocity bits, note id.
    Note(bool, i32, i16, i16, u32, i32),
    /// A MIDI controller (VST3's legacy "MIDI CC out", also carrying channel pressure as
    /// control 128 and pitch bend as 129): offset, control, channel, value, second value.
    Controller(i32, u8, i8, i8, i8),
}

impl Fields {
    fn of(event: &Event) -> Fields {
        let offset = event.sampleOffset;
        // SAFETY: the union member read is the one `type` names.
        unsafe {
            match u32::from(event.r#type) {
                t if t == kNoteOnEvent => {
                    let n = event.__field0.noteOn;
                    let (channel, pitch, velocity, id) = (n.channel, n.pitch, n.velocity, n.noteId);
                    Fields::Note(true, offset, channel, pitch, velocity.to_bits(), id)
                }
                t if t == kNoteOffEvent => {
                    let n = event.__field0.noteOff;
                    let (channel, pitch, velocity, id) = (n.channel, n.pitch, n.velocity, n.noteId);
                    Fields::Note(false, offset, channel, pitch, velocity.to_bits(), id)
                }
                t if t == kLegacyMIDICCOutEvent => {
                    let cc = event.__field0.midiCCOut;
                    Fields::Controller(offset, cc.controlNumber, cc.channel, cc.value, cc.value2)
                }
                other => panic!("unexpected event type {other}"),
            }
        }
    }

    fn offset(&self) -> i32 {
        match *self {
            Fields::Note(_, offset, ..) | Fields::Controller(offset, ..) => offset,
        }
    }
}

/// The note id nice-plug 0.4.2 gives every outgoing VST3 note: `VoiceID::id_or_fallback`
/// ignores the note's own id and always computes `key | channel << 16` (CLAP keeps the id).
fn nice_plug_vst3_note_id(channel: i16, pitch: i16) -> i32 {
    i32::from(pitch) | i32::from(channel) << 16
}

/// A parameter's title, from the controller's UTF-16 string.
fn title(info: &ParameterInfo) -> String {
    let units: Vec<u16> = info.title.iter().copied().take_while(|&c| c != 0).collect();
    String::from_utf16(&units).expect("UTF-16")
}

#[test]
fn vst3_processes_audio_notes_and_strategy_changes() {
    const BLOCK: usize = 512;
    const BLOCKS: usize = 400;
    let _one_at_a_time = one_at_a_time();
    let module = Module::load();
    // SAFETY: VST3 calls on the module's component, in the order the SDK documents for a host:
    // set up, activate, process, and back; the structures passed are plain data that outlive
    // each call.
    unsafe {
        let component = module.component();
        let processor = component
            .cast::<IAudioProcessor>()
            .expect("the component is the audio processor");
        let controller = component
            .cast::<IEditController>()
            .expect("the component is its own edit controller");

        // MIDI controllers reach a VST3 plugin as parameter changes on the parameters its MIDI
        // mapping names (one per channel and controller; 128 is channel pressure, 129 pitch bend).
        let mapping = component
            .cast::<IMidiMapping>()
            .expect("the component maps MIDI controllers");
        let controller_param = |channel: i16, control: i16| {
            let mut id: ParamID = 0;
            let found = mapping.getMidiControllerAssignment(0, channel, control, &mut id);
            assert_eq!(found, kResultOk, "channel {channel}, controller {control}");
            id
        };
        let strategy = param_id(&controller, "Strategy");
        let variants = rtcb::Strategy::ALL.len();
        let normalized = |index: usize| index as f64 / (variants - 1) as f64;
        assert_eq!(
            controller.getParamNormalized(strategy),
            normalized(rtcb::Strategy::Mailbox.index()),
            "Mailbox by default"
        );

        let mut setup = ProcessSetup {
            processMode: kRealtime as i32,
            symbolicSampleSize: kSample32 as i32,
            maxSamplesPerBlock: BLOCK as i32,
            sampleRate: 48_000.0,
        };
        assert_eq!(processor.setupProcessing(&mut setup), kResultOk);
        for direction in [kInput, kOutput] {
            assert_eq!(
                component.activateBus(kEvent as i32, direction as i32, 0, 1),
                kResultOk
            );
        }
        assert_eq!(component.setActive(1), kResultOk);
        assert_eq!(processor.setProcessing(1), kResultOk);

        let mut rng = Rng::new(3);
        let mut events_checked = 0;
        let mut changes = 0;
        for block in 0..BLOCKS {
            let mut input = vec![vec![0f32; BLOCK]; 2];
            for sample in input.iter_mut().flatten() {
                *sample = f32::from_bits(rng.next_u64() as u32);
            }
            let mut output = vec![vec![0f32; BLOCK]; 2];
            let mut input_ptrs: Vec<*mut f32> = input.iter_mut().map(|c| c.as_mut_ptr()).collect();
            let mut output_ptrs: Vec<*mut f32> =
                output.iter_mut().map(|c| c.as_mut_ptr()).collect();
            let bus = |ptrs: &mut Vec<*mut f32>| AudioBusBuffers {
                numChannels: 2,
                silenceFlags: 0,
                __field0: AudioBusBuffers__type0 {
                    channelBuffers32: ptrs.as_mut_ptr(),
                },
            };
            let mut inputs = bus(&mut input_ptrs);
            let mut outputs = bus(&mut output_ptrs);

            // Up to 24 notes at sorted offsets, each with its own note id.
            let count = rng.below(25) as usize;
            let mut offsets: Vec<i32> =
                (0..count).map(|_| rng.below(BLOCK as u64) as i32).collect();
            offsets.sort_unstable();
            let sent: Vec<Event> = offsets
                .iter()
                .enumerate()
                .map(|(i, &offset)| {
                    note_event(
                        rng.percent(50),
                        offset,
                        rng.below(16) as i16,
                        rng.below(128) as i16,
                        (1 + rng.below(127)) as f32 / 127.0,
                        (block * 32 + i) as i32,
                    )
                })
                .collect();
            let input_events = EventList::new(sent.clone());

            // Up to 3 controllers (CCs, channel pressure, pitch bend) with 1 or 2 values each,
            // at sorted offsets; values on the 7-bit (14-bit for pitch bend) grid, which VST3's
            // output event carries exactly.
            let mut queues = Vec::new();
            let mut controller_events = Vec::new();
            let mut used = Vec::new();
            for _ in 0..rng.below(4) {
                let channel = rng.below(16) as i16;
                let control = rng.below(130) as i16;
                if used.contains(&(channel, control)) {
                    continue;
                }
                used.push((channel, control));
                let mut points: Vec<(i32, f64)> = Vec::new();
                let mut times: Vec<i32> = (0..1 + rng.below(2))
                    .map(|_| rng.below(BLOCK as u64) as i32)
                    .collect();
                times.sort_unstable();
                for offset in times {
                    let (value, expected) = if control == 129 {
                        let step = rng.below(1 << 14) as i32;
                        let bytes = ((step & 0x7f) as i8, (step >> 7) as i8);
                        (f64::from(step) / f64::from((1 << 14) - 1), bytes)
                    } else {
                        let step = rng.below(128) as i8;
                        (f64::from(step) / 127.0, (step, 0))
                    };
                    points.push((offset, value));
                    controller_events.push(Fields::Controller(
                        offset,
                        control as u8,
                        channel as i8,
                        expected.0,
                        expected.1,
                    ));
                }
                queues.push(ComWrapper::new(ParamQueue {
                    id: controller_param(channel, control),
                    points,
                }));
            }
            let output_events = EventList::new(Vec::with_capacity(64));

            // Every 20 blocks, a strategy change at a random offset.
            let target = (block % 20 == 0).then(|| (block / 20 + 1) % variants);
            if let Some(index) = target {
                queues.push(ComWrapper::new(ParamQueue {
                    id: strategy,
                    points: vec![(rng.below(BLOCK as u64) as i32, normalized(index))],
                }));
            }
            let param_changes = ComWrapper::new(ParamChanges { queues });

            let input_list = input_events.to_com_ptr::<IEventList>().unwrap();
            let output_list = output_events.to_com_ptr::<IEventList>().unwrap();
            let param_list = param_changes.to_com_ptr::<IParameterChanges>().unwrap();
            let mut data = ProcessData {
                processMode: kRealtime as i32,
                symbolicSampleSize: kSample32 as i32,
                numSamples: BLOCK as i32,
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
            assert_eq!(processor.process(&mut data), kResultOk, "block {block}");

            for (channel, (out, sent)) in output.iter().zip(&input).enumerate() {
                let same = out
                    .iter()
                    .zip(sent)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "block {block}: channel {channel} passes bit for bit");
            }
            // What comes back: the controllers (the wrapper reads parameter changes first), then
            // the notes, in time order (a stable sort, as the wrapper merges them), each note
            // with nice-plug's made-up id.
            let notes = sent.iter().map(Fields::of).map(|fields| match fields {
                Fields::Note(on, offset, channel, pitch, velocity, _id) => {
                    let id = nice_plug_vst3_note_id(channel, pitch);
                    Fields::Note(on, offset, channel, pitch, velocity, id)
                }
                other => other,
            });
            let mut expected: Vec<Fields> = controller_events.into_iter().chain(notes).collect();
            expected.sort_by_key(Fields::offset);
            let received: Vec<Fields> = output_events.events().iter().map(Fields::of).collect();
            assert_eq!(
                received, expected,
                "block {block}: every note and controller comes back (notes but for their \
                 ids), in order"
            );
            events_checked += received.len();
            if let Some(index) = target {
                assert_eq!(
                    controller.getParamNormalized(strategy),
                    normalized(index),
                    "block {block}: the strategy change arrived"
                );
                changes += 1;
            }
        }
        eprintln!(
            "VST3: {BLOCKS} blocks, {events_checked} events checked, {changes} strategy changes"
        );
        assert!(events_checked > BLOCKS * 5);
        assert_eq!(changes, BLOCKS / 20);

        assert_eq!(processor.setProcessing(0), kResultOk);
        assert_eq!(component.setActive(0), kResultOk);
        assert_eq!(component.terminate(), kResultOk);
    }
    module.unload();
}

/// A host's memory stream (`IBStream`): what a component saves, or what it is given to load.
struct MemoryStream {
    /// The bytes, and the read/write position.
    inner: Mutex<(Vec<u8>, usize)>,
}

impl MemoryStream {
    fn new(bytes: Vec<u8>) -> ComWrapper<Self> {
        ComWrapper::new(Self {
            inner: Mutex::new((bytes, 0)),
        })
    }

    fn bytes(&self) -> Vec<u8> {
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
fn normalized_values(controller: &ComPtr<IEditController>) -> Vec<(ParamID, ParamValue)> {
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

/// The id of the parameter titled `name`.
fn param_id(controller: &ComPtr<IEditController>, name: &str) -> ParamID {
    // SAFETY: plain VST3 calls; `ParameterInfo` is plain data the plugin fills in.
    unsafe {
        (0..controller.getParameterCount())
            .find_map(|index| {
                let mut info: ParameterInfo = std::mem::zeroed();
                assert_eq!(controller.getParameterInfo(index, &mut info), kResultOk);
                (title(&info) == name).then_some(info.id)
            })
            .unwrap_or_else(|| panic!("a parameter titled {name}"))
    }
}

#[test]
fn vst3_state_round_trips_into_a_fresh_component_and_bad_state_is_refused() {
    let _one_at_a_time = one_at_a_time();
    let module = Module::load();
    // SAFETY: VST3 calls on the module's components, as a host saves and restores a project.
    unsafe {
        let original = module.component();
        let controller = original
            .cast::<IEditController>()
            .expect("the component is its own edit controller");
        let trap = rtcb::Strategy::Trap.index() as f64 / (rtcb::Strategy::ALL.len() - 1) as f64;
        // (The rate snaps to its 0.25 notes/s steps, so its value is read back, not compared.)
        for (name, value) in [
            ("Strategy", trap),
            ("Demo pattern", 1.0),
            ("Demo rate", 0.25),
        ] {
            let id = param_id(&controller, name);
            assert_eq!(controller.setParamNormalized(id, value), kResultOk);
            if name != "Demo rate" {
                assert_eq!(controller.getParamNormalized(id), value, "{name}");
            }
        }
        let saved_values = normalized_values(&controller);
        let saved = MemoryStream::new(Vec::new());
        let stream = saved.to_com_ptr::<IBStream>().unwrap();
        assert_eq!(original.getState(stream.as_ptr()), kResultOk);
        let state = saved.bytes();
        assert!(!state.is_empty());

        // A fresh component (a project being opened) takes the state: same values everywhere.
        let fresh = module.component();
        let fresh_controller = fresh.cast::<IEditController>().unwrap();
        let defaults = normalized_values(&fresh_controller);
        assert_ne!(defaults, saved_values, "the test changes something");
        let load = |component: &ComPtr<IComponent>, bytes: &[u8]| {
            let stream = MemoryStream::new(bytes.to_vec());
            component.setState(stream.to_com_ptr::<IBStream>().unwrap().as_ptr())
        };
        assert_eq!(load(&fresh, &state), kResultOk);
        assert_eq!(normalized_values(&fresh_controller), saved_values);
        // Saving again gives the same bytes.
        let again = MemoryStream::new(Vec::new());
        assert_eq!(
            fresh.getState(again.to_com_ptr::<IBStream>().unwrap().as_ptr()),
            kResultOk
        );
        assert_eq!(again.bytes(), state);

        // Truncated or garbage state: refused, nothing changes.
        let other = module.component();
        let other_controller = other.cast::<IEditController>().unwrap();
        for cut in [0, 1, state.len() / 2, state.len() - 1] {
            assert_eq!(
                load(&other, &state[..cut]),
                kResultFalse,
                "cut to {cut} bytes"
            );
            assert_eq!(
                normalized_values(&other_controller),
                defaults,
                "cut to {cut}"
            );
        }
        assert_eq!(load(&other, b"\xff\x00 not json"), kResultFalse);
        assert_eq!(normalized_values(&other_controller), defaults);
        // And it still takes a good state afterwards.
        assert_eq!(load(&other, &state), kResultOk);
        assert_eq!(normalized_values(&other_controller), saved_values);

        for component in [&original, &fresh, &other] {
            assert_eq!(component.terminate(), kResultOk);
        }
    }
    module.unload();
}
