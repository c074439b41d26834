//! The plugin's parameters: which strategy delivers to the editor, and the demo pattern.
//!
//! Every parameter has a stable string id (`#[id = "..."]`); hosts derive their numeric
//! parameter ids from it, so renaming an id breaks saved projects and automation. The strategy is
//! saved by variant id (`"Mailbox"`, …), not by position, so variants can be reordered later.

use nice_plug::prelude::*;
use rtcb::Strategy;
use rtcb_gui::{EditorParams, ParamChange};

/// Slowest demo rate, in notes per second.
pub const DEMO_RATE_MIN: f32 = 0.5;
/// Fastest demo rate, in notes per second.
pub const DEMO_RATE_MAX: f32 = 32.0;
/// Demo rates snap to multiples of this (notes per second), so a typed or saved rate is exact.
pub const DEMO_RATE_STEP: f32 = 0.25;
/// Demo rate of a fresh instance, in notes per second.
pub const DEMO_RATE_DEFAULT: f32 = 8.0;

/// The plugin's parameters, shared between the host, the audio thread and the editor.
#[derive(Params)]
pub struct RtcbParams {
    /// Which of the five strategies hands each block's notes to the editor. Automatable and saved
    /// with the project; the audio thread reads it at the start of every block.
    #[id = "strategy"]
    pub strategy: EnumParam<StrategyChoice>,

    /// Plays the built-in arpeggio, so there is note traffic without a keyboard.
    #[id = "demo"]
    pub demo: BoolParam,

    /// How many demo notes start per second.
    #[id = "demo_rate"]
    pub demo_rate: FloatParam,
}

impl Default for RtcbParams {
    fn default() -> Self {
        Self {
            strategy: EnumParam::new("Strategy", StrategyChoice::from(Strategy::default())),
            demo: BoolParam::new("Demo pattern", false),
            demo_rate: FloatParam::new(
                "Demo rate",
                DEMO_RATE_DEFAULT,
                FloatRange::Skewed {
                    min: DEMO_RATE_MIN,
                    max: DEMO_RATE_MAX,
                    // More of the knob's travel for the slow rates.
                    factor: FloatRange::skew_factor(-1.0),
                },
            )
            .with_step_size(DEMO_RATE_STEP)
            .with_unit(" notes/s")
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
        }
    }
}

/// What the editor reads and changes. Changes go through the host as one gesture each
/// (begin, set, end), so they are recorded as automation and can be undone.
impl EditorParams for RtcbParams {
    fn strategy(&self) -> Strategy {
        Strategy::from(self.strategy.value())
    }

    fn demo(&self) -> bool {
        self.demo.value()
    }

    fn change(&self, setter: &ParamSetter, change: ParamChange) {
        match change {
            ParamChange::Strategy(strategy) => {
                setter.begin_set_parameter(&self.strategy);
                setter.set_parameter(&self.strategy, StrategyChoice::from(strategy));
                setter.end_set_parameter(&self.strategy);
            }
            ParamChange::Demo(on) => {
                setter.begin_set_parameter(&self.demo);
                setter.set_parameter(&self.demo, on);
                setter.end_set_parameter(&self.demo);
            }
        }
    }
}

/// [`rtcb::Strategy`] as a parameter value. The variants are the same five, in the same order;
/// each is saved under its Rust name (its `#[id]`), which never changes.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyChoice {
    /// [`Strategy::SpinLock`].
    #[id = "SpinLock"]
    #[name = "Spin lock"]
    SpinLock,
    /// [`Strategy::SpscQueue`].
    #[id = "SpscQueue"]
    #[name = "SPSC queue"]
    SpscQueue,
    /// [`Strategy::Trap`].
    #[id = "Trap"]
    #[name = "Trap"]
    Trap,
    /// [`Strategy::OverwriteRing`].
    #[id = "OverwriteRing"]
    #[name = "Overwrite ring"]
    OverwriteRing,
    /// [`Strategy::Mailbox`].
    #[id = "Mailbox"]
    #[name = "Mailbox"]
    Mailbox,
}

impl From<StrategyChoice> for Strategy {
    fn from(choice: StrategyChoice) -> Self {
        match choice {
            StrategyChoice::SpinLock => Strategy::SpinLock,
            StrategyChoice::SpscQueue => Strategy::SpscQueue,
            StrategyChoice::Trap => Strategy::Trap,
            StrategyChoice::OverwriteRing => Strategy::OverwriteRing,
            StrategyChoice::Mailbox => Strategy::Mailbox,
        }
    }
}

impl From<Strategy> for StrategyChoice {
    fn from(strategy: Strategy) -> Self {
        match strategy {
            Strategy::SpinLock => StrategyChoice::SpinLock,
            Strategy::SpscQueue => StrategyChoice::SpscQueue,
            Strategy::Trap => StrategyChoice::Trap,
            Strategy::OverwriteRing => StrategyChoice::OverwriteRing,
            Strategy::Mailbox => StrategyChoice::Mailbox,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_mirror_strategies_in_order_and_save_under_their_names() {
        let ids = StrategyChoice::ids().expect("every variant has a stable id");
        assert_eq!(ids.len(), Strategy::ALL.len());
        assert_eq!(StrategyChoice::variants().len(), Strategy::ALL.len());
        for (index, strategy) in Strategy::ALL.into_iter().enumerate() {
            let choice = StrategyChoice::from(strategy);
            assert_eq!(Strategy::from(choice), strategy);
            assert_eq!(choice.to_index(), index);
            assert_eq!(StrategyChoice::from_index(index), choice);
            assert_eq!(ids[index], strategy.name());
        }
    }

    #[test]
    fn defaults() {
        let params = RtcbParams::default();
        assert_eq!(Strategy::from(params.strategy.value()), Strategy::Mailbox);
        assert!(!params.demo.value());
        assert_eq!(params.demo_rate.value(), DEMO_RATE_DEFAULT);
    }

    #[test]
    fn demo_rates_snap_to_exact_steps() {
        let params = RtcbParams::default();
        for step in 0..=200 {
            let normalized = step as f32 / 200.0;
            let rate = params.demo_rate.preview_plain(normalized);
            assert!((DEMO_RATE_MIN..=DEMO_RATE_MAX).contains(&rate));
            assert_eq!(
                (rate / DEMO_RATE_STEP).fract(),
                0.0,
                "{rate} is not on a step"
            );
        }
    }
}
