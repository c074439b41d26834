//! Scenario 3, `contended`: one registrar thread sets and clears as fast as it can while the
//! audio side asks and delivers in a loop, for every strategy and peer. Criterion reports the
//! mean per call; the report adds the median, p99, p99.9 and max.
//!
//! `cargo bench -p rtcb_bench --bench contended`.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use rtcb_bench::contended::{hammer, wait_for_first_change, StopOnDrop};
use rtcb_bench::subject::{with_subject, Caller, Payload, Registrar, Subject, Visit};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread;

struct Contended<'g, 'c>(&'g mut BenchmarkGroup<'c, WallTime>, Subject);

impl Visit for Contended<'_, '_> {
    type Output = ();

    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) {
        let (mut registrar, mut caller) = make();
        let stop = AtomicBool::new(false);
        let changes = AtomicU64::new(0);
        thread::scope(|scope| {
            // Stops the registrar thread however this scope ends (a panic included).
            let _stop = StopOnDrop(&stop);
            scope.spawn(|| hammer(&mut registrar, &stop, &changes));
            wait_for_first_change(&changes);
            let value: Payload = 1;
            self.0
                .bench_function(self.1.name(), |b| b.iter(|| caller.ask_and_deliver(&value)));
        });
    }
}

fn contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("contended");
    for subject in Subject::all(true) {
        with_subject(subject, Contended(&mut group, subject));
    }
    group.finish();
}

criterion_group!(benches, contended);
criterion_main!(benches);
