//! Scenario 2, `uncontended`: one listener installed once; the audio side asks and delivers.
//! Every strategy and peer beside a boxed listener called directly.
//!
//! `cargo bench -p rtcb_bench --bench uncontended`.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use rtcb_bench::subject::{summing_listener, with_subject, Caller, Payload, Registrar};
use rtcb_bench::subject::{Subject, Visit, Work};

struct Uncontended<'g, 'c>(&'g mut BenchmarkGroup<'c, WallTime>, Subject);

impl Visit for Uncontended<'_, '_> {
    type Output = ();

    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) {
        let (mut registrar, mut caller) = make();
        registrar
            .set(R::listener(Work::Sum))
            .expect("a first set on a fresh subject is never refused");
        let value: Payload = 1;
        self.0
            .bench_function(self.1.name(), |b| b.iter(|| caller.ask_and_deliver(&value)));
    }
}

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended");
    let mut listener = summing_listener();
    let value: Payload = 1;
    group.bench_function("boxed_call", |b| b.iter(|| listener.call(&value)));
    for subject in Subject::all(true) {
        with_subject(subject, Uncontended(&mut group, subject));
    }
    group.finish();
}

criterion_group!(benches, uncontended);
criterion_main!(benches);
