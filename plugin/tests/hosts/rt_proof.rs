//! The whole plugin under a kernel-enforced real-time proof.
//!
//! The built plugin is loaded through the CLAP host, with the demo on at its fastest rate. An
//! audio thread installs a seccomp filter that kills the process on any system call but `exit`,
//! then starts processing (no warm-up: the first block is under the filter too) and processes at
//! least [`MIN_BLOCKS`] blocks, a pattern of 1,000 played over and over: random MIDI (notes,
//! expressions, MIDI 1.0, SysEx), blocks of 1 to 512 samples, and a strategy change every
//! [`CHANGE_EVERY`] blocks. Meanwhile the main thread opens and closes the editor in real X11
//! windows (each open registers a listener through the current strategy, each close clears it).
//! Every allocation and free on the audio thread from `start_processing` to `stop_processing` is
//! counted (`host/alloc_count.rs`) and must be zero.
//!
//! The filter, not strict mode: a filter lets the vDSO clock work (the plugin times each
//! delivery with `Instant::now`, which the vDSO serves without entering the kernel). The one
//! system call allowed is `exit`, which ends the audio thread after its last block: a thread that
//! returns lets glibc free its stack and thread-locals (`madvise`, `munmap`, `futex`), which the
//! filter forbids. Nothing the plugin does may call the kernel, so nothing else is allowed.
//!
//! The host's own side of each call is made beforehand (event lists, buffer tables; the output
//! list counts and keeps nothing), so the host makes no system call and no allocation either:
//! the count is the plugin's and the framework's.
//!
//! Needs an X server, and is meant for the release build: `.ci/run` runs it under Xvfb against
//! the release bundle:
//! `xvfb-run -a cargo test -p rtcb_plugin --release --test hosts -- --ignored --exact
//! rt_proof::the_whole_plugin_makes_no_system_call_and_no_allocation_on_the_audio_thread
//! --nocapture`

use std::ffi::c_void;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap_sys::events::{clap_event_header, clap_output_events};
use clap_sys::process::CLAP_PROCESS_ERROR;

use crate::editor_window::{editor_cycles, Wait};
use crate::host::alloc_count::counting;
use crate::host::alone;
use crate::host::clap::{Active, AudioMode, Plugin};
use crate::host::events::{Ev, InputList};
use crate::host::gui::X11Display;
use crate::host::storm::Progress;
use crate::host::traffic::{forwarded, random_block, Rng};

/// Blocks the audio thread processes under the filter, at least (it goes on until the editor
/// cycles are done).
const MIN_BLOCKS: u64 = 100_000;
/// A bound against a main thread that never finishes: the audio thread stops here.
const MAX_BLOCKS: u64 = 100_000_000;
/// Blocks in the pattern the audio thread plays over and over.
const PATTERN_BLOCKS: usize = 1_000;
/// A strategy change every this many blocks.
const CHANGE_EVERY: usize = 200;
/// The strategies the changes go to, in turn (each differs from the one before, also where the
/// pattern starts again).
const STRATEGY_TURNS: [u64; 5] = [1, 3, 0, 4, 2];
/// The largest block, in samples.
const MAX_FRAMES: u32 = 512;
/// Events per block at most: below the plugin's input queue, so nice-plug never grows it (that
/// allocates and logs, see the README's known limits).
const MAX_EVENTS: u64 = 64;
/// Editor opens and closes during the run.
const EDITOR_CYCLES: u32 = 10;
/// A bound against hangs (thread start, run, thread end), not a timing check.
const PATIENCE: Duration = Duration::from_secs(600);

/// The audio thread's state, as the main thread sees it.
const STARTING: i32 = 0;
const FILTERED: i32 = 1;
// Anything else: the filter could not be installed (minus the errno).

/// The pattern: blocks made (and their event lists laid out) before the audio thread starts.
struct Pattern {
    blocks: Vec<PatternBlock>,
    /// Each block's event list; points into its block's events (SysEx bytes).
    inputs: Vec<InputList>,
}

struct PatternBlock {
    frames: u32,
    events: Vec<Ev>,
    /// Events the plugin must send back for this block's input.
    forwarded: u64,
    /// The strategy this block changes to, if any.
    change: Option<u64>,
}

impl Pattern {
    fn new(seed: u64, strategy: u32) -> Pattern {
        let mut rng = Rng::new(seed);
        let blocks: Vec<PatternBlock> = (0..PATTERN_BLOCKS)
            .map(|index| {
                let frames = 1 + rng.below(MAX_FRAMES.into()) as u32;
                let mut events = random_block(&mut rng, frames, MAX_EVENTS);
                let forwarded = events.iter().filter_map(forwarded).count() as u64;
                let change = (index % CHANGE_EVERY == 0)
                    .then(|| STRATEGY_TURNS[index / CHANGE_EVERY % STRATEGY_TURNS.len()]);
                if let Some(target) = change {
                    let at = rng.below(frames.into()) as u32;
                    let place = events.partition_point(|e| e.time() <= at);
                    events.insert(place, Ev::param(at, strategy, target as f64));
                }
                PatternBlock {
                    frames,
                    events,
                    forwarded,
                    change,
                }
            })
            .collect();
        let inputs = blocks.iter().map(|b| InputList::new(&b.events)).collect();
        Pattern { blocks, inputs }
    }
}

/// The host's output list for the proof: counts what the plugin pushes, keeps nothing (no
/// allocation, whatever the plugin sends).
#[derive(Default)]
struct CountingOutput {
    events: u64,
}

impl CountingOutput {
    /// The CLAP view of the list; valid while `self` is neither moved nor dropped.
    fn as_clap(&mut self) -> clap_output_events {
        clap_output_events {
            ctx: self as *mut CountingOutput as *mut c_void,
            try_push: Some(count_push),
        }
    }
}

unsafe extern "C" fn count_push(
    list: *const clap_output_events,
    _event: *const clap_event_header,
) -> bool {
    // SAFETY: `ctx` was set by `CountingOutput::as_clap` to a list that outlives the call, and
    // only the audio thread, inside `process`, touches it.
    let list = unsafe { &mut *((*list).ctx as *mut CountingOutput) };
    list.events += 1;
    true
}

/// What the audio thread owns while it runs: handed to it as a pointer, taken back once it is
/// gone.
struct Job {
    active: Active,
    pattern: Pattern,
    output: CountingOutput,
    /// Parameter changes that switch the demo on at its fastest rate (the first block).
    setup: InputList,
    _setup_events: Vec<Ev>,
}

/// The job's address, to move it to the audio thread.
struct JobPtr(*mut Job);

// SAFETY: the job is used by one thread at a time: the audio thread from its start until it
// publishes `finished` and exits; the main thread only after the thread is gone.
unsafe impl Send for JobPtr {}

/// What the audio thread reports; leaked, so it outlives the thread (which never returns).
#[derive(Default)]
struct Shared {
    /// Blocks processed, for the editor cycles (and `audio_finished` once done).
    progress: Progress,
    main_done: AtomicBool,
    state: AtomicI32,
    tid: AtomicI32,
    finished: AtomicBool,
    allocations: AtomicU64,
    blocks: AtomicU64,
    errors: AtomicU64,
    forwarded_in: AtomicU64,
    events_out: AtomicU64,
    changes: AtomicU64,
    last_strategy: AtomicU64,
}

/// The audio thread: the host's tables, the filter, then everything the plugin does on it
/// (`start_processing`, the blocks, `stop_processing`) under the filter and counted, then a raw
/// `exit`.
fn audio_thread(job: &mut Job, shared: &'static Shared) -> ! {
    // SAFETY: gettid takes no arguments and cannot fail; a thread id fits in an i32 (pid_t).
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as i32;
    // Relaxed: published by the Release store of `state`.
    shared.tid.store(tid, Ordering::Relaxed);
    let Job {
        active,
        pattern,
        output,
        setup,
        ..
    } = job;
    let out_events = output.as_clap();
    // The host's side, made before the filter and the count (they live past both, so their free
    // is not counted either).
    let mut channels = active.random_input_channels(99, AudioMode::OutOfPlace);

    if let Err(errno) = seccomp::allow_only_exit() {
        // Release: publishes `tid`. Not filtered: the thread may end any way it likes, but it
        // keeps the job, so it exits like a filtered one.
        shared.state.store(-errno, Ordering::Release);
        // SAFETY: ends this thread; nothing on its stack is used afterwards.
        unsafe { libc::syscall(libc::SYS_exit, 0 as libc::c_long) };
    }
    // Release: publishes `tid`; from here on any system call but `exit` kills the process.
    shared.state.store(FILTERED, Ordering::Release);

    let ((), allocations) = counting(|| {
        active.process_with(|audio| {
            audio.process_raw(MAX_FRAMES, &setup.as_clap(), &out_events, &mut channels);
            let (mut blocks, mut errors, mut forwarded_in, mut changes) = (0u64, 0u64, 0u64, 0u64);
            let mut last_strategy = u64::MAX;
            let mut index = 0;
            // Acquire (`main_done`): pairs with the main thread's Release store after its last
            // editor cycle, so the editor's closing happened before the run ends.
            while blocks < MAX_BLOCKS
                && (blocks < MIN_BLOCKS || !shared.main_done.load(Ordering::Acquire))
            {
                let block = &pattern.blocks[index];
                let input = &pattern.inputs[index];
                let status =
                    audio.process_raw(block.frames, &input.as_clap(), &out_events, &mut channels);
                errors += u64::from(status == CLAP_PROCESS_ERROR);
                forwarded_in += block.forwarded;
                if let Some(target) = block.change {
                    changes += 1;
                    last_strategy = target;
                }
                blocks += 1;
                // SeqCst: the storm's progress counter (test bookkeeping, read by the editor
                // cycles); an atomic store, no system call.
                shared.progress.blocks.store(blocks, Ordering::SeqCst);
                index = (index + 1) % pattern.blocks.len();
            }
            // Relaxed (all counters): published by the Release store of `finished`.
            shared.blocks.store(blocks, Ordering::Relaxed);
            shared.errors.store(errors, Ordering::Relaxed);
            shared.forwarded_in.store(forwarded_in, Ordering::Relaxed);
            shared.changes.store(changes, Ordering::Relaxed);
            shared.last_strategy.store(last_strategy, Ordering::Relaxed);
        })
    });
    // Never dropped: a free is not allowed here, and the thread ends without running destructors.
    std::mem::forget(channels);
    // Relaxed: published by the Release store of `finished`.
    shared.allocations.store(allocations, Ordering::Relaxed);
    shared.events_out.store(output.events, Ordering::Relaxed);
    // SeqCst: the storm's flag (test bookkeeping).
    shared.progress.audio_finished.store(true, Ordering::SeqCst);
    // Release: everything this thread did happens before a watcher's Acquire load that sees it.
    shared.finished.store(true, Ordering::Release);
    // SAFETY: ends this thread only. Nothing on its stack is used afterwards: the main thread
    // reads the leaked `shared` and takes the job back only once the thread is gone.
    unsafe { libc::syscall(libc::SYS_exit, 0 as libc::c_long) };
    // `exit` does not return; if it ever did, the abort's system calls kill the process.
    std::process::abort()
}

fn task_dir(tid: i32) -> PathBuf {
    PathBuf::from(format!("/proc/self/task/{tid}"))
}

/// The `Seccomp:` field of a thread's `/proc` status ("2" is filter mode).
fn seccomp_mode(tid: i32) -> Option<String> {
    let status = std::fs::read_to_string(task_dir(tid).join("status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Seccomp:"))
        .map(|mode| mode.trim().to_owned())
}

#[test]
#[ignore = "needs an X server and a release build: .ci/run runs it under Xvfb"]
fn the_whole_plugin_makes_no_system_call_and_no_allocation_on_the_audio_thread() {
    let _alone = alone();
    let display = X11Display::connect();
    let mut plugin = Plugin::new();
    let strategy = plugin.param_id("Strategy");
    let demo = plugin.param_id("Demo pattern");
    let rate = plugin
        .params()
        .into_iter()
        .find(|p| p.name == "Demo rate")
        .expect("a demo rate");
    let setup_events = vec![Ev::param(0, demo, 1.0), Ev::param(0, rate.id, rate.max)];
    let job = Box::new(Job {
        active: plugin.activate(48_000.0, MAX_FRAMES),
        pattern: Pattern::new(14, strategy),
        output: CountingOutput::default(),
        setup: InputList::new(&setup_events),
        _setup_events: setup_events,
    });
    // Leaked: the audio thread never returns, so what it reads through must live for ever.
    let shared: &'static Shared = Box::leak(Box::default());
    let job = JobPtr(Box::into_raw(job));
    let address = job.0 as usize;
    let started = Instant::now();
    let handle = std::thread::Builder::new()
        .name("rt-proof-audio".into())
        .spawn(move || {
            let job = job;
            // SAFETY: the job was leaked for this thread, which alone uses it (see `JobPtr`).
            audio_thread(unsafe { &mut *job.0 }, shared)
        })
        .expect("spawn the audio thread");
    // The thread ends with a raw `exit`, so the thread library never learns it ended: leave its
    // handle alone rather than detach or join it.
    std::mem::forget(handle);

    let deadline = Instant::now() + PATIENCE;
    // Acquire: pairs with the thread's Release store of `state`, so `tid` is visible.
    while shared.state.load(Ordering::Acquire) == STARTING {
        assert!(Instant::now() < deadline, "the audio thread did not start");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Relaxed: ordered by the Acquire load of `state` above.
    let tid = shared.tid.load(Ordering::Relaxed);
    let state = shared.state.load(Ordering::Relaxed);
    assert_eq!(
        state,
        FILTERED,
        "the seccomp filter could not be installed: {}",
        std::io::Error::from_raw_os_error(-state)
    );
    // The thread is alive: it runs until `main_done`, which is set after the editor cycles.
    assert_eq!(
        seccomp_mode(tid).as_deref(),
        Some("2"),
        "the kernel reports the audio thread in filter mode"
    );

    let cycles = editor_cycles(
        &mut plugin,
        &display,
        EDITOR_CYCLES,
        &shared.progress,
        Wait::FirstFrame,
    );
    // Release: the editor's last close happens before the audio thread's last block.
    shared.main_done.store(true, Ordering::Release);
    while task_dir(tid).exists() {
        assert!(Instant::now() < deadline, "the audio thread did not end");
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = started.elapsed();
    // Acquire: pairs with the Release store before the thread's exit; the counters are final.
    assert!(
        shared.finished.load(Ordering::Acquire),
        "the audio thread ended without finishing"
    );
    // SAFETY: the audio thread is gone (its task left /proc), and it published `finished`
    // before its `exit`: the job is the main thread's again.
    let job = unsafe { Box::from_raw(address as *mut Job) };
    let Job { active, .. } = *job;
    plugin.deactivate(active);
    plugin.service_main_thread();

    // Relaxed (all counters): ordered by the Acquire load of `finished`.
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let blocks = load(&shared.blocks);
    let allocations = load(&shared.allocations);
    let (forwarded_in, events_out) = (load(&shared.forwarded_in), load(&shared.events_out));
    eprintln!(
        "real-time proof ({:.1} s): {blocks} blocks under a seccomp filter that allows only \
         `exit` (to end the thread), {} strategy changes, {} editor opens and closes ({} blocks \
         while an editor was open), {forwarded_in} events sent that must come back, {} events \
         back (the demo's notes among them); allocations and frees on the audio thread, from \
         start_processing to stop_processing: {allocations}",
        elapsed.as_secs_f64(),
        load(&shared.changes),
        cycles.opened,
        cycles.blocks_while_open,
        events_out,
    );
    assert!(
        (MIN_BLOCKS..MAX_BLOCKS).contains(&blocks),
        "{blocks} blocks"
    );
    assert_eq!(allocations, 0, "allocations and frees on the audio thread");
    assert_eq!(load(&shared.errors), 0, "blocks the plugin failed");
    assert_eq!(cycles.opened, EDITOR_CYCLES);
    assert!(
        cycles.blocks_while_open > 0,
        "the run went on while editors were open"
    );
    assert!(
        events_out > forwarded_in,
        "every event came back, and the demo's notes besides ({events_out} back, \
         {forwarded_in} sent)"
    );
    let last = load(&shared.last_strategy);
    assert_eq!(
        plugin.value(strategy),
        last as f64,
        "the last strategy change took effect"
    );
}

/// The filter fires: a process that makes any other system call dies of `SIGSYS`, and `exit`
/// still ends a thread.
#[test]
fn the_filter_kills_the_process_on_any_system_call_but_exit() {
    // In child processes: the filter kills the whole process. The children only make system
    // calls (async-signal-safe), as a child of a threaded process must.
    let child = |call: fn()| -> libc::c_int {
        // SAFETY: the child runs `call` (system calls only) and ends; the parent waits for it.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            if seccomp::allow_only_exit().is_err() {
                // SAFETY: ends the child at once, without running the parent's atexit handlers.
                unsafe { libc::_exit(3) };
            }
            call();
            // SAFETY: as above (if `call` returned, the filter let it through: status 4 says so,
            // unless `exit_group` itself is killed, which the filter does).
            unsafe { libc::_exit(4) };
        }
        let mut status = 0;
        // SAFETY: waits for our own child; `status` is a valid place for its status.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        status
    };
    let exits = child(|| {
        // SAFETY: ends the (only) thread of the child with status 0.
        unsafe { libc::syscall(libc::SYS_exit, 0 as libc::c_long) };
    });
    assert!(
        libc::WIFEXITED(exits) && libc::WEXITSTATUS(exits) == 0,
        "`exit` is allowed (status {exits:#x})"
    );
    let killed = child(|| {
        // SAFETY: getppid takes no arguments and cannot fail.
        unsafe { libc::syscall(libc::SYS_getppid) };
    });
    assert!(
        libc::WIFSIGNALED(killed) && libc::WTERMSIG(killed) == libc::SIGSYS,
        "any other system call kills the process (status {killed:#x})"
    );
}

/// A seccomp filter that allows one system call, `exit`.
mod seccomp {
    use libc::{sock_filter, sock_fprog};

    /// The audit architecture the filter expects (a system call made through another ABI is
    /// killed too).
    #[cfg(target_arch = "x86_64")]
    const ARCH: u32 = 0xc000_003e; // AUDIT_ARCH_X86_64
    #[cfg(target_arch = "aarch64")]
    const ARCH: u32 = 0xc000_00b7; // AUDIT_ARCH_AARCH64

    /// Offsets into the kernel's `struct seccomp_data`.
    const NR: u32 = 0;
    const AUDIT_ARCH: u32 = 4;

    const fn stmt(code: u32, k: u32) -> sock_filter {
        sock_filter {
            code: code as u16,
            jt: 0,
            jf: 0,
            k,
        }
    }

    const fn jump_if_equal(k: u32, jt: u8, jf: u8) -> sock_filter {
        sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt,
            jf,
            k,
        }
    }

    /// Installs, on the calling thread, a filter under which every system call but `exit` kills
    /// the process. Returns the errno if the kernel refuses it.
    pub fn allow_only_exit() -> Result<(), i32> {
        let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
        let ret = libc::BPF_RET | libc::BPF_K;
        let mut program = [
            stmt(load, AUDIT_ARCH),
            jump_if_equal(ARCH, 0, 3),
            stmt(load, NR),
            jump_if_equal(libc::SYS_exit as u32, 0, 1),
            stmt(ret, libc::SECCOMP_RET_ALLOW),
            stmt(ret, libc::SECCOMP_RET_KILL_PROCESS),
        ];
        let filter = sock_fprog {
            len: program.len() as u16,
            filter: program.as_mut_ptr(),
        };
        // SAFETY: PR_SET_NO_NEW_PRIVS takes integers only (required before an unprivileged
        // filter); the unused arguments are zero.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            return Err(errno());
        }
        // SAFETY: `filter` points to a valid program that outlives the call (the kernel copies
        // it); the unused arguments are zero.
        let rc = unsafe {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &filter as *const sock_fprog,
                0,
                0,
            )
        };
        if rc != 0 {
            return Err(errno());
        }
        Ok(())
    }

    fn errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }
}
