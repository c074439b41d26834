//! The plugin library survives what hosts do with libraries: load, instantiate, unload, reload,
//! from threads that come and go.

use std::sync::mpsc;
use std::thread;

use crate::host::clap::Plugin;

/// A thread that creates an instance, processes a little, destroys it, then waits for `exit`
/// before it ends.
fn worker(exit: mpsc::Receiver<()>, done: mpsc::Sender<()>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut plugin = Plugin::new();
        let mut active = plugin.activate(48_000.0, 64);
        plugin.run(&mut active, |audio| {
            for _ in 0..8 {
                audio.process(64, &[]);
            }
        });
        plugin.deactivate(active);
        drop(plugin);
        done.send(()).expect("the test waits");
        exit.recv().expect("the test says when");
    })
}

#[test]
fn a_host_may_unload_the_library_while_threads_that_used_it_live_on() {
    for _round in 0..3 {
        // Like a scanner's thread pool: both threads use the library and drop their instances;
        // the last drop releases the library (clack unloads it then); only afterwards do the
        // threads exit. Threads that called into the library ending after the unload must not
        // crash the host.
        let (done, finished) = mpsc::channel();
        let (exit_a, wait_a) = mpsc::channel();
        let (exit_b, wait_b) = mpsc::channel();
        let a = worker(wait_a, done.clone());
        let b = worker(wait_b, done);
        finished.recv().unwrap();
        finished.recv().unwrap();
        exit_a.send(()).unwrap();
        a.join().expect("first thread ends cleanly");
        exit_b.send(()).unwrap();
        b.join().expect("second thread ends cleanly");
    }
}

/// Once instantiated, the library is resident (see `src/resident.rs`): dropping every entry and
/// instance leaves it mapped, so no thread is left with destructors pointing at unmapped code.
#[cfg(target_os = "linux")]
#[test]
fn the_library_stays_mapped_after_the_host_lets_go() {
    let library = crate::host::plugin_library().canonicalize().unwrap();
    let mapped = || {
        std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .any(|line| line.ends_with(library.to_str().unwrap()))
    };
    let mut plugin = Plugin::new();
    assert!(mapped());
    let active = plugin.activate(48_000.0, 64);
    plugin.deactivate(active);
    drop(plugin);
    assert!(mapped(), "the library was unmapped");
    // Loading it again finds the same, working copy.
    let mut again = Plugin::new();
    assert_eq!(again.params().len(), 3);
}
