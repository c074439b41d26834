//! Keys played on the editor's keyboard, on their way from the GUI thread to `process()`.
//!
//! The other direction from the rest of the editor: here the GUI produces and the audio thread
//! consumes. A single-producer single-consumer ring (rtrb) of [`KEY_QUEUE`] key events carries
//! them; [`KeySender`] lives in the [`EditorLink`](crate::EditorLink) (GUI threads, behind its
//! mutex), [`KeyReceiver`] in the plugin (the audio thread). Popping is wait-free: one atomic
//! load and store, no allocation, no lock, no system call, and `process()` pops at most
//! [`KEY_QUEUE`] per block. A key event the full ring cannot take is counted
//! ([`KeySender::dropped`]), never waited for.

/// Key events the ring holds: far more than a hand plays between two audio blocks.
pub const KEY_QUEUE: usize = 64;

/// The velocity of a key pressed with the mouse (100 of MIDI's 127).
pub const MOUSE_VELOCITY: f32 = 100.0 / 127.0;

/// A key pressed or released on the editor's keyboard. Notes are MIDI key numbers, on the
/// first MIDI channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyEvent {
    /// A key went down.
    On {
        /// The MIDI key number.
        note: u8,
        /// 0 to 1.
        velocity: f32,
    },
    /// A key went up.
    Off {
        /// The MIDI key number.
        note: u8,
    },
}

/// The GUI's end: sends key events and remembers which key the pointer holds down.
pub struct KeySender {
    producer: rtrb::Producer<KeyEvent>,
    held: Option<u8>,
    dropped: u64,
}

/// The audio thread's end.
pub struct KeyReceiver {
    consumer: rtrb::Consumer<KeyEvent>,
}

/// A connected pair; allocates the ring (once).
pub fn key_channel() -> (KeySender, KeyReceiver) {
    let (producer, consumer) = rtrb::RingBuffer::new(KEY_QUEUE);
    (
        KeySender {
            producer,
            held: None,
            dropped: 0,
        },
        KeyReceiver { consumer },
    )
}

impl KeySender {
    /// The key the pointer holds down now (`None`: no key). Sends what changed: the old key's
    /// release, then the new key's press. Call it every frame; a key held across frames is sent
    /// once.
    pub fn hold(&mut self, key: Option<u8>) {
        if key == self.held {
            return;
        }
        if let Some(note) = self.held.take() {
            self.send(KeyEvent::Off { note });
        }
        if let Some(note) = key {
            self.send(KeyEvent::On {
                note,
                velocity: MOUSE_VELOCITY,
            });
            self.held = Some(note);
        }
    }

    /// The key held down, if any.
    pub fn held(&self) -> Option<u8> {
        self.held
    }

    /// Key events the full ring could not take (the plugin not processing, for example).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn send(&mut self, event: KeyEvent) {
        if self.producer.push(event).is_err() {
            self.dropped += 1;
        }
    }
}

impl KeyReceiver {
    /// The oldest key event not yet taken. Real-time safe (see the [module docs](self)).
    pub fn pop(&mut self) -> Option<KeyEvent> {
        self.consumer.pop().ok()
    }

    /// Forgets every key event waiting (the plugin was (re)activated: they are stale).
    pub fn discard(&mut self) {
        while self.consumer.pop().is_ok() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(receiver: &mut KeyReceiver) -> Vec<KeyEvent> {
        std::iter::from_fn(|| receiver.pop()).collect()
    }

    #[test]
    fn a_held_key_is_sent_once_and_a_drag_releases_the_old_key_first() {
        let (mut sender, mut receiver) = key_channel();
        sender.hold(Some(60));
        sender.hold(Some(60));
        sender.hold(Some(62));
        sender.hold(None);
        sender.hold(None);
        let on = |note| KeyEvent::On {
            note,
            velocity: MOUSE_VELOCITY,
        };
        assert_eq!(
            received(&mut receiver),
            [
                on(60),
                KeyEvent::Off { note: 60 },
                on(62),
                KeyEvent::Off { note: 62 }
            ]
        );
        assert_eq!(sender.held(), None);
    }

    #[test]
    fn a_full_ring_counts_what_it_cannot_take() {
        let (mut sender, mut receiver) = key_channel();
        for n in 0..KEY_QUEUE as u8 {
            sender.hold(Some(n));
        }
        // KEY_QUEUE presses and KEY_QUEUE - 1 releases were sent; the ring took KEY_QUEUE.
        assert_eq!(sender.dropped(), KEY_QUEUE as u64 - 1);
        assert_eq!(received(&mut receiver).len(), KEY_QUEUE);
        sender.hold(None);
        receiver.discard();
        assert_eq!(receiver.pop(), None);
    }
}
