//! # rtcb: handing a listener to the audio thread
//!
//! A plugin's `process()` runs on the host's real-time audio thread. Now and then a *listener*
//! (usually the editor window, whose life has nothing to do with the audio engine) wants what
//! `process()` sees. It registers a callback when it appears and removes it when it goes away,
//! from any thread but the audio thread. This crate is five ways to hand that callback over,
//! each a pair of handles: a **registrar** for non-real-time threads and a **caller** for the
//! audio thread.
//!
//! ## Guarantees (all five strategies)
//! - **The audio side never allocates, frees, blocks or makes a system call**, and every call
//!   finishes in a bounded number of steps. A replaced, cleared or stopped listener travels back
//!   to the registrar side and is dropped there (on the next change or [`Register::collect`]).
//!   Tests run every audio-side call under `assert_no_alloc`, and a seccomp strict-mode test runs
//!   a million audio-side calls per strategy with the kernel killing any system call.
//! - **All memory is allocated at construction**, except the listener itself and, for `Mailbox`,
//!   a small parcel per change, both allocated by the registrar.
//! - **Nothing is lost silently**: a change that cannot be taken now is refused with the listener
//!   handed back in [`Refused`]; strategies that coalesce (latest wins) drop the superseded
//!   listener on the registrar side.
//! - **Every listener is dropped exactly once**, never while it runs, never on the audio thread.
//!   Each strategy module states the most listeners alive at once (`MAX_LIVE_LISTENERS`).
//! - **Thread rules are in the types**: callers are `Send` but not `Clone` or `Sync`; the
//!   registrars of single-registrar strategies are not `Clone`; the others are
//!   `Clone + Send + Sync`.
//! - **Doing nothing is cheap**: with nothing installed and nothing pending,
//!   [`Call::poll_listening`] costs about one atomic load, and you ask it *before* building the
//!   data. [`Call::deliver`] applies pending changes itself, so it is never a silent no-op.
//! - **Delivery is observable**: each change returns a [`Ticket`];
//!   [`Register::is_applied`] says, without blocking the audio thread, whether it is in force,
//!   and once it is, the listener it replaced is collectible.
//! - **A panicking listener is contained**: it is retired as if it returned [`Flow::Stop`] (never
//!   called again, dropped once on the registrar side), the strategy stays usable, nothing
//!   hangs, and the panic carries on out of `deliver` into your audio code.
//! - Every atomic protocol is model-checked with loom (`tests/loom.rs`), including the race in
//!   the published overwriting ring design (see [`overwrite_ring`]).
//!
//! ## The five strategies
//!
//! | strategy | registrars | a change can be refused | registrar waits for the audio thread | most listeners alive | idle check, ns | ask + deliver, ns | change, ns |
//! |---|---|---|---|---|---:|---:|---:|
//! | [`spin_lock`] | many | no | **yes**, while the listener runs | 1 | 0.53 | 2.99 | 10.2 |
//! | [`spsc_queue`] | one | **yes**, when 4 changes are queued | no | 5 | 1.07 | 2.81 | 9.7 |
//! | [`trap`] | many | **yes**, until the audio thread takes the pending one | no | 2 | 0.95 | 2.85 | 10.5 |
//! | [`overwrite_ring`] | one | no (latest wins) | no | 3 | 1.32 | 4.85 | 11.0 |
//! | [`mailbox`] | many | no (latest wins) | no | 6 | 0.63 | 2.09 | 25.1 |
//!
//! "Most listeners alive" counts those outside the registrars' hands (a registrar inside `set`
//! holds one or two more). The costs are medians from one run of
//! `cargo run --release -p rtcb_bench -- --peers` on the project's 2-vCPU VM (`docs/benchmarks.md`):
//! the idle check per loop iteration (a bare atomic load and branch: 0.60 ns), asking and
//! delivering to an installed listener (a bare boxed call: 1.95 ns), and one registrar change
//! (the mean over a tight loop of set+clear pairs, refused ones included). Compare them as ratios; they
//! move between runs. The same run measured eight crates people use instead (arc-swap,
//! basedrop, triple_buffer, rtrb, crossbeam's `ArrayQueue`, atomic_refcell, parking_lot and std
//! mutexes, each used the careful way): `Mailbox`'s median was at or below every one's idle,
//! uncontended and contended, and its audio side made no allocation, free or system call, while
//! a mutex unlock on the audio thread made `futex` calls. Stopping the registrar at random
//! instructions never left a strategy's audio side waiting; it left `ArrayQueue`'s spinning in 115
//! of 1,000 stops.
//!
//! Which to use: `Mailbox` unless you have a reason. It never refuses, never makes a registrar
//! wait, lets any thread register, and its audio side is wait-free. `SpinLock` is the smallest
//! but makes registrars wait for the listener. `SpscQueue` and `Trap` refuse changes when the
//! audio thread is slow to take them (the caller must retry). `OverwriteRing` allows only one
//! registrar and keeps a stopped listener until the next change.
//!
//! ## Example
//! ```
//! use rtcb::{mailbox, Listener};
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::sync::Arc;
//!
//! // At plugin construction: the registrar goes to the editor, the caller to the audio thread.
//! let (mut registrar, mut caller) = mailbox::new::<[f32; 4]>();
//!
//! // Editor thread: start listening. A mailbox never refuses, so `set` returns the ticket.
//! let peak = Arc::new(AtomicU32::new(0));
//! let seen = peak.clone();
//! let ticket = registrar.set(Listener::forever(move |meters: &[f32; 4]| {
//!     // Runs on the audio thread: real-time safe work only.
//!     seen.store(meters[0].to_bits(), Ordering::Relaxed);
//! }));
//!
//! // Audio thread, every block: ask first, build the data only if someone listens.
//! if caller.poll_listening() {
//!     let meters = [0.5, 0.25, 0.0, 0.0];
//!     caller.deliver(&meters);
//! }
//!
//! // Editor thread: the change is in force, and the value arrived.
//! assert!(registrar.is_applied(ticket));
//! assert_eq!(f32::from_bits(peak.load(Ordering::Relaxed)), 0.5);
//!
//! // Closing the editor: clear; once applied, the old listener comes back and is dropped here.
//! let cleared = registrar.clear();
//! caller.poll_listening();
//! assert!(registrar.is_applied(cleared));
//! assert_eq!(registrar.collect(), 1);
//! ```
//!
//! To switch strategy at run time (as the demonstrator plugin does), create all five with
//! [`switchable`]: the [`SwitchCaller`] dispatches with a `match` (no allocation, no dynamic
//! dispatch beyond the listener), and a [`Registration`] keeps one listener on whichever
//! strategy is active.
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod listener;
mod registration;
mod ring;
mod strategy;
mod switch;
mod sync;
mod ticket;

pub use listener::{Call, Flow, Listener, Refused, Register};
pub use registration::{Registration, Status};
pub use strategy::{mailbox, overwrite_ring, spin_lock, spsc_queue, trap, PerStrategy, Strategy};
pub use switch::{switchable, SwitchCaller, SwitchRegistrar};
pub use ticket::Ticket;

/// The crate page's (README.md) code, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
