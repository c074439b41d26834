//! # rtcb: handing a listener to the audio thread
//!
//! (Crate docs are completed below.)
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod listener;
mod progress;
mod registration;
mod ring;
mod strategy;
mod switch;
mod sync;

pub use listener::{Call, Flow, Listener, Refused, Register, Ticket};
pub use registration::{Registration, Status};
pub use strategy::{mailbox, overwrite_ring, spin_lock, spsc_queue, trap, Strategy};
pub use switch::{switchable, SwitchCaller, SwitchRegistrar};
