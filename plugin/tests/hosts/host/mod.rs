//! The hosts the tests drive the plugin through, behind one trait, [`Host`]:
//!
//! - [`clap`]: the built library through CLAP (`clack-host`, raw CLAP event lists);
//! - [`vst3`]: the built library through VST3 (the COM interfaces a host implements, here);
//! - [`in_process`]: the plugin's own `process()`, called with a test `ProcessContext`.
//!
//! Every host processes on an audio thread of its own and counts the allocations the plugin
//! makes inside `process()` ([`alloc_count`]).

pub mod alloc_count;
pub mod clap;
pub mod events;
pub mod gui;
pub mod in_process;
pub mod memory;
pub mod storm;
pub mod traffic;
pub mod vst3;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use events::Ev;

/// One block for the plugin: its length, the events the host sends with it (parameter changes
/// as [`Ev::ParamValue`] with plain values, as CLAP has them), and its stereo input.
#[derive(Debug, Clone)]
pub struct Block {
    pub frames: u32,
    pub events: Vec<Ev>,
    /// Two channels of `frames` samples.
    pub audio: [Vec<f32>; 2],
}

impl Block {
    /// A block of silence with these events.
    pub fn new(frames: u32, events: Vec<Ev>) -> Block {
        let silence = vec![0.0; frames as usize];
        Block {
            frames,
            events,
            audio: [silence.clone(), silence],
        }
    }
}

/// What the plugin gave back for one block.
#[derive(Debug, Clone)]
pub struct Processed {
    pub events: Vec<Ev>,
    /// The bits of the two output channels.
    pub audio: [Vec<u32>; 2],
    /// Allocations and frees the plugin's `process()` made (host callbacks excluded).
    pub allocations: u64,
}

/// One way to drive the plugin, as a host of one format does.
pub trait Host: Sized {
    /// The format's name, for messages.
    const FORMAT: &'static str;

    /// How many allocations the format's wrapper makes on a new audio thread when the first
    /// parameter change arrives there. nice-plug's VST3 wrapper makes two: it tells its GUI
    /// task queue about the change, which asks the plugin library's own copy of std for the
    /// current thread. That is the library's first thread-local on this thread, so glibc
    /// allocates the library's thread-local block for it (a `dlopen`ed library's thread-locals
    /// are made per thread on first use), and std allocates the thread's handle. (A debug build
    /// touches its thread-locals earlier, in the allocation guard, so there the change sees
    /// only the handle's allocation.) A host's audio thread lives long, so a host meets this
    /// once per thread; nice-plug permits it.
    const FIRST_CHANGE_ON_A_THREAD_ALLOCATIONS: u64 = 0;

    /// A fresh instance, inactive, with default parameter values.
    fn new() -> Self;

    /// Every parameter the plugin exports to this format: id and plain value.
    fn param_values(&mut self) -> Vec<(u32, f64)>;

    /// Sets a parameter from the main thread while inactive, as a host restoring a project
    /// does.
    fn set_param(&mut self, id: u32, plain: f64);

    /// Activates the plugin at `sample_rate` (stereo layout, blocks up to the longest given),
    /// processes `blocks` in order on an audio thread, and deactivates it.
    fn process(&mut self, sample_rate: f64, blocks: &[Block]) -> Vec<Processed>;

    /// What the plugin sends for `event` through this format: `None` when it sends nothing, and
    /// also when the format cannot carry `event` to the plugin (the tests send only events for
    /// which [`carries`](Host::carries) is true).
    fn forwarded(event: &Ev) -> Option<Ev>;

    /// Whether this format carries `event` from the host to the plugin.
    fn carries(event: &Ev) -> bool;
}

/// A host that saves and loads projects: the plugin's state.
pub trait Project: Host {
    /// Saves the plugin's state.
    fn save_state(&mut self) -> Vec<u8>;

    /// Loads a state; `Err` when the plugin refuses it.
    fn load_state(&mut self, bytes: &[u8]) -> Result<(), ()>;
}

/// Every plugin instance holds this lock shared ([`beside_others`]); a test that needs the
/// process to itself (it measures the heap or counts threads, or opens windows) holds it
/// exclusively ([`alone`]) and waits for the others to finish.
static HOSTS: RwLock<()> = RwLock::new(());

thread_local! {
    /// Whether this thread holds [`HOSTS`] exclusively (its own instances need no share).
    static ALONE: Cell<bool> = const { Cell::new(false) };
}

/// The process to this test alone, while the guard lives: no other test's instance exists.
pub fn alone() -> Alone {
    // A test that failed while holding the lock has already failed; the others may go on.
    let guard = HOSTS.write().unwrap_or_else(|e| e.into_inner());
    ALONE.with(|alone| alone.set(true));
    Alone { _guard: guard }
}

/// See [`alone`].
pub struct Alone {
    _guard: RwLockWriteGuard<'static, ()>,
}

impl Drop for Alone {
    fn drop(&mut self) {
        ALONE.with(|alone| alone.set(false));
    }
}

/// The share of [`HOSTS`] an instance holds (none when its thread holds the lock alone).
pub fn beside_others() -> Option<RwLockReadGuard<'static, ()>> {
    let alone = ALONE.with(Cell::get);
    (!alone).then(|| HOSTS.read().unwrap_or_else(|e| e.into_inner()))
}

/// Where the plugin library is: `$RTCB_PLUGIN_LIB` if set, otherwise the one cargo built for
/// this run, next to this test executable (`target/<profile>/deps/librtcb_plugin.so`; `cargo
/// build` also copies it up to `target/<profile>/`, but `cargo test` alone does not).
pub fn plugin_library() -> PathBuf {
    plugin_log();
    if let Some(path) = std::env::var_os("RTCB_PLUGIN_LIB") {
        let path = PathBuf::from(path);
        assert!(
            path.is_absolute(),
            "RTCB_PLUGIN_LIB must be an absolute path"
        );
        return path;
    }
    let exe = std::env::current_exe().expect("the test knows where it runs from");
    let deps = exe
        .parent()
        .expect("test executables live in target/<profile>/deps");
    let library = deps.join(format!(
        "{}rtcb_plugin{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        library.exists(),
        "{} is missing: cargo builds it with the tests (or set RTCB_PLUGIN_LIB)",
        library.display()
    );
    library
}

/// The file the plugin logs to. nice-plug reads `NICE_LOG` once, when the library is first
/// loaded, so every way of loading it asks for this first (through [`plugin_library`]); the
/// first call empties the file and sets the variable. Every test's log lines end up here.
pub fn plugin_log() -> &'static Path {
    static LOG: OnceLock<PathBuf> = OnceLock::new();
    LOG.get_or_init(|| {
        let log: PathBuf = [env!("CARGO_TARGET_TMPDIR"), "rtcb-plugin-log.txt"]
            .iter()
            .collect();
        let _ = std::fs::remove_file(&log);
        // Before the library is loaded nothing in this process reads the variable, and the
        // Rust side of the tests reads the environment through std, which locks it.
        std::env::set_var("NICE_LOG", &log);
        log
    })
}

/// The hash nice-plug turns a parameter's string id into (its CLAP and VST3 id): a Rabin
/// fingerprint, with the top bit cleared (VST3 reserves it for the host).
pub fn stable_param_id(id: &str) -> u32 {
    id.bytes().fold(0u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    }) & !(1 << 31)
}
