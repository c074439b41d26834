//! Scenarios 1 and 2, `idle` and `uncontended`: the audio side's cost per call with no
//! registrar activity, all five strategies and the baseline timed in the same interleaved run.

use crate::suite::results::{Baseline, CallCost};
use crate::suite::strategies::Visit;
use crate::suite::strategies::{
    ask, ask_and_deliver, ask_bare, summing_listener, with_strategy, Payload,
};
use crate::suite::timing::{interleave, nothing, Calls, Keeping, Plan, Reference, Summary, Timed};
use rtcb::{Call, Flow, Register, Strategy};
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

/// Builds the timed subject of one strategy for `scenario`.
struct Subject(Scenario);

impl Visit for Subject {
    type Output = Box<dyn Timed>;

    fn visit<R, C>(self, make: fn() -> (R, C)) -> Box<dyn Timed>
    where
        R: Register<Payload> + Send + 'static,
        C: Call<Payload> + Send + 'static,
    {
        let (mut registrar, mut caller) = make();
        match self.0 {
            Scenario::Idle => Box::new(Keeping {
                _kept: registrar,
                subject: Calls(move || ask(&mut caller)),
            }),
            Scenario::Uncontended => {
                registrar
                    .set(summing_listener())
                    .expect("a first set on a fresh strategy is never refused");
                let value: Payload = 1;
                Box::new(Keeping {
                    _kept: registrar,
                    subject: Calls(move || ask_and_deliver(&mut caller, &value)),
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
    /// One entry per strategy, in [`Strategy::ALL`] order.
    pub results: Vec<CallCost>,
    /// The scenario's baseline.
    pub baseline: Baseline,
    /// The empty-loop and clock costs the numbers were corrected by.
    pub reference: Reference,
}

/// Runs `scenario` for all strategies, its baseline and the empty reference, interleaved.
pub fn run(scenario: Scenario, plan: &Plan) -> Measured {
    let mut subjects: Vec<Box<dyn Timed>> = Strategy::ALL
        .into_iter()
        .map(|strategy| with_strategy(strategy, Subject(scenario)))
        .collect();
    subjects.push(baseline(scenario));
    subjects.push(Box::new(nothing()));
    let mut samples = interleave(&mut subjects, plan);

    let empty = samples.pop().expect("the empty subject was timed");
    let reference = Reference::from_empty(&empty);
    let base = samples.pop().expect("the baseline was timed");
    let results = Strategy::ALL
        .into_iter()
        .zip(&samples)
        .map(|(strategy, samples)| CallCost {
            strategy: strategy.name(),
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
            scenario: scenario.name(),
            summary: Summary::of(&base, &reference),
        },
        reference,
    }
}
