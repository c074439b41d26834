//! [`DeliveryCounters`]: what one strategy delivered to the editor since it opened.

use crate::tap::BatchHeader;

/// Batches and notes one strategy delivered, and the notes that did not make it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounters {
    /// Batches that reached the editor.
    pub batches: u64,
    /// Note events that reached the editor.
    pub notes: u64,
    /// Note events the plugin could not fit in a batch.
    pub notes_over_capacity: u64,
    /// Note events of delivered batches that did not fit in the editor's ring.
    pub notes_lost_in_ring: u64,
}

impl DeliveryCounters {
    /// Counts one batch that reached the editor.
    pub fn count(&mut self, header: &BatchHeader) {
        self.batches += 1;
        self.notes += u64::from(header.events_in_ring);
        self.notes_over_capacity += u64::from(header.block.events_over_capacity);
        self.notes_lost_in_ring += u64::from(header.events_lost_in_ring);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::BlockHeader;

    #[test]
    fn adds_up_batches() {
        let mut counters = DeliveryCounters::default();
        let header = BatchHeader {
            block: BlockHeader {
                events_over_capacity: 2,
                ..BlockHeader::default()
            },
            events_in_ring: 3,
            events_lost_in_ring: 1,
        };
        counters.count(&header);
        counters.count(&header);
        assert_eq!(
            counters,
            DeliveryCounters {
                batches: 2,
                notes: 6,
                notes_over_capacity: 4,
                notes_lost_in_ring: 2,
            }
        );
    }
}
