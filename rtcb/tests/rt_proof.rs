//! Kernel-enforced proof that the audio side of every strategy makes no system call.
//!
//! For each strategy a thread plays the audio thread. It switches itself into seccomp *strict*
//! mode, where the kernel allows only `read`, `write`, `exit` and `sigreturn` and kills the thread
//! on any other system call (a futex wait or wake, a yield, a sleep, the `mmap` or `brk` behind
//! an allocation). It then makes at least 1,000,000 real-time calls (`poll_listening` + `deliver`;
//! 200,000 in debug builds so `cargo test --workspace` stays quick) while registrar threads
//! set, replace and clear the listener flat out (two where the strategy allows more than one),
//! and ends itself with a raw `exit` system call. The loop also runs under `assert_no_alloc`, so even an
//! allocation served without a system call aborts, and the abort's own system calls get the
//! thread killed.
//!
//! The kernel kills only the offending thread, so the test thread watches from outside: the
//! strict thread publishes its progress in atomics and sets `finished` just before its `exit`;
//! the test waits for it to vanish from `/proc/self/task` and fails unless `finished` was set.
//! `a_forbidden_call_kills_the_strict_thread` shows, in child processes, that the check fires.
//!
//! If the audio thread is killed while it holds `SpinLock`'s lock, that run's registrars spin
//! on forever; the test has failed by then, and says so.
//!
//! Run `cargo test -p rtcb --release --test rt_proof -- --nocapture` to see the figures. How
//! much the registrars overlap the calls is up to the scheduler (on a busy two-core machine
//! they may mostly take turns), so the figures vary from run to run; the checks do not depend
//! on them beyond "at least one change made during the calls was applied".
//! Without seccomp (another OS, a kernel built without it) the tests fail: they never pass
//! without having run.
#![cfg(not(loom))]

use assert_no_alloc::AllocDisabler;

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

#[cfg(not(target_os = "linux"))]
#[test]
fn rt_proof_needs_linux_seccomp() {
    panic!(
        "the RT proof needs Linux seccomp strict mode, which this platform lacks: it did not run"
    );
}

/// The strict-mode audio thread and the watch kept on it.
#[cfg(target_os = "linux")]
mod strict {
    use assert_no_alloc::assert_no_alloc;
    use rtcb::Call;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicU8, Ordering};
    use std::thread;
    use std::time::{Duration, Instant};

    /// How long the strict thread may take to enter strict mode (a bound against hangs).
    const START_DEADLINE: Duration = Duration::from_secs(10);
    /// How long the strict thread may take for its calls (a bound against hangs; a release run
    /// takes well under a second).
    const RUN_DEADLINE: Duration = Duration::from_secs(60);

    const STARTING: u8 = 0;
    const STRICT: u8 = 1;
    const UNAVAILABLE: u8 = 2;

    /// What the strict thread publishes. Leaked: the strict thread never drops anything.
    #[derive(Default)]
    struct Progress {
        tid: AtomicI32,
        state: AtomicU8,
        /// The `errno` of a failed `prctl`.
        error: AtomicI32,
        go: AtomicBool,
        calls: AtomicU64,
        delivered: AtomicU64,
        flips: AtomicU64,
        changes_seen: AtomicU64,
        finished: AtomicBool,
    }

    /// How long the strict thread keeps calling.
    #[derive(Debug, Clone, Copy)]
    pub struct Plan {
        /// At least this many calls ...
        pub min_calls: u64,
        /// ... and on until the listener has been called once and the registrars have made
        /// `target_changes` changes during the calls, but never more than this many calls.
        pub max_calls: u64,
        /// Where the registrars count the changes they make.
        pub changes: &'static AtomicU64,
        /// See `max_calls`.
        pub target_changes: u64,
        /// The CPU to keep the thread on, if any (see [`crate::cpus`]).
        pub cpu: Option<usize>,
    }

    /// What the watch saw once the strict thread was gone.
    #[derive(Debug)]
    pub struct Outcome {
        /// The thread set `finished` right before its raw `exit`: it was not killed.
        pub finished: bool,
        /// Real-time calls (`poll_listening` + `deliver`) made.
        pub calls: u64,
        /// Calls in which `deliver` called the listener.
        pub delivered: u64,
        /// How often `poll_listening` answered differently from the call before: the audio side
        /// saw a listener come or go.
        pub flips: u64,
        /// Changes the registrars made while the thread was calling.
        pub changes_seen: u64,
    }

    /// A thread that is in seccomp strict mode and waits for [`StrictThread::go`].
    pub struct StrictThread {
        progress: &'static Progress,
    }

    /// Starts the audio thread: it enters seccomp strict mode, then (after `go`) makes the
    /// calls of `plan` on `caller`, running `step(caller, n)` before call `n`, all under the
    /// allocation guard, sets `done` (registrar threads poll it) and ends with a raw `exit`.
    ///
    /// Returns once the kernel reports the thread in strict mode; panics if it cannot be.
    pub fn start<C, S>(caller: C, plan: Plan, step: S, done: &'static AtomicBool) -> StrictThread
    where
        C: Call<u64> + Send + 'static,
        S: FnMut(&mut C, u64) + Send + 'static,
    {
        let progress: &'static Progress = Box::leak(Box::default());
        let handle = thread::Builder::new()
            .name("strict-audio".into())
            .spawn(move || run(caller, plan, step, progress, done))
            .expect("spawn the strict thread");
        // The thread ends with a raw `exit` (or is killed), so the thread library never learns
        // it ended: leave its handle alone rather than detach or join it.
        std::mem::forget(handle);

        let deadline = Instant::now() + START_DEADLINE;
        loop {
            // Acquire: pairs with the thread's Release store, so `tid` and `error` are visible.
            match progress.state.load(Ordering::Acquire) {
                STARTING => {
                    assert!(
                        Instant::now() < deadline,
                        "the strict thread did not start within {START_DEADLINE:?}"
                    );
                    thread::sleep(Duration::from_micros(100));
                }
                STRICT => break,
                _ => panic!(
                    "seccomp strict mode is unavailable here (prctl(PR_SET_SECCOMP) failed: {}): \
                     the RT proof cannot run",
                    // Relaxed: ordered by the Acquire load of `state` above.
                    std::io::Error::from_raw_os_error(progress.error.load(Ordering::Relaxed))
                ),
            }
        }
        let strict = StrictThread { progress };
        assert_eq!(
            strict.seccomp_mode().as_deref(),
            Some("1"),
            "the kernel does not report the strict thread in seccomp strict mode"
        );
        strict
    }

    /// The strict thread's body. Once in strict mode it never returns: it ends with a raw
    /// `exit` system call.
    fn run<C, S>(
        mut caller: C,
        plan: Plan,
        mut step: S,
        progress: &'static Progress,
        done: &'static AtomicBool,
    ) where
        C: Call<u64>,
        S: FnMut(&mut C, u64),
    {
        // SAFETY: gettid takes no arguments and cannot fail. (The raw call, not glibc's
        // wrapper, which older glibc versions lack.) A thread id fits in an i32 (pid_t).
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::pid_t;
        // Relaxed: published by the Release store of `state` below.
        progress.tid.store(tid, Ordering::Relaxed);
        // Touch the guard's thread-locals once before strict mode.
        assert_no_alloc(|| ());
        if let Some(cpu) = plan.cpu {
            crate::cpus::pin(&[cpu]);
        }

        // SAFETY: PR_SET_SECCOMP with SECCOMP_MODE_STRICT takes no pointers; the unused
        // arguments are zero.
        let rc = unsafe {
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::c_ulong::from(libc::SECCOMP_MODE_STRICT),
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        };
        if rc != 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            // Relaxed: published by the Release store below.
            progress.error.store(errno, Ordering::Relaxed);
            // Release: publishes `tid` and `error`.
            progress.state.store(UNAVAILABLE, Ordering::Release);
            // Not in strict mode: an ordinary thread end is fine.
            return;
        }
        // From here on the kernel allows only read, write, exit and sigreturn.
        // Release: publishes `tid`.
        progress.state.store(STRICT, Ordering::Release);
        // Acquire: pairs with `go`'s Release store, after which the registrars run.
        while !progress.go.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }

        let (delivered, flips, changes_seen) = assert_no_alloc(|| {
            // Relaxed (all loads of `changes`): a count, nothing is read through it.
            let changes_at_start = plan.changes.load(Ordering::Relaxed);
            let changes_seen = || plan.changes.load(Ordering::Relaxed) - changes_at_start;
            let mut calls = 0_u64;
            let mut delivered = 0_u64;
            let mut flips = 0_u64;
            let mut was_listening = false;
            while calls < plan.max_calls
                && (calls < plan.min_calls
                    || delivered == 0
                    || changes_seen() < plan.target_changes)
            {
                step(&mut caller, calls);
                let listening = caller.poll_listening();
                if listening != was_listening {
                    flips += 1;
                    was_listening = listening;
                }
                if listening && caller.deliver(&calls) {
                    delivered += 1;
                }
                calls += 1;
                // Relaxed: progress for a failure report; `finished` publishes the final value.
                progress.calls.store(calls, Ordering::Relaxed);
            }
            (delivered, flips, changes_seen())
        });
        // Relaxed: published by the Release store of `finished`.
        progress.delivered.store(delivered, Ordering::Relaxed);
        progress.flips.store(flips, Ordering::Relaxed);
        progress.changes_seen.store(changes_seen, Ordering::Relaxed);

        // The caller and the listeners it holds are never dropped on this thread (a free is
        // not allowed here, and the thread ends without running destructors anyway).
        std::mem::forget(caller);
        std::mem::forget(step);
        // Relaxed: a stop request for the registrar threads; nothing is handed over with it.
        done.store(true, Ordering::Relaxed);
        // Release: everything this thread did (listener calls included) happens before a
        // watcher's Acquire load that sees `finished`.
        progress.finished.store(true, Ordering::Release);
        // SAFETY: ends this thread only. Nothing on its stack is used afterwards: the watcher
        // reads only the leaked `progress`, and everything the thread owned was forgotten.
        unsafe { libc::syscall(libc::SYS_exit, 0 as libc::c_long) };
        // Unreachable: `exit` does not return. If it ever did, the abort's own system calls
        // get the thread killed, which the watcher reports.
        std::process::abort()
    }

    impl StrictThread {
        fn task_dir(&self) -> PathBuf {
            // Relaxed: published before `state` became STRICT, which `start` loaded with Acquire.
            let tid = self.progress.tid.load(Ordering::Relaxed);
            PathBuf::from(format!("/proc/self/task/{tid}"))
        }

        /// The `Seccomp:` field of the thread's `/proc` status ("1" is strict mode).
        fn seccomp_mode(&self) -> Option<String> {
            let status = std::fs::read_to_string(self.task_dir().join("status")).ok()?;
            status
                .lines()
                .find_map(|line| line.strip_prefix("Seccomp:"))
                .map(|mode| mode.trim().to_owned())
        }

        /// Lets the thread start its calls.
        pub fn go(&self) {
            // Release: whatever was set up before is visible to the strict thread.
            self.progress.go.store(true, Ordering::Release);
        }

        /// Waits (sleeping in small steps, bounded) until the thread is gone, then reports.
        pub fn wait(self) -> Outcome {
            let task = self.task_dir();
            let deadline = Instant::now() + RUN_DEADLINE;
            while task.exists() {
                assert!(
                    Instant::now() < deadline,
                    "the strict thread still runs after {RUN_DEADLINE:?} ({} calls made)",
                    // Relaxed: a progress snapshot.
                    self.progress.calls.load(Ordering::Relaxed)
                );
                thread::sleep(Duration::from_millis(1));
            }
            // Acquire: pairs with the Release store before the raw exit, so the counters read
            // below are final when `finished` is true.
            let finished = self.progress.finished.load(Ordering::Acquire);
            // Relaxed (the counters): see `finished`; when the thread was killed they are the
            // progress it had published.
            Outcome {
                finished,
                calls: self.progress.calls.load(Ordering::Relaxed),
                delivered: self.progress.delivered.load(Ordering::Relaxed),
                flips: self.progress.flips.load(Ordering::Relaxed),
                changes_seen: self.progress.changes_seen.load(Ordering::Relaxed),
            }
        }
    }
}

/// Spreads a run's threads over the CPUs: the audio thread on one, the registrars on the others,
/// so that they run at the same time rather than take turns on one CPU of a busy machine.
/// Placement only: nothing the proof checks depends on it, so failures are ignored.
#[cfg(target_os = "linux")]
mod cpus {
    use std::mem::{size_of, zeroed};

    /// The CPUs the calling thread may run on (empty if that cannot be known).
    pub fn allowed() -> Vec<usize> {
        // SAFETY: an all-zero cpu_set_t is a valid, empty set.
        let mut set: libc::cpu_set_t = unsafe { zeroed() };
        // SAFETY: `set` is a valid cpu_set_t of the size passed; pid 0 is the calling thread.
        if unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) } != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: `cpu` is below CPU_SETSIZE, inside the set.
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect()
    }

    /// The audio thread's CPU and the registrars' CPUs, when there are at least two.
    pub fn split() -> (Option<usize>, Vec<usize>) {
        match allowed().split_first() {
            Some((&audio, rest)) if !rest.is_empty() => (Some(audio), rest.to_vec()),
            _ => (None, Vec::new()),
        }
    }

    /// Keeps the calling thread on `cpus` (does nothing if `cpus` is empty).
    pub fn pin(cpus: &[usize]) {
        if cpus.is_empty() {
            return;
        }
        // SAFETY: an all-zero cpu_set_t is a valid, empty set.
        let mut set: libc::cpu_set_t = unsafe { zeroed() };
        for &cpu in cpus {
            // SAFETY: `cpu` came from `allowed`, so it is below CPU_SETSIZE.
            unsafe { libc::CPU_SET(cpu, &mut set) };
        }
        // SAFETY: `set` is a valid cpu_set_t of the size passed; pid 0 is the calling thread.
        // The result is ignored on purpose: see the module comment.
        let _ = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) };
    }
}

/// The registrar side of a proof run, and the checks and figures.
#[cfg(target_os = "linux")]
mod churn {
    use crate::strict::{self, Outcome, Plan};
    use rtcb::{Call, Listener, Register};
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Mutex, MutexGuard};
    use std::thread::{self, JoinHandle};
    use std::time::{Duration, Instant};

    /// At least this many real-time calls per run.
    pub const MIN_CALLS: u64 = if cfg!(debug_assertions) {
        200_000
    } else {
        1_000_000
    };

    /// A run goes on past `MIN_CALLS` until the registrars have made this many changes during
    /// the calls (a target, not a check: how much the registrars and the audio thread overlap
    /// is up to the scheduler, and on a busy machine they may mostly take turns).
    pub const TARGET_CHANGES: u64 = 10_000;

    /// The most calls a run makes while it waits for a delivery and for `TARGET_CHANGES`.
    pub const MAX_CALLS: u64 = 20 * MIN_CALLS;

    /// One proof run at a time: each wants both cores for its audio thread and registrars, so
    /// that they really overlap.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    /// Takes the machine for one run (a failed run poisons the lock; the next still runs).
    pub fn one_at_a_time() -> MutexGuard<'static, ()> {
        ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A listener that counts its calls, as a meter would count blocks. It only touches an
    /// atomic: nothing in it may make a system call.
    pub fn counting(calls: &'static AtomicU64) -> Listener<u64> {
        Listener::forever(move |_| {
            // Relaxed: a counter, read after the strict thread published `finished`.
            calls.fetch_add(1, Ordering::Relaxed);
        })
    }

    /// The flags and counters one run shares between its threads (leaked, so `'static`).
    pub struct Run {
        /// Listener calls.
        pub listener_calls: &'static AtomicU64,
        /// Changes the registrars made.
        pub changes: &'static AtomicU64,
        /// Registrar threads ready to start.
        ready: &'static AtomicUsize,
        /// Registrars start churning.
        go: &'static AtomicBool,
        /// Registrars stop (set by the strict thread when it is done, or by the test).
        pub stop: &'static AtomicBool,
        /// The audio thread's CPU and the registrars' CPUs.
        cpus: (Option<usize>, Vec<usize>),
    }

    impl Run {
        pub fn new() -> Self {
            Self {
                listener_calls: Box::leak(Box::default()),
                changes: Box::leak(Box::default()),
                ready: Box::leak(Box::default()),
                go: Box::leak(Box::default()),
                stop: Box::leak(Box::default()),
                cpus: crate::cpus::split(),
            }
        }

        /// The strict thread's plan for this run.
        pub fn plan(&self) -> Plan {
            Plan {
                min_calls: MIN_CALLS,
                max_calls: MAX_CALLS,
                changes: self.changes,
                target_changes: TARGET_CHANGES,
                cpu: self.cpus.0,
            }
        }

        /// Spawns a registrar thread: it says it is ready, waits for `go`, runs `body` until
        /// `stop`, and returns what `finish` makes of its state.
        pub fn spawn_registrar<S, B, F, T>(
            &self,
            mut state: S,
            mut body: B,
            finish: F,
        ) -> JoinHandle<T>
        where
            S: Send + 'static,
            B: FnMut(&mut S) + Send + 'static,
            F: FnOnce(S) -> T + Send + 'static,
            T: Send + 'static,
        {
            let (ready, go, stop) = (self.ready, self.go, self.stop);
            let cpus = self.cpus.1.clone();
            thread::spawn(move || {
                crate::cpus::pin(&cpus);
                // Relaxed (all three): a head count and start/stop requests; nothing is handed
                // over with them.
                ready.fetch_add(1, Ordering::Relaxed);
                while !go.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
                while !stop.load(Ordering::Relaxed) {
                    body(&mut state);
                }
                finish(state)
            })
        }

        /// Waits (bounded) for `registrars` threads to be ready, then starts them and the
        /// strict thread together, and waits for the strict thread to be gone.
        pub fn go(&self, registrars: usize, strict: strict::StrictThread) -> Outcome {
            let deadline = Instant::now() + Duration::from_secs(10);
            // Relaxed: a head count.
            while self.ready.load(Ordering::Relaxed) < registrars {
                assert!(
                    Instant::now() < deadline,
                    "the registrar threads did not start"
                );
                thread::sleep(Duration::from_micros(100));
            }
            // Relaxed: a start request.
            self.go.store(true, Ordering::Relaxed);
            strict.go();
            let outcome = strict.wait();
            // Relaxed: a stop request (already made by the strict thread unless it was killed).
            self.stop.store(true, Ordering::Relaxed);
            assert!(
                outcome.finished,
                "the kernel killed the audio thread after {} calls: it made a system call (or \
                 allocated, and the guard's abort made one). Run this test under `strace -f` to \
                 see which.",
                outcome.calls
            );
            outcome
        }
    }

    /// What the registrar threads of one run did.
    #[derive(Debug, Default, Clone, Copy)]
    pub struct Churn {
        /// Changes (sets and clears) accepted.
        pub accepted: u64,
        /// Changes refused (each retry counts).
        pub refused: u64,
        /// Handed-back listeners dropped by `collect`.
        pub collected: u64,
        /// Changes the audio thread applied (superseded ones are not counted).
        pub applied: u64,
    }

    impl Churn {
        fn merge(self, other: Churn) -> Churn {
            Churn {
                accepted: self.accepted + other.accepted,
                refused: self.refused + other.refused,
                collected: self.collected + other.collected,
                // Shared by all registrars of one strategy: every one reports the same count.
                applied: self.applied.max(other.applied),
            }
        }
    }

    /// A registrar thread that changes the listener flat out (set, set again, clear, collect),
    /// retrying a refused set with the listener it got back and dropping every handed-back
    /// listener on its own thread. The second set replaces a listener, so the audio side also
    /// hands installed listeners back, not only cleared ones.
    fn spawn_churn<R>(run: &Run, registrar: R) -> JoinHandle<Churn>
    where
        R: Register<u64> + Send + 'static,
    {
        let (calls, changes) = (run.listener_calls, run.changes);
        let state = (registrar, None::<Listener<u64>>, Churn::default());
        run.spawn_registrar(
            state,
            move |(registrar, held, churn)| {
                let accepted = |churn: &mut Churn| {
                    churn.accepted += 1;
                    // Relaxed: a count for the report; nothing is read through it.
                    changes.fetch_add(1, Ordering::Relaxed);
                };
                for _ in 0..2 {
                    let listener = held.take().unwrap_or_else(|| counting(calls));
                    match registrar.set(listener) {
                        Ok(_) => accepted(churn),
                        Err(refused) => {
                            churn.refused += 1;
                            *held = refused.into_listener();
                        }
                    }
                }
                match registrar.clear() {
                    Ok(_) => accepted(churn),
                    Err(_) => churn.refused += 1,
                }
                churn.collected += registrar.collect() as u64;
            },
            |(registrar, held, mut churn)| {
                drop(held);
                // The audio thread is done before `stop`, so this count is final.
                churn.applied = registrar.applied_changes();
                churn
            },
        )
    }

    /// The proof for one strategy: installs a listener, starts the strict audio thread,
    /// churns with one thread per registrar in `registrars` until it is done, then checks and
    /// prints the figures.
    pub fn prove<R, C>(name: &str, mut registrars: Vec<R>, caller: C)
    where
        R: Register<u64> + Send + 'static,
        C: Call<u64> + Send + 'static,
    {
        let _machine = one_at_a_time();
        let run = Run::new();
        registrars[0]
            .set(counting(run.listener_calls))
            .expect("the first set is accepted");
        let strict = strict::start(caller, run.plan(), |_, _| {}, run.stop);
        let count = registrars.len();
        let threads: Vec<_> = registrars
            .into_iter()
            .map(|r| spawn_churn(&run, r))
            .collect();
        let outcome = run.go(count, strict);
        let churn = threads
            .into_iter()
            .map(|t| t.join().expect("registrar thread"))
            .fold(Churn::default(), Churn::merge);
        report(name, count, &outcome, &run, churn);
    }

    /// Checks what every run must show, and prints its figures.
    pub fn report(name: &str, registrars: usize, outcome: &Outcome, run: &Run, churn: Churn) {
        // Relaxed: ordered by the Acquire load of `finished` in `wait`.
        let listener_calls = run.listener_calls.load(Ordering::Relaxed);
        println!(
            "{name:>13} ({registrars} registrar{}): {:>9} RT calls, {:>8} listener calls, \
             {:>6} listener comings and goings seen, {:>7} changes made during the calls \
             ({} accepted in all, {} applied, {} refused), {} listeners collected",
            if registrars == 1 { "" } else { "s" },
            outcome.calls,
            listener_calls,
            outcome.flips,
            outcome.changes_seen,
            churn.accepted,
            churn.applied,
            churn.refused,
            churn.collected,
        );
        assert!(outcome.calls >= MIN_CALLS, "{name}: too few calls");
        assert!(
            outcome.delivered >= 1,
            "{name}: the listener was never called"
        );
        assert_eq!(
            outcome.delivered, listener_calls,
            "{name}: deliveries and listener calls disagree"
        );
        // The listener set before the start, and at least one change made during the calls.
        assert!(
            churn.applied >= 2,
            "{name}: no change made during the calls was applied"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn spin_lock_rt_side_makes_no_system_call() {
    let (registrar, caller) = rtcb::spin_lock::new();
    churn::prove("SpinLock", vec![registrar.clone(), registrar], caller);
}

#[cfg(target_os = "linux")]
#[test]
fn spsc_queue_rt_side_makes_no_system_call() {
    let (registrar, caller) = rtcb::spsc_queue::new();
    churn::prove("SpscQueue", vec![registrar], caller);
}

#[cfg(target_os = "linux")]
#[test]
fn trap_rt_side_makes_no_system_call() {
    let (registrar, caller) = rtcb::trap::new();
    churn::prove("Trap", vec![registrar.clone(), registrar], caller);
}

#[cfg(target_os = "linux")]
#[test]
fn overwrite_ring_rt_side_makes_no_system_call() {
    let (registrar, caller) = rtcb::overwrite_ring::new();
    churn::prove("OverwriteRing", vec![registrar], caller);
}

#[cfg(target_os = "linux")]
#[test]
fn mailbox_rt_side_makes_no_system_call() {
    let (registrar, caller) = rtcb::mailbox::new();
    churn::prove("Mailbox", vec![registrar.clone(), registrar], caller);
}

/// The switchable pair: the audio thread changes the active strategy every 1,000 calls while a
/// `Registration` on a registrar thread follows it (`listen_on` + `sync`) flat out.
#[cfg(target_os = "linux")]
#[test]
fn switching_rt_side_makes_no_system_call() {
    use rtcb::{Registration, Strategy, SwitchCaller};
    use std::sync::atomic::{AtomicUsize, Ordering};

    let _machine = churn::one_at_a_time();
    let run = churn::Run::new();
    let (registrar, caller) = rtcb::switchable::<u64>();
    let listener_calls = run.listener_calls;
    let mut registration = Registration::new(registrar, move || churn::counting(listener_calls));
    registration.listen_on(Some(caller.active()));
    let active: &'static AtomicUsize =
        Box::leak(Box::new(AtomicUsize::new(caller.active().index())));

    let switch_every_1000 = move |caller: &mut SwitchCaller<u64>, n: u64| {
        if n.is_multiple_of(1000) {
            let strategy = Strategy::ALL[(n / 1000 % 5) as usize];
            caller.set_active(strategy);
            // Relaxed: the registrar follows when it sees it; nothing is read through it.
            active.store(strategy.index(), Ordering::Relaxed);
        }
    };
    let strict = strict::start(caller, run.plan(), switch_every_1000, run.stop);
    let changes = run.changes;
    let follower = run.spawn_registrar(
        registration,
        move |registration| {
            // Relaxed: see the store above.
            let strategy = Strategy::from_index(active.load(Ordering::Relaxed));
            if registration.wanted() != strategy {
                registration.listen_on(strategy);
                // Relaxed: a count for the report.
                changes.fetch_add(1, Ordering::Relaxed);
            } else {
                registration.sync();
            }
        },
        |registration| {
            let mut churn = churn::Churn::default();
            for strategy in Strategy::ALL {
                churn.refused += registration.refusals(strategy);
                churn.applied += registration.registrar().get(strategy).applied_changes();
            }
            churn.accepted = changes.load(Ordering::Relaxed);
            churn
        },
    );
    let outcome = run.go(1, strict);
    let churn = follower.join().expect("registrar thread");
    churn::report("switchable", 1, &outcome, &run, churn);
}

/// What a child process's strict thread does at call `FORBIDDEN_AT`.
#[cfg(target_os = "linux")]
mod forbidden {
    use std::hint::black_box;
    use std::sync::atomic::AtomicU32;
    use std::time::Duration;

    /// Calls the child's strict thread makes when nothing kills it.
    pub const CALLS: u64 = 1_000;
    /// The call before which the forbidden act happens.
    pub const FORBIDDEN_AT: u64 = 500;
    /// Set in a child process to the name of its act.
    pub const CHILD_ACT: &str = "RTCB_RT_PROOF_CHILD_ACT";
    /// How a child reports.
    pub const OUTCOME: &str = "RT_PROOF_OUTCOME";

    /// The acts; `nothing` is the control, which must finish.
    pub const ACTS: [&str; 7] = [
        "nothing",
        "getpid",
        "yield",
        "sleep",
        "futex_wake",
        "mmap_allocation",
        "guarded_allocation",
    ];

    /// Does `act`: one system call, or something that leads to one.
    pub fn perform(act: &str) {
        match act {
            "nothing" => {}
            // SAFETY: getpid has no preconditions.
            "getpid" => {
                let _pid = unsafe { libc::syscall(libc::SYS_getpid) };
            }
            "yield" => std::thread::yield_now(),
            "sleep" => std::thread::sleep(Duration::from_micros(1)),
            "futex_wake" => {
                let word = AtomicU32::new(0);
                // SAFETY: FUTEX_WAKE on a valid, aligned u32 that outlives the call; nobody
                // waits on it.
                let _woken = unsafe {
                    libc::syscall(
                        libc::SYS_futex,
                        word.as_ptr(),
                        libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                        1 as libc::c_int,
                    )
                };
            }
            // Permitted by the guard, but 64 MiB is above glibc's largest mmap threshold, so
            // the allocator must ask the kernel.
            "mmap_allocation" => assert_no_alloc::permit_alloc(|| {
                drop(black_box(Vec::<u8>::with_capacity(64 << 20)));
            }),
            // Served from the allocator's free lists, no system call; but the guard aborts, and
            // the abort's own system calls get the thread killed.
            "guarded_allocation" => drop(black_box(Box::new(black_box(1_u64)))),
            other => panic!("unknown act {other}"),
        }
    }
}

/// The check fires: a strict thread that makes one forbidden call (or allocates) is killed
/// before it can set `finished`, exactly at that call. Each act runs in a child process (a
/// re-run of this test binary), plus a control that does nothing and must finish.
#[cfg(target_os = "linux")]
#[test]
fn a_forbidden_call_kills_the_strict_thread() {
    use forbidden::{ACTS, CALLS, CHILD_ACT, FORBIDDEN_AT, OUTCOME};
    use std::process::Command;

    const NAME: &str = "a_forbidden_call_kills_the_strict_thread";
    if let Ok(act) = std::env::var(CHILD_ACT) {
        // The child: a Mailbox with a listener, the act before call FORBIDDEN_AT.
        let run = churn::Run::new();
        let (mut registrar, caller) = rtcb::mailbox::new();
        registrar.set(churn::counting(run.listener_calls));
        let plan = strict::Plan {
            min_calls: CALLS,
            max_calls: CALLS,
            changes: run.changes,
            target_changes: 0,
            cpu: None,
        };
        let act_at = move |_: &mut rtcb::mailbox::Caller<u64>, n: u64| {
            if n == FORBIDDEN_AT {
                forbidden::perform(&act);
            }
        };
        let strict = strict::start(caller, plan, act_at, run.stop);
        strict.go();
        let outcome = strict.wait();
        println!(
            "{OUTCOME} finished={} calls={}",
            outcome.finished, outcome.calls
        );
        return;
    }

    let exe = std::env::current_exe().expect("the test binary's path");
    for act in ACTS {
        let output = Command::new(&exe)
            .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ACT, act)
            .output()
            .expect("the child test process starts");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report = format!(
            "act {act}: status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "the child failed: {report}");
        let line = stdout
            .lines()
            .find_map(|line| line.split_once(OUTCOME).map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("the child did not report: {report}"))
            .trim();
        let expected = if act == "nothing" {
            format!("finished=true calls={CALLS}")
        } else {
            format!("finished=false calls={FORBIDDEN_AT}")
        };
        assert_eq!(line, expected, "{report}");
        println!("{act:>18}: {line}");
    }
}
