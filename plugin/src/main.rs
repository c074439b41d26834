//! `rtcb-standalone`: the plugin without a DAW, on JACK, ALSA or a dummy backend.
//!
//! ```text
//! cargo run -p rtcb_plugin --features standalone --bin rtcb-standalone -- --backend dummy --demo
//! ```
//!
//! `--help` says what the program is and names the most useful options, then lists every option
//! of nice-plug's standalone wrapper (backend, sample rate, period size, MIDI ports, ...).
//! `--demo` is this program's own: it is taken out of the arguments before the wrapper sees
//! them.

use rtcb_gui::editor::DEMO_ENV;

/// What `--help` prints before the wrapper's own list of options.
const ABOUT: &str = "\
rtcb-standalone: the rtcb MIDI plugin without a DAW. It forwards MIDI unchanged and passes audio
through; its editor shows the notes it sees, handed over from the audio thread by the strategy
you pick (spin lock, SPSC queue, Trap, overwriting ring or Mailbox), with what that costs.

The most useful options:
  --backend dummy   no audio or MIDI device needed (silent input)
  --demo            switch the demo pattern on when the editor opens: notes move without a
                    MIDI keyboard (the same as RTCB_DEMO=1)
  --backend jack    or alsa: play it from a MIDI keyboard (see --midi-input below)

Every option of the standalone wrapper:
";

/// This program's own flag, removed before the wrapper parses the rest.
const DEMO_FLAG: &str = "--demo";

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let demo = args.iter().skip(1).any(|arg| arg == DEMO_FLAG);
    args.retain(|arg| arg != DEMO_FLAG);
    if args
        .iter()
        .skip(1)
        .any(|arg| arg == "--help" || arg == "-h")
    {
        print!("{ABOUT}");
    }
    if demo {
        // The editor reads it when it first opens (`DEMO_ENV`). Set before any other thread
        // starts, so nothing reads the environment meanwhile.
        std::env::set_var(DEMO_ENV, "1");
    }
    nice_plug::prelude::nice_export_standalone_with_args::<rtcb_plugin::Rtcb, _>(args);
}
