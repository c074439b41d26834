//! The plugin's tests: one binary that loads the built plugin library the way hosts do, and
//! drives it through each of its formats.
//!
//! - [`host`]: the hosts. CLAP (`clack-host`), VST3 (the COM interfaces, written here), and in
//!   process (the plugin's own `process()` with a test `ProcessContext`), behind one small
//!   trait, [`host::Host`], so a behaviour is written once and checked through every format.
//! - [`formats`]: the behaviours every format must show (MIDI forwarded, audio passed, strategy
//!   switched, state saved and restored, a reloaded project sends no MIDI, dense blocks and
//!   subnormals), run through each host.
//! - The other modules test what only one way in can reach: the CLAP descriptor and ports
//!   (`plugin_info`), the demo's sample grid (`demo_pattern`), storms and editor windows (CLAP's
//!   GUI extension), the editor's counts (in process), the VST3 factory, host misuse
//!   (`bad_input`) and the library's lifetime.
//!
//! The tests that open windows need an X server and are `#[ignore]`d; `.ci/run` runs them under
//! Xvfb.

mod audio;
mod bad_input;
mod demo_pattern;
mod editor_overflow;
mod editor_window;
mod formats;
mod host;
mod keyboard;
mod library_lifetime;
mod listener_panic;
mod midi_forwarding;
mod plugin_info;
mod rt_proof;
mod state;
mod state_log;
mod storm;
mod strategy_switch;
mod vst3;
