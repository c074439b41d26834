//! The tap: the editor's listener, the only editor code that runs on the audio thread.
//!
//! Each [`NoteBatch`] the active strategy delivers is copied into a ring allocated once per
//! plugin instance ([`RING_RECORDS`] records): one [`BatchHeader`] followed by the batch's events
//! that fit, published together so the GUI never sees a header without its events. Then the tap
//! raises nice-plug-egui's repaint flag (one relaxed store).
//!
//! # Real-time safety
//! A call never allocates, frees, blocks or makes a system call: it loads an atomic flag, tries
//! to borrow the ring's producer (one compare-exchange; a failed borrow is counted, never waited
//! for), copies at most `1 + BATCH_CAPACITY` records into free slots, and stores the repaint
//! flag. A full ring is counted, not a panic. Tap listeners are dropped only by the registrar
//! side (rtcb never drops a listener on the audio thread); each drop is counted so tests and the
//! editor can see how many are alive.
//!
//! Several tap listeners may exist at once (one per strategy while the registration moves from
//! one to the next); they share the ring's producer through an [`AtomicRefCell`].

use crate::batch::{BlockHeader, NoteBatch, NoteEvent};
use atomic_refcell::{AtomicRefCell, AtomicRefMut};
use nice_plug_egui::RepaintNotifier;
use rtcb::{Listener, PerStrategy, Strategy};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Records in the ring between the audio thread and the editor (about 60 bytes each). At 750
/// blocks a second with no notes this holds about ten seconds of batches the GUI has not drawn.
pub const RING_RECORDS: usize = 8192;

/// A batch's header as the ring carries it: the block's header, copied whole, and where the
/// batch's events went.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BatchHeader {
    /// The batch's own header.
    pub block: BlockHeader,
    /// Events that follow this header in the ring.
    pub events_in_ring: u32,
    /// Events of the batch that did not fit in the ring.
    pub events_lost_in_ring: u32,
}

impl BatchHeader {
    fn of(batch: &NoteBatch, events_in_ring: usize) -> Self {
        let stored = batch.events().len();
        Self {
            block: batch.header,
            events_in_ring: events_in_ring as u32,
            events_lost_in_ring: (stored - events_in_ring) as u32,
        }
    }
}

/// One record in the ring: a batch's header, or one of its events (which follow their header).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TapRecord {
    /// A batch begins; [`BatchHeader::events_in_ring`] events follow.
    Batch(BatchHeader),
    /// One event of the batch before.
    Note(NoteEvent),
}

/// What the tap could not hand the editor, for one strategy, since the link was created.
#[derive(Debug, Default)]
struct LossCounters {
    /// Batches dropped because the ring had no room even for their header.
    batches: AtomicU64,
    /// Note events of those batches: stored, or already over the batch's capacity.
    notes: AtomicU64,
    /// Calls that found the producer borrowed by another tap listener.
    contended: AtomicU64,
}

/// A snapshot of what the tap lost for one strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TapLosses {
    /// Batches dropped whole because the ring was full.
    pub batches: u64,
    /// Note events of those batches: stored, or already over the batch's capacity.
    pub notes: u64,
    /// Calls skipped because another tap listener held the ring.
    pub contended: u64,
}

impl TapLosses {
    /// The losses since `earlier`.
    pub fn since(self, earlier: TapLosses) -> TapLosses {
        TapLosses {
            batches: self.batches.saturating_sub(earlier.batches),
            notes: self.notes.saturating_sub(earlier.notes),
            contended: self.contended.saturating_sub(earlier.contended),
        }
    }
}

/// The ring's producer, shared by every tap listener and borrowed exclusively, never shared.
struct ProducerCell(AtomicRefCell<rtrb::Producer<TapRecord>>);

// SAFETY: `rtrb::Producer` is `Send` but not `Sync` (it caches indices in `Cell`s). This cell only
// ever hands out exclusive borrows (`try_borrow_mut`; there is no shared-borrow method), so at most
// one thread touches the producer at a time and accesses are ordered by the cell's atomic borrow
// flag (acquire on borrow, release on release) — the same argument that makes `Mutex<T: Send>`
// `Sync`.
unsafe impl Sync for ProducerCell {}

impl ProducerCell {
    fn try_borrow_mut(&self) -> Option<AtomicRefMut<'_, rtrb::Producer<TapRecord>>> {
        self.0.try_borrow_mut().ok()
    }
}

/// What the tap listeners share with the editor link.
pub(crate) struct TapShared {
    producer: ProducerCell,
    repaint: RepaintNotifier,
    /// Whether the editor is open; a closed editor's tap (one whose clear has not been applied
    /// yet) copies nothing.
    open: AtomicBool,
    losses: PerStrategy<LossCounters>,
    created: AtomicU64,
    dropped: AtomicU64,
}

impl TapShared {
    /// Allocates the ring; returns the shared tap state and the ring's consumer.
    pub(crate) fn new(repaint: RepaintNotifier) -> (Arc<Self>, rtrb::Consumer<TapRecord>) {
        let (producer, consumer) = rtrb::RingBuffer::new(RING_RECORDS);
        let shared = Arc::new(Self {
            producer: ProducerCell(AtomicRefCell::new(producer)),
            repaint,
            open: AtomicBool::new(false),
            losses: Default::default(),
            created: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        });
        (shared, consumer)
    }

    /// Makes a new tap listener (non-real-time: it allocates).
    pub(crate) fn listener(self: &Arc<Self>) -> Listener<NoteBatch> {
        // Relaxed: a statistic; nothing is published through it.
        self.created.fetch_add(1, Ordering::Relaxed);
        let tap = Tap {
            shared: Arc::clone(self),
        };
        Listener::forever(move |batch: &NoteBatch| tap.copy(batch))
    }

    /// Lets the taps copy (editor open) or not (closed).
    pub(crate) fn set_open(&self, open: bool) {
        // Relaxed: the flag guards no data. A tap that sees a stale value copies one batch too
        // many or too few, which the GUI discards or never misses (it drains at open).
        self.open.store(open, Ordering::Relaxed);
    }

    /// Whether the editor is open. Real-time safe: one relaxed atomic load.
    pub(crate) fn is_open(&self) -> bool {
        // Relaxed: see `set_open`.
        self.open.load(Ordering::Relaxed)
    }

    /// What the taps lost so far for `strategy`.
    pub(crate) fn losses(&self, strategy: Strategy) -> TapLosses {
        let counters = &self.losses[strategy];
        // Relaxed: snapshots of monotonic statistics.
        TapLosses {
            batches: counters.batches.load(Ordering::Relaxed),
            notes: counters.notes.load(Ordering::Relaxed),
            contended: counters.contended.load(Ordering::Relaxed),
        }
    }

    /// Tap listeners made so far, and how many of them have been dropped.
    pub(crate) fn listener_counts(&self) -> (u64, u64) {
        // Relaxed: statistics. A listener's drop happens after its creation in every thread's
        // view that matters here (the registrar side both creates and drops them).
        (
            self.created.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
        )
    }
}

/// One tap listener's state.
struct Tap {
    shared: Arc<TapShared>,
}

impl Tap {
    /// Audio thread: copies `batch` into the ring and asks for a repaint. Real-time safe.
    fn copy(&self, batch: &NoteBatch) {
        let shared = &*self.shared;
        // Relaxed: see `TapShared::set_open`.
        if !shared.open.load(Ordering::Relaxed) {
            return;
        }
        let losses = &shared.losses[batch.header.strategy];
        let Some(mut producer) = shared.producer.try_borrow_mut() else {
            // Relaxed (all counters below): statistics, read by the GUI as snapshots.
            losses.contended.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let events = batch.events();
        let free = producer.slots();
        if free == 0 {
            // Every note of the block is lost with the batch: the stored ones and the ones that
            // were already over the batch's capacity (no header carries those to the editor).
            losses.batches.fetch_add(1, Ordering::Relaxed);
            losses
                .notes
                .fetch_add(u64::from(batch.header.events_seen), Ordering::Relaxed);
            return;
        }
        let fit = events.len().min(free - 1);
        let header = BatchHeader::of(batch, fit);
        if let Ok(chunk) = producer.write_chunk_uninit(1 + fit) {
            // One commit for the header and its events, so the GUI never sees one without the
            // other.
            chunk.fill_from_iter(
                std::iter::once(TapRecord::Batch(header))
                    .chain(events[..fit].iter().map(|e| TapRecord::Note(*e))),
            );
        }
        drop(producer);
        shared.repaint.request_repaint();
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        // Relaxed: a statistic.
        self.shared.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::NoteKind;

    fn batch(strategy: Strategy, notes: usize) -> NoteBatch {
        let mut batch = NoteBatch::default();
        batch.header.strategy = strategy;
        batch.header.block_index = 3;
        batch.header.block_start = 300;
        batch.header.block_len = 100;
        batch.header.sample_rate = 1000.0;
        for n in 0..notes {
            batch.push(NoteEvent {
                timing: n as u32,
                kind: NoteKind::On,
                channel: 0,
                note: 60,
                velocity: 0.5,
            });
        }
        batch
    }

    #[test]
    fn copies_header_and_events_only_while_open() {
        let (shared, mut consumer) = TapShared::new(RepaintNotifier::new());
        let mut listener = shared.listener();
        listener.call(&batch(Strategy::Trap, 2));
        assert!(
            consumer.pop().is_err(),
            "a closed editor's tap copies nothing"
        );

        shared.set_open(true);
        listener.call(&batch(Strategy::Trap, 2));
        let Ok(TapRecord::Batch(header)) = consumer.pop() else {
            panic!("a header comes first");
        };
        assert_eq!(header.block.strategy, Strategy::Trap);
        assert_eq!(header.events_in_ring, 2);
        assert_eq!(header.events_lost_in_ring, 0);
        assert_eq!(header.block.start_seconds(), 0.3);
        for timing in 0..2 {
            match consumer.pop() {
                Ok(TapRecord::Note(event)) => assert_eq!(event.timing, timing),
                other => panic!("expected an event, got {other:?}"),
            }
        }
        assert!(consumer.pop().is_err());
    }

    #[test]
    fn counts_what_the_ring_cannot_take() {
        let (shared, mut consumer) = TapShared::new(RepaintNotifier::new());
        shared.set_open(true);
        let mut listener = shared.listener();
        let full = batch(Strategy::SpscQueue, 200);
        // 8192 records: 40 batches of 201 records fit, the 41st gets 151 of its 200 events.
        for _ in 0..41 {
            listener.call(&full);
        }
        listener.call(&full);
        let losses = shared.losses(Strategy::SpscQueue);
        assert_eq!(losses.batches, 1);
        assert_eq!(losses.notes, 200);
        assert_eq!(shared.losses(Strategy::Mailbox), TapLosses::default());

        let mut last = None;
        while let Ok(record) = consumer.pop() {
            if let TapRecord::Batch(header) = record {
                last = Some(header);
            }
        }
        let last = last.expect("batches were copied");
        assert_eq!(last.events_in_ring, 151);
        assert_eq!(last.events_lost_in_ring, 49);
    }

    #[test]
    fn a_batch_dropped_whole_counts_its_notes_over_capacity_too() {
        let (shared, _consumer) = TapShared::new(RepaintNotifier::new());
        shared.set_open(true);
        let mut listener = shared.listener();
        // 44 notes more than a batch holds: 256 stored, 44 counted as over its capacity.
        let dense = batch(Strategy::Trap, crate::batch::BATCH_CAPACITY + 44);
        assert_eq!(dense.header.events_over_capacity, 44);
        // 8192 records: 31 batches of 257 fill all but 225; the 32nd fits partly, the 33rd not.
        for _ in 0..33 {
            listener.call(&dense);
        }
        let losses = shared.losses(Strategy::Trap);
        assert_eq!(losses.batches, 1);
        assert_eq!(
            losses.notes, 300,
            "the stored notes and the ones over capacity"
        );
    }

    #[test]
    fn counts_listeners_made_and_dropped() {
        let (shared, _consumer) = TapShared::new(RepaintNotifier::new());
        let first = shared.listener();
        let second = shared.listener();
        assert_eq!(shared.listener_counts(), (2, 0));
        drop(first);
        drop(second);
        assert_eq!(shared.listener_counts(), (2, 2));
    }
}
