//! Saved state the plugin cannot fully read, and what it does about it.
//!
//! nice-plug parses a saved state and hands it to [`Plugin::filter_state`] before applying it.
//! There, [`repair`] checks every parameter's saved value against what the parameter accepts.
//! A value that is missing, of the wrong type, names no known strategy or lies outside the
//! parameter's range is replaced by the parameter's default, and the log says which value it was
//! and why. Entries for parameters the plugin does not have are dropped, also with a warning.
//! Everything else loads as saved.
//!
//! A state that is not JSON at all (truncated, garbled) never gets this far: nice-plug refuses it
//! as a whole and the host is told the load failed. The instance keeps the values it had, which
//! for a project being opened are a fresh instance's defaults. nice-plug logs the parse error in
//! debug builds.
//!
//! [`Plugin::filter_state`]: nice_plug::prelude::Plugin::filter_state

use std::fmt;

use nice_plug::plugin::{ParamValue, PluginState};
use nice_plug::prelude::*;
use rtcb::Strategy;

use crate::params::{StrategyChoice, DEMO_RATE_DEFAULT, DEMO_RATE_MAX, DEMO_RATE_MIN};

/// What a saved value of one parameter must look like, and the default that replaces it when it
/// does not.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// A strategy, saved by its id (`"Mailbox"`); the index of the variant (an older form
    /// nice-plug also reads) is accepted too.
    Strategy,
    /// A switch.
    Bool { default: bool },
    /// A number in `min..=max`.
    Float { min: f32, max: f32, default: f32 },
}

/// Every parameter of [`RtcbParams`](crate::params::RtcbParams), by its id.
const RULES: [(&str, Rule); 3] = [
    ("strategy", Rule::Strategy),
    ("demo", Rule::Bool { default: false }),
    (
        "demo_rate",
        Rule::Float {
            min: DEMO_RATE_MIN,
            max: DEMO_RATE_MAX,
            default: DEMO_RATE_DEFAULT,
        },
    ),
];

/// Why a saved value was not used.
#[derive(Debug, Clone)]
pub enum Problem {
    /// The state has no value for the parameter.
    Missing,
    /// The value has a type the parameter does not take.
    WrongType(ParamValue),
    /// The value names no strategy this plugin knows.
    UnknownStrategy(String),
    /// The value is outside the parameter's range (or not a finite number).
    OutOfRange(ParamValue),
    /// The plugin has no parameter of this id.
    UnknownParameter,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => write!(f, "no value saved"),
            Problem::WrongType(value) => write!(f, "a value of the wrong type ({value:?})"),
            Problem::UnknownStrategy(id) => write!(f, "no strategy is called {id:?}"),
            Problem::OutOfRange(value) => write!(f, "{value:?} is out of range"),
            Problem::UnknownParameter => write!(f, "the plugin has no such parameter"),
        }
    }
}

/// One saved value the plugin did not use.
#[derive(Debug, Clone)]
pub struct Repair {
    /// The parameter's id.
    pub param: String,
    /// What was wrong.
    pub problem: Problem,
    /// What the state holds for it now: the parameter's default, or nothing (an unknown
    /// parameter's entry is dropped).
    pub replacement: Option<ParamValue>,
}

/// Replaces every value in `state` the plugin cannot use by the parameter's default and drops
/// entries for parameters it does not have; logs a warning for each. Returns what it changed.
pub fn repair(state: &mut PluginState) -> Vec<Repair> {
    let mut repairs = Vec::new();
    for (id, rule) in RULES {
        let problem = match state.params.get(id) {
            None => Some(Problem::Missing),
            Some(value) => rule.check(value),
        };
        if let Some(problem) = problem {
            let default = rule.default_value();
            state.params.insert(id.to_owned(), default.clone());
            repairs.push(Repair {
                param: id.to_owned(),
                problem,
                replacement: Some(default),
            });
        }
    }
    let unknown: Vec<String> = state
        .params
        .keys()
        .filter(|id| RULES.iter().all(|(known, _)| known != id))
        .cloned()
        .collect();
    for id in unknown {
        state.params.remove(&id);
        repairs.push(Repair {
            param: id,
            problem: Problem::UnknownParameter,
            replacement: None,
        });
    }
    for repair in &repairs {
        match &repair.replacement {
            Some(default) => nice_warn!(
                "Saved state: parameter {:?}: {}; loading its default, {:?}",
                repair.param,
                repair.problem,
                default
            ),
            None => nice_warn!(
                "Saved state: parameter {:?}: {}; ignoring it",
                repair.param,
                repair.problem
            ),
        }
    }
    repairs
}

impl Rule {
    /// What is wrong with `value` for this parameter, if anything.
    fn check(self, value: &ParamValue) -> Option<Problem> {
        match (self, value) {
            (Rule::Strategy, ParamValue::String(id)) => {
                let known = StrategyChoice::ids().is_some_and(|ids| ids.contains(&id.as_str()));
                (!known).then(|| Problem::UnknownStrategy(id.clone()))
            }
            (Rule::Strategy, ParamValue::I32(index)) => {
                let known = usize::try_from(*index).is_ok_and(|i| i < Strategy::ALL.len());
                (!known).then(|| Problem::OutOfRange(value.clone()))
            }
            (Rule::Bool { .. }, ParamValue::Bool(_)) => None,
            (Rule::Float { min, max, .. }, ParamValue::F32(number)) => {
                let in_range = number.is_finite() && (min..=max).contains(number);
                (!in_range).then(|| Problem::OutOfRange(value.clone()))
            }
            _ => Some(Problem::WrongType(value.clone())),
        }
    }

    /// The parameter's default, as a saved value.
    fn default_value(self) -> ParamValue {
        match self {
            Rule::Strategy => ParamValue::String(Strategy::default().name().to_owned()),
            Rule::Bool { default } => ParamValue::Bool(default),
            Rule::Float { default, .. } => ParamValue::F32(default),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::params::RtcbParams;

    fn state(params: &[(&str, ParamValue)]) -> PluginState {
        PluginState {
            version: String::from("0.1.0"),
            params: params
                .iter()
                .map(|(id, value)| (id.to_string(), value.clone()))
                .collect(),
            fields: BTreeMap::new(),
        }
    }

    fn good() -> PluginState {
        state(&[
            ("strategy", ParamValue::String("Trap".into())),
            ("demo", ParamValue::Bool(true)),
            ("demo_rate", ParamValue::F32(12.5)),
        ])
    }

    #[test]
    fn the_rules_cover_every_parameter_and_know_its_default() {
        let params = RtcbParams::default();
        let mut ids: Vec<String> = params.param_map().into_iter().map(|p| p.0).collect();
        ids.sort();
        let mut ruled: Vec<&str> = RULES.iter().map(|(id, _)| *id).collect();
        ruled.sort();
        assert_eq!(
            ids, ruled,
            "a parameter without a rule, or a rule without one"
        );
        for (id, rule) in RULES {
            let default = match id {
                "strategy" => {
                    ParamValue::String(Strategy::from(params.strategy.value()).name().into())
                }
                "demo" => ParamValue::Bool(params.demo.value()),
                _ => ParamValue::F32(params.demo_rate.value()),
            };
            assert_eq!(
                format!("{:?}", rule.default_value()),
                format!("{default:?}"),
                "{id}"
            );
        }
    }

    #[test]
    fn a_good_state_is_left_as_it_is() {
        let mut saved = good();
        assert!(repair(&mut saved).is_empty());
        assert_eq!(format!("{saved:?}"), format!("{:?}", good()));
        // The variant's index, an older form, is a good value too.
        let mut by_index = state(&[
            ("strategy", ParamValue::I32(4)),
            ("demo", ParamValue::Bool(false)),
            ("demo_rate", ParamValue::F32(DEMO_RATE_MIN)),
        ]);
        assert!(repair(&mut by_index).is_empty());
    }

    #[test]
    fn what_cannot_be_read_becomes_the_default() {
        let cases = [
            (
                "strategy",
                ParamValue::String("NoSuchStrategy".into()),
                Problem::UnknownStrategy("NoSuchStrategy".into()),
            ),
            (
                "strategy",
                ParamValue::I32(5),
                Problem::OutOfRange(ParamValue::I32(5)),
            ),
            (
                "strategy",
                ParamValue::I32(-1),
                Problem::OutOfRange(ParamValue::I32(-1)),
            ),
            (
                "strategy",
                ParamValue::F32(2.0),
                Problem::WrongType(ParamValue::F32(2.0)),
            ),
            (
                "demo",
                ParamValue::I32(1),
                Problem::WrongType(ParamValue::I32(1)),
            ),
            (
                "demo_rate",
                ParamValue::F32(1000.0),
                Problem::OutOfRange(ParamValue::F32(1000.0)),
            ),
            (
                "demo_rate",
                ParamValue::F32(0.1),
                Problem::OutOfRange(ParamValue::F32(0.1)),
            ),
            (
                "demo_rate",
                ParamValue::F32(f32::INFINITY),
                Problem::OutOfRange(ParamValue::F32(f32::INFINITY)),
            ),
            (
                "demo_rate",
                ParamValue::String("fast".into()),
                Problem::WrongType(ParamValue::String("fast".into())),
            ),
        ];
        for (id, bad, problem) in cases {
            let mut saved = good();
            saved.params.insert(id.into(), bad.clone());
            let repairs = repair(&mut saved);
            let default = RULES.iter().find(|r| r.0 == id).unwrap().1.default_value();
            let expected = [Repair {
                param: id.into(),
                problem,
                replacement: Some(default.clone()),
            }];
            assert_eq!(
                format!("{repairs:?}"),
                format!("{expected:?}"),
                "{id} = {bad:?}"
            );
            assert_eq!(format!("{:?}", saved.params[id]), format!("{default:?}"));
            // The other values load as saved.
            for (other, value) in &good().params {
                if other != id {
                    assert_eq!(format!("{:?}", saved.params[other]), format!("{value:?}"));
                }
            }
        }
    }

    #[test]
    fn missing_values_get_defaults_and_unknown_parameters_go() {
        let mut saved = state(&[
            ("demo", ParamValue::Bool(true)),
            ("volume", ParamValue::F32(0.5)),
        ]);
        let repairs = repair(&mut saved);
        let problems: Vec<(&str, String)> = repairs
            .iter()
            .map(|r| (r.param.as_str(), r.problem.to_string()))
            .collect();
        assert_eq!(
            problems,
            [
                ("strategy", Problem::Missing.to_string()),
                ("demo_rate", Problem::Missing.to_string()),
                ("volume", Problem::UnknownParameter.to_string()),
            ]
        );
        assert_eq!(saved.params.len(), 3);
        assert!(matches!(saved.params["demo"], ParamValue::Bool(true)));
    }
}
