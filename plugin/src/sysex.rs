//! [`SysEx`]: MIDI system exclusive messages, held in place so the plugin can forward them without
//! allocating.

use nice_plug::midi::sysex::SysExMessage;

/// The longest SysEx message forwarded, in bytes, `F0` and `F7` included. Longer messages (bulk
/// dumps) are dropped: every event of a block is stored at this size, so it stays small.
pub const SYSEX_CAPACITY: usize = 128;

/// One complete SysEx message (`F0 … F7`) of at most [`SYSEX_CAPACITY`] bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct SysEx {
    len: usize,
    bytes: [u8; SYSEX_CAPACITY],
}

impl SysEx {
    /// The message's bytes, `F0` and `F7` included.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl SysExMessage for SysEx {
    type Buffer = [u8; SYSEX_CAPACITY];

    /// Takes complete messages only: starting with `F0`, ending with `F7`, fitting the capacity.
    /// Everything else (other system messages, partial or oversized SysEx) is not SysEx to us.
    fn from_buffer(buffer: &[u8]) -> Option<Self> {
        let complete = buffer.len() >= 2
            && buffer.len() <= SYSEX_CAPACITY
            && buffer.first() == Some(&0xF0)
            && buffer.last() == Some(&0xF7);
        if !complete {
            return None;
        }
        let mut bytes = [0; SYSEX_CAPACITY];
        bytes[..buffer.len()].copy_from_slice(buffer);
        Some(Self {
            len: buffer.len(),
            bytes,
        })
    }

    fn as_buffer(&self) -> (Self::Buffer, usize) {
        (self.bytes, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_complete_messages_only() {
        let identity_request = [0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7];
        let message = SysEx::from_buffer(&identity_request).unwrap();
        assert_eq!(message.bytes(), identity_request);
        let (buffer, len) = message.as_buffer();
        assert_eq!(&buffer[..len], identity_request);

        let longest = [[0xF0].as_slice(), &[0x11; SYSEX_CAPACITY - 2], &[0xF7]].concat();
        assert_eq!(SysEx::from_buffer(&longest).unwrap().bytes(), longest);

        let too_long = [[0xF0].as_slice(), &[0x11; SYSEX_CAPACITY - 1], &[0xF7]].concat();
        assert_eq!(SysEx::from_buffer(&too_long), None);
        assert_eq!(SysEx::from_buffer(&[0xF0, 0x01]), None, "unterminated");
        assert_eq!(
            SysEx::from_buffer(&[0xF8, 0x00, 0x00]),
            None,
            "clock is not SysEx"
        );
        assert_eq!(SysEx::from_buffer(&[]), None);
    }
}
