//! [`Strategy`]: the five ways, as a value a plugin can store in a parameter and switch per block;
//! [`PerStrategy`]: one value for each of them.

pub mod mailbox;
pub mod overwrite_ring;
pub mod spin_lock;
pub mod spsc_queue;
pub mod trap;

use std::fmt;
use std::ops::{Index, IndexMut};

/// One of the five ways to hand a listener to the audio thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// A lock the audio thread only ever *tries*; registrars wait for it. See [`spin_lock`].
    SpinLock,
    /// A bounded queue of changes from one registrar. See [`spsc_queue`].
    SpscQueue,
    /// A one-place exchange that refuses a second change until the first is taken. See [`trap`].
    Trap,
    /// A latest-wins ring of three slots from one registrar. See [`overwrite_ring`].
    OverwriteRing,
    /// A latest-wins inbox with a wait-free audio side, any registrars. See [`mailbox`].
    /// The default.
    #[default]
    Mailbox,
}

impl Strategy {
    /// How many strategies there are.
    pub const COUNT: usize = 5;

    /// All five, in declaration order.
    pub const ALL: [Strategy; Self::COUNT] = [
        Strategy::SpinLock,
        Strategy::SpscQueue,
        Strategy::Trap,
        Strategy::OverwriteRing,
        Strategy::Mailbox,
    ];

    /// The variant's name, as written in code (`"SpinLock"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Strategy::SpinLock => "SpinLock",
            Strategy::SpscQueue => "SpscQueue",
            Strategy::Trap => "Trap",
            Strategy::OverwriteRing => "OverwriteRing",
            Strategy::Mailbox => "Mailbox",
        }
    }

    /// One line on what the strategy trades, for a user choosing between them.
    pub const fn trade_off(self) -> &'static str {
        match self {
            Strategy::SpinLock => "Smallest; registrars wait while the listener runs",
            Strategy::SpscQueue => "One registrar; a set is refused when 4 changes are queued",
            Strategy::Trap => "Any registrars; a second set is refused until the first is taken",
            Strategy::OverwriteRing => "One registrar; never refuses, latest wins",
            Strategy::Mailbox => "Any registrars; never refuses or waits, wait-free audio side",
        }
    }

    /// Position in [`Strategy::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The strategy at `index` in [`Strategy::ALL`].
    pub const fn from_index(index: usize) -> Option<Strategy> {
        if index < Self::ALL.len() {
            Some(Self::ALL[index])
        } else {
            None
        }
    }

    /// The strategy whose [`name`](Strategy::name) is `name`.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether more than one thread may register at once (the registrar is `Clone`).
    pub const fn allows_many_registrars(self) -> bool {
        matches!(
            self,
            Strategy::SpinLock | Strategy::Trap | Strategy::Mailbox
        )
    }

    /// Whether a change can be refused (and handed back) when the audio thread lags.
    pub const fn can_refuse(self) -> bool {
        matches!(self, Strategy::SpscQueue | Strategy::Trap)
    }

    /// Whether a registrar may have to wait for the audio thread.
    pub const fn registrar_waits(self) -> bool {
        matches!(self, Strategy::SpinLock)
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// One value for each strategy, indexed by [`Strategy`]: counters, settings, per-strategy state.
///
/// ```
/// use rtcb::{PerStrategy, Strategy};
///
/// let mut refusals = PerStrategy::<u64>::default();
/// refusals[Strategy::Trap] += 1;
/// assert_eq!(refusals.values().sum::<u64>(), 1);
/// assert_eq!(refusals.iter().find(|(_, n)| **n > 0), Some((Strategy::Trap, &1)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PerStrategy<V>([V; Strategy::COUNT]);

impl<V> PerStrategy<V> {
    /// The value of each strategy, made by `value`.
    pub fn from_fn(mut value: impl FnMut(Strategy) -> V) -> Self {
        Self(std::array::from_fn(|i| value(Strategy::ALL[i])))
    }

    /// Each strategy with its value, in [`Strategy::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Strategy, &V)> {
        Strategy::ALL.into_iter().zip(&self.0)
    }

    /// Each strategy with its value, mutable, in [`Strategy::ALL`] order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Strategy, &mut V)> {
        Strategy::ALL.into_iter().zip(&mut self.0)
    }

    /// The values, in [`Strategy::ALL`] order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter()
    }

    /// A new set of values, one made from each of these.
    pub fn map<W>(&self, mut f: impl FnMut(Strategy, &V) -> W) -> PerStrategy<W> {
        PerStrategy::from_fn(|s| f(s, &self[s]))
    }
}

impl<V> Index<Strategy> for PerStrategy<V> {
    type Output = V;

    #[inline]
    fn index(&self, strategy: Strategy) -> &V {
        &self.0[strategy.index()]
    }
}

impl<V> IndexMut<Strategy> for PerStrategy<V> {
    #[inline]
    fn index_mut(&mut self, strategy: Strategy) -> &mut V {
        &mut self.0[strategy.index()]
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn names_and_indices_round_trip() {
        for (i, s) in Strategy::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(Strategy::from_index(i), Some(s));
            assert_eq!(Strategy::from_name(s.name()), Some(s));
            assert_eq!(s.to_string(), s.name());
        }
        assert_eq!(Strategy::from_index(5), None);
        assert_eq!(Strategy::from_name("mailbox"), None);
        assert_eq!(Strategy::default(), Strategy::Mailbox);
    }

    #[test]
    fn per_strategy_values_follow_their_strategy() {
        let mut names = PerStrategy::from_fn(Strategy::name);
        assert_eq!(names[Strategy::Trap], "Trap");
        names[Strategy::Mailbox] = "ours";
        let mut lengths = names.map(|_, name| name.len());
        assert_eq!(lengths[Strategy::Mailbox], 4);
        assert_eq!(lengths[Strategy::SpinLock], "SpinLock".len());
        for (strategy, length) in lengths.iter_mut() {
            *length = strategy.index();
        }
        assert!(lengths.iter().all(|(s, i)| s.index() == *i));
        assert_eq!(lengths.values().count(), Strategy::COUNT);
    }
}
