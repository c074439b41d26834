//! What the built plugin tells a host before it processes anything: its descriptor, parameters,
//! audio and note ports.

use crate::host::clap::{load_entry, Plugin, PLUGIN_ID};
use crate::host::stable_param_id;
use clack_extensions::note_ports::NoteDialects;
use clack_extensions::params::ParamInfoFlags;

#[test]
fn descriptor_comes_from_cargo_metadata() {
    let entry = load_entry();
    let factory = entry.get_plugin_factory().expect("a CLAP plugin factory");
    let descriptors: Vec<_> = factory.plugin_descriptors().collect();
    assert_eq!(descriptors.len(), 1, "the library holds one plugin");
    let d = descriptors[0];
    let text = |s: Option<&std::ffi::CStr>| s.expect("set").to_str().unwrap().to_owned();
    assert_eq!(d.id(), Some(PLUGIN_ID));
    // The name from `[package.metadata.plugin]`, the one bundler.toml gives the bundles too.
    let bundler = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../bundler.toml"))
        .expect("bundler.toml at the workspace root");
    let bundle_name = bundler
        .lines()
        .skip_while(|line| line.trim() != "[rtcb_plugin]")
        .find_map(|line| line.trim().strip_prefix("name = "))
        .expect("bundler.toml names rtcb_plugin's bundles")
        .trim_matches('"');
    assert_eq!(text(d.name()), "rtcb");
    assert_eq!(text(d.name()), bundle_name);
    assert_eq!(text(d.vendor()), env!("CARGO_PKG_AUTHORS"));
    assert_eq!(text(d.url()), env!("CARGO_PKG_HOMEPAGE"));
    assert_eq!(text(d.version()), env!("CARGO_PKG_VERSION"));
    assert_eq!(text(d.description()), env!("CARGO_PKG_DESCRIPTION"));
    let features: Vec<_> = d.features().map(|f| f.to_str().unwrap()).collect();
    assert!(features.contains(&"note-effect"), "{features:?}");
    assert!(features.contains(&"utility"), "{features:?}");
}

#[test]
fn parameters_have_stable_ids_and_speak_their_values() {
    let mut plugin = Plugin::new();
    let params = plugin.params();
    let ids: Vec<_> = params.iter().map(|p| p.id).collect();
    let expected: Vec<_> = ["strategy", "demo", "demo_rate"]
        .map(stable_param_id)
        .into();
    assert_eq!(ids, expected, "ids derive from the documented string ids");

    let [strategy, demo, rate] = [&params[0], &params[1], &params[2]];
    for p in [strategy, demo, rate] {
        assert!(p.flags.contains(ParamInfoFlags::IS_AUTOMATABLE), "{p:?}");
        assert!(!p.flags.contains(ParamInfoFlags::IS_HIDDEN), "{p:?}");
    }

    // Strategy: stepped 0..=4 in `rtcb::Strategy::ALL` order, default Mailbox.
    assert_eq!(strategy.name, "Strategy");
    assert!(strategy.flags.contains(ParamInfoFlags::IS_STEPPED));
    assert_eq!((strategy.min, strategy.max), (0.0, 4.0));
    assert_eq!(strategy.default, rtcb::Strategy::Mailbox.index() as f64);
    assert_eq!(plugin.value(strategy.id), strategy.default);
    let names = [
        "Spin lock",
        "SPSC queue",
        "Trap",
        "Overwrite ring",
        "Mailbox",
    ];
    for (index, name) in names.into_iter().enumerate() {
        assert_eq!(plugin.value_to_text(strategy.id, index as f64), name);
        assert_eq!(plugin.text_to_value(strategy.id, name), Some(index as f64));
    }

    // Demo: a switch, off by default.
    assert_eq!(demo.name, "Demo pattern");
    assert!(demo.flags.contains(ParamInfoFlags::IS_STEPPED));
    assert_eq!((demo.min, demo.max, demo.default), (0.0, 1.0, 0.0));

    // Demo rate: 0.5 to 32 notes per second, 8 by default; typed values round to 0.25.
    assert_eq!(rate.name, "Demo rate");
    assert_eq!(plugin.value_to_text(rate.id, rate.default), "8.00 notes/s");
    assert_eq!(plugin.value_to_text(rate.id, rate.min), "0.50 notes/s");
    assert_eq!(plugin.value_to_text(rate.id, rate.max), "32.00 notes/s");
    let typed = plugin.text_to_value(rate.id, "7.3").unwrap();
    assert_eq!(plugin.value_to_text(rate.id, typed), "7.25 notes/s");
    assert_eq!(plugin.text_to_value(rate.id, "fast"), None);
}

#[test]
fn stereo_pass_through_by_default_midi_only_on_request() {
    let mut plugin = Plugin::new();
    let configs = plugin.audio_configs();
    assert_eq!(configs.len(), 2);
    let (stereo, midi_only) = (&configs[0], &configs[1]);
    assert_eq!(stereo.name, "Stereo pass-through");
    assert_eq!((stereo.inputs, stereo.outputs), (1, 1));
    assert_eq!(stereo.main_input_channels, Some(2));
    assert_eq!(stereo.main_output_channels, Some(2));
    assert_eq!(midi_only.name, "MIDI only");
    assert_eq!((midi_only.inputs, midi_only.outputs), (0, 0));

    assert_eq!(
        plugin.audio_ports(),
        (vec![2], vec![2]),
        "stereo is the default"
    );
    assert!(plugin.select_audio_config(midi_only.id));
    assert_eq!(plugin.audio_ports(), (vec![], vec![]));
    assert!(plugin.select_audio_config(stereo.id));
    assert_eq!(plugin.audio_ports(), (vec![2], vec![2]));
    assert!(
        !plugin.select_audio_config(7),
        "unknown configurations are refused"
    );

    // One note port each way, speaking CLAP notes and MIDI 1.0.
    for (count, dialects) in plugin.note_ports() {
        assert_eq!(count, 1);
        let dialects = dialects.expect("port 0 has info");
        assert!(dialects.contains(NoteDialects::CLAP | NoteDialects::MIDI));
    }
}

#[test]
fn every_value_survives_the_trip_to_text_and_back() {
    // What a host does when the user types a value it displayed: the text must read back as the
    // same value (stepped parameters) or one that displays the same (continuous ones).
    let mut plugin = Plugin::new();
    for p in plugin.params() {
        let stepped = p.flags.contains(ParamInfoFlags::IS_STEPPED);
        let steps = if stepped { (p.max - p.min) as u32 } else { 200 };
        for i in 0..=steps {
            let value = p.min + (p.max - p.min) * f64::from(i) / f64::from(steps);
            let text = plugin.value_to_text(p.id, value);
            let back = plugin
                .text_to_value(p.id, &text)
                .unwrap_or_else(|| panic!("{} cannot read its own {text:?}", p.name));
            if stepped {
                assert_eq!(back, value, "{}: {text:?}", p.name);
            }
            assert_eq!(plugin.value_to_text(p.id, back), text, "{}", p.name);
        }
    }
}
