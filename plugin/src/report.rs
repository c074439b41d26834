//! [`Reporter`]: the audio thread's side of the editor connection. Once per block it gathers the
//! block's note events into a preallocated [`NoteBatch`] and delivers it through the active
//! strategy, but only when someone listens.
//!
//! Per block, in `process()`:
//!
//! 1. [`begin_block`](Reporter::begin_block) makes the parameter's strategy the active one and
//!    asks it whether anyone listens (about one atomic load when nobody does); the block is
//!    gathered only if someone does and the editor is open (a listener whose clear was refused
//!    at close stays installed until the next open, see `EditorLink::editor_is_open`);
//! 2. [`note`](Reporter::note) for each note event forwarded in the block (a no-op when nobody
//!    listens);
//! 3. [`end_block`](Reporter::end_block) delivers the batch once, and times the delivery; the
//!    next batch carries that cost in its header ([`BlockHeader::previous_delivery_ns`]).
//!
//! None of this allocates, frees, locks or makes a system call: the batch is allocated once, when
//! the plugin is created, and [`Instant`] reads the clock through the vDSO.

use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use nice_plug::midi::{Channel, Key, NoteEvent};
use rtcb::{Call, Strategy, SwitchCaller};
use rtcb_gui::batch::{self, BlockHeader, NoteBatch, NoteKind};

/// The audio thread's side of the editor connection. See the [module docs](self).
pub struct Reporter {
    caller: SwitchCaller<NoteBatch>,
    /// Boxed so moving the plugin around (hosts construct it, then move it) stays cheap.
    batch: Box<NoteBatch>,
    sample_rate: f32,
    /// Blocks begun since activation.
    blocks: u64,
    /// First sample of the next block, counted since activation.
    next_block_start: u64,
    /// Whether the current block is being gathered.
    listening: bool,
    /// Nanoseconds the last delivery took.
    last_delivery_ns: u32,
    /// Listeners that panicked while delivered to.
    listener_panics: u64,
}

impl Reporter {
    /// A reporter delivering through `caller` (the audio side of [`rtcb::switchable`]).
    pub fn new(caller: SwitchCaller<NoteBatch>) -> Self {
        Self {
            caller,
            batch: Box::default(),
            sample_rate: 0.0,
            blocks: 0,
            next_block_start: 0,
            listening: false,
            last_delivery_ns: 0,
            listener_panics: 0,
        }
    }

    /// Starts counting blocks and samples from zero at `sample_rate` (the plugin was activated).
    pub fn activate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate;
        self.blocks = 0;
        self.next_block_start = 0;
        self.listening = false;
    }

    /// Starts a block of `len` samples delivered through `strategy`; returns whether the block
    /// is gathered: someone listens on `strategy` and `editor_open` (if not, the block's notes
    /// need not be gathered).
    pub fn begin_block(&mut self, strategy: Strategy, len: u32, editor_open: bool) -> bool {
        let block_index = self.blocks;
        let block_start = self.next_block_start;
        self.blocks += 1;
        self.next_block_start += u64::from(len);

        self.caller.set_active(strategy);
        // Asked whatever `editor_open` says: asking is also when the strategy applies the
        // registrar's changes (the close's clear among them).
        self.listening = self.caller.poll_listening() && editor_open;
        if self.listening {
            self.batch.start(BlockHeader {
                strategy,
                block_index,
                block_start,
                block_len: len,
                sample_rate: self.sample_rate,
                events_seen: 0,
                events_over_capacity: 0,
                previous_delivery_ns: self.last_delivery_ns,
            });
        }
        self.listening
    }

    /// Adds one of the block's events to the batch, if anyone listens and it is a note on, off or
    /// choke for a specific key (other events are not part of the batch).
    pub fn note<S>(&mut self, event: &NoteEvent<S>) {
        if self.listening {
            if let Some(note) = batch_note(event) {
                self.batch.push(note);
            }
        }
    }

    /// Ends the block: delivers the batch through the active strategy if anyone listens, and
    /// remembers how long that took.
    ///
    /// A listener that panics (a bug on the editor's side) does not unwind into the host, where
    /// the panic would abort the host's process at the plugin's `extern "C"` boundary: the
    /// panic is caught here and counted ([`listener_panics`](Self::listener_panics)), the
    /// strategy has retired the listener (it is never called again, and is dropped on the
    /// registrar's side), and the next blocks run as if nobody listened until the editor
    /// registers a new one. The panic itself breaks the real-time rules once (its payload is
    /// allocated, and freed here); debug builds, whose allocation guard aborts on that
    /// allocation, stop there instead.
    pub fn end_block(&mut self) {
        if !self.listening {
            return;
        }
        self.listening = false;
        let started = Instant::now();
        // AssertUnwindSafe: on unwind every strategy retires the listener and leaves itself
        // usable (rtcb's panics tests), and the batch is only read.
        let delivered = panic::catch_unwind(AssertUnwindSafe(|| self.caller.deliver(&self.batch)));
        if delivered.is_err() {
            self.listener_panics += 1;
        }
        let cost = started.elapsed().as_nanos();
        self.last_delivery_ns = u32::try_from(cost).unwrap_or(u32::MAX);
    }

    /// Listeners that panicked in [`end_block`](Self::end_block) since the reporter was made.
    pub fn listener_panics(&self) -> u64 {
        self.listener_panics
    }
}

/// The batch's form of a note on, off or choke; `None` for every other event, and for notes
/// whose channel or key is a wildcard (the batch records one key on one channel per event).
pub fn batch_note<S>(event: &NoteEvent<S>) -> Option<batch::NoteEvent> {
    let (timing, kind, channel, key, velocity) = match *event {
        NoteEvent::NoteOn {
            timing,
            channel,
            key,
            velocity,
            ..
        } => (timing, NoteKind::On, channel, key, velocity),
        NoteEvent::NoteOff {
            timing,
            channel,
            key,
            velocity,
            ..
        } => (timing, NoteKind::Off, channel, key, velocity),
        NoteEvent::Choke {
            timing,
            channel,
            key,
            ..
        } => (timing, NoteKind::Choke, channel, key, 0.0),
        _ => return None,
    };
    match (channel, key) {
        (Channel::Number(channel), Key::Number(note)) => Some(batch::NoteEvent {
            timing,
            kind,
            channel,
            note,
            velocity,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use nice_plug::midi::VoiceID;
    use nice_plug::util::permit_alloc;
    use rtcb::{Listener, Status, SwitchRegistrar};
    use rtcb_gui::batch::BATCH_CAPACITY;

    use super::*;

    /// What a test listener saw of one batch.
    #[derive(Debug, Clone, PartialEq)]
    struct Seen {
        header: BlockHeader,
        stored: usize,
        first: Option<batch::NoteEvent>,
    }

    /// A registrar and a reporter on the audio side of the same strategies, activated at 48 kHz.
    fn reporter() -> (SwitchRegistrar<NoteBatch>, Reporter) {
        let (registrar, caller) = rtcb::switchable::<NoteBatch>();
        let mut reporter = Reporter::new(caller);
        reporter.activate(48_000.0);
        (registrar, reporter)
    }

    fn note_on(timing: u32, key: u8) -> NoteEvent<()> {
        NoteEvent::NoteOn {
            timing,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(3),
            key: Key::Number(key),
            velocity: 0.5,
        }
    }

    /// Registers a listener that records into a preallocated log (no allocation when called).
    fn listen(
        registrar: &mut SwitchRegistrar<NoteBatch>,
        strategy: Strategy,
    ) -> Arc<Mutex<Vec<Seen>>> {
        let log = Arc::new(Mutex::new(Vec::with_capacity(64)));
        let sink = Arc::clone(&log);
        registrar
            .set(
                strategy,
                Listener::forever(move |batch: &NoteBatch| {
                    // try_lock: the test thread never holds it while the audio side runs.
                    let mut log = sink.try_lock().expect("log is free");
                    assert!(log.len() < log.capacity(), "log was sized for the test");
                    log.push(Seen {
                        header: batch.header,
                        stored: batch.events().len(),
                        first: batch.events().first().copied(),
                    });
                }),
            )
            .expect("a fresh strategy accepts a listener");
        log
    }

    /// Runs one block with the editor open under the allocation guard: begin, `events` notes,
    /// end. Returns whether the block was gathered.
    fn block(reporter: &mut Reporter, strategy: Strategy, len: u32, events: u32) -> bool {
        block_with(reporter, strategy, len, events, true)
    }

    /// [`block`], with the editor open or not.
    fn block_with(
        reporter: &mut Reporter,
        strategy: Strategy,
        len: u32,
        events: u32,
        editor_open: bool,
    ) -> bool {
        nice_assert_no_alloc::assert_no_alloc(|| {
            let listening = reporter.begin_block(strategy, len, editor_open);
            for n in 0..events {
                reporter.note(&note_on(n % len, (n % 128) as u8));
            }
            reporter.end_block();
            listening
        })
    }

    #[test]
    fn delivers_one_batch_per_block_only_on_the_strategy_listened_to() {
        for strategy in Strategy::ALL {
            let (mut registrar, mut reporter) = reporter();
            // Nobody listens yet: nothing is gathered.
            assert!(!block(&mut reporter, strategy, 64, 5));
            let log = listen(&mut registrar, strategy);
            // The other strategies have no listener: nothing is delivered while they are active.
            for other in Strategy::ALL.into_iter().filter(|&s| s != strategy) {
                assert!(!block(&mut reporter, other, 64, 5));
            }
            // Strategies that apply changes lazily may need one more call to see the listener.
            let mut listening = false;
            for _ in 0..4 {
                listening |= block(&mut reporter, strategy, 64, 5);
            }
            assert!(listening, "{strategy}: the listener was never applied");
            permit_alloc(|| {
                let log = log.lock().unwrap();
                assert!(!log.is_empty());
                for seen in log.iter() {
                    assert_eq!(seen.header.strategy, strategy);
                    assert_eq!(seen.header.block_start, seen.header.block_index * 64);
                    assert_eq!(seen.header.block_len, 64);
                    assert_eq!(
                        (seen.header.events_seen, seen.header.events_over_capacity),
                        (5, 0)
                    );
                    assert_eq!(seen.stored, 5);
                    assert_eq!(
                        seen.first,
                        Some(batch::NoteEvent {
                            timing: 0,
                            kind: NoteKind::On,
                            channel: 3,
                            note: 0,
                            velocity: 0.5,
                        })
                    );
                }
                // Consecutive deliveries: block indices count every block, heard or not.
                let last = log.last().unwrap();
                assert_eq!(last.header.block_index, 1 + 4 + 4 - 1);
            });
            registrar.clear(strategy).expect("clear is accepted");
            drop(log);
        }
    }

    #[test]
    fn a_panicking_listener_stays_inside_the_block_and_is_retired() {
        for strategy in Strategy::ALL {
            let (mut registrar, mut reporter) = reporter();
            let calls = Arc::new(AtomicU64::new(0));
            let counted = Arc::clone(&calls);
            registrar
                .set(
                    strategy,
                    Listener::forever(move |_: &NoteBatch| {
                        counted.fetch_add(1, Ordering::SeqCst);
                        panic!("the editor's listener panics");
                    }),
                )
                .expect("a fresh strategy accepts a listener");
            // Not under the allocation guard: the panic allocates its payload.
            for _ in 0..8 {
                reporter.begin_block(strategy, 64, true);
                reporter.end_block();
            }
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{strategy}: retired");
            assert_eq!(reporter.listener_panics(), 1, "{strategy}");
            assert!(!block(&mut reporter, strategy, 64, 5), "{strategy}");

            // The strategy takes the next listener and delivers to it, under the guard again.
            registrar.collect();
            let log = listen(&mut registrar, strategy);
            for _ in 0..4 {
                block(&mut reporter, strategy, 64, 5);
            }
            assert!(
                !log.lock().unwrap().is_empty(),
                "{strategy}: a new listener"
            );
            registrar.clear(strategy).expect("clear is accepted");
        }
    }

    #[test]
    fn nothing_is_gathered_for_a_listener_left_behind_by_a_closed_editor() {
        let (registrar, mut reporter) = reporter();
        let link = rtcb_gui::EditorLink::new(registrar);
        let trap = Strategy::Trap;
        // The editor opens and closes before the audio thread has taken its set: the Trap is
        // still full, so the close's clear is refused.
        link.open(trap);
        link.close();
        assert_eq!(link.report(trap).status, Status::Clearing);
        // The audio thread takes the set: the listener is installed, and stays so while the
        // editor is closed (nothing retries the clear until the next open or `sync`). No block
        // is gathered for it.
        for _ in 0..8 {
            assert!(!block_with(
                &mut reporter,
                trap,
                64,
                5,
                link.editor_is_open()
            ));
        }
        assert_eq!(link.report(trap).status, Status::Clearing);
        assert_eq!(link.report(trap).applied_ticket, 1, "the set was taken");
        // The next open keeps that listener; blocks are gathered and reach the editor again.
        link.open(trap);
        assert!(block_with(
            &mut reporter,
            trap,
            64,
            5,
            link.editor_is_open()
        ));
        link.follow(trap);
        assert_eq!(link.report(trap).status, Status::Listening);
        let mut model = rtcb_gui::model::EditorModel::default();
        assert_eq!(link.drain(&mut model), 1);
    }

    #[test]
    fn counts_what_does_not_fit_a_dense_block() {
        let (mut registrar, mut reporter) = reporter();
        let log = listen(&mut registrar, Strategy::Mailbox);
        let dense = BATCH_CAPACITY as u32 + 100;
        while !block(&mut reporter, Strategy::Mailbox, 4096, dense) {}
        let seen = log.lock().unwrap().last().cloned().unwrap();
        assert_eq!(seen.header.events_seen, dense);
        assert_eq!(seen.header.events_over_capacity, 100);
        assert_eq!(seen.stored, BATCH_CAPACITY);
    }

    #[test]
    fn batches_carry_the_cost_of_the_previous_delivery() {
        let (mut registrar, mut reporter) = reporter();
        let costs = Arc::new(Mutex::new(Vec::with_capacity(16)));
        let sink = Arc::clone(&costs);
        registrar
            .set(
                Strategy::Trap,
                Listener::forever(move |batch: &NoteBatch| {
                    // A listener that takes a measurable while (a bounded spin).
                    let until = Instant::now() + std::time::Duration::from_micros(50);
                    while Instant::now() < until {}
                    sink.try_lock()
                        .unwrap()
                        .push(batch.header.previous_delivery_ns);
                }),
            )
            .unwrap();
        for _ in 0..8 {
            block(&mut reporter, Strategy::Trap, 32, 0);
        }
        let costs = costs.lock().unwrap();
        assert!(costs.len() >= 2);
        // The first batch has no previous delivery; every later one reports at least the spin.
        assert_eq!(costs[0], 0);
        assert!(costs[1..].iter().all(|&ns| ns >= 50_000), "{costs:?}");
    }

    #[test]
    fn only_specific_notes_go_into_the_batch() {
        let wildcard_key: NoteEvent<()> = NoteEvent::NoteOff {
            timing: 3,
            voice_id: VoiceID::ID(9),
            channel: Channel::Number(0),
            key: Key::Wildcard,
            velocity: 0.0,
        };
        let choke: NoteEvent<()> = NoteEvent::Choke {
            timing: 4,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(15),
            key: Key::Number(127),
        };
        let cc: NoteEvent<()> = NoteEvent::MidiCC {
            timing: 5,
            channel: 1,
            cc: 7,
            value: 1.0,
        };
        assert_eq!(batch_note(&wildcard_key), None);
        assert_eq!(batch_note(&cc), None);
        assert_eq!(
            batch_note(&choke),
            Some(batch::NoteEvent {
                timing: 4,
                kind: NoteKind::Choke,
                channel: 15,
                note: 127,
                velocity: 0.0,
            })
        );
    }
}
