//! Scenario 8, `frozen_registrar`: can a registrar make the audio side wait? An editor's thread
//! can be preempted by the OS at any instruction, in the middle of a change, for as long as the
//! scheduler likes. If the audio side then has to wait for that change to finish (a lock the
//! registrar holds, a queue slot it claimed but has not filled), the audio thread waits for a
//! thread that is not running: a priority inversion, and a missed deadline.
//!
//! The scenario stops the registrar at random instructions and watches the audio side:
//!
//! - The registrar changes the listener and then polls until the audio side has taken the
//!   change, again and again: the audio side takes each change while the registrar makes the
//!   next, so changes are in flight when a stop lands.
//! - The audio side calls in a loop on its own thread and publishes, around every call, how
//!   many calls it has started and finished.
//! - The measuring thread stops the registrar with a signal whose handler blocks (reading a
//!   pipe) until it is released: the registrar stops wherever it was, holding whatever it held.
//!   It then sleeps [`FREEZE`] and looks. An audio side that finished no call in that time and
//!   is inside one is waiting for the registrar; to tell this from the audio thread merely
//!   being descheduled, it must stay stuck for [`STALL_CONFIRM`] more. Then it releases the
//!   registrar and checks that the audio side goes on.
//!
//! A stop lands in the middle of a change only some of the time, so a small count of stalls
//! is a finding, and a zero is only "not seen in this many stops": the hand-over's source says
//! whether a stall can happen (docs/benchmarks-method.md).

use crate::contended::{wait_for_first_change, StopOnDrop};
use crate::results::FrozenRegistrar;
use crate::subject::{change, with_subject, Caller, Payload, Registrar, Subject, Visit, Work};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long the registrar stays stopped before the audio side is looked at, and how often it
/// is looked at again while it looks stuck.
pub const FREEZE: Duration = Duration::from_millis(1);

/// How much longer an audio side that looks stuck must stay stuck to count as waiting for the
/// stopped registrar. Chosen (not measured) to be longer than the OS keeps a runnable thread
/// off a core on a loaded two-core machine: a few time slices of a few ms.
pub const STALL_CONFIRM: Duration = Duration::from_millis(20);

/// The registrar's polls of `is_applied` after a change before it makes the next anyway (a
/// strategy that refuses, or an audio side that is stuck).
const APPLIED_POLLS: u32 = 100_000;

/// How long a released registrar's audio side may take to finish its stuck call.
const RESUME_DEADLINE: Duration = Duration::from_secs(5);

/// How the audio side is doing: calls started and finished.
#[derive(Default)]
struct Progress {
    started: AtomicU64,
    finished: AtomicU64,
}

impl Progress {
    /// (started, finished).
    fn read(&self) -> (u64, u64) {
        // Acquire on `finished` first: a call seen finished was seen started.
        let finished = self.finished.load(Ordering::Acquire);
        // Relaxed: a monitoring snapshot.
        let started = self.started.load(Ordering::Relaxed);
        (started, finished)
    }
}

/// The registrar thread: change, let the audio side take it, collect, again.
fn change_and_wait<R: Registrar>(
    registrar: &mut R,
    stop: &AtomicBool,
    changes: &AtomicU64,
    thread_id: &AtomicU64,
) {
    // Relaxed: read by the measuring thread only after it saw a change counted (below).
    thread_id.store(freeze::current_thread_id(), Ordering::Relaxed);
    let mut made = 0;
    // Relaxed: the flag carries no data.
    while !stop.load(Ordering::Relaxed) {
        let listener = (made % 2 == 0).then(|| R::listener(Work::Sum));
        if let Some(ticket) = change(registrar, listener) {
            for _ in 0..APPLIED_POLLS {
                // Relaxed: the flag carries no data.
                if registrar.is_applied(ticket) || stop.load(Ordering::Relaxed) {
                    break;
                }
                std::hint::spin_loop();
            }
        }
        registrar.collect();
        made += 1;
        // Release: the thread id stored above is visible to whoever sees a change counted.
        changes.store(made, Ordering::Release);
    }
    registrar.collect();
}

/// The audio thread: call, call, call, publishing its progress around each call.
fn call_on<C: Caller>(caller: &mut C, stop: &AtomicBool, progress: &Progress) {
    let value: Payload = 1;
    let mut calls = 0;
    // Relaxed: the flag carries no data.
    while !stop.load(Ordering::Relaxed) {
        calls += 1;
        // Relaxed: a monitoring counter.
        progress.started.store(calls, Ordering::Relaxed);
        std::hint::black_box(caller.ask_and_deliver(&value));
        // Release: pairs with the Acquire in `Progress::read`.
        progress.finished.store(calls, Ordering::Release);
    }
}

/// A small, seeded pseudo-random sequence (xorshift64*), for the pauses between stops.
struct Pauses(u64);

impl Pauses {
    /// A pause of 20 to 275 µs, in which the registrar runs.
    fn next(&mut self) -> Duration {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56;
        Duration::from_micros(20 + bits)
    }
}

/// What the stops of one subject found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stops {
    /// Stops made (the registrar was stopped and released this often).
    pub stops: u64,
    /// Stops during which the audio side was stuck inside a call for [`FREEZE`] and
    /// [`STALL_CONFIRM`] more.
    pub stalls: u64,
    /// Stalls after which the audio side had not finished its call within [`RESUME_DEADLINE`]
    /// of the registrar's release.
    pub never_resumed: u64,
    /// Audio-side calls finished while the registrar was stopped, over every stop.
    pub calls_while_stopped: u64,
    /// Changes the registrar made over the run.
    pub registrar_changes: u64,
}

/// Stops the registrar of a fresh `make()` pair `stops` times while its audio side calls.
/// `Err` if the registrar could not be stopped here (another OS, a signal refused).
pub fn measure<R: Registrar, C: Caller>(
    make: impl Fn() -> (R, C),
    stops: u64,
) -> Result<Stops, String> {
    let freezer = freeze::Freezer::get()?;
    let (mut registrar, mut caller) = make();
    let stop = AtomicBool::new(false);
    let changes = AtomicU64::new(0);
    let thread_id = AtomicU64::new(0);
    let progress = Progress::default();
    let mut found = Stops::default();
    let mut pauses = Pauses(0x9e37_79b9_7f4a_7c15);
    thread::scope(|scope| {
        let _stop_on_exit = StopOnDrop(&stop);
        scope.spawn(|| change_and_wait(&mut registrar, &stop, &changes, &thread_id));
        scope.spawn(|| call_on(&mut caller, &stop, &progress));
        wait_for_first_change(&changes);
        // Acquire: pairs with the registrar's Release of its first counted change.
        if changes.load(Ordering::Acquire) == 0 {
            return Err("the registrar thread made no change".to_owned());
        }
        // Relaxed: ordered by the Acquire above.
        let registrar_thread = thread_id.load(Ordering::Relaxed);
        for _ in 0..stops {
            thread::sleep(pauses.next());
            let stopped = freezer.stop(registrar_thread)?;
            let (_, finished) = progress.read();
            thread::sleep(FREEZE);
            let (started, mut now) = progress.read();
            let mut stuck = now == finished && started > finished;
            // A thread the OS merely descheduled runs again within a few time slices.
            let confirm_until = Instant::now() + STALL_CONFIRM;
            while stuck && Instant::now() < confirm_until {
                thread::sleep(FREEZE);
                now = progress.read().1;
                stuck = now == finished;
            }
            found.stops += 1;
            found.calls_while_stopped += now - finished;
            drop(stopped);
            if stuck {
                found.stalls += 1;
                let deadline = Instant::now() + RESUME_DEADLINE;
                while progress.read().1 == finished && Instant::now() < deadline {
                    thread::sleep(FREEZE);
                }
                found.never_resumed += u64::from(progress.read().1 == finished);
            }
        }
        // Relaxed: read after the last stop; the scope's join orders the rest.
        found.registrar_changes = changes.load(Ordering::Relaxed);
        Ok(())
    })?;
    Ok(found)
}

struct Measure {
    subject: Subject,
    stops: u64,
}

impl Visit for Measure {
    type Output = FrozenRegistrar;

    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) -> FrozenRegistrar {
        let (found, not_measured) = match measure(make, self.stops) {
            Ok(found) => (found, None),
            Err(why) => (Stops::default(), Some(why)),
        };
        FrozenRegistrar {
            name: self.subject.name(),
            kind: self.subject.kind(),
            found,
            not_measured,
        }
    }
}

/// Runs `frozen_registrar` for `subjects`, `stops` stops each.
pub fn run(subjects: &[Subject], stops: u64) -> Vec<FrozenRegistrar> {
    subjects
        .iter()
        .map(|&subject| with_subject(subject, Measure { subject, stops }))
        .collect()
}

/// Stopping a thread where it is: a signal whose handler blocks until released.
#[cfg(target_os = "linux")]
mod freeze {
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
    use std::sync::{Mutex, MutexGuard, OnceLock};
    use std::thread;
    use std::time::{Duration, Instant};

    /// The pipe's read end, where the handler waits for its release.
    static RELEASE_READ: AtomicI32 = AtomicI32::new(-1);

    /// Whether a thread is inside the handler, stopped.
    static STOPPED: AtomicBool = AtomicBool::new(false);

    /// The signal that stops a thread.
    const SIGNAL: libc::c_int = libc::SIGUSR1;

    /// How long the handler may take to start or end before the stop counts as failed.
    const HANDLER_DEADLINE: Duration = Duration::from_secs(5);

    /// The signal handler: says it runs, then blocks until one byte arrives on the pipe. Only
    /// async-signal-safe calls (`read`) and atomics; `errno` is kept for the stopped code.
    extern "C" fn hold(_signal: libc::c_int) {
        // SAFETY: `__errno_location` returns this thread's errno slot, valid while it lives.
        let errno = unsafe { *libc::__errno_location() };
        // Release: the measuring thread's Acquire sees the stop begun.
        STOPPED.store(true, Ordering::Release);
        let mut byte = 0u8;
        loop {
            // SAFETY: read(2) is async-signal-safe; the buffer is one byte on this stack and the
            // descriptor is the pipe's read end, open for the program's life.
            let read = unsafe {
                libc::read(
                    // Relaxed: set once, before any signal is sent (the send orders it).
                    RELEASE_READ.load(Ordering::Relaxed),
                    (&mut byte as *mut u8).cast(),
                    1,
                )
            };
            // SAFETY: as above.
            let interrupted = read < 0 && unsafe { *libc::__errno_location() } == libc::EINTR;
            if !interrupted {
                break;
            }
        }
        // Release: the measuring thread's Acquire sees the stop ended.
        STOPPED.store(false, Ordering::Release);
        // SAFETY: as above.
        unsafe { *libc::__errno_location() = errno };
    }

    /// The handler installed and the pipe open; one measurement at a time.
    pub struct Freezer {
        release_write: libc::c_int,
        one_at_a_time: Mutex<()>,
    }

    /// A stopped thread; dropping it releases the thread.
    pub struct Stopped<'a> {
        freezer: &'a Freezer,
        _alone: MutexGuard<'a, ()>,
    }

    impl Freezer {
        /// The process's freezer, made the first time.
        pub fn get() -> Result<&'static Freezer, String> {
            static FREEZER: OnceLock<Result<Freezer, String>> = OnceLock::new();
            FREEZER
                .get_or_init(Freezer::install)
                .as_ref()
                .map_err(Clone::clone)
        }

        fn install() -> Result<Freezer, String> {
            let mut ends = [0 as libc::c_int; 2];
            // SAFETY: `ends` has room for the two descriptors pipe2 writes.
            if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
                return Err(format!("pipe2: {}", std::io::Error::last_os_error()));
            }
            // Relaxed: published to the handler by the signal sends that follow.
            RELEASE_READ.store(ends[0], Ordering::Relaxed);
            // SAFETY: an all-zero sigaction is a valid start (empty mask, no flags).
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = hold as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // A system call the stop interrupts is restarted, so the stopped code sees nothing.
            action.sa_flags = libc::SA_RESTART;
            // SAFETY: `action` is initialised; the handler only uses async-signal-safe calls.
            if unsafe { libc::sigaction(SIGNAL, &action, std::ptr::null_mut()) } != 0 {
                return Err(format!("sigaction: {}", std::io::Error::last_os_error()));
            }
            Ok(Freezer {
                release_write: ends[1],
                one_at_a_time: Mutex::new(()),
            })
        }

        /// Stops the thread `thread_id` (of this process) where it is, and waits until it is
        /// stopped.
        pub fn stop(&self, thread_id: u64) -> Result<Stopped<'_>, String> {
            let alone = self
                .one_at_a_time
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            // SAFETY: tgkill with this process's id, a thread id it gave us, and a signal whose
            // handler is installed.
            let sent = unsafe {
                libc::syscall(
                    libc::SYS_tgkill,
                    libc::getpid(),
                    thread_id as libc::pid_t,
                    SIGNAL,
                )
            };
            if sent != 0 {
                return Err(format!("tgkill: {}", std::io::Error::last_os_error()));
            }
            // Acquire: pairs with the handler's Release.
            if let Err(why) = wait_until(|| STOPPED.load(Ordering::Acquire), "the stop to begin") {
                // Released in advance: a handler that runs late returns at once, so the
                // thread cannot stay stopped (and its join hang) after this error.
                self.release();
                return Err(why);
            }
            Ok(Stopped {
                freezer: self,
                _alone: alone,
            })
        }

        /// Sends the byte a stopped thread's handler waits for.
        fn release(&self) {
            let byte = 1u8;
            // SAFETY: write(2) of one byte from this stack to the pipe's write end.
            let written =
                unsafe { libc::write(self.release_write, (&byte as *const u8).cast(), 1) };
            assert_eq!(written, 1, "the stopped thread is released");
        }
    }

    impl Drop for Stopped<'_> {
        fn drop(&mut self) {
            self.freezer.release();
            // Acquire: pairs with the handler's Release.
            let ended = wait_until(|| !STOPPED.load(Ordering::Acquire), "the stop to end");
            ended.expect("a released thread leaves the handler");
        }
    }

    fn wait_until(done: impl Fn() -> bool, what: &str) -> Result<(), String> {
        let deadline = Instant::now() + HANDLER_DEADLINE;
        while !done() {
            if Instant::now() > deadline {
                return Err(format!("timed out waiting for {what}"));
            }
            thread::yield_now();
        }
        Ok(())
    }

    /// The calling thread's kernel id, for [`Freezer::stop`].
    pub fn current_thread_id() -> u64 {
        // SAFETY: gettid takes no arguments and cannot fail.
        let id = unsafe { libc::syscall(libc::SYS_gettid) };
        id as u64
    }
}

/// Elsewhere the registrar cannot be stopped; the scenario says so.
#[cfg(not(target_os = "linux"))]
mod freeze {
    /// Never made.
    pub struct Freezer;

    /// Never made.
    pub struct Stopped;

    impl Freezer {
        pub fn get() -> Result<&'static Freezer, String> {
            Err("stopping a thread needs Linux here".to_owned())
        }

        pub fn stop(&self, _thread_id: u64) -> Result<Stopped, String> {
            unreachable!("no freezer is made on this OS")
        }
    }

    pub fn current_thread_id() -> u64 {
        0
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::subject::boxed_listener;
    use crate::subject::BoxedListener;
    use std::sync::{Arc, Mutex};

    /// A hand-over whose audio side waits: it `lock`s the mutex the registrar holds through
    /// most of its change. Stopping the registrar there must stall it.
    struct Blocking {
        slot: Arc<Mutex<Option<BoxedListener>>>,
        changes: u64,
    }

    struct BlockingCaller(Arc<Mutex<Option<BoxedListener>>>);

    impl Registrar for Blocking {
        type Listener = BoxedListener;
        type Ticket = ();

        fn listener(work: Work) -> BoxedListener {
            boxed_listener(work)
        }

        fn set(&mut self, listener: BoxedListener) -> Option<()> {
            let mut slot = self.slot.lock().expect("not poisoned");
            *slot = Some(listener);
            // Holds the lock long enough that most stops land inside.
            crate::subject::spin_for(Duration::from_micros(200));
            self.changes += 1;
            Some(())
        }

        fn clear(&mut self) -> Option<()> {
            self.set(boxed_listener(Work::Sum))
        }

        fn collect(&mut self) {}

        fn is_applied(&self, _ticket: ()) -> bool {
            true
        }

        fn applied_changes(&self) -> u64 {
            self.changes
        }
    }

    impl Caller for BlockingCaller {
        fn ask(&mut self) -> bool {
            self.0.lock().expect("not poisoned").is_some()
        }

        fn ask_and_deliver(&mut self, value: &Payload) -> bool {
            match &mut *self.0.lock().expect("not poisoned") {
                Some(listener) => {
                    listener(value);
                    true
                }
                None => false,
            }
        }
    }

    #[test]
    fn an_audio_side_that_locks_is_caught_waiting_and_goes_on_after_the_release() {
        let make = || {
            let slot = Arc::new(Mutex::new(None));
            let caller = BlockingCaller(Arc::clone(&slot));
            (Blocking { slot, changes: 0 }, caller)
        };
        let found = measure(make, 20).expect("the registrar can be stopped");
        assert_eq!(found.stops, 20);
        assert!(found.stalls > 0, "{found:?}");
        assert_eq!(found.never_resumed, 0, "{found:?}");
    }

    #[test]
    fn pauses_stay_between_20_and_275_microseconds() {
        let mut pauses = Pauses(1);
        for _ in 0..10_000 {
            let pause = pauses.next();
            assert!(
                (Duration::from_micros(20)..=Duration::from_micros(275)).contains(&pause),
                "{pause:?}"
            );
        }
    }
}
