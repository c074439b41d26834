//! When the plugin cannot use a saved value, its log says which value and why.
//!
//! nice-plug writes the plugin's log to the file named by `NICE_LOG`, read once, when the library
//! is first loaded; [`plugin_log`] sets it before any test loads the plugin, so every test logs
//! to that one file. The values used here appear in no other test.

use std::time::{Duration, Instant};

use crate::host::clap::{state_with_params, Plugin};
use crate::host::plugin_log;

#[test]
fn the_log_says_which_saved_values_were_not_used_and_why() {
    let log = plugin_log();
    let mut plugin = Plugin::new();
    plugin
        .load_state(&state_with_params(
            r#""strategy":{"string":"NoSuchStrategy"},"demo":{"f32":1.0},"volume":{"f32":0.5}"#,
        ))
        .expect("the plugin loads what it can");
    // And a state that is not JSON at all: refused as a whole.
    let truncated = state_with_params(r#""demo":{"bool":true}"#);
    assert!(plugin
        .load_state(&truncated[..truncated.len() - 3])
        .is_err());
    drop(plugin);

    let expected = [
        r#"Saved state: parameter "strategy": no strategy is called "NoSuchStrategy"; loading its default, String("Mailbox")"#,
        r#"Saved state: parameter "demo": a value of the wrong type (F32(1.0)); loading its default, Bool(false)"#,
        r#"Saved state: parameter "demo_rate": no value saved; loading its default, F32(8.0)"#,
        r#"Saved state: parameter "volume": the plugin has no such parameter; ignoring it"#,
        // nice-plug reports JSON it cannot parse (in debug builds only).
        "Error while deserializing state",
    ];
    let expected = &expected[..if cfg!(debug_assertions) { 5 } else { 4 }];
    // The log is written by a thread of its own: give it time (a bound, not a timing check).
    let deadline = Instant::now() + Duration::from_secs(30);
    let written = loop {
        let written = std::fs::read_to_string(log).unwrap_or_default();
        if expected.iter().all(|line| written.contains(line)) || Instant::now() > deadline {
            break written;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    for line in expected {
        assert!(
            written.contains(line),
            "the log lacks {line:?}; it says:\n{written}"
        );
    }
}
