//! Scenario 3, `contended`: one registrar thread sets and clears as fast as it can while the
//! audio side asks and delivers in a loop. Criterion reports the mean per call; the report
//! example adds the median, p99, p99.9 and max.
//!
//! `cargo bench -p rtcb --bench contended`.

// Shared with the report example; this bench uses only part of it.
#[allow(dead_code)]
#[path = "../examples/report/suite/strategies.rs"]
mod strategies;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use rtcb::{Call, Register, Strategy};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use strategies::{ask_and_deliver, change, summing_listener, with_strategy, Payload, Visit};

struct Contended<'g, 'c>(&'g mut BenchmarkGroup<'c, WallTime>, Strategy);

impl Visit for Contended<'_, '_> {
    type Output = ();

    fn visit<R, C>(self, make: fn() -> (R, C))
    where
        R: Register<Payload> + Send + 'static,
        C: Call<Payload> + Send + 'static,
    {
        let (mut registrar, mut caller) = make();
        let stop = AtomicBool::new(false);
        thread::scope(|scope| {
            // Stops the registrar thread however this scope ends (a panic included).
            let _stop = StopOnDrop(&stop);
            scope.spawn(|| {
                let mut set_next = true;
                // Relaxed: the flag carries no data; the scope's join synchronises.
                while !stop.load(Ordering::Relaxed) {
                    let listener = set_next.then(summing_listener);
                    if let Err(refused) = change(&mut registrar, listener) {
                        // Dropped here, on the registrar's thread.
                        drop(refused.into_listener());
                    }
                    set_next = !set_next;
                }
                registrar.collect();
            });
            let value: Payload = 1;
            self.0.bench_function(self.1.name(), |b| {
                b.iter(|| ask_and_deliver(&mut caller, &value))
            });
        });
    }
}

/// Sets its flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        // Relaxed: the flag carries no data; the scope's join synchronises.
        self.0.store(true, Ordering::Relaxed);
    }
}

fn contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("contended");
    for strategy in Strategy::ALL {
        with_strategy(strategy, Contended(&mut group, strategy));
    }
    group.finish();
}

criterion_group!(benches, contended);
criterion_main!(benches);
