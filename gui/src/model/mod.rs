//! What the editor shows, built from the batches the tap copied: plain Rust, no egui, so it is
//! tested without a window.

mod cost;
mod counters;
mod held;
mod log;

pub use cost::{
    CostBucket, CostHistory, CostStats, CostTracker, CostWindow, BUCKET_SECONDS, P99_MIN_BLOCKS,
    PLOT_SECONDS, WINDOW_BLOCKS,
};
pub use counters::DeliveryCounters;
pub use held::HeldNotes;
pub use log::{EventLog, LoggedEvent, NoteName, LOG_CAPACITY};

use crate::batch::NoteEvent;
use crate::tap::BatchHeader;
use rtcb::{PerStrategy, Strategy};

/// Everything the editor learned from delivered batches since it opened.
#[derive(Debug, Clone, Default)]
pub struct EditorModel {
    /// The keys currently down.
    pub held: HeldNotes,
    /// Recent note events.
    pub log: EventLog,
    /// Per strategy: what it delivered.
    pub delivered: PerStrategy<DeliveryCounters>,
    /// Delivery costs.
    pub cost: CostTracker,
    /// Blocks the editor did not hear between two batches it did (nobody was listening, e.g.
    /// while the registration moved, or the ring was full).
    pub blocks_unheard: u64,
    /// The last batch received: its block number and strategy.
    last: Option<(u64, Strategy)>,
}

impl EditorModel {
    /// Takes in one delivered batch.
    pub fn ingest(&mut self, header: &BatchHeader, events: &[NoteEvent]) {
        match self.last {
            Some((last, _)) if header.block.block_index <= last => {
                // The plugin was reactivated: block numbers start over.
                self.held.release_all();
                self.cost.clear();
            }
            Some((last, _)) if header.block.block_index > last + 1 => {
                // Blocks went unheard: their note-offs may be among them, so no key stays lit
                // that may have been released.
                self.blocks_unheard += header.block.block_index - last - 1;
                self.held.release_all();
            }
            _ => {}
        }
        match self.last {
            // The cost reported is that of the plugin's previous delivery. When that was the
            // batch just before, it is attributed to the strategy that delivered it (the one
            // active before a switch, for the first batch after one); after a gap it may be
            // stale (from before the gap), so it is left out.
            Some((last, strategy))
                if last + 1 == header.block.block_index
                    && header.block.previous_delivery_ns > 0 =>
            {
                self.cost.add(
                    header.block.start_seconds(),
                    header.block.previous_delivery_ns,
                    strategy,
                );
            }
            _ => {}
        }
        self.delivered[header.block.strategy].count(header);
        let start = header.block.start_seconds();
        for event in events {
            self.held.apply(event);
            let offset = if header.block.sample_rate > 0.0 {
                f64::from(event.timing) / f64::from(header.block.sample_rate)
            } else {
                0.0
            };
            self.log.push(LoggedEvent {
                seconds: start + offset,
                event: *event,
                strategy: header.block.strategy,
            });
        }
        self.last = Some((header.block.block_index, header.block.strategy));
    }

    /// The strategy of the newest batch received, if any.
    pub fn last_strategy(&self) -> Option<Strategy> {
        self.last.map(|(_, strategy)| strategy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{BlockHeader, NoteKind};

    fn header(block_index: u64, strategy: Strategy, events: u32, cost: u32) -> BatchHeader {
        BatchHeader {
            block: BlockHeader {
                strategy,
                block_index,
                block_start: block_index * 100,
                block_len: 100,
                sample_rate: 1000.0,
                events_seen: events,
                events_over_capacity: 0,
                previous_delivery_ns: cost,
            },
            events_in_ring: events,
            events_lost_in_ring: 0,
        }
    }

    fn on(timing: u32, note: u8) -> NoteEvent {
        NoteEvent {
            timing,
            kind: NoteKind::On,
            channel: 0,
            note,
            velocity: 0.7,
        }
    }

    #[test]
    fn fills_keyboard_log_counters_and_costs() {
        let mut model = EditorModel::default();
        model.ingest(&header(0, Strategy::Trap, 1, 0), &[on(50, 60)]);
        model.ingest(&header(1, Strategy::Trap, 0, 400), &[]);
        assert_eq!(model.held.velocity(60), Some(0.7));
        let logged = model.log.newest_first().next().unwrap();
        assert_eq!(logged.seconds, 0.05);
        assert_eq!(logged.strategy, Strategy::Trap);
        assert_eq!(model.delivered[Strategy::Trap].batches, 2);
        assert_eq!(model.delivered[Strategy::Trap].notes, 1);
        assert_eq!(model.cost.stats(Strategy::Trap).unwrap().max_ns, 400);
        assert_eq!(model.last_strategy(), Some(Strategy::Trap));
    }

    #[test]
    fn attributes_a_cost_to_the_strategy_that_delivered_the_previous_batch() {
        let mut model = EditorModel::default();
        model.ingest(&header(0, Strategy::SpinLock, 0, 0), &[]);
        model.ingest(&header(1, Strategy::Mailbox, 0, 900), &[]);
        model.ingest(&header(2, Strategy::Mailbox, 0, 30), &[]);
        assert_eq!(model.cost.stats(Strategy::SpinLock).unwrap().max_ns, 900);
        assert_eq!(model.cost.stats(Strategy::Mailbox).unwrap().max_ns, 30);
    }

    #[test]
    fn a_gap_releases_held_keys_is_counted_and_its_stale_cost_left_out() {
        let mut model = EditorModel::default();
        model.ingest(&header(0, Strategy::Trap, 1, 0), &[on(0, 60)]);
        model.ingest(&header(4, Strategy::Mailbox, 0, 500), &[]);
        assert_eq!(model.blocks_unheard, 3);
        assert_eq!(model.held.count(), 0);
        assert_eq!(model.cost.stats(Strategy::Trap), None);
        assert_eq!(model.cost.stats(Strategy::Mailbox), None);
    }

    #[test]
    fn a_restart_releases_held_keys_and_forgets_costs() {
        let mut model = EditorModel::default();
        model.ingest(&header(5, Strategy::Trap, 1, 0), &[on(0, 60)]);
        model.ingest(&header(6, Strategy::Trap, 0, 10), &[]);
        model.ingest(&header(0, Strategy::Trap, 0, 0), &[]);
        assert_eq!(model.held.count(), 0);
        assert_eq!(model.cost.stats(Strategy::Trap), None);
        assert_eq!(model.blocks_unheard, 0);
    }
}
