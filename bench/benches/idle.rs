//! Scenario 1, `idle`: nobody listens; the audio side only asks. Every strategy and peer beside
//! a bare atomic load.
//!
//! `cargo bench -p rtcb_bench --bench idle`.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use rtcb_bench::subject::{ask_bare, with_subject, Caller, Payload, Registrar, Subject, Visit};
use std::ptr;
use std::sync::atomic::AtomicPtr;

struct Idle<'g, 'c>(&'g mut BenchmarkGroup<'c, WallTime>, Subject);

impl Visit for Idle<'_, '_> {
    type Output = ();

    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) {
        // The registrar stays alive (and idle) while the caller is timed.
        let (_registrar, mut caller) = make();
        self.0
            .bench_function(self.1.name(), |b| b.iter(|| caller.ask()));
    }
}

fn idle(c: &mut Criterion) {
    let mut group = c.benchmark_group("idle");
    let listener = AtomicPtr::<Payload>::new(ptr::null_mut());
    group.bench_function("atomic_load", |b| b.iter(|| ask_bare(&listener)));
    for subject in Subject::all(true) {
        with_subject(subject, Idle(&mut group, subject));
    }
    group.finish();
}

criterion_group!(benches, idle);
criterion_main!(benches);
