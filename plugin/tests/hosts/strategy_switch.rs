//! Strategy changes through CLAP beyond a switch mid-block (that one runs through every format
//! in `formats`): a burst of switches in one block ends on the last; an inactive plugin takes a
//! change through `params.flush`.

use crate::host::clap::Plugin;
use crate::host::events::Ev;
use crate::host::traffic::{merge, random_block, Rng};
use rtcb::Strategy;

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
