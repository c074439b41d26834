//! Notes over capacity reach the editor as counts, never silently lost: the plugin's real
//! `process()` (called in this process, with a test host's `ProcessContext`, its allocations
//! counted) feeds the real editor ([`EditorCore`] on the plugin's [`EditorLink`], its
//! frames run headless with egui), and every note of every block the editor heard is accounted
//! for in what the editor shows: in the view, over the batch's capacity, or lost in the ring.
//!
//! Why in process: through CLAP (`storm.rs`, `editor_window.rs`) the host sees the events the
//! plugin forwards but not what the editor inside the library counted. Here the test owns the
//! plugin instance, so it can read the editor's model: the same `Rtcb` and `process()` the CLAP
//! wrapper calls, the same link and editor core the editor window runs.
//!
//! Every block carries a number of notes that depends on the strategy that delivers it (from
//! well under a batch's capacity to far over it), so the counts the editor shows per strategy can
//! be checked exactly:
//! - **lock step**: one block, one editor frame; each block heard adds exactly one batch, its
//!   stored notes and its notes over capacity;
//! - **storm**: the audio thread runs flat out while an automation thread switches the strategy
//!   and the editor opens, draws and closes a hundred times; the editor's ring overflows, so
//!   partly copied and dropped batches are counted too. At the end of each session (the audio
//!   thread paused at a block boundary, one last frame drawn) every count must add up.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use rtcb::{PerStrategy, Status, Strategy};
use rtcb_gui::batch::BATCH_CAPACITY;
use rtcb_gui::{EditorCore, EditorLink, EditorParams};
use rtcb_plugin::params::{RtcbParams, StrategyChoice};
use rtcb_plugin::Rtcb;

use crate::host::in_process::{self, HostContext};
use crate::host::stable_param_id;

const SAMPLE_RATE: f32 = 48_000.0;
const FRAMES: usize = 256;
/// MIDI CCs in every block besides the notes: forwarded, never part of a batch.
const CCS_PER_BLOCK: usize = 12;

/// Note events in a block delivered by `strategy`: under a batch's capacity, exactly at it, one
/// over, over, and far over.
fn notes_per_block(strategy: Strategy) -> usize {
    match strategy {
        Strategy::SpinLock => 120,
        Strategy::SpscQueue => BATCH_CAPACITY,
        Strategy::Trap => BATCH_CAPACITY + 1,
        Strategy::OverwriteRing => 300,
        Strategy::Mailbox => 700,
    }
}

/// The block's events for `strategy`: note ons and offs for one key each, and CCs.
fn block_events(strategy: Strategy) -> Vec<PluginNoteEvent<Rtcb>> {
    let notes = notes_per_block(strategy);
    let mut events: Vec<PluginNoteEvent<Rtcb>> = (0..notes)
        .map(|n| {
            let timing = (n * FRAMES / notes) as u32;
            let (channel, key) = (
                Channel::Number((n % 16) as u8),
                Key::Number((n % 128) as u8),
            );
            if n % 2 == 0 {
                NoteEvent::NoteOn {
                    timing,
                    voice_id: VoiceID::Wildcard,
                    channel,
                    key,
                    velocity: 0.75,
                }
            } else {
                NoteEvent::NoteOff {
                    timing,
                    voice_id: VoiceID::Wildcard,
                    channel,
                    key,
                    velocity: 0.0,
                }
            }
        })
        .collect();
    for n in 0..CCS_PER_BLOCK {
        let timing = (n * FRAMES / CCS_PER_BLOCK) as u32;
        let at = events.partition_point(|e| e.timing() <= timing);
        events.insert(
            at,
            NoteEvent::MidiCC {
                timing,
                channel: 1,
                cc: 7,
                value: 0.5,
            },
        );
    }
    events
}

/// Sets the strategy parameter the way nice-plug's wrapper applies a host's parameter event:
/// on the audio thread, before the block it belongs to.
fn set_strategy(params: &RtcbParams, strategy: Strategy) {
    let normalized = params
        .strategy
        .preview_normalized(StrategyChoice::from(strategy));
    // Like the wrapper, the test sets it between blocks, from the thread that runs `process()`.
    in_process::set_normalized(params, stable_param_id("strategy"), normalized);
}

/// Orders for the audio thread.
enum Command {
    /// Process this many blocks, then report.
    Blocks(u64),
    /// Process flat out until paused, then report.
    Storm,
}

/// The host's audio thread: owns the plugin, runs `process()` counting its allocations, checks
/// that every event comes back, and applies strategy changes between blocks.
struct AudioThread {
    commands: mpsc::Sender<Command>,
    reports: mpsc::Receiver<u64>,
    strategies: mpsc::Sender<Strategy>,
    pause: Arc<AtomicBool>,
    blocks: Arc<AtomicU64>,
    handle: Option<thread::JoinHandle<u64>>,
}

impl AudioThread {
    fn spawn(mut plugin: Rtcb, params: Arc<RtcbParams>) -> AudioThread {
        let (commands, orders) = mpsc::channel();
        let (reply, reports) = mpsc::channel();
        let (strategies, changes) = mpsc::channel::<Strategy>();
        let pause = Arc::new(AtomicBool::new(false));
        let blocks = Arc::new(AtomicU64::new(0));
        let (paused, counted) = (Arc::clone(&pause), Arc::clone(&blocks));
        let handle = thread::spawn(move || {
            let templates = PerStrategy::from_fn(block_events);
            let mut context = HostContext::new(SAMPLE_RATE, 4096);
            let mut channels = vec![vec![0.0f32; FRAMES]; 2];
            let mut buffer = Buffer::default();
            in_process::activate(&mut plugin, SAMPLE_RATE, FRAMES as u32);
            let mut strategy = Strategy::from(params.strategy.value());
            let (mut done, mut changed) = (0u64, 0u64);
            let mut block = |strategy: Strategy| {
                let events = &templates[strategy];
                context.input.extend(events.iter().cloned());
                context.output.clear();
                let (status, allocations) =
                    in_process::process(&mut plugin, &mut channels, &mut buffer, &mut context);
                assert_eq!(allocations, 0, "process() allocates nothing");
                assert!(matches!(status, ProcessStatus::Normal));
                assert!(
                    context.output == *events,
                    "every event is forwarded unchanged, in order"
                );
            };
            while let Ok(command) = orders.recv() {
                let flat_out = matches!(command, Command::Storm);
                let mut left = match command {
                    Command::Blocks(n) => n,
                    Command::Storm => u64::MAX,
                };
                while left > 0 && !(flat_out && paused.load(Ordering::SeqCst)) {
                    while let Ok(next) = changes.try_recv() {
                        set_strategy(&params, next);
                        strategy = next;
                        changed += 1;
                    }
                    block(strategy);
                    left -= 1;
                    done += 1;
                    // SeqCst: test bookkeeping, read by the automation thread.
                    counted.store(done, Ordering::SeqCst);
                }
                reply.send(done).expect("the test waits for the report");
            }
            changed
        });
        AudioThread {
            commands,
            reports,
            strategies,
            pause,
            blocks,
            handle: Some(handle),
        }
    }

    /// Processes `n` blocks; returns the blocks processed so far.
    fn blocks(&self, n: u64) -> u64 {
        self.commands.send(Command::Blocks(n)).unwrap();
        self.reports.recv().expect("the audio thread reports")
    }

    /// Starts processing flat out.
    fn storm(&self) {
        self.pause.store(false, Ordering::SeqCst);
        self.commands.send(Command::Storm).unwrap();
    }

    /// Stops at the next block boundary; returns the blocks processed so far.
    fn pause(&self) -> u64 {
        self.pause.store(true, Ordering::SeqCst);
        self.reports.recv().expect("the audio thread reports")
    }

    /// Ends the thread; returns how many strategy changes it applied.
    fn finish(mut self) -> u64 {
        drop(self.commands);
        self.handle
            .take()
            .unwrap()
            .join()
            .expect("the audio thread")
    }
}

/// The editor: its core, with frames run by a headless egui context.
struct Editor {
    core: EditorCore,
    ctx: egui::Context,
    link: Arc<EditorLink>,
    params: Arc<RtcbParams>,
}

impl Editor {
    fn new(link: Arc<EditorLink>, params: Arc<RtcbParams>) -> Editor {
        let editor_params: Arc<dyn EditorParams> = params.clone();
        Editor {
            core: EditorCore::new(Arc::clone(&link), editor_params),
            ctx: egui::Context::default(),
            link,
            params,
        }
    }

    /// The host opens the editor (what `RtcbEditor::spawn` does).
    fn open(&self) {
        self.link.open(EditorParams::strategy(&*self.params));
    }

    /// The host closes it (what dropping the editor's handle does).
    fn close(&self) {
        self.link.close();
    }

    /// One frame: the editor follows the strategy, drains the ring and draws.
    fn frame(&mut self) {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(840.0, 560.0),
            )),
            ..Default::default()
        };
        let core = &mut self.core;
        let mut output = self.ctx.run_ui(input, |ui| {
            let changes = core.ui(ui);
            assert!(changes.is_empty(), "no input, no parameter change");
        });
        output.textures_delta.clear();
    }
}

/// What the editor shows for one strategy, with the notes it must account for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Shown {
    batches: u64,
    notes: u64,
    over_capacity: u64,
    lost_in_ring: u64,
    /// Batches the ring had no room for at all, and their notes.
    batches_dropped: u64,
    notes_dropped: u64,
}

impl Shown {
    fn of(editor: &Editor, strategy: Strategy) -> Shown {
        let delivered = editor.core.model().delivered[strategy];
        let report = editor.link.report(strategy);
        assert_eq!(
            report.losses.contended, 0,
            "one audio thread never contends"
        );
        Shown {
            batches: delivered.batches,
            notes: delivered.notes,
            over_capacity: delivered.notes_over_capacity,
            lost_in_ring: delivered.notes_lost_in_ring,
            batches_dropped: report.losses.batches,
            notes_dropped: report.losses.notes,
        }
    }

    /// The editor's "did not fit" column.
    fn did_not_fit(&self) -> u64 {
        self.over_capacity + self.lost_in_ring + self.notes_dropped
    }
}

/// Every note of every block the editor's listener was handed this session is in the view or
/// counted as not fitting; the part over a batch's capacity is exactly what the blocks had over
/// it.
fn check_accounts(editor: &Editor, context: &str) -> PerStrategy<Shown> {
    PerStrategy::from_fn(|strategy| {
        let shown = Shown::of(editor, strategy);
        let notes = notes_per_block(strategy) as u64;
        let stored = notes.min(BATCH_CAPACITY as u64);
        assert_eq!(
            shown.over_capacity,
            shown.batches * (notes - stored),
            "{context}, {strategy}: {shown:?}"
        );
        assert_eq!(
            shown.notes + shown.lost_in_ring,
            shown.batches * stored,
            "{context}, {strategy}: {shown:?}"
        );
        assert_eq!(
            shown.notes_dropped,
            shown.batches_dropped * notes,
            "{context}, {strategy}: {shown:?}"
        );
        assert_eq!(
            shown.notes + shown.did_not_fit(),
            (shown.batches + shown.batches_dropped) * notes,
            "{context}, {strategy}: {shown:?}"
        );
        shown
    })
}

/// A fresh plugin instance, its editor, and its audio thread.
fn rig() -> (Editor, AudioThread) {
    let plugin = Rtcb::default();
    let link = plugin.editor_link();
    let params = plugin.params_handle();
    let editor = Editor::new(link, Arc::clone(&params));
    let audio = AudioThread::spawn(plugin, params);
    (editor, audio)
}

#[test]
fn in_lock_step_each_block_heard_adds_its_notes_and_its_overflow() {
    let (mut editor, audio) = rig();
    editor.open();
    let mut blocks_checked = 0;
    // Every strategy, then back to the first: each switch made by the host between blocks.
    for strategy in Strategy::ALL.into_iter().chain([Strategy::SpinLock]) {
        audio.strategies.send(strategy).unwrap();
        let notes = notes_per_block(strategy) as u64;
        let stored = notes.min(BATCH_CAPACITY as u64);
        let mut heard = false;
        for block in 0..64 {
            let before = Shown::of(&editor, strategy);
            audio.blocks(1);
            editor.frame();
            let after = Shown::of(&editor, strategy);
            let listening = editor.link.report(strategy).status == Status::Listening;
            if after.batches == before.batches {
                // Unheard: the listener is still moving to this strategy.
                assert!(!heard, "{strategy}, block {block}: a block went unheard");
                assert!(block < 4, "{strategy}: the listener never arrived");
                continue;
            }
            heard = true;
            assert!(listening, "{strategy}: heard, so listening");
            assert_eq!(
                (
                    after.batches - before.batches,
                    after.notes - before.notes,
                    after.over_capacity - before.over_capacity,
                    after.lost_in_ring,
                    after.batches_dropped,
                ),
                (1, stored, notes - stored, 0, 0),
                "{strategy}, block {block}"
            );
            blocks_checked += 1;
        }
        assert!(heard, "{strategy}: no block was heard");
        check_accounts(&editor, "lock step");
    }
    editor.close();
    let changes = audio.finish();
    assert_eq!(changes, 6);
    eprintln!("lock step: {blocks_checked} blocks checked one by one");
}

#[test]
fn through_a_storm_of_strategy_changes_and_editor_sessions_every_note_is_accounted_for() {
    const SESSIONS: u32 = 100;
    const FRAMES_PER_SESSION: u32 = 8;
    /// The automation thread switches the strategy every this many blocks.
    const BLOCKS_PER_CHANGE: u64 = 16;
    const MIN_CHANGES: u64 = 1_000;

    let (mut editor, audio) = rig();
    let stop = Arc::new(AtomicBool::new(false));
    let automation = {
        let (strategies, blocks, stop) = (
            audio.strategies.clone(),
            Arc::clone(&audio.blocks),
            Arc::clone(&stop),
        );
        thread::spawn(move || {
            let mut sent = 0u64;
            let mut next_at = BLOCKS_PER_CHANGE;
            while !(stop.load(Ordering::SeqCst) && sent >= MIN_CHANGES) {
                if blocks.load(Ordering::SeqCst) < next_at {
                    thread::sleep(Duration::from_micros(50));
                    continue;
                }
                let strategy = Strategy::ALL[(sent * 3 % 5) as usize];
                if strategies.send(strategy).is_err() {
                    break;
                }
                sent += 1;
                next_at += BLOCKS_PER_CHANGE;
            }
            sent
        })
    };

    let mut totals = PerStrategy::<Shown>::default();
    let mut blocks = 0;
    for session in 0..SESSIONS {
        editor.open();
        audio.storm();
        for _ in 0..FRAMES_PER_SESSION {
            editor.frame();
            thread::sleep(Duration::from_millis(2));
        }
        blocks = audio.pause();
        // The last frame drains everything delivered before the pause.
        editor.frame();
        let shown = check_accounts(&editor, &format!("session {session}"));
        for (strategy, total) in totals.iter_mut() {
            let shown = shown[strategy];
            total.batches += shown.batches;
            total.notes += shown.notes;
            total.over_capacity += shown.over_capacity;
            total.lost_in_ring += shown.lost_in_ring;
            total.batches_dropped += shown.batches_dropped;
            total.notes_dropped += shown.notes_dropped;
        }
        editor.close();
    }
    // Enough changes before the end: run on until the automation thread has sent them all.
    stop.store(true, Ordering::SeqCst);
    while !automation.is_finished() {
        audio.blocks(BLOCKS_PER_CHANGE);
    }
    let sent = automation.join().expect("the automation thread");
    // Every change is sent by now; one more block takes the last ones (the loop above may have
    // ended between a send and the next block).
    audio.blocks(1);
    let applied = audio.finish();
    assert_eq!(applied, sent, "every change reached the plugin");
    assert!(applied >= MIN_CHANGES);

    eprintln!(
        "storm: {SESSIONS} editor sessions, {blocks} blocks, {applied} strategy changes; per \
         strategy (batches, notes shown, over capacity, lost in the ring, batches dropped, their \
         notes):"
    );
    for (strategy, t) in totals.iter() {
        eprintln!(
            "  {:>14} ({:>3} notes a block): {} {} {} {} {} {}",
            strategy.name(),
            notes_per_block(strategy),
            t.batches,
            t.notes,
            t.over_capacity,
            t.lost_in_ring,
            t.batches_dropped,
            t.notes_dropped
        );
        assert!(t.batches > 0, "{strategy} delivered to the editor");
    }
    let over: u64 = totals.values().map(|t| t.over_capacity).sum();
    let dropped: u64 = totals.values().map(|t| t.batches_dropped).sum();
    assert!(over > 0, "notes went over a batch's capacity");
    assert!(dropped > 0, "the ring overflowed, and that was counted too");
}
