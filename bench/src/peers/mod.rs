//! The peers: the crates a user would otherwise hand a listener to the audio thread with, each
//! behind an adapter that uses it as a careful user would (see each module). They run in the
//! same harness and scenarios as rtcb's strategies.

mod arc_swap;
mod basedrop;
mod locks;
mod queues;
mod triple_buffer;

use crate::subject::Visit;

/// A peer crate's adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// `arc_swap::ArcSwapOption`: the audio side `load`s and calls.
    ArcSwap,
    /// `basedrop::SharedCell`: the audio side `get`s a counted reference and calls.
    Basedrop,
    /// `triple_buffer`: the audio side `update`s and calls the latest listener.
    TripleBuffer,
    /// Two `rtrb` rings: listeners in, replaced ones back.
    Rtrb,
    /// Two `crossbeam_queue::ArrayQueue`s, used like the rtrb rings.
    ArrayQueue,
    /// `atomic_refcell::AtomicRefCell`: the audio side `try_borrow_mut`s.
    AtomicRefCell,
    /// `parking_lot::Mutex`: the audio side `try_lock`s, the registrar `lock`s.
    ParkingLotMutex,
    /// `std::sync::Mutex`: as parking_lot.
    StdMutex,
    /// One `rtrb` ring, the replaced listener dropped on the audio thread: the naive use,
    /// measured only for its hazards.
    RtrbDropOnAudio,
}

impl Peer {
    /// The peers measured in every scenario.
    pub const MEASURED: [Peer; 8] = [
        Peer::ArcSwap,
        Peer::Basedrop,
        Peer::TripleBuffer,
        Peer::Rtrb,
        Peer::ArrayQueue,
        Peer::AtomicRefCell,
        Peer::ParkingLotMutex,
        Peer::StdMutex,
    ];

    /// The name in the tables and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Peer::ArcSwap => "arc-swap",
            Peer::Basedrop => "basedrop",
            Peer::TripleBuffer => "triple_buffer",
            Peer::Rtrb => "rtrb",
            Peer::ArrayQueue => "ArrayQueue",
            Peer::AtomicRefCell => "atomic_refcell",
            Peer::ParkingLotMutex => "parking_lot Mutex",
            Peer::StdMutex => "std Mutex",
            Peer::RtrbDropOnAudio => "rtrb, dropped on audio",
        }
    }

    /// What the adapter does, and why that is the fair use, in a sentence or two.
    pub fn adapter(self) -> &'static str {
        match self {
            Peer::ArcSwap => {
                "`ArcSwapOption<Box<dyn Fn>>`; the audio side `load`s and calls through the \
                 guard. The registrar `swap`s and keeps each replaced `Arc` until its strong \
                 count is 1, so a guard held across the swap never frees on the audio thread."
            }
            Peer::Basedrop => {
                "`SharedCell<Option<Box<dyn Fn>>>`; the audio side `get`s a `Shared` and calls. \
                 The registrar `set`s a new `Shared` and runs the `Collector`, which frees what \
                 the audio side let go of (basedrop's own design)."
            }
            Peer::TripleBuffer => {
                "`triple_buffer<Option<Box<dyn FnMut>>>`; the audio side `update`s and calls the \
                 output buffer. The registrar `write`s; a replaced listener is dropped by the \
                 next write, on the registrar's side. `consumed()` tells a change applied."
            }
            Peer::Rtrb => {
                "A ring of 4 new listeners to the audio side and a ring of 5 back. The audio \
                 side keeps the current one, takes a new one only while the back ring has \
                 room, and sends the replaced one back; the registrar drops it there."
            }
            Peer::ArrayQueue => {
                "As rtrb, with two `ArrayQueue`s (4 and 5 slots) in `Arc`s: the same hand-over \
                 on crossbeam's bounded MPMC queue."
            }
            Peer::AtomicRefCell => {
                "`AtomicRefCell<Option<Box<dyn FnMut>>>`; the audio side `try_borrow_mut`s and \
                 skips the call when the registrar holds it. The registrar retries \
                 `try_borrow_mut` (a borrow that fails panics otherwise) and drops the replaced \
                 listener after releasing it."
            }
            Peer::ParkingLotMutex => {
                "`parking_lot::Mutex<Option<Box<dyn FnMut>>>`; the audio side `try_lock`s and \
                 skips the call when the registrar holds it; the registrar `lock`s and drops the \
                 replaced listener after unlocking."
            }
            Peer::StdMutex => "As parking_lot, with `std::sync::Mutex`.",
            Peer::RtrbDropOnAudio => {
                "One ring of 4 new listeners; the audio side drops the one it replaces. What a \
                 first attempt looks like: measured only for its hazards."
            }
        }
    }

    /// Whether a registrar stopped in the middle of a change can make the adapter's audio side
    /// wait, as the crate's source says, and why.
    pub fn audio_waits_for_registrar(self) -> &'static str {
        match self {
            Peer::ArcSwap => "no: `load` is wait-free (a debt slot, or the writer helps)",
            Peer::Basedrop => {
                "no: `get` counts itself in and out; it is the writer that waits for readers"
            }
            Peer::TripleBuffer => "no: `update` is one swap",
            Peer::Rtrb => "no: wait-free single-producer ring",
            Peer::ArrayQueue => {
                "**yes**: `pop` spins on a slot a `push` has claimed (tail moved) but not yet \
                 written; `push` likewise on a slot being popped"
            }
            Peer::AtomicRefCell => "no: `try_borrow_mut` fails at once",
            Peer::ParkingLotMutex => {
                "**yes**, rarely: `try_lock` fails at once, but an unlock that wakes a parked \
                 registrar locks parking_lot's bucket (a `WordLock`, which parks when held), \
                 held by a registrar stopped while parking"
            }
            Peer::StdMutex => {
                "no: `try_lock` fails at once; an unlock that wakes the registrar makes a \
                 `futex` call, bounded kernel work"
            }
            Peer::RtrbDropOnAudio => {
                "**yes**, for listeners above glibc's fast-bin size (128 bytes): their free takes \
                 the arena's lock, which a registrar stopped in `malloc` may hold (the small \
                 listeners measured here fit glibc's fast bins, freed without it)"
            }
        }
    }

    /// The most listeners the adapter keeps alive at once outside the registrar, if bounded.
    pub fn max_live_listeners(self) -> Option<usize> {
        match self {
            // Until the registrar's next change, retired listeners wait for it.
            Peer::ArcSwap | Peer::Basedrop => None,
            Peer::TripleBuffer => Some(3),
            Peer::Rtrb | Peer::ArrayQueue => Some(queues::LIVE),
            Peer::RtrbDropOnAudio => Some(queues::SLOTS + 1),
            Peer::AtomicRefCell | Peer::ParkingLotMutex | Peer::StdMutex => Some(1),
        }
    }
}

/// Runs `visitor` with the constructor of `peer`'s adapter.
pub fn with_peer<V: Visit>(peer: Peer, visitor: V) -> V::Output {
    match peer {
        Peer::ArcSwap => visitor.visit(arc_swap::new),
        Peer::Basedrop => visitor.visit(basedrop::new),
        Peer::TripleBuffer => visitor.visit(triple_buffer::new),
        Peer::Rtrb => visitor.visit(queues::rtrb),
        Peer::ArrayQueue => visitor.visit(queues::array_queues),
        Peer::RtrbDropOnAudio => visitor.visit(queues::rtrb_dropped_on_audio),
        Peer::AtomicRefCell => visitor.visit(locks::atomic_refcell),
        Peer::ParkingLotMutex => visitor.visit(locks::parking_lot),
        Peer::StdMutex => visitor.visit(locks::std_mutex),
    }
}
