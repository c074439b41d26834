//! Saved state through CLAP beyond the round trip and the refusals every format shows
//! (`formats`): the strategy is saved by its stable id, a state loads into an active instance,
//! damaged JSON is refused or still a state, and unknown ids or wrong types leave values alone.

use crate::host::clap::{clap_state, Plugin};
use crate::host::events::Ev;

/// A plugin with every parameter moved away from its default.
fn configured() -> Plugin {
    let mut plugin = Plugin::new();
    let strategy = plugin.param_id("Strategy");
    let demo = plugin.param_id("Demo pattern");
    let rate = plugin.param_id("Demo rate");
    let rate_value = plugin.text_to_value(rate, "12.5").unwrap();
    let overwrite_ring = rtcb::Strategy::OverwriteRing.index() as f64;
    plugin.flush(&[
        Ev::param(0, strategy, overwrite_ring),
        Ev::param(0, demo, 1.0),
        Ev::param(0, rate, rate_value),
    ]);
    assert_eq!(plugin.value(strategy), overwrite_ring);
    plugin
}

#[test]
fn state_names_the_strategy_by_its_stable_id() {
    let mut plugin = configured();
    let saved = plugin.save_state();
    // nice-plug's CLAP state: an 8-byte little-endian length, then JSON.
    let (length, json) = saved.split_at(8);
    assert_eq!(
        u64::from_le_bytes(length.try_into().unwrap()),
        json.len() as u64
    );
    let state: serde_json::Value = serde_json::from_slice(json).expect("the state is JSON");
    let params = &state["params"];
    // Each value is tagged with its type.
    assert_eq!(
        params["strategy"],
        serde_json::json!({ "string": "OverwriteRing" })
    );
    assert_eq!(params["demo"], serde_json::json!({ "bool": true }));
    assert_eq!(params["demo_rate"], serde_json::json!({ "f32": 12.5 }));
}

#[test]
fn state_loads_into_an_active_instance() {
    let mut source = configured();
    let saved = source.save_state();
    let expected = source.param_values();
    let mut plugin = Plugin::new();
    let mut active = plugin.activate(48_000.0, 128);
    plugin.run(&mut active, |audio| {
        audio.process(128, &[]);
    });
    plugin.load_state(&saved).expect("state loads while active");
    assert_eq!(plugin.param_values(), expected);
    plugin.run(&mut active, |audio| {
        // The demo is now on: the plugin plays it from the next block.
        let out = audio.process(128, &[]);
        assert!(
            !out.events.is_empty(),
            "the loaded demo setting takes effect"
        );
    });
    plugin.deactivate(active);
}

#[test]
fn damaged_state_is_either_refused_untouched_or_still_a_state() {
    let saved = configured().save_state();
    let mut plugin = Plugin::new();
    let (mut refused, mut tried) = (0, 0);
    // The real state with one byte of its JSON replaced, at every position, by characters that
    // break JSON in different ways.
    for at in 8..saved.len() {
        for byte in [b'}', b'"', 0xFF] {
            let mut damaged = saved.clone();
            damaged[at] = byte;
            let prior = plugin.param_values();
            tried += 1;
            match plugin.load_state(&damaged) {
                Err(()) => {
                    refused += 1;
                    assert_eq!(
                        plugin.param_values(),
                        prior,
                        "a refused state changed values"
                    );
                }
                // Some damage leaves valid JSON with the same meaning (a byte in the version
                // string, say): that is still a state.
                Ok(()) => assert!(
                    serde_json::from_slice::<serde_json::Value>(&damaged[8..]).is_ok(),
                    "accepted a state that is not JSON (byte {at} set to {byte:#x})"
                ),
            }
        }
    }
    eprintln!("{refused} of {tried} damaged states refused");
    assert!(refused > tried / 2);
    plugin.assert_still_forwards(5);
}

#[test]
fn unknown_strategy_ids_and_wrong_types_leave_the_values_alone() {
    let mut plugin = Plugin::new();
    let before = plugin.param_values();
    let json = br#"{"version":"0.1.0","params":{"strategy":"NoSuchStrategy","demo":"yes","demo_rate":[1],"no_such_param":3.0},"fields":{}}"#;
    let bytes = clap_state(json);
    // Well-formed but meaningless values: whether the plugin refuses the state or takes what it
    // understands (nothing here), no parameter may end up changed or out of range.
    let _ = plugin.load_state(&bytes);
    assert_eq!(plugin.param_values(), before);
    plugin.assert_still_forwards(4);
}
