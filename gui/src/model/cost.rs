//! What delivery costs the audio thread: per-strategy statistics over its last
//! [`WINDOW_BLOCKS`] deliveries ([`CostWindow`]) and a short history for the plot
//! ([`CostHistory`]).
//!
//! Samples come from [`NoteBatch::previous_delivery_ns`](crate::batch::NoteBatch): the plugin
//! times each `deliver` call and reports it with the next batch. Time is audio time (the block's
//! position), so the numbers describe what the audio thread did, however late the GUI drew it.

use rtcb::{PerStrategy, Strategy};
use std::collections::VecDeque;

/// The deliveries the statistics cover, per strategy: a count, not a time span, so the p99 has
/// enough blocks to differ from the maximum at any block rate (about 11 s of audio at 512
/// samples and 48 kHz, 94 blocks a second; a one-second window held only those 94, and its p99
/// was always its maximum).
pub const WINDOW_BLOCKS: usize = 1_000;
/// The fewest deliveries a p99 is shown for: with 200, it leaves out the two largest.
pub const P99_MIN_BLOCKS: usize = 200;
/// The span the plot shows, in seconds of audio time.
pub const PLOT_SECONDS: f64 = 4.0;
/// The plot's resolution: one bar per this many seconds of audio time.
pub const BUCKET_SECONDS: f64 = 0.04;

/// Statistics over one window of per-block delivery costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostStats {
    /// Median, in nanoseconds.
    pub p50_ns: u32,
    /// 99th percentile (nearest rank), in nanoseconds; `None` while the window holds fewer than
    /// [`P99_MIN_BLOCKS`].
    pub p99_ns: Option<u32>,
    /// Largest, in nanoseconds.
    pub max_ns: u32,
    /// How many blocks the window holds.
    pub blocks: usize,
}

/// The costs of a strategy's last [`WINDOW_BLOCKS`] deliveries.
#[derive(Debug, Clone, Default)]
pub struct CostWindow {
    /// (audio seconds, nanoseconds), oldest first.
    samples: VecDeque<(f64, u32)>,
}

impl CostWindow {
    /// Adds one block's cost. A time earlier than the newest sample means the plugin was
    /// restarted: the window starts over.
    pub fn add(&mut self, seconds: f64, ns: u32) {
        if self.samples.back().is_some_and(|&(last, _)| seconds < last) {
            self.samples.clear();
        }
        if self.samples.len() == WINDOW_BLOCKS {
            self.samples.pop_front();
        }
        self.samples.push_back((seconds, ns));
    }

    /// p50, p99 and max of the window, or `None` when it is empty.
    pub fn stats(&self) -> Option<CostStats> {
        let mut sorted: Vec<u32> = self.samples.iter().map(|&(_, ns)| ns).collect();
        sorted.sort_unstable();
        // Nearest rank: the smallest value with at least `percent`% of the samples at or below.
        let rank = |percent: usize| {
            let n = sorted.len();
            sorted[(percent * n).div_ceil(100).clamp(1, n) - 1]
        };
        let max_ns = *sorted.last()?;
        Some(CostStats {
            p50_ns: rank(50),
            p99_ns: (sorted.len() >= P99_MIN_BLOCKS).then(|| rank(99)),
            max_ns,
            blocks: sorted.len(),
        })
    }

    /// Forgets every sample.
    pub fn clear(&mut self) {
        self.samples.clear();
    }
}

/// One bar of the plot: the most expensive block of a [`BUCKET_SECONDS`] slice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostBucket {
    /// Where the slice starts, in audio seconds.
    pub start: f64,
    /// The most expensive delivery in it, in nanoseconds.
    pub max_ns: u32,
    /// The strategy of its last sample.
    pub strategy: Strategy,
}

/// The last [`PLOT_SECONDS`] of delivery costs, in slices of [`BUCKET_SECONDS`].
#[derive(Debug, Clone, Default)]
pub struct CostHistory {
    buckets: VecDeque<CostBucket>,
}

impl CostHistory {
    /// Adds one block's cost. A time earlier than the newest slice starts the history over.
    pub fn add(&mut self, seconds: f64, ns: u32, strategy: Strategy) {
        let start = (seconds / BUCKET_SECONDS).floor() * BUCKET_SECONDS;
        match self.buckets.back_mut() {
            Some(last) if last.start == start => {
                last.max_ns = last.max_ns.max(ns);
                last.strategy = strategy;
            }
            last => {
                if last.is_some_and(|last| start < last.start) {
                    self.buckets.clear();
                }
                self.buckets.push_back(CostBucket {
                    start,
                    max_ns: ns,
                    strategy,
                });
            }
        }
        while self
            .buckets
            .front()
            .is_some_and(|first| first.start < start - PLOT_SECONDS)
        {
            self.buckets.pop_front();
        }
    }

    /// The slices, oldest first.
    pub fn buckets(&self) -> impl ExactSizeIterator<Item = &CostBucket> + '_ {
        self.buckets.iter()
    }

    /// The start of the newest slice, if any.
    pub fn newest(&self) -> Option<f64> {
        self.buckets.back().map(|b| b.start)
    }

    /// Forgets every slice.
    pub fn clear(&mut self) {
        self.buckets.clear();
    }
}

/// Delivery costs per strategy, and the history of all of them.
#[derive(Debug, Clone, Default)]
pub struct CostTracker {
    windows: PerStrategy<CostWindow>,
    history: CostHistory,
}

impl CostTracker {
    /// Adds one block's cost, delivered through `strategy`.
    pub fn add(&mut self, seconds: f64, ns: u32, strategy: Strategy) {
        self.windows[strategy].add(seconds, ns);
        self.history.add(seconds, ns, strategy);
    }

    /// `strategy`'s statistics over its last [`WINDOW_BLOCKS`] deliveries.
    pub fn stats(&self, strategy: Strategy) -> Option<CostStats> {
        self.windows[strategy].stats()
    }

    /// The plot's history.
    pub fn history(&self) -> &CostHistory {
        &self.history
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.windows
            .iter_mut()
            .for_each(|(_, window)| window.clear());
        self.history.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut window = CostWindow::default();
        assert_eq!(window.stats(), None);
        // 1,000 blocks costing 1..=1000 ns, in a shuffled order.
        for n in 0..1000u32 {
            window.add(f64::from(n) * 0.01, (n * 37) % 1000 + 1);
        }
        let stats = window.stats().unwrap();
        assert_eq!(stats.blocks, 1000);
        assert_eq!(stats.p50_ns, 500);
        assert_eq!(stats.p99_ns, Some(990));
        assert_eq!(stats.max_ns, 1000);
    }

    #[test]
    fn the_p99_is_not_the_maximum_once_the_window_holds_enough_blocks() {
        // A second of 512-sample blocks at 48 kHz, each 1 µs but one 50 µs spike.
        let block_seconds = 512.0 / 48_000.0;
        let mut window = CostWindow::default();
        let mut n = 0;
        let mut add = |window: &mut CostWindow, ns| {
            window.add(f64::from(n) * block_seconds, ns);
            n += 1;
        };
        add(&mut window, 50_000);
        for _ in 1..94 {
            add(&mut window, 1_000);
        }
        let stats = window.stats().unwrap();
        assert_eq!(stats.p99_ns, None, "94 blocks are too few for a p99");
        assert_eq!(stats.max_ns, 50_000);
        while window.stats().unwrap().blocks < P99_MIN_BLOCKS {
            add(&mut window, 1_000);
        }
        let stats = window.stats().unwrap();
        assert_eq!(
            stats.p99_ns,
            Some(1_000),
            "the spike is the maximum, not the p99"
        );
        assert_eq!(stats.max_ns, 50_000);
    }

    #[test]
    fn the_window_keeps_the_last_blocks_and_restarts_when_time_goes_back() {
        let mut window = CostWindow::default();
        window.add(0.0, 1_000_000);
        for n in 1..=WINDOW_BLOCKS {
            window.add(n as f64 * 0.01, 20);
        }
        let stats = window.stats().unwrap();
        assert_eq!(
            (stats.blocks, stats.max_ns),
            (WINDOW_BLOCKS, 20),
            "the oldest left"
        );
        window.add(0.1, 5);
        let stats = window.stats().unwrap();
        assert_eq!((stats.blocks, stats.max_ns), (1, 5));
    }

    #[test]
    fn the_history_keeps_the_maximum_per_slice() {
        let mut history = CostHistory::default();
        history.add(0.001, 10, Strategy::Trap);
        history.add(0.002, 30, Strategy::Trap);
        history.add(0.003, 20, Strategy::Mailbox);
        history.add(0.05, 5, Strategy::Mailbox);
        let buckets: Vec<_> = history.buckets().copied().collect();
        assert_eq!(buckets.len(), 2);
        assert_eq!(buckets[0].max_ns, 30);
        assert_eq!(buckets[0].strategy, Strategy::Mailbox);
        assert_eq!(buckets[1].max_ns, 5);
        history.add(PLOT_SECONDS + 1.0, 1, Strategy::SpinLock);
        assert_eq!(history.buckets().len(), 1);
        assert!(history.newest().unwrap() > PLOT_SECONDS);
    }

    #[test]
    fn the_tracker_keeps_strategies_apart() {
        let mut tracker = CostTracker::default();
        tracker.add(0.0, 100, Strategy::SpinLock);
        tracker.add(0.01, 7, Strategy::Mailbox);
        assert_eq!(tracker.stats(Strategy::SpinLock).unwrap().max_ns, 100);
        assert_eq!(tracker.stats(Strategy::Mailbox).unwrap().max_ns, 7);
        assert_eq!(tracker.stats(Strategy::Trap), None);
        tracker.clear();
        assert_eq!(tracker.stats(Strategy::SpinLock), None);
        assert_eq!(tracker.history().buckets().len(), 0);
    }
}
