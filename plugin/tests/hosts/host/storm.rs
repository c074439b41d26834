//! The storm: three threads at once, like a busy DAW session.
//!
//! - The **audio thread** processes blocks of dense MIDI flat out (from none to more note events
//!   than a [`NoteBatch`](rtcb_gui::batch::NoteBatch) holds, and now and then as many events as
//!   the plugin's input queue holds) and checks every event the plugin sends back.
//! - An **automation thread** changes the `strategy` parameter: each change travels to the
//!   plugin as a parameter event in the next block, at a random sample offset.
//! - The **main thread** does what the test asks meanwhile (read parameter values, open and close
//!   the editor) and services the plugin's main-thread callbacks.
//!
//! The storm ends once the audio thread has processed at least [`Storm::min_blocks`] blocks, the
//! automation thread has sent at least [`Storm::min_changes`] changes, and the main thread's work
//! is done.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use clap_sys::process::CLAP_PROCESS_CONTINUE_IF_NOT_QUIET;
use nice_plug::prelude::Plugin as _;
use rtcb_gui::batch::BATCH_CAPACITY;
use rtcb_plugin::Rtcb;

use super::clap::{Active, AudioThread, Plugin};
use super::events::Ev;
use super::traffic::{merge, random_event, Rng};

/// How many input events the plugin's queue holds before nice-plug has to grow it (an
/// allocation on the audio thread, which nice-plug permits and logs): the densest block the
/// storm sends.
pub const INPUT_EVENT_CAPACITY: usize = <Rtcb>::INPUT_EVENT_CAPACITY;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct Storm {
    /// Blocks the audio thread processes at least.
    pub min_blocks: u64,
    /// Strategy changes the automation thread sends at least.
    pub min_changes: u64,
    /// The largest block, in samples (blocks vary from 1 to this).
    pub max_frames: u32,
    /// The most events in one block ([`INPUT_EVENT_CAPACITY`] for a dense storm).
    pub max_events: u64,
    /// How long the audio thread waits after each block (zero: it runs flat out).
    pub block_pause: Duration,
    pub seed: u64,
}

impl Storm {
    /// The storm the reliability issue asks for: at least 20,000 blocks of up to 512 samples and
    /// up to [`INPUT_EVENT_CAPACITY`] events, flat out, with at least 1,000 strategy changes.
    pub const DENSE: Storm = Storm {
        min_blocks: 20_000,
        min_changes: 1_000,
        max_frames: 512,
        max_events: INPUT_EVENT_CAPACITY as u64,
        block_pause: Duration::ZERO,
        seed: 0,
    };
}

/// What the storm did, as the audio thread counted it.
#[derive(Debug, Clone, Default)]
pub struct StormCounts {
    pub blocks: u64,
    /// MIDI and note events sent to the plugin (parameter changes not included).
    pub events_sent: u64,
    /// Events the plugin sent back, each compared with what it must send.
    pub events_checked: u64,
    /// The most events in one block.
    pub densest_block: usize,
    /// Note events the plugin puts in its editor batch (note on, off and choke for one key).
    pub batch_notes: u64,
    /// Of those, the ones beyond a batch's capacity (counted by the plugin, not stored).
    pub notes_over_capacity: u64,
    /// Blocks with more batch notes than a batch holds.
    pub blocks_over_capacity: u64,
    /// Strategy changes the plugin received.
    pub strategy_changes: u64,
    /// The last strategy sent (its index).
    pub last_strategy: Option<u64>,
}

impl std::fmt::Display for StormCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} blocks, {} events sent, {} checked (densest block {}), {} batch notes of which {} \
             over a batch's capacity in {} blocks, {} strategy changes",
            self.blocks,
            self.events_sent,
            self.events_checked,
            self.densest_block,
            self.batch_notes,
            self.notes_over_capacity,
            self.blocks_over_capacity,
            self.strategy_changes,
        )
    }
}

/// Where the storm stands, for the main thread's work.
#[derive(Debug, Default)]
pub struct Progress {
    /// Blocks processed so far.
    pub blocks: AtomicU64,
    /// Strategy changes sent so far.
    pub changes: AtomicU64,
    /// The audio thread has stopped (its work is done, or it failed).
    pub audio_finished: AtomicBool,
}

impl Progress {
    pub fn blocks(&self) -> u64 {
        // SeqCst (all progress flags and counters): test bookkeeping across three threads.
        self.blocks.load(Ordering::SeqCst)
    }

    pub fn audio_finished(&self) -> bool {
        self.audio_finished.load(Ordering::SeqCst)
    }
}

/// Sets a flag when dropped: how a thread says it is done, even when it fails.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Random events for one block of `frames` samples, in time order: most blocks light, a third
/// up to twice a batch's capacity, a few as dense as the plugin's input queue allows; never more
/// than `max_events`.
pub fn dense_block(rng: &mut Rng, frames: u32, max_events: u64) -> Vec<Ev> {
    let batch = BATCH_CAPACITY as u64;
    let count = match rng.below(100) {
        0..=59 => rng.below(batch / 2),
        60..=94 => batch / 2 + rng.below(batch * 3 / 2 + 1),
        _ if rng.percent(50) => INPUT_EVENT_CAPACITY as u64,
        _ => INPUT_EVENT_CAPACITY as u64 - rng.below(INPUT_EVENT_CAPACITY as u64 / 2),
    }
    .min(max_events);
    let mut times: Vec<u32> = (0..count)
        .map(|_| rng.below(frames.into()) as u32)
        .collect();
    times.sort_unstable();
    times.into_iter().map(|t| random_event(rng, t)).collect()
}

/// How many of the events the plugin sent back it also puts in its editor batch: note ons and
/// offs for one key on one channel (a choke comes back as a note-off, and is in the batch too).
pub fn batch_notes(sent_back: &[Ev]) -> usize {
    sent_back
        .iter()
        .filter(|e| matches!(e, Ev::Note { channel, key, .. } if *channel >= 0 && *key >= 0))
        .count()
}

/// The first index where `got` and `expected` differ, with both events, for a readable failure.
fn first_difference(got: &[Ev], expected: &[Ev]) -> String {
    let at = got
        .iter()
        .zip(expected)
        .position(|(g, e)| g != e)
        .unwrap_or(got.len().min(expected.len()));
    format!(
        "{} events back, {} expected; first difference at {at}: got {:?}, expected {:?}",
        got.len(),
        expected.len(),
        got.get(at),
        expected.get(at)
    )
}

/// Inserts a change of the parameter `param_id` to `value` at sample `at` (after the events at
/// the same sample).
fn insert_change(input: &mut Vec<Ev>, at: u32, param_id: u32, value: f64) {
    let index = input.partition_point(|e| e.time() <= at);
    input.insert(index, Ev::param(at, param_id, value));
}

impl Plugin {
    /// Runs `storm` on the active plugin, changing the parameter `strategy_param`, while `main`
    /// runs on this thread (the plugin's main thread) with the storm's progress. Returns what the
    /// audio thread counted and what `main` returned. Panics if any block's output is wrong.
    pub fn storm<M>(
        &mut self,
        active: &mut Active,
        storm: Storm,
        strategy_param: u32,
        main: impl FnOnce(&mut Plugin, &Progress) -> M,
    ) -> (StormCounts, M) {
        let progress = Progress::default();
        let main_done = AtomicBool::new(false);
        let automation_done = AtomicBool::new(false);
        let (changes, received) = mpsc::channel::<u64>();
        let result = std::thread::scope(|scope| {
            let automation = scope.spawn(|| {
                let _done = SetOnDrop(&automation_done);
                automate(storm, &progress, &main_done, changes)
            });
            let audio = scope.spawn(|| {
                let _finished = SetOnDrop(&progress.audio_finished);
                let done = || {
                    progress.blocks() >= storm.min_blocks
                        && automation_done.load(Ordering::SeqCst)
                        && main_done.load(Ordering::SeqCst)
                };
                active.process_with(|audio| {
                    process_storm(audio, storm, strategy_param, &progress, received, done)
                })
            });
            let main_result = {
                let _done = SetOnDrop(&main_done);
                main(self, &progress)
            };
            let counts = audio
                .join()
                .expect("the audio thread came through the storm");
            let sent = automation.join().expect("the automation thread finished");
            assert_eq!(
                counts.strategy_changes, sent,
                "every change reached the plugin"
            );
            (counts, main_result)
        });
        self.service_main_thread();
        result
    }
}

/// The automation thread: one strategy change every few blocks (spread over the first
/// `min_blocks`), each to a strategy other than the last, until enough were sent and the main
/// thread is done. Returns how many it sent.
fn automate(
    storm: Storm,
    progress: &Progress,
    main_done: &AtomicBool,
    changes: mpsc::Sender<u64>,
) -> u64 {
    let spacing = (storm.min_blocks / (storm.min_changes + 1)).max(1);
    let mut rng = Rng::new(storm.seed ^ 0x5eed_c4a6);
    let (mut sent, mut last) = (0, u64::MAX);
    let mut next_at = spacing;
    while !progress.audio_finished() {
        if sent >= storm.min_changes && main_done.load(Ordering::SeqCst) {
            break;
        }
        if progress.blocks() < next_at {
            std::thread::sleep(Duration::from_micros(50));
            continue;
        }
        let mut target = rng.below(5);
        while target == last {
            target = rng.below(5);
        }
        if changes.send(target).is_err() {
            break;
        }
        last = target;
        sent += 1;
        progress.changes.store(sent, Ordering::SeqCst);
        next_at += spacing;
    }
    sent
}

/// The audio thread's loop: dense blocks, pending strategy changes as parameter events, every
/// block's output checked, until `done`.
fn process_storm(
    audio: &mut AudioThread<'_>,
    storm: Storm,
    strategy_param: u32,
    progress: &Progress,
    changes: mpsc::Receiver<u64>,
    done: impl Fn() -> bool,
) -> StormCounts {
    let mut rng = Rng::new(storm.seed);
    let mut counts = StormCounts::default();
    loop {
        // Asked before the changes are drained: once the storm is done, the automation thread has
        // sent its last change, so this block takes every change still in the channel. (Asked
        // after processing, a change sent in the meantime would be left behind.)
        let last_block = done();
        let frames = if rng.percent(50) {
            storm.max_frames
        } else {
            1 + rng.below(storm.max_frames.into()) as u32
        };
        let mut input = dense_block(&mut rng, frames, storm.max_events);
        let events = input.len();
        while let Ok(target) = changes.try_recv() {
            let at = rng.below(frames.into()) as u32;
            insert_change(&mut input, at, strategy_param, target as f64);
            counts.strategy_changes += 1;
            counts.last_strategy = Some(target);
        }
        let out = audio.process(frames, &input);
        assert_eq!(
            out.status, CLAP_PROCESS_CONTINUE_IF_NOT_QUIET,
            "block {}",
            counts.blocks
        );
        let expected = merge(&input, &[]);
        assert!(
            out.events == expected,
            "block {} ({frames} samples, {events} events): {}",
            counts.blocks,
            first_difference(&out.events, &expected)
        );
        let notes = batch_notes(&out.events);
        let over = notes.saturating_sub(BATCH_CAPACITY);
        counts.events_sent += events as u64;
        counts.events_checked += out.events.len() as u64;
        counts.densest_block = counts.densest_block.max(events);
        counts.batch_notes += notes as u64;
        counts.notes_over_capacity += over as u64;
        counts.blocks_over_capacity += u64::from(over > 0);
        counts.blocks += 1;
        progress.blocks.store(counts.blocks, Ordering::SeqCst);
        if last_block {
            return counts;
        }
        if !storm.block_pause.is_zero() {
            std::thread::sleep(storm.block_pause);
        }
    }
}
