//! `rtcb-standalone`: the plugin without a DAW, on JACK, ALSA or a dummy backend.
//!
//! ```text
//! cargo run -p rtcb_plugin --features standalone --bin rtcb-standalone -- --backend dummy
//! ```
//!
//! `--help` lists the options (backend, sample rate, period size, MIDI ports, ...).

fn main() {
    nice_plug::prelude::nice_export_standalone::<rtcb_plugin::Rtcb>();
}
