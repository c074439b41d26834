//! Scenario 7, `hazards`: what each subject's audio side does that a real-time thread must not.
//! A registrar thread sets and clears as fast as it can (as in `contended`) while a fresh audio
//! thread makes [`Config::hazard_calls`](crate::config::Config) calls, counting its own
//! allocations and frees (the counting allocator) and its system calls (a seccomp filter that
//! reports each one to a supervisor thread and lets it run, see [`crate::syscalls`]).
//!
//! The audio thread is fresh for every subject, so per-thread first-use costs (a thread-local
//! node, a lazily made slot) land in the count, as they would on a host's audio thread.

use crate::alloc_count::allocations_and_frees;
use crate::contended::{hammer, wait_for_first_change, StopOnDrop};
use crate::results::Hazards;
use crate::subject::{with_subject, Caller, Payload, Registrar, Subject, Visit};
use crate::syscalls::SyscallCounter;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

/// What the audio thread counted.
struct Counted {
    calls: u64,
    deliveries: u64,
    /// Changes the registrar made while the calls ran.
    changes: u64,
    allocations: u64,
    frees: u64,
    syscalls: Result<(u64, Vec<(String, u64)>), String>,
}

/// Changes the registrar must make while the calls run: on two cores the registrar thread
/// may be descheduled for the few milliseconds a million calls take, and then nothing was
/// contended.
const MIN_CHANGES: u64 = 10_000;

/// Calls between two looks at the registrar's progress.
const CHUNK: u64 = 10_000;

/// The audio thread's part: installs the counter, then makes at least `calls` calls (more, in
/// chunks, until the registrar made [`MIN_CHANGES`] changes meanwhile, up to 100 times as many)
/// between two snapshots of every count (a snapshot makes no system call and allocates
/// nothing).
fn count_calls<C: Caller>(caller: &mut C, calls: u64, changes: &AtomicU64) -> Counted {
    let counter = SyscallCounter::install();
    let names_before = counter.as_ref().map(SyscallCounter::by_name).ok();
    let value: Payload = 1;
    let (allocations_before, frees_before) = allocations_and_frees();
    let syscalls_before = counter.as_ref().map(SyscallCounter::count).unwrap_or(0);
    // Relaxed: snapshots of a progress counter.
    let changes_before = changes.load(Ordering::Relaxed);
    let mut deliveries = 0;
    let mut made = 0;
    loop {
        for _ in 0..CHUNK {
            deliveries += u64::from(caller.ask_and_deliver(&value));
        }
        made += CHUNK;
        // Relaxed: a progress counter.
        let contended = changes.load(Ordering::Relaxed) - changes_before >= MIN_CHANGES;
        if made >= calls.saturating_mul(100) || (made >= calls && contended) {
            break;
        }
    }
    let changes_after = changes.load(Ordering::Relaxed);
    let syscalls_after = counter.as_ref().map(SyscallCounter::count).unwrap_or(0);
    let (allocations_after, frees_after) = allocations_and_frees();
    let syscalls = counter.map(|counter| {
        let names = difference(counter.by_name(), names_before.unwrap_or_default());
        (syscalls_after - syscalls_before, names)
    });
    Counted {
        calls: made,
        deliveries,
        changes: changes_after - changes_before,
        allocations: allocations_after - allocations_before,
        frees: frees_after - frees_before,
        syscalls,
    }
}

/// `after` minus `before`, by name, without the names whose count did not change.
fn difference(after: Vec<(String, u64)>, before: Vec<(String, u64)>) -> Vec<(String, u64)> {
    after
        .into_iter()
        .filter_map(|(name, count)| {
            let earlier = before
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0, |(_, c)| *c);
            (count > earlier).then(|| (name, count - earlier))
        })
        .collect()
}

struct Measure {
    subject: Subject,
    calls: u64,
}

impl Visit for Measure {
    type Output = Hazards;

    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) -> Hazards {
        let (mut registrar, mut caller) = make();
        let stop = AtomicBool::new(false);
        let changes = AtomicU64::new(0);
        let counted = thread::scope(|scope| {
            let _stop_on_exit = StopOnDrop(&stop);
            scope.spawn(|| hammer(&mut registrar, &stop, &changes));
            wait_for_first_change(&changes);
            let calls = self.calls;
            let (caller, changes) = (&mut caller, &changes);
            let audio = thread::Builder::new()
                .name("hazards audio".to_owned())
                .spawn_scoped(scope, move || count_calls(caller, calls, changes))
                .expect("the audio thread starts");
            audio.join().expect("the audio thread does not panic")
        });
        let (syscalls, syscall_names, not_counted) = match counted.syscalls {
            Ok((count, names)) => (Some(count), names, None),
            Err(why) => (None, Vec::new(), Some(why)),
        };
        Hazards {
            name: self.subject.name(),
            kind: self.subject.kind(),
            calls: counted.calls,
            deliveries: counted.deliveries,
            allocations: counted.allocations,
            frees: counted.frees,
            syscalls,
            syscall_names,
            not_counted,
            registrar_changes: counted.changes,
        }
    }
}

/// Runs `hazards` for `subjects`, `calls` audio-side calls each.
pub fn run(subjects: &[Subject], calls: u64) -> Vec<Hazards> {
    subjects
        .iter()
        .map(|&subject| with_subject(subject, Measure { subject, calls }))
        .collect()
}
