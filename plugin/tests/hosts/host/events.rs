//! CLAP events as plain Rust values ([`Ev`]), and the raw CLAP event lists the host hands the
//! plugin: [`InputList`] (what the host sends) and [`OutputList`] (what the plugin pushes, decoded
//! as it arrives, SysEx bytes copied while the plugin's pointer is still valid).

use std::ffi::c_void;
use std::mem::size_of;

use clap_sys::events::*;

/// Which kind of note event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    On,
    Off,
    Choke,
    End,
}

/// One CLAP event, decoded. Floating point values are compared exactly: the tests choose values
/// the plugin's formats carry without rounding.
#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    Note {
        time: u32,
        kind: NoteKind,
        port: i16,
        channel: i16,
        key: i16,
        note_id: i32,
        velocity: f64,
    },
    Expression {
        time: u32,
        expression: i32,
        port: i16,
        channel: i16,
        key: i16,
        note_id: i32,
        value: f64,
    },
    Midi {
        time: u32,
        port: u16,
        data: [u8; 3],
    },
    SysEx {
        time: u32,
        port: u16,
        bytes: Vec<u8>,
    },
    ParamValue {
        time: u32,
        param_id: u32,
        value: f64,
    },
    /// Anything else (its core type id), so unexpected output is reported, not skipped.
    Other {
        time: u32,
        space_id: u16,
        type_: u16,
    },
}

impl Ev {
    /// Sample offset in the block.
    pub fn time(&self) -> u32 {
        match *self {
            Ev::Note { time, .. }
            | Ev::Expression { time, .. }
            | Ev::Midi { time, .. }
            | Ev::SysEx { time, .. }
            | Ev::ParamValue { time, .. }
            | Ev::Other { time, .. } => time,
        }
    }

    /// A parameter change, for the host to send.
    pub fn param(time: u32, param_id: u32, value: f64) -> Ev {
        Ev::ParamValue {
            time,
            param_id,
            value,
        }
    }
}

fn header(time: u32, type_: u16, size: usize) -> clap_event_header {
    clap_event_header {
        size: size as u32,
        time,
        space_id: CLAP_CORE_EVENT_SPACE_ID,
        type_,
        flags: 0,
    }
}

/// One event in CLAP's memory layout (every variant starts with its header).
enum Raw {
    Note(clap_event_note),
    Expression(clap_event_note_expression),
    Midi(clap_event_midi),
    SysEx(clap_event_midi_sysex),
    ParamValue(clap_event_param_value),
}

impl Raw {
    fn header(&self) -> *const clap_event_header {
        match self {
            Raw::Note(e) => &e.header,
            Raw::Expression(e) => &e.header,
            Raw::Midi(e) => &e.header,
            Raw::SysEx(e) => &e.header,
            Raw::ParamValue(e) => &e.header,
        }
    }
}

/// The events the host sends for one call (process or flush), as a `clap_input_events`.
///
/// SysEx events point into the [`Ev`]s they were made from: keep those alive (and unmoved) while
/// the list is in use.
pub struct InputList {
    raw: Vec<Raw>,
}

impl InputList {
    /// Encodes `events` (in time order, as CLAP requires).
    pub fn new(events: &[Ev]) -> InputList {
        assert!(
            events.windows(2).all(|w| w[0].time() <= w[1].time()),
            "input events must be in time order"
        );
        let raw = events
            .iter()
            .map(|event| match *event {
                Ev::Note {
                    time,
                    kind,
                    port,
                    channel,
                    key,
                    note_id,
                    velocity,
                } => Raw::Note(clap_event_note {
                    header: header(
                        time,
                        match kind {
                            NoteKind::On => CLAP_EVENT_NOTE_ON,
                            NoteKind::Off => CLAP_EVENT_NOTE_OFF,
                            NoteKind::Choke => CLAP_EVENT_NOTE_CHOKE,
                            NoteKind::End => CLAP_EVENT_NOTE_END,
                        },
                        size_of::<clap_event_note>(),
                    ),
                    note_id,
                    port_index: port,
                    channel,
                    key,
                    velocity,
                }),
                Ev::Expression {
                    time,
                    expression,
                    port,
                    channel,
                    key,
                    note_id,
                    value,
                } => Raw::Expression(clap_event_note_expression {
                    header: header(
                        time,
                        CLAP_EVENT_NOTE_EXPRESSION,
                        size_of::<clap_event_note_expression>(),
                    ),
                    expression_id: expression,
                    note_id,
                    port_index: port,
                    channel,
                    key,
                    value,
                }),
                Ev::Midi { time, port, data } => Raw::Midi(clap_event_midi {
                    header: header(time, CLAP_EVENT_MIDI, size_of::<clap_event_midi>()),
                    port_index: port,
                    data,
                }),
                Ev::SysEx {
                    time,
                    port,
                    ref bytes,
                } => Raw::SysEx(clap_event_midi_sysex {
                    header: header(
                        time,
                        CLAP_EVENT_MIDI_SYSEX,
                        size_of::<clap_event_midi_sysex>(),
                    ),
                    port_index: port,
                    buffer: bytes.as_ptr(),
                    size: bytes.len() as u32,
                }),
                Ev::ParamValue {
                    time,
                    param_id,
                    value,
                } => Raw::ParamValue(clap_event_param_value {
                    header: header(
                        time,
                        CLAP_EVENT_PARAM_VALUE,
                        size_of::<clap_event_param_value>(),
                    ),
                    param_id,
                    cookie: std::ptr::null_mut(),
                    note_id: -1,
                    port_index: -1,
                    channel: -1,
                    key: -1,
                    value,
                }),
                Ev::Other { .. } => panic!("the host does not send {event:?}"),
            })
            .collect();
        InputList { raw }
    }

    /// The CLAP view of the list; valid while `self` is neither moved nor dropped.
    pub fn as_clap(&self) -> clap_input_events {
        clap_input_events {
            ctx: self as *const InputList as *mut c_void,
            size: Some(input_size),
            get: Some(input_get),
        }
    }
}

unsafe extern "C" fn input_size(list: *const clap_input_events) -> u32 {
    // SAFETY: `ctx` was set by `InputList::as_clap` to a list that outlives the call.
    let list = unsafe { &*((*list).ctx as *const InputList) };
    list.raw.len() as u32
}

unsafe extern "C" fn input_get(
    list: *const clap_input_events,
    index: u32,
) -> *const clap_event_header {
    // SAFETY: as in `input_size`.
    let list = unsafe { &*((*list).ctx as *const InputList) };
    list.raw
        .get(index as usize)
        .map_or(std::ptr::null(), Raw::header)
}

/// What the plugin pushes during one call, decoded on arrival.
#[derive(Default)]
pub struct OutputList {
    pub events: Vec<Ev>,
    /// Pushes refused because the list was full (never, unless `capacity` is set).
    pub refused: usize,
    /// When set, pushes beyond this many events are refused, like a full host queue.
    pub capacity: Option<usize>,
}

impl OutputList {
    /// The CLAP view of the list; valid while `self` is neither moved nor dropped.
    pub fn as_clap(&mut self) -> clap_output_events {
        clap_output_events {
            ctx: self as *mut OutputList as *mut c_void,
            try_push: Some(output_try_push),
        }
    }
}

unsafe extern "C" fn output_try_push(
    list: *const clap_output_events,
    event: *const clap_event_header,
) -> bool {
    // Host code: what it allocates is not the plugin's.
    super::alloc_count::pause(|| {
        // SAFETY: `ctx` was set by `OutputList::as_clap` to a list that outlives the call, and
        // the plugin hands a valid event whose header tells its type and size.
        let (list, event) = unsafe { (&mut *((*list).ctx as *mut OutputList), decode(event)) };
        if list.capacity.is_some_and(|c| list.events.len() >= c) {
            list.refused += 1;
            return false;
        }
        list.events.push(event);
        true
    })
}

/// Decodes one event the plugin pushed.
///
/// # Safety
///
/// `event` points to a valid CLAP event whose header's type matches its layout.
unsafe fn decode(event: *const clap_event_header) -> Ev {
    // SAFETY: the caller promises a valid event; each cast follows the header's type, and the
    // size check guards against a plugin sending a shorter struct than the type needs.
    unsafe {
        let h = &*event;
        let time = h.time;
        let sized = |needed: usize| {
            assert!(
                h.size as usize >= needed,
                "event of type {} is too short",
                h.type_
            );
        };
        if h.space_id != CLAP_CORE_EVENT_SPACE_ID {
            return Ev::Other {
                time,
                space_id: h.space_id,
                type_: h.type_,
            };
        }
        match h.type_ {
            CLAP_EVENT_NOTE_ON
            | CLAP_EVENT_NOTE_OFF
            | CLAP_EVENT_NOTE_CHOKE
            | CLAP_EVENT_NOTE_END => {
                sized(size_of::<clap_event_note>());
                let e = &*(event as *const clap_event_note);
                Ev::Note {
                    time,
                    kind: match h.type_ {
                        CLAP_EVENT_NOTE_ON => NoteKind::On,
                        CLAP_EVENT_NOTE_OFF => NoteKind::Off,
                        CLAP_EVENT_NOTE_CHOKE => NoteKind::Choke,
                        _ => NoteKind::End,
                    },
                    port: e.port_index,
                    channel: e.channel,
                    key: e.key,
                    note_id: e.note_id,
                    velocity: e.velocity,
                }
            }
            CLAP_EVENT_NOTE_EXPRESSION => {
                sized(size_of::<clap_event_note_expression>());
                let e = &*(event as *const clap_event_note_expression);
                Ev::Expression {
                    time,
                    expression: e.expression_id,
                    port: e.port_index,
                    channel: e.channel,
                    key: e.key,
                    note_id: e.note_id,
                    value: e.value,
                }
            }
            CLAP_EVENT_MIDI => {
                sized(size_of::<clap_event_midi>());
                let e = &*(event as *const clap_event_midi);
                Ev::Midi {
                    time,
                    port: e.port_index,
                    data: e.data,
                }
            }
            CLAP_EVENT_MIDI_SYSEX => {
                sized(size_of::<clap_event_midi_sysex>());
                let e = &*(event as *const clap_event_midi_sysex);
                Ev::SysEx {
                    time,
                    port: e.port_index,
                    bytes: std::slice::from_raw_parts(e.buffer, e.size as usize).to_vec(),
                }
            }
            CLAP_EVENT_PARAM_VALUE => {
                sized(size_of::<clap_event_param_value>());
                let e = &*(event as *const clap_event_param_value);
                Ev::ParamValue {
                    time,
                    param_id: e.param_id,
                    value: e.value,
                }
            }
            type_ => Ev::Other {
                time,
                space_id: h.space_id,
                type_,
            },
        }
    }
}
