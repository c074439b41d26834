//! [`NoteBatch`]: what the plugin's `process()` delivers to the editor once per block, through
//! the active strategy. Fixed capacity, built in place: no allocation on the audio thread.

use rtcb::Strategy;

/// How many note events one batch holds; what does not fit is counted in
/// [`BlockHeader::events_over_capacity`].
pub const BATCH_CAPACITY: usize = 256;

/// What happened to a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoteKind {
    /// Key pressed.
    #[default]
    On,
    /// Key released.
    Off,
    /// Key released at once (a choke or an "all notes off").
    Choke,
}

/// One note event of a block.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NoteEvent {
    /// Sample offset inside the block.
    pub timing: u32,
    /// On, off or choke.
    pub kind: NoteKind,
    /// MIDI channel, 0–15.
    pub channel: u8,
    /// MIDI note number, 0–127.
    pub note: u8,
    /// Velocity, 0.0–1.0.
    pub velocity: f32,
}

/// What a batch says about its block besides its events. `Copy`: it travels whole, from the
/// batch into the editor's ring and on to the editor's model.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BlockHeader {
    /// Which strategy delivered the batch.
    pub strategy: Strategy,
    /// Counts processed blocks since the plugin was activated (including blocks nobody heard).
    pub block_index: u64,
    /// The block's first sample, counted since activation.
    pub block_start: u64,
    /// Samples in the block.
    pub block_len: u32,
    /// The sample rate the plugin runs at.
    pub sample_rate: f32,
    /// Note events seen in the block (stored or not).
    pub events_seen: u32,
    /// Note events that did not fit in the batch.
    pub events_over_capacity: u32,
    /// Nanoseconds the audio thread spent delivering the previous batch (0 if none).
    pub previous_delivery_ns: u32,
}

impl BlockHeader {
    /// Where the block starts, in seconds of audio time since activation (0 when the sample
    /// rate is unknown).
    pub fn start_seconds(&self) -> f64 {
        if self.sample_rate > 0.0 {
            self.block_start as f64 / f64::from(self.sample_rate)
        } else {
            0.0
        }
    }
}

/// One block's worth of note events, with its header.
#[derive(Debug, Clone)]
pub struct NoteBatch {
    /// The block, and what happened to its events.
    pub header: BlockHeader,
    len: usize,
    events: [NoteEvent; BATCH_CAPACITY],
}

impl Default for NoteBatch {
    fn default() -> Self {
        Self {
            header: BlockHeader::default(),
            len: 0,
            events: [NoteEvent::default(); BATCH_CAPACITY],
        }
    }
}

impl NoteBatch {
    /// Starts the batch of a new block: `header` (whose event counts are reset), no events.
    pub fn start(&mut self, header: BlockHeader) {
        self.header = BlockHeader {
            events_seen: 0,
            events_over_capacity: 0,
            ..header
        };
        self.len = 0;
    }

    /// Adds one event; counts it as over capacity (and returns false) when the batch is full.
    pub fn push(&mut self, event: NoteEvent) -> bool {
        self.header.events_seen += 1;
        match self.events.get_mut(self.len) {
            Some(place) => {
                *place = event;
                self.len += 1;
                true
            }
            None => {
                self.header.events_over_capacity += 1;
                false
            }
        }
    }

    /// The stored events, in the order they were pushed.
    pub fn events(&self) -> &[NoteEvent] {
        &self.events[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_does_not_fit() {
        let mut batch = NoteBatch::default();
        for n in 0..BATCH_CAPACITY + 3 {
            let fitted = batch.push(NoteEvent {
                timing: n as u32,
                ..NoteEvent::default()
            });
            assert_eq!(fitted, n < BATCH_CAPACITY);
        }
        assert_eq!(batch.events().len(), BATCH_CAPACITY);
        assert_eq!(batch.header.events_seen as usize, BATCH_CAPACITY + 3);
        assert_eq!(batch.header.events_over_capacity, 3);
        assert_eq!(batch.events()[7].timing, 7);
        batch.start(BlockHeader {
            block_index: 9,
            ..batch.header
        });
        assert!(batch.events().is_empty());
        assert_eq!(batch.header.events_over_capacity, 0);
        assert_eq!(batch.header.block_index, 9);
    }
}
