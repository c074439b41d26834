//! Scenarios 1 and 2, `idle` and `uncontended`: the audio side's cost per call with no
//! registrar activity, every subject and the baseline timed in the same interleaved run.

use crate::results::{Baseline, CallCost};
use crate::subject::{ask_bare, summing_listener, with_subject, Caller, Payload, Registrar};
use crate::subject::{Kind, Subject, Visit, Work};
use crate::timing::{interleave, nothing, Calls, Keeping, Plan, Reference, Summary, Timed};
use rtcb::Flow;
use std::ptr;
use std::sync::atomic::AtomicPtr;

/// Which of the two scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Nobody ever listens; the audio side only asks.
    Idle,
    /// One listener installed once; the audio side asks and delivers.
    Uncontended,
}

impl Scenario {
    /// The name used in the tables and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Idle => "idle",
            Scenario::Uncontended => "uncontended",
        }
    }

    /// The name of the baseline timed beside the strategies.
    pub fn baseline(self) -> &'static str {
        match self {
            Scenario::Idle => "atomic_load",
            Scenario::Uncontended => "boxed_call",
        }
    }
}

/// Builds the timed subject of one strategy or peer for `scenario`.
struct Build(Scenario);

impl Visit for Build {
    type Output = Box<dyn Timed>;

    fn visit<R: Registrar, C: Caller>(self, make: impl Fn() -> (R, C)) -> Box<dyn Timed> {
        let (mut registrar, mut caller) = make();
        match self.0 {
            Scenario::Idle => Box::new(Keeping {
                _kept: registrar,
                subject: Calls(move || caller.ask()),
            }),
            Scenario::Uncontended => {
                registrar
                    .set(R::listener(Work::Sum))
                    .expect("a first set on a fresh subject is never refused");
                let value: Payload = 1;
                Box::new(Keeping {
                    _kept: registrar,
                    subject: Calls(move || caller.ask_and_deliver(&value)),
                })
            }
        }
    }
}

/// The baseline for `scenario`: what the strategies' calls would cost with nothing around the
/// essential step.
fn baseline(scenario: Scenario) -> Box<dyn Timed> {
    match scenario {
        // A bare atomic pointer load plus a branch on it.
        Scenario::Idle => {
            let listener = AtomicPtr::<Payload>::new(ptr::null_mut());
            Box::new(Calls(move || ask_bare(&listener)))
        }
        // The same boxed listener, called directly.
        Scenario::Uncontended => {
            let mut listener = summing_listener();
            let value: Payload = 1;
            Box::new(Calls(move || listener.call(&value) == Flow::Continue))
        }
    }
}

/// Everything one per-call scenario measured.
pub struct Measured {
    /// One entry per subject, in the order they were given.
    pub results: Vec<CallCost>,
    /// The scenario's baseline.
    pub baseline: Baseline,
    /// The empty-loop and clock costs the numbers were corrected by.
    pub reference: Reference,
}

/// Runs `scenario` for `subjects`, its baseline and the empty reference, interleaved.
pub fn run(scenario: Scenario, subjects: &[Subject], plan: &Plan) -> Measured {
    let mut timed: Vec<Box<dyn Timed>> = subjects
        .iter()
        .map(|&subject| with_subject(subject, Build(scenario)))
        .collect();
    timed.push(baseline(scenario));
    timed.push(Box::new(nothing()));
    let mut samples = interleave(&mut timed, plan);

    let empty = samples.pop().expect("the empty subject was timed");
    let reference = Reference::from_empty(&empty);
    let base = samples.pop().expect("the baseline was timed");
    let results = subjects
        .iter()
        .zip(&samples)
        .map(|(subject, samples)| CallCost {
            name: subject.name(),
            kind: subject.kind(),
            scenario: scenario.name(),
            summary: Summary::of(samples, &reference),
            registrar_changes_per_ms: None,
            delivered_share: None,
        })
        .collect();
    Measured {
        results,
        baseline: Baseline {
            name: scenario.baseline(),
            kind: Kind::Baseline,
            scenario: scenario.name(),
            summary: Summary::of(&base, &reference),
        },
        reference,
    }
}
