//! Scenario 1, `idle`: nobody has ever registered; the audio side asks "is anyone listening?"
//! in a loop. Baseline: a bare atomic pointer load plus a branch. All five strategies and the
//! baseline are in one group, so their numbers come from one run.
//!
//! `cargo bench -p rtcb --bench idle`. Tails and the full comparison: the report example.

// Shared with the report example; this bench uses only part of it.
#[allow(dead_code)]
#[path = "../examples/report/suite/strategies.rs"]
mod strategies;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use rtcb::{Call, Register, Strategy};
use std::ptr;
use std::sync::atomic::AtomicPtr;
use strategies::{ask, ask_bare, with_strategy, Payload, Visit};

struct Idle<'g, 'c>(&'g mut BenchmarkGroup<'c, WallTime>, Strategy);

impl Visit for Idle<'_, '_> {
    type Output = ();

    fn visit<R, C>(self, make: fn() -> (R, C))
    where
        R: Register<Payload> + Send + 'static,
        C: Call<Payload> + Send + 'static,
    {
        // The registrar stays alive (and idle) while the caller is timed.
        let (_registrar, mut caller) = make();
        self.0
            .bench_function(self.1.name(), |b| b.iter(|| ask(&mut caller)));
    }
}

fn idle(c: &mut Criterion) {
    let mut group = c.benchmark_group("idle");
    let listener = AtomicPtr::<Payload>::new(ptr::null_mut());
    group.bench_function("atomic_load", |b| b.iter(|| ask_bare(&listener)));
    for strategy in Strategy::ALL {
        with_strategy(strategy, Idle(&mut group, strategy));
    }
    group.finish();
}

criterion_group!(benches, idle);
criterion_main!(benches);
