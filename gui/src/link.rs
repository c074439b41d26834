//! [`EditorLink`]: the editor's end of the connection to the plugin's audio thread.
//!
//! The plugin makes one link per instance from the registrar side of `rtcb::switchable()` (it
//! keeps the caller side for `process()`), and hands it to every editor it creates. The link
//! owns:
//! - an [`rtcb::Registration`], which keeps one tap listener on the strategy the editor follows
//!   and none on the others, retries refused sets, and drops listeners the strategies hand back
//!   (on the thread that calls the link, never the audio thread);
//! - the ring the tap listeners copy batches into, allocated once here;
//! - the repaint flag they raise, which nice-plug-egui polls;
//! - the sending end of the keys played on the editor's keyboard ([`crate::keys`]); the plugin
//!   takes the receiving end once, for `process()`.
//!
//! Every method is for non-real-time threads (the host's main thread, the editor's window
//! thread); they take a mutex the audio thread never touches.
//!
//! Whether the editor is open is one flag, the tap's: `process()` reads it (one relaxed load,
//! [`EditorLink::editor_is_open`]), the taps read it, and the link's methods read and change it
//! under the link's mutex, which orders them among themselves.

use crate::batch::{NoteBatch, NoteEvent, BATCH_CAPACITY};
use crate::keys::{key_channel, KeyReceiver, KeySender};
use crate::model::EditorModel;
use crate::tap::{TapLosses, TapRecord, TapShared};
use nice_plug_core::editor::dpi::LogicalSize;
use nice_plug_egui::{EguiEditorState, RepaintNotifier};
use rtcb::{PerStrategy, Registration, Status, Strategy, SwitchRegistrar};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The editor's size when it first opens, in logical pixels.
pub const DEFAULT_SIZE: (u32, u32) = (840, 560);

/// Set this environment variable to `WIDTHxHEIGHT` (logical pixels) and the editor first opens
/// at that size instead of [`DEFAULT_SIZE`] (never below the minimum), e.g.
/// `RTCB_EDITOR_SIZE=640x440` for the window check's screenshot at the minimum size.
pub const SIZE_ENV: &str = "RTCB_EDITOR_SIZE";

/// The size the editor first opens at: [`SIZE_ENV`] if it holds a size, else [`DEFAULT_SIZE`].
fn first_size() -> (u32, u32) {
    let (min_width, min_height) = crate::editor::MIN_SIZE;
    std::env::var(SIZE_ENV)
        .ok()
        .and_then(|size| {
            let (width, height) = size.split_once('x')?;
            Some((width.trim().parse().ok()?, height.trim().parse().ok()?))
        })
        .map_or(DEFAULT_SIZE, |(width, height): (u32, u32)| {
            (width.max(min_width as u32), height.max(min_height as u32))
        })
}

/// Where one strategy stands for the editor, since it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrategyReport {
    /// The registration's view: off, refused (pending), applying, listening or clearing.
    pub status: Status,
    /// Sets and clears refused since the editor opened (each retry counts).
    pub refusals: u64,
    /// How long the last set took from being accepted to being seen applied.
    pub latency: Option<Duration>,
    /// The newest change (ticket number) the audio thread has applied on this strategy.
    pub applied_ticket: u64,
    /// What the tap could not copy since the editor opened.
    pub losses: TapLosses,
}

/// What was counted when the editor opened, to report counts since then.
#[derive(Debug, Clone, Copy, Default)]
struct Baseline {
    refusals: u64,
    losses: TapLosses,
}

struct Inner {
    registration: Registration<NoteBatch>,
    records: rtrb::Consumer<TapRecord>,
    baseline: PerStrategy<Baseline>,
    /// Scratch space for one batch's events while draining.
    events: Vec<NoteEvent>,
    keys: KeySender,
    /// The keyboard's receiving end, until the plugin takes it.
    key_receiver: Option<KeyReceiver>,
}

/// The editor's end of the connection to the audio thread; one per plugin instance, shared by
/// the plugin and every editor it opens (see the [module docs](self)).
pub struct EditorLink {
    tap: Arc<TapShared>,
    repaint: RepaintNotifier,
    editor_state: Arc<EguiEditorState>,
    /// Counts opens, so an editor can tell a new session from the one it drew last.
    session: AtomicU64,
    inner: Mutex<Inner>,
}

impl EditorLink {
    /// Creates the link (allocates the ring) over the registrar side of `rtcb::switchable()`.
    pub fn new(registrar: SwitchRegistrar<NoteBatch>) -> Self {
        let repaint = RepaintNotifier::new();
        let (tap, records) = TapShared::new(repaint.clone());
        let make_tap = Arc::clone(&tap);
        let (keys, key_receiver) = key_channel();
        let (width, height) = first_size();
        Self {
            tap,
            repaint,
            editor_state: EguiEditorState::from_size(LogicalSize::new(width, height), 1.0),
            session: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                registration: Registration::new(registrar, move || make_tap.listener()),
                records,
                baseline: Default::default(),
                events: Vec::with_capacity(BATCH_CAPACITY),
                keys,
                key_receiver: Some(key_receiver),
            }),
        }
    }

    /// The receiving end of the keys played on the editor's keyboard, for `process()`; `Some`
    /// the first time only.
    pub fn take_key_receiver(&self) -> Option<KeyReceiver> {
        self.lock().key_receiver.take()
    }

    /// The key the editor's pointer holds down now, once per frame (see
    /// [`KeySender::hold`]); ignored while the editor is closed.
    pub fn hold_key(&self, key: Option<u8>) {
        let mut inner = self.lock();
        if self.tap.is_open() {
            inner.keys.hold(key);
        }
    }

    /// Key events the keyboard's ring could not take (the plugin was not processing).
    pub fn keys_dropped(&self) -> u64 {
        self.lock().keys.dropped()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves nothing half-done that matters here.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The flag the taps raise when they copied a batch (nice-plug-egui polls it).
    pub fn repaint_notifier(&self) -> RepaintNotifier {
        self.repaint.clone()
    }

    /// The editor window's size, kept while the plugin instance lives.
    pub fn editor_state(&self) -> Arc<EguiEditorState> {
        Arc::clone(&self.editor_state)
    }

    /// The editor opened: forget what the ring still holds from an earlier session, start the
    /// counters from here, and register a tap listener on `strategy`.
    pub fn open(&self, strategy: Strategy) {
        let mut inner = self.lock();
        if self.tap.is_open() {
            inner.registration.listen_on(Some(strategy));
            return;
        }
        while inner.records.pop().is_ok() {}
        for s in Strategy::ALL {
            inner.baseline[s] = Baseline {
                refusals: inner.registration.refusals(s),
                losses: self.tap.losses(s),
            };
        }
        self.tap.set_open(true);
        inner.registration.listen_on(Some(strategy));
        // Relaxed: the session number only tells the editor to start over; the data it then
        // reads is behind this mutex.
        self.session.fetch_add(1, Ordering::Relaxed);
    }

    /// The editor closed: clear the listener. A refused clear (`Trap` occupied, `SpscQueue`
    /// full) is retried at the next [`sync`](Self::sync) or open; meanwhile the tap copies
    /// nothing, and the audio thread, which asks [`editor_is_open`](Self::editor_is_open),
    /// gathers nothing for it.
    pub fn close(&self) {
        let mut inner = self.lock();
        if !self.tap.is_open() {
            return;
        }
        // A key held while the editor goes away is released, not left sounding.
        inner.keys.hold(None);
        self.tap.set_open(false);
        inner.registration.listen_on(None);
    }

    /// Whether an editor is open to take batches; for the audio thread, which asks it with the
    /// strategy's `poll_listening` before it gathers a block. Real-time safe: one relaxed atomic
    /// load, no lock.
    ///
    /// The two answers differ after a close whose clear was refused (`Trap` still holding a set
    /// the audio thread has not taken, `SpscQueue` full): the listener stays installed until the
    /// next open retries the clear, but no block needs gathering for it.
    pub fn editor_is_open(&self) -> bool {
        self.tap.is_open()
    }

    /// Counts opens: changes each time the editor opens.
    pub fn session(&self) -> u64 {
        // Relaxed: see `open`.
        self.session.load(Ordering::Relaxed)
    }

    /// Once per frame: moves the listener to `strategy` if the active strategy changed (from the
    /// editor or from host automation), retries refused changes, notes applied ones, and drops
    /// listeners handed back. Does nothing while the editor is closed.
    pub fn follow(&self, strategy: Strategy) {
        let mut inner = self.lock();
        if !self.tap.is_open() {
            return;
        }
        if inner.registration.wanted() != Some(strategy) {
            inner.registration.listen_on(Some(strategy));
        } else {
            inner.registration.sync();
        }
    }

    /// Retries pending changes and drops the listeners the strategies handed back, open or
    /// closed. Frames do this through [`follow`](Self::follow); after the editor closed, the
    /// cleared listener waits (alive, no longer called) until the next open or `sync`.
    pub fn sync(&self) {
        self.lock().registration.sync();
    }

    /// The strategy the listener is asked to be on (`None` while closed).
    pub fn listening_on(&self) -> Option<Strategy> {
        self.lock().registration.wanted()
    }

    /// Hands every batch waiting in the ring to `model`; returns how many there were.
    pub fn drain(&self, model: &mut EditorModel) -> usize {
        let mut inner = self.lock();
        let Inner {
            records, events, ..
        } = &mut *inner;
        let mut batches = 0;
        while let Ok(record) = records.pop() {
            // Events always follow their header (the tap publishes them together); one found
            // alone belongs to a batch whose header was discarded at open, and is skipped.
            let TapRecord::Batch(header) = record else {
                continue;
            };
            events.clear();
            for _ in 0..header.events_in_ring {
                match records.peek() {
                    Ok(TapRecord::Note(event)) => {
                        events.push(*event);
                        let _ = records.pop();
                    }
                    _ => break,
                }
            }
            model.ingest(&header, events);
            batches += 1;
        }
        batches
    }

    /// Where `strategy` stands, with counts since the editor opened.
    pub fn report(&self, strategy: Strategy) -> StrategyReport {
        let mut inner = self.lock();
        let baseline = inner.baseline[strategy];
        let registration = &mut inner.registration;
        StrategyReport {
            status: registration.status(strategy),
            refusals: registration.refusals(strategy) - baseline.refusals,
            latency: registration.last_latency(strategy),
            applied_ticket: registration.registrar().get(strategy).newest_applied(),
            losses: self.tap.losses(strategy).since(baseline.losses),
        }
    }

    /// Runs `change` on the strategies' registrar side, for a listener of your own beside the
    /// editor's (a tool, a test). A listener set here replaces the editor's tap on that strategy
    /// until the editor next changes it (a close, a strategy move, a reopen).
    pub fn with_registrar<R>(
        &self,
        change: impl FnOnce(&mut SwitchRegistrar<NoteBatch>) -> R,
    ) -> R {
        change(self.lock().registration.registrar_mut())
    }

    /// Tap listeners made so far, and how many of them have been dropped (on this side).
    pub fn listener_counts(&self) -> (u64, u64) {
        self.tap.listener_counts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtcb::Call;

    #[test]
    fn open_registers_and_close_clears() {
        let (registrar, mut caller) = rtcb::switchable::<NoteBatch>();
        let link = EditorLink::new(registrar);
        assert!(!caller.poll_listening());
        link.open(Strategy::Mailbox);
        assert_eq!(link.session(), 1);
        assert!(link.editor_is_open());
        assert!(caller.poll_listening());
        assert!(caller.deliver(&NoteBatch::default()));
        let mut model = EditorModel::default();
        assert_eq!(link.drain(&mut model), 1);
        link.follow(Strategy::Mailbox);
        assert_eq!(link.report(Strategy::Mailbox).status, Status::Listening);

        link.close();
        assert!(!caller.poll_listening());
        link.open(Strategy::Mailbox);
        assert_eq!(link.session(), 2);
        assert!(caller.poll_listening());
    }

    #[test]
    fn keys_held_reach_the_receiver_and_a_close_releases_them() {
        use crate::keys::KeyEvent;
        let (registrar, _caller) = rtcb::switchable::<NoteBatch>();
        let link = EditorLink::new(registrar);
        let mut keys = link.take_key_receiver().expect("the first take");
        assert!(link.take_key_receiver().is_none(), "taken once");
        link.hold_key(Some(60));
        assert_eq!(keys.pop(), None, "ignored while closed");
        link.open(Strategy::Mailbox);
        link.hold_key(Some(60));
        assert!(matches!(keys.pop(), Some(KeyEvent::On { note: 60, .. })));
        link.close();
        assert_eq!(keys.pop(), Some(KeyEvent::Off { note: 60 }));
        assert_eq!(keys.pop(), None);
        assert_eq!(link.keys_dropped(), 0);
    }

    #[test]
    fn records_from_an_earlier_session_are_discarded_at_open() {
        let (registrar, mut caller) = rtcb::switchable::<NoteBatch>();
        let link = EditorLink::new(registrar);
        link.open(Strategy::Mailbox);
        assert!(caller.poll_listening());
        caller.deliver(&NoteBatch::default());
        link.close();
        link.open(Strategy::Mailbox);
        let mut model = EditorModel::default();
        assert_eq!(link.drain(&mut model), 0);
    }
}
