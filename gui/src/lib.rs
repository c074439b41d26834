//! # rtcb_gui: the demonstrator's editor
//!
//! The editor of the rtcb plugin: it registers a listener on the active strategy while it is
//! open, shows the notes that arrive (a keyboard and a log), lets the user switch strategies (a
//! parameter change through the host), and shows what each strategy costs the audio thread.
//!
//! ## Real-time guarantees
//! The editor's code on the audio thread is the [`tap`] listener, and [`keys::KeyReceiver`]'s
//! wait-free pop of the keys played on the editor's keyboard. Neither allocates, frees, blocks
//! or makes a system call. The tap copies each [`NoteBatch`](batch::NoteBatch) into a ring
//! allocated once per plugin instance ([`tap::RING_RECORDS`] records) and raises a repaint
//! flag. A full ring is counted and shown, never waited on. Listeners are created and dropped
//! on the editor's side only.
//!
//! ## Wiring it into a plugin
//! - At construction: `let (registrar, caller) = rtcb::switchable::<NoteBatch>();` — keep
//!   `caller` for `process()` and make `Arc::new(EditorLink::new(registrar))`.
//! - Implement [`EditorParams`] for the plugin's parameters (read the strategy and demo switch,
//!   change them with `begin/set/end_set_parameter`).
//! - In `Plugin::editor()`: `rtcb_gui::create_editor(link.clone(), params.clone())`, with
//!   `type Editor = rtcb_gui::RtcbEditor`.
//! - Take the keyboard's receiver once, `link.take_key_receiver()`, and pop it at the start of
//!   each block (see [`keys`]).
//!
//! ## From `process()` to the screen: one note's way
//! One data shape travels: a [`NoteBatch`](batch::NoteBatch), whose
//! [`BlockHeader`](batch::BlockHeader) goes along whole at every step.
//! 1. The plugin's `Reporter` (in the plugin crate, `src/report.rs`) starts a batch with the
//!    block's header ([`NoteBatch::start`](batch::NoteBatch::start)) when someone listens and
//!    the editor is open, pushes each note event, and delivers the batch once at the block's
//!    end through the active strategy.
//! 2. The strategy calls the editor's listener, the [`tap`]: it copies the header and the
//!    events into the ring, and raises the repaint flag.
//! 3. Each frame, [`EditorLink::drain`] takes them out of the ring and hands them to the
//!    [`model`] ([`EditorModel::ingest`](model::EditorModel::ingest)), which the [`view`]
//!    draws: log, keyboard, counters, costs.
//!
//! Whether the editor is open is one flag, owned by the tap's shared state: the link changes it
//! (open, close) and the plugin reads it ([`EditorLink::editor_is_open`]).
//!
//! ## Lifecycle
//! Opening the editor calls [`EditorLink::open`] (a tap listener is registered on the active
//! strategy); each frame calls [`EditorLink::follow`] (the registration moves when the strategy
//! parameter changes, from the editor or host automation, and refused sets are retried); the
//! host dropping the editor calls [`EditorLink::close`] (the listener is cleared). The host may
//! do this any number of times.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod batch;
pub mod editor;
pub mod keys;
pub mod link;
pub mod model;
pub mod tap;
pub mod view;

pub use editor::{
    create_editor, EditorCore, EditorParams, ParamChange, RtcbEditor, RtcbEditorHandle, DEMO_ENV,
};
pub use link::{EditorLink, StrategyReport};

/// The top-level README's code (the library snippet), compiled and run as a doctest. It lives in
/// this crate, not in `rtcb`, because the README is outside the published `rtcb` package.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct TopLevelReadmeDoctests;
