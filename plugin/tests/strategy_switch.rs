//! Switching the `strategy` parameter while the plugin runs, to every variant, by parameter
//! events in the middle of blocks: the switch takes, and nothing else changes (no event lost or
//! moved, audio bit for bit).

mod host;

use clap_sys::process::CLAP_PROCESS_CONTINUE_IF_NOT_QUIET;
use host::events::Ev;
use host::traffic::{merge, random_block, Rng};
use host::{AudioMode, Plugin};
use rtcb::Strategy;

const FRAMES: u32 = 256;
/// Blocks per stretch; the switch happens in the middle one.
const STRETCH: u32 = 140;
/// The parameter's display name for `strategy`.
fn display_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::SpinLock => "Spin lock",
        Strategy::SpscQueue => "SPSC queue",
        Strategy::Trap => "Trap",
        Strategy::OverwriteRing => "Overwrite ring",
        Strategy::Mailbox => "Mailbox",
    }
}

/// `input` with `change` inserted in time order (after events at the same sample).
fn with_change(mut input: Vec<Ev>, change: Ev) -> Vec<Ev> {
    let at = input.partition_point(|e| e.time() <= change.time());
    input.insert(at, change);
    input
}

#[test]
fn switching_to_every_strategy_mid_run_changes_nothing_else() {
    let mut plugin = Plugin::new();
    let strategy = plugin.param_id("Strategy");
    let mut active = plugin.activate(48_000.0, FRAMES);
    let mut rng = Rng::new(2024);
    // Every variant, in order, in reverse, then a seeded shuffle: 15 switches, from every
    // strategy to several others.
    let mut order: Vec<usize> = (0..5).chain((0..5).rev()).collect();
    let mut shuffled: Vec<usize> = (0..5).collect();
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i as u64 + 1) as usize);
    }
    order.extend(shuffled);
    let mut totals = (0u32, 0usize);
    for (stretch, &target) in order.iter().enumerate() {
        let seed = rng.next_u64();
        let mode = if stretch % 2 == 0 {
            AudioMode::OutOfPlace
        } else {
            AudioMode::InPlace
        };
        let (blocks, events) = plugin.run(&mut active, move |audio| {
            let mut rng = Rng::new(seed);
            let mut events = 0;
            for block in 0..STRETCH {
                let mut input = random_block(&mut rng, FRAMES, 24);
                if block == STRETCH / 2 {
                    let at = rng.below(u64::from(FRAMES)) as u32;
                    input = with_change(input, Ev::param(at, strategy, target as f64));
                }
                let bits = audio.fill_audio(&mut rng, FRAMES);
                let out = audio.process_with(FRAMES, &input, mode, None);
                assert_eq!(out.status, CLAP_PROCESS_CONTINUE_IF_NOT_QUIET);
                assert_eq!(out.events, merge(&input, &[]), "block {block}");
                assert_eq!(audio.output_bits(FRAMES, mode), bits, "block {block}");
                events += out.events.len();
            }
            (STRETCH, events)
        });
        totals.0 += blocks;
        totals.1 += events;
        let value = plugin.value(strategy);
        assert_eq!(value, target as f64, "switch {stretch} to {target}");
        let name = display_name(Strategy::from_index(target).unwrap());
        assert_eq!(plugin.value_to_text(strategy, value), name);
    }
    plugin.deactivate(active);
    eprintln!(
        "{} blocks, {} events checked, {} switches",
        totals.0,
        totals.1,
        order.len()
    );
    assert!(totals.0 >= 2000);
}

#[test]
fn a_burst_of_switches_in_one_block_ends_on_the_last() {
    let mut plugin = Plugin::new();
    let strategy = plugin.param_id("Strategy");
    let mut active = plugin.activate(48_000.0, 512);
    for last in Strategy::ALL {
        let burst: Vec<Ev> = Strategy::ALL
            .into_iter()
            .filter(|&s| s != last)
            .chain([last])
            .enumerate()
            .map(|(i, s)| Ev::param(i as u32 * 100, strategy, s.index() as f64))
            .collect();
        plugin.run(&mut active, |audio| {
            let out = audio.process(512, &burst);
            assert!(out.events.is_empty(), "parameter changes are not forwarded");
            // And the plugin keeps running on the new strategy.
            let mut rng = Rng::new(last.index() as u64);
            for _ in 0..10 {
                let input = random_block(&mut rng, 512, 30);
                assert_eq!(audio.process(512, &input).events, merge(&input, &[]));
            }
        });
        assert_eq!(plugin.value(strategy), last.index() as f64);
    }
    plugin.deactivate(active);
}

#[test]
fn the_strategy_can_be_set_while_the_plugin_is_inactive() {
    let mut plugin = Plugin::new();
    let strategy = plugin.param_id("Strategy");
    for s in Strategy::ALL {
        let sent_back = plugin.flush(&[Ev::param(0, strategy, s.index() as f64)]);
        assert!(sent_back.is_empty(), "{sent_back:?}");
        assert_eq!(plugin.value(strategy), s.index() as f64);
    }
    // Out-of-range values are clamped to a real variant, never an invalid one.
    plugin.flush(&[Ev::param(0, strategy, 99.0)]);
    assert_eq!(plugin.value(strategy), 4.0);
    plugin.flush(&[Ev::param(0, strategy, -3.0)]);
    assert_eq!(plugin.value(strategy), 0.0);
    // Values that are not numbers are ignored.
    plugin.flush(&[Ev::param(0, strategy, f64::NAN)]);
    plugin.flush(&[Ev::param(0, strategy, f64::INFINITY)]);
    assert_eq!(plugin.value(strategy), 0.0);
}
