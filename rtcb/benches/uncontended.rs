//! Scenario 2, `uncontended`: a listener is installed once; the audio side asks and delivers
//! a small value in a loop. Baseline: calling the same kind of boxed listener directly.
//!
//! `cargo bench -p rtcb --bench uncontended`. Tails and the full comparison: the report
//! example.

// Shared with the report example; this bench uses only part of it.
#[allow(dead_code)]
#[path = "../examples/report/suite/strategies.rs"]
mod strategies;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use rtcb::{Call, Register, Strategy};
use strategies::{ask_and_deliver, summing_listener, with_strategy, Payload, Visit};

struct Uncontended<'g, 'c>(&'g mut BenchmarkGroup<'c, WallTime>, Strategy);

impl Visit for Uncontended<'_, '_> {
    type Output = ();

    fn visit<R, C>(self, make: fn() -> (R, C))
    where
        R: Register<Payload> + Send + 'static,
        C: Call<Payload> + Send + 'static,
    {
        let (mut registrar, mut caller) = make();
        registrar
            .set(summing_listener())
            .expect("a first set on a fresh strategy is never refused");
        let value: Payload = 1;
        self.0.bench_function(self.1.name(), |b| {
            b.iter(|| ask_and_deliver(&mut caller, &value))
        });
    }
}

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended");
    let mut listener = summing_listener();
    let value: Payload = 1;
    group.bench_function("boxed_call", |b| b.iter(|| listener.call(&value)));
    for strategy in Strategy::ALL {
        with_strategy(strategy, Uncontended(&mut group, strategy));
    }
    group.finish();
}

criterion_group!(benches, uncontended);
criterion_main!(benches);
