//! What the plugin does the same through every format, written once and run through each host
//! ([`Host`]): CLAP, VST3 and in process (the last has no saved state, so the state behaviours
//! run through CLAP and VST3).
//!
//! - every event the format carries is forwarded unchanged, in order, at its sample offset, at
//!   block sizes from 1 to 4096; audio passes bit for bit but for subnormals, which become
//!   zeros of the same sign; `process()` allocates and frees nothing;
//! - the strategy switches mid-block to every variant, and nothing else changes;
//! - the state round-trips into a fresh instance (same values, same bytes); truncated or garbage
//!   state is refused and changes nothing;
//! - a reloaded project sends no MIDI: after the state is loaded and every exported parameter's
//!   value restored (from the main thread and again with the first block, as Ardour does),
//!   the plugin sends nothing and allocates nothing;
//! - a block with more events than the wrapper's input queue holds: every event comes back; the
//!   wrapper grows its queue once (nice-plug permits and logs that allocation), and the next
//!   such block allocates nothing.

use crate::host::clap::Plugin;
use crate::host::events::{Ev, NoteKind};
use crate::host::in_process::InProcess;
use crate::host::storm::INPUT_EVENT_CAPACITY;
use crate::host::traffic::{passed_through, random_audio, random_block, Rng};
use crate::host::vst3::Vst3;
use crate::host::{stable_param_id, Block, Host, Processed, Project};

const SAMPLE_RATE: f64 = 48_000.0;

/// Random events the format carries, up to `max_events` in a block of `frames` samples.
fn traffic<H: Host>(rng: &mut Rng, frames: u32, max_events: u64) -> Vec<Ev> {
    let mut events = random_block(rng, frames, max_events);
    events.retain(H::carries);
    events
}

/// A block of random traffic and random audio.
fn random_block_of<H: Host>(rng: &mut Rng, frames: u32) -> Block {
    let events = traffic::<H>(rng, frames, (u64::from(frames) / 8).clamp(3, 400));
    Block {
        frames,
        events,
        audio: random_audio(rng, frames),
    }
}

/// Checks that each block came back as the plugin's forwarding promises: its events forwarded,
/// its audio passed, nothing allocated (but for the wrapper's allocations on a new thread,
/// [`Host::FIRST_CHANGE_ON_A_THREAD_ALLOCATIONS`]). Returns the events checked.
fn assert_forwarded<H: Host>(blocks: &[Block], processed: &[Processed]) -> usize {
    assert_eq!(processed.len(), blocks.len());
    let mut checked = 0;
    // Each `process` runs on a new audio thread.
    let mut changed_before = false;
    for (index, (block, out)) in blocks.iter().zip(processed).enumerate() {
        let expected: Vec<Ev> = block.events.iter().filter_map(H::forwarded).collect();
        assert_eq!(out.events, expected, "{}: block {index}", H::FORMAT);
        let audio = block
            .audio
            .each_ref()
            .map(|channel| channel.iter().map(passed_through).collect::<Vec<_>>());
        assert!(out.audio == audio, "{}: block {index}'s audio", H::FORMAT);
        let changes = block
            .events
            .iter()
            .any(|e| matches!(e, Ev::ParamValue { .. }));
        let allowed = if changes && !changed_before {
            changed_before = true;
            H::FIRST_CHANGE_ON_A_THREAD_ALLOCATIONS
        } else {
            0
        };
        assert!(
            out.allocations <= allowed,
            "{}: block {index}: {} allocations",
            H::FORMAT,
            out.allocations
        );
        checked += out.events.len();
    }
    checked
}

fn forwards_events_and_audio<H: Host>() {
    let mut rng = Rng::new(7);
    for max_frames in [1u32, 64, 512, 4096] {
        let blocks: Vec<Block> = (0..300)
            .map(|_| {
                let frames = 1 + rng.below(max_frames.into()) as u32;
                random_block_of::<H>(&mut rng, frames)
            })
            .collect();
        let mut host = H::new();
        let processed = host.process(SAMPLE_RATE, &blocks);
        let checked = assert_forwarded::<H>(&blocks, &processed);
        eprintln!("{}: blocks up to {max_frames}: {checked} events", H::FORMAT);
        assert!(checked >= blocks.len() / 4, "the run carried real traffic");
    }
}

fn switches_strategy_mid_block<H: Host>() {
    let strategy = stable_param_id("strategy");
    let mut host = H::new();
    let mut rng = Rng::new(12);
    // From every strategy to several others.
    for target in [4usize, 0, 1, 2, 3, 4, 2, 0, 3, 1, 4] {
        let mut blocks: Vec<Block> = (0..20)
            .map(|_| random_block_of::<H>(&mut rng, 256))
            .collect();
        let change = Ev::param(rng.below(256) as u32, strategy, target as f64);
        let events = &mut blocks[10].events;
        let at = events.partition_point(|e| e.time() <= change.time());
        events.insert(at, change);
        let processed = host.process(SAMPLE_RATE, &blocks);
        assert_forwarded::<H>(&blocks, &processed);
        let value = host
            .param_values()
            .into_iter()
            .find(|&(id, _)| id == strategy);
        assert_eq!(value, Some((strategy, target as f64)), "{}", H::FORMAT);
    }
}

/// A host's instance with every parameter moved away from its default (the demo stays off:
/// on, it would rightly send notes).
fn configured<H: Host>() -> H {
    let mut host = H::new();
    host.set_param(
        stable_param_id("strategy"),
        rtcb::Strategy::Trap.index() as f64,
    );
    host.set_param(stable_param_id("demo_rate"), 12.5);
    host
}

fn state_round_trips_and_bad_state_is_refused<H: Project>() {
    let mut original = configured::<H>();
    let state = original.save_state();
    let saved = original.param_values();

    let mut fresh = H::new();
    let defaults = fresh.param_values();
    assert_ne!(defaults, saved, "the test changes something");
    fresh
        .load_state(&state)
        .expect("the plugin loads its own state");
    assert_eq!(fresh.param_values(), saved, "{}", H::FORMAT);
    assert_eq!(
        fresh.save_state(),
        state,
        "saving again gives the same bytes"
    );

    let mut other = H::new();
    for cut in [0, 1, state.len() / 2, state.len() - 1] {
        assert!(other.load_state(&state[..cut]).is_err(), "cut to {cut}");
        assert_eq!(other.param_values(), defaults, "cut to {cut}");
    }
    assert!(other.load_state(b"\xff\x00 not json").is_err());
    assert_eq!(other.param_values(), defaults);
    other.load_state(&state).expect("a good state still loads");
    assert_eq!(other.param_values(), saved);
}

fn a_reloaded_project_sends_no_midi<H: Project>() {
    // The session: parameters moved, MIDI played through, stopped, saved.
    let mut session = configured::<H>();
    let mut rng = Rng::new(31);
    let played: Vec<Block> = (0..200)
        .map(|_| random_block_of::<H>(&mut rng, 512))
        .collect();
    let processed = session.process(SAMPLE_RATE, &played);
    assert!(assert_forwarded::<H>(&played, &processed) > 0);
    let state = session.save_state();
    let values = session.param_values();
    eprintln!("{}: {} parameters exported", H::FORMAT, values.len());

    // The reload: the state, then every exported parameter's value from the main thread, and
    // again in the first block.
    let mut reloaded = H::new();
    reloaded.load_state(&state).expect("the saved state loads");
    for &(id, value) in &values {
        reloaded.set_param(id, value);
    }
    let restore = values.iter().map(|&(id, value)| Ev::param(0, id, value));
    let blocks: Vec<Block> = std::iter::once(Block::new(512, restore.collect()))
        .chain(std::iter::repeat_with(|| Block::new(512, Vec::new())).take(20))
        .collect();
    for (index, out) in reloaded.process(SAMPLE_RATE, &blocks).iter().enumerate() {
        assert_eq!(out.events, [], "{}: block {index} sends nothing", H::FORMAT);
        assert_eq!(out.allocations, 0, "{}: block {index}", H::FORMAT);
    }
    assert_eq!(reloaded.param_values(), values);
    // Hidden parameters (VST3's MIDI mapping) would be restored above too; there are none.
    assert_eq!(values.len(), 3, "{}: strategy, demo, demo_rate", H::FORMAT);
}

fn a_block_denser_than_the_input_queue<H: Host>() {
    const FRAMES: u32 = 4096;
    let count = INPUT_EVENT_CAPACITY + 500;
    let dense: Vec<Ev> = (0..count)
        .map(|i| Ev::Note {
            time: (i as u64 * u64::from(FRAMES) / count as u64) as u32,
            kind: if i % 2 == 0 {
                NoteKind::On
            } else {
                NoteKind::Off
            },
            port: 0,
            channel: (i % 16) as i16,
            key: (i / 2 % 128) as i16,
            note_id: i as i32,
            velocity: 0.5,
        })
        .collect();
    assert!(dense.iter().all(H::carries));
    let block = Block::new(FRAMES, dense);
    let blocks = [block.clone(), block.clone(), block];
    let processed = H::new().process(SAMPLE_RATE, &blocks);
    for (index, (block, out)) in blocks.iter().zip(&processed).enumerate() {
        let expected: Vec<Ev> = block.events.iter().filter_map(H::forwarded).collect();
        assert!(out.events == expected, "{}: block {index}", H::FORMAT);
    }
    eprintln!(
        "{}: {count} events in a block: {} allocations in the first, {} in the next",
        H::FORMAT,
        processed[0].allocations,
        processed[1].allocations
    );
    assert_eq!(processed[1].allocations, 0, "the grown queue is kept");
    assert_eq!(processed[2].allocations, 0);
}

/// One test per behaviour, in a module per host.
macro_rules! through {
    ($host:ident: $ty:ty; $($behaviour:ident),* $(,)?) => {
        mod $host {
            use super::*;

            $(
                #[test]
                fn $behaviour() {
                    super::$behaviour::<$ty>();
                }
            )*
        }
    };
}

through!(clap: Plugin;
    forwards_events_and_audio,
    switches_strategy_mid_block,
    state_round_trips_and_bad_state_is_refused,
    a_reloaded_project_sends_no_midi,
    a_block_denser_than_the_input_queue,
);
through!(vst3: Vst3;
    forwards_events_and_audio,
    switches_strategy_mid_block,
    state_round_trips_and_bad_state_is_refused,
    a_reloaded_project_sends_no_midi,
    a_block_denser_than_the_input_queue,
);
through!(in_process: InProcess;
    forwards_events_and_audio,
    switches_strategy_mid_block,
    a_block_denser_than_the_input_queue,
);
