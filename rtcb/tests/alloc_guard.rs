//! The allocation guard the other test binaries rely on really fires, in debug and in release.
//!
//! The test binaries install `assert_no_alloc`'s allocator and run audio-thread sections inside
//! `assert_no_alloc(..)`. With the crate's default features off (see `rtcb/Cargo.toml`) any
//! allocation or free inside such a section calls `handle_alloc_error`, which prints
//! "memory allocation of N bytes failed" and aborts the process, in `--release` too.
//!
//! An abort cannot be caught inside a test, so the two "it fires" tests re-run this test binary
//! as a child process that does the forbidden thing, and check the child died of `SIGABRT` with
//! that message. The third test shows the real-time calls of every strategy pass the guard.
#![cfg(not(loom))]

use assert_no_alloc::{assert_no_alloc, AllocDisabler};
use rtcb::{Call, Flow, Listener, Register, Strategy};
use std::hint::black_box;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

/// Set in a child process to the role it plays (`"alloc"` or `"free"`).
const CHILD_ROLE: &str = "RTCB_ALLOC_GUARD_CHILD";

/// What a child process prints if it survived its forbidden act (it must not get there).
const SURVIVED: &str = "child survived the forbidden act";

/// Re-runs this test binary with only `test` selected and `CHILD_ROLE` set to `role`.
fn run_child(test: &str, role: &str) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ROLE, role)
        .output()
        .expect("the child test process starts")
}

/// Checks a child died of the allocation guard: aborted, with the allocator's message, and
/// before it could say it survived.
fn assert_aborted_by_the_guard(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = format!(
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(
        !output.status.success(),
        "the child was not stopped: {report}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            output.status.signal(),
            Some(libc::SIGABRT),
            "the child did not die of SIGABRT: {report}"
        );
    }
    assert!(
        stderr.contains("memory allocation of"),
        "the abort did not come from the allocation guard: {report}"
    );
    assert!(!stdout.contains(SURVIVED), "{report}");
}

#[test]
fn an_allocation_inside_the_guard_aborts() {
    if std::env::var(CHILD_ROLE).as_deref() == Ok("alloc") {
        assert_no_alloc(|| {
            // black_box: without it the optimiser may remove an allocation that is freed at once.
            drop(black_box(Box::new(black_box(7_u64))));
        });
        println!("{SURVIVED}");
        return;
    }
    let output = run_child("an_allocation_inside_the_guard_aborts", "alloc");
    assert_aborted_by_the_guard(&output);
}

#[test]
fn a_free_inside_the_guard_aborts() {
    if std::env::var(CHILD_ROLE).as_deref() == Ok("free") {
        // Allocated outside the guard, where that is allowed ...
        let boxed = black_box(Box::new(7_u64));
        // ... and freed inside it, which is not (dropping the last owner on the audio thread).
        assert_no_alloc(move || drop(black_box(boxed)));
        println!("{SURVIVED}");
        return;
    }
    let output = run_child("a_free_inside_the_guard_aborts", "free");
    assert_aborted_by_the_guard(&output);
}

/// A listener that counts its calls and asks to stop after `stop_after` calls (never if 0).
fn counting(calls: &Arc<AtomicU64>, stop_after: u64) -> Listener<u64> {
    let calls = calls.clone();
    Listener::new(move |_| {
        // Relaxed: a counter read by the same thread after the calls, or after a join.
        let n = calls.fetch_add(1, Ordering::Relaxed) + 1;
        if n == stop_after {
            Flow::Stop
        } else {
            Flow::Continue
        }
    })
}

/// One audio block: what `process()` does.
#[inline]
fn block<C: Call<u64>>(caller: &mut C, value: u64) -> bool {
    caller.poll_listening() && caller.deliver(&value)
}

/// Every path the audio side of a strategy has, each under the guard: taking a first listener,
/// delivering, taking a replacement while handing the old ones back, a listener that stops
/// itself, and taking a clear. Everything that may allocate or free (making listeners, setting,
/// collecting) happens outside the guard, as on a GUI thread.
fn exercise<R: Register<u64>, C: Call<u64>>(name: &str, mut registrar: R, mut caller: C) {
    let calls = Arc::new(AtomicU64::new(0));

    assert!(!assert_no_alloc(|| caller.poll_listening()), "{name}: idle");

    registrar.set(counting(&calls, 0)).expect("first set");
    let delivered = assert_no_alloc(|| (0..3).filter(|&v| block(&mut caller, v)).count());
    assert_eq!(delivered, 3, "{name}: first listener");

    // Two changes before the audio thread looks: the newest wins, older ones are handed back.
    registrar.set(counting(&calls, 0)).expect("second set");
    // `Trap` refuses a second waiting change; let the audio side take the first one.
    if registrar.set(counting(&calls, 0)).is_err() {
        assert!(assert_no_alloc(|| block(&mut caller, 0)), "{name}: take");
        registrar.set(counting(&calls, 0)).expect("set after take");
    }
    let delivered = assert_no_alloc(|| (0..3).filter(|&v| block(&mut caller, v)).count());
    assert_eq!(delivered, 3, "{name}: replacement");
    registrar.collect();

    // A listener that stops itself after two calls is retired without being dropped here.
    let stopping = Arc::new(AtomicU64::new(0));
    while registrar.set(counting(&stopping, 2)).is_err() {
        assert_no_alloc(|| caller.poll_listening());
        registrar.collect();
    }
    let delivered = assert_no_alloc(|| (0..4).filter(|&v| block(&mut caller, v)).count());
    assert_eq!(delivered, 2, "{name}: a stopping listener");
    // Relaxed: same thread.
    assert_eq!(stopping.load(Ordering::Relaxed), 2, "{name}: stop calls");
    assert!(
        !assert_no_alloc(|| caller.poll_listening()),
        "{name}: stopped"
    );
    registrar.collect();

    while registrar.clear().is_err() {
        assert_no_alloc(|| caller.poll_listening());
        registrar.collect();
    }
    assert!(
        !assert_no_alloc(|| block(&mut caller, 0)),
        "{name}: cleared"
    );
    registrar.collect();
    // Relaxed: same thread.
    assert!(calls.load(Ordering::Relaxed) >= 6, "{name}: calls");
}

#[test]
fn the_rt_calls_of_every_strategy_pass_the_guard() {
    for strategy in Strategy::ALL {
        let name = strategy.name();
        match strategy {
            Strategy::SpinLock => {
                let (r, c) = rtcb::spin_lock::new();
                exercise(name, r, c);
            }
            Strategy::SpscQueue => {
                let (r, c) = rtcb::spsc_queue::new();
                exercise(name, r, c);
            }
            Strategy::Trap => {
                let (r, c) = rtcb::trap::new();
                exercise(name, r, c);
            }
            Strategy::OverwriteRing => {
                let (r, c) = rtcb::overwrite_ring::new();
                exercise(name, r, c);
            }
            Strategy::Mailbox => {
                let (r, c) = rtcb::mailbox::new();
                exercise(name, r, c);
            }
        }
    }
}

#[test]
fn switching_strategies_passes_the_guard() {
    let (registrar, mut caller) = rtcb::switchable::<u64>();
    let calls = Arc::new(AtomicU64::new(0));
    let listener_calls = calls.clone();
    let mut registration = rtcb::Registration::new(registrar, move || {
        let calls = listener_calls.clone();
        Listener::forever(move |_| {
            // Relaxed: a counter read after the loop on this thread.
            calls.fetch_add(1, Ordering::Relaxed);
        })
    });
    for round in 0..3 {
        for strategy in Strategy::ALL {
            registration.listen_on(Some(strategy));
            let delivered = assert_no_alloc(|| {
                caller.set_active(strategy);
                // Enough blocks for the round-robin service to reach every idle strategy.
                (0..10).filter(|&v| block(&mut caller, v)).count()
            });
            registration.sync();
            assert!(delivered > 0, "round {round}: {strategy} never delivered");
        }
    }
    registration.listen_on(None);
    let delivered = assert_no_alloc(|| (0..10).filter(|&v| block(&mut caller, v)).count());
    assert_eq!(delivered, 0, "a clear is applied before the next delivery");
    registration.sync();
    // Relaxed: same thread.
    assert!(calls.load(Ordering::Relaxed) >= 15);
}
