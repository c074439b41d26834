//! A storm through the real plugin, as the host sees it (see `host/storm.rs`): dense MIDI
//! processed flat out on an audio thread, up to and beyond what one editor batch holds and up to
//! what the plugin's input queue holds, while another thread changes the strategy through
//! parameter events and the main thread reads the parameter. The debug build runs `process()`
//! under nice-plug's allocation guard, so an allocation or a free there aborts the test.
//!
//! Checked: no abort, every event comes back unchanged, in order, at its sample offset; the
//! parameter ends on the last strategy sent; the heap does not grow between warm-up and the end.
//! The same storm with the editor opening and closing runs under Xvfb (`editor_window.rs`); that
//! the editor is told about the notes that did not fit a batch is proved in `editor_overflow.rs`.

use std::time::Duration;

use crate::host::alone;
use crate::host::clap::Plugin;
use crate::host::memory::Memory;
use crate::host::storm::{Storm, INPUT_EVENT_CAPACITY};

const STORM: Storm = Storm {
    seed: 20_000,
    ..Storm::DENSE
};

/// A short storm before measuring: the first blocks grow the host's and the plugin's buffers to
/// their working size.
const WARM_UP: Storm = Storm {
    min_blocks: 2_000,
    min_changes: 100,
    seed: 2_000,
    ..STORM
};

/// Heap growth allowed between warm-up and the end of the storm. Nothing the storm does keeps
/// memory: the bound only absorbs glibc's per-thread caches (the storm's threads are new ones).
const HEAP_GROWTH_BOUND: i64 = 256 * 1024;

#[test]
fn dense_midi_and_a_thousand_strategy_changes_through_the_real_plugin() {
    // The heap is measured: no other test's instance may allocate meanwhile.
    let _alone = alone();
    let mut plugin = Plugin::new();
    let strategy = plugin.param_id("Strategy");
    let mut active = plugin.activate(48_000.0, STORM.max_frames);
    plugin.storm(&mut active, WARM_UP, strategy, |_, _| ());
    let before = Memory::now();

    let (counts, reads) = plugin.storm(&mut active, STORM, strategy, |plugin, progress| {
        // Like a DAW drawing an automation lane: the main thread reads the strategy while the
        // automation thread changes it. Every value read is one of the five strategies.
        let mut reads = 0u64;
        while progress.blocks() < STORM.min_blocks && !progress.audio_finished() {
            let value = plugin.value(strategy);
            assert!(
                value.fract() == 0.0 && (0.0..=4.0).contains(&value),
                "read {value}"
            );
            reads += 1;
            plugin.service_main_thread();
            std::thread::sleep(Duration::from_millis(1));
        }
        reads
    });
    let after = Memory::now();
    plugin.deactivate(active);

    let (rss_growth, heap_growth) = after.growth_since(&before);
    eprintln!(
        "storm: {counts}, {reads} parameter reads; memory after warm-up {before}, after the storm \
         {after} (RSS {rss_growth:+} B, heap {heap_growth:+} B)"
    );
    assert!(counts.blocks >= STORM.min_blocks);
    assert!(counts.strategy_changes >= STORM.min_changes);
    assert_eq!(counts.densest_block, INPUT_EVENT_CAPACITY);
    assert!(
        counts.blocks_over_capacity > 0,
        "some blocks overflowed a batch"
    );
    let last = counts.last_strategy.expect("changes were sent");
    assert_eq!(plugin.value(strategy), last as f64);
    assert!(
        heap_growth < HEAP_GROWTH_BOUND,
        "the heap grew by {heap_growth} bytes during the storm"
    );
}
