//! The editor without a window: frames are driven with `egui::Context::run_ui`, and a simulated
//! audio thread does what the plugin's `process()` does each block (`set_active`,
//! `poll_listening`, fill a `NoteBatch`, `deliver`) under nice-plug's allocation guard, which
//! aborts on any allocation or free — so a listener dropped on the audio thread (a free) aborts
//! the test. The audio thread also checks, around every block, that the count of dropped tap
//! listeners did not move.

use nice_assert_no_alloc::{assert_no_alloc, AllocDisabler};
use nice_plug_core::context::gui::ParamSetter;
use rtcb::{Call, PerStrategy, Status, Strategy, SwitchCaller};
use rtcb_gui::batch::{BlockHeader, NoteBatch, NoteEvent, NoteKind};
use rtcb_gui::editor::MIN_SIZE;
use rtcb_gui::link::DEFAULT_SIZE;
use rtcb_gui::{EditorCore, EditorLink, EditorParams, ParamChange};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

/// The plugin's parameters as the editor sees them; the test plays the host and applies the
/// changes the editor asks for.
struct TestParams {
    strategy: AtomicUsize,
    demo: AtomicBool,
}

impl TestParams {
    fn new(strategy: Strategy) -> Arc<Self> {
        Arc::new(Self {
            strategy: AtomicUsize::new(strategy.index()),
            demo: AtomicBool::new(false),
        })
    }

    /// The host applying a change (from the editor, or automation).
    fn apply(&self, change: ParamChange) {
        match change {
            ParamChange::Strategy(strategy) => {
                self.strategy.store(strategy.index(), Ordering::Relaxed)
            }
            ParamChange::Demo(on) => self.demo.store(on, Ordering::Relaxed),
        }
    }
}

impl EditorParams for TestParams {
    fn strategy(&self) -> Strategy {
        Strategy::from_index(self.strategy.load(Ordering::Relaxed)).unwrap()
    }

    fn demo(&self) -> bool {
        self.demo.load(Ordering::Relaxed)
    }

    fn change(&self, _setter: &ParamSetter, change: ParamChange) {
        self.apply(change);
    }
}

enum Command {
    /// Process this many blocks.
    Blocks(usize),
    /// Ask every strategy whether a listener is installed.
    Probe,
}

#[derive(Default)]
struct Reply {
    /// Batches delivered.
    delivered: usize,
    /// Tap listeners dropped while the audio thread was inside a block.
    dropped_on_audio_thread: u64,
    /// Per strategy: whether a listener is installed (for `Probe`).
    listening: PerStrategy<bool>,
}

/// A simulated audio thread, driven in lock step: while it runs a command the test (the GUI
/// thread) waits, so a listener drop seen during a block can only have happened on it.
struct AudioThread {
    commands: mpsc::Sender<Command>,
    replies: mpsc::Receiver<Reply>,
}

impl AudioThread {
    fn spawn(
        mut caller: SwitchCaller<NoteBatch>,
        params: Arc<TestParams>,
        link: Arc<EditorLink>,
    ) -> Self {
        let (commands, command_rx) = mpsc::channel();
        let (reply_tx, replies) = mpsc::channel();
        thread::spawn(move || {
            let mut block = Block::default();
            while let Ok(command) = command_rx.recv() {
                let mut reply = Reply::default();
                match command {
                    Command::Blocks(n) => {
                        for _ in 0..n {
                            let (_, dropped_before) = link.listener_counts();
                            let delivered =
                                assert_no_alloc(|| block.process(&mut caller, params.strategy()));
                            let (_, dropped_after) = link.listener_counts();
                            reply.dropped_on_audio_thread += dropped_after - dropped_before;
                            reply.delivered += usize::from(delivered);
                        }
                    }
                    Command::Probe => {
                        let active = caller.active();
                        for strategy in Strategy::ALL {
                            reply.listening[strategy] = assert_no_alloc(|| {
                                caller.set_active(strategy);
                                caller.poll_listening()
                            });
                        }
                        caller.set_active(active);
                    }
                }
                if reply_tx.send(reply).is_err() {
                    break;
                }
            }
        });
        Self { commands, replies }
    }

    fn run(&self, command: Command) -> Reply {
        self.commands.send(command).unwrap();
        let reply = self.replies.recv().unwrap();
        assert_eq!(
            reply.dropped_on_audio_thread, 0,
            "a listener was dropped on the audio thread"
        );
        reply
    }

    /// Processes `n` blocks; returns how many batches were delivered.
    fn blocks(&self, n: usize) -> usize {
        self.run(Command::Blocks(n)).delivered
    }

    /// Which strategies have a listener installed, as the audio thread sees it.
    fn listening(&self) -> PerStrategy<bool> {
        self.run(Command::Probe).listening
    }
}

/// What `process()` keeps between blocks: the batch (allocated once) and the block clock.
#[derive(Default)]
struct Block {
    batch: Box<NoteBatch>,
    index: u64,
    previous_delivery_ns: u32,
}

const BLOCK_LEN: u32 = 480;
const SAMPLE_RATE: f32 = 48_000.0;

impl Block {
    /// One block, as the plugin does it: every block releases the previous note and strikes
    /// the next one. Returns whether a batch was delivered.
    fn process(&mut self, caller: &mut SwitchCaller<NoteBatch>, strategy: Strategy) -> bool {
        caller.set_active(strategy);
        let index = self.index;
        self.index += 1;
        if !caller.poll_listening() {
            self.previous_delivery_ns = 0;
            return false;
        }
        let batch = &mut *self.batch;
        batch.start(BlockHeader {
            strategy,
            block_index: index,
            block_start: index * u64::from(BLOCK_LEN),
            block_len: BLOCK_LEN,
            sample_rate: SAMPLE_RATE,
            previous_delivery_ns: self.previous_delivery_ns,
            ..BlockHeader::default()
        });
        let note = |i: u64| 60 + (i % 12) as u8;
        if index > 0 {
            batch.push(NoteEvent {
                timing: 0,
                kind: NoteKind::Off,
                channel: 0,
                note: note(index - 1),
                velocity: 0.0,
            });
        }
        batch.push(NoteEvent {
            timing: 1,
            kind: NoteKind::On,
            channel: 0,
            note: note(index),
            velocity: 0.75,
        });
        let start = Instant::now();
        let delivered = caller.deliver(batch);
        self.previous_delivery_ns = start.elapsed().as_nanos().max(1) as u32;
        delivered
    }
}

/// Runs one egui frame of the editor; collects the parameter changes it asks for. The frame's
/// output (meshes, texture updates) is discarded: there is no renderer.
fn frame(
    ctx: &egui::Context,
    input: egui::RawInput,
    core: &mut EditorCore,
    changes: &mut Vec<ParamChange>,
) {
    // egui may run a frame in more than one pass: keep what every pass asked for.
    let mut output = ctx.run_ui(input, |ui| changes.extend(core.ui(ui)));
    output.textures_delta.clear();
}

/// A plugin instance with its editor: the link, the parameters, the editor's core and its egui
/// context, and the audio thread.
struct Rig {
    link: Arc<EditorLink>,
    params: Arc<TestParams>,
    core: EditorCore,
    ctx: egui::Context,
    audio: AudioThread,
}

impl Rig {
    fn new(strategy: Strategy) -> Self {
        let (registrar, caller) = rtcb::switchable::<NoteBatch>();
        let link = Arc::new(EditorLink::new(registrar));
        let params = TestParams::new(strategy);
        let core = EditorCore::new(Arc::clone(&link), params.clone());
        let audio = AudioThread::spawn(caller, params.clone(), Arc::clone(&link));
        Self {
            link,
            params,
            core,
            ctx: egui::Context::default(),
            audio,
        }
    }

    /// The host opens the editor (what `RtcbEditor::spawn` does).
    fn open(&self) {
        self.link.open(self.params.strategy());
    }

    /// The host closes the editor (what dropping `RtcbEditorHandle` does).
    fn close(&self) {
        self.link.close();
    }

    /// One frame with these input events; the host applies the changes the editor asks for.
    fn frame_with(&mut self, events: Vec<egui::Event>) -> Vec<ParamChange> {
        self.frame_sized(events, DEFAULT_SIZE)
    }

    /// One frame at `size` (logical points).
    fn frame_sized(&mut self, events: Vec<egui::Event>, size: (u32, u32)) -> Vec<ParamChange> {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(size.0 as f32, size.1 as f32),
            )),
            events,
            ..Default::default()
        };
        let mut changes = Vec::new();
        frame(&self.ctx, input, &mut self.core, &mut changes);
        for &change in &changes {
            self.params.apply(change);
        }
        changes
    }

    fn frame(&mut self) -> Vec<ParamChange> {
        self.frame_with(Vec::new())
    }

    fn status(&self, strategy: Strategy) -> Status {
        self.link.report(strategy).status
    }

    /// Which strategies have a listener, as the audio thread sees it, as one value per strategy.
    fn installed(&self) -> Vec<Strategy> {
        let listening = self.audio.listening();
        Strategy::ALL
            .into_iter()
            .filter(|&s| listening[s])
            .collect()
    }

    /// Switches the strategy parameter as host automation would.
    fn automate(&self, strategy: Strategy) {
        self.params.apply(ParamChange::Strategy(strategy));
    }

    fn alive(&self) -> u64 {
        let (made, dropped) = self.link.listener_counts();
        made - dropped
    }
}

#[test]
fn open_move_close_reopen() {
    let mut rig = Rig::new(Strategy::Mailbox);
    assert_eq!(
        rig.audio.blocks(3),
        0,
        "nobody listens before the editor opens"
    );
    rig.frame();
    assert_eq!(
        rig.link.listening_on(),
        None,
        "a frame does not register while closed"
    );

    // Open: notes appear in the model.
    rig.open();
    rig.frame();
    assert_eq!(rig.audio.blocks(4), 4);
    rig.frame();
    assert_eq!(rig.status(Strategy::Mailbox), Status::Listening);
    let model = rig.core.model();
    let mailbox = model.delivered[Strategy::Mailbox];
    // Blocks 3 to 6: each releases the previous note and strikes the next.
    assert_eq!((mailbox.batches, mailbox.notes), (4, 8));
    assert_eq!(model.held.count(), 1, "one note is held at a time");
    assert_eq!(model.held.velocity(60 + 6), Some(0.75));
    let newest = model.log.newest_first().next().unwrap();
    assert_eq!((newest.event.kind, newest.event.note), (NoteKind::On, 66));
    assert_eq!(newest.strategy, Strategy::Mailbox);
    assert!(model.cost.stats(Strategy::Mailbox).is_some());
    assert_eq!(rig.installed(), [Strategy::Mailbox]);

    // Automation switches the strategy: the registration follows.
    rig.automate(Strategy::SpinLock);
    rig.frame();
    assert_eq!(rig.link.listening_on(), Some(Strategy::SpinLock));
    rig.audio.blocks(Strategy::COUNT);
    rig.frame();
    assert_eq!(rig.status(Strategy::SpinLock), Status::Listening);
    assert_eq!(rig.status(Strategy::Mailbox), Status::Off);
    assert_eq!(rig.installed(), [Strategy::SpinLock]);
    assert!(rig.core.model().delivered[Strategy::SpinLock].batches > 0);

    // Every strategy in turn.
    for strategy in Strategy::ALL {
        rig.automate(strategy);
        rig.frame();
        rig.audio.blocks(Strategy::COUNT);
        rig.frame();
        assert_eq!(rig.status(strategy), Status::Listening, "{strategy}");
        assert_eq!(rig.installed(), [strategy]);
        assert!(rig.link.report(strategy).latency.is_some(), "{strategy}");
    }
    assert!(
        rig.alive() <= 2,
        "handed-back listeners are dropped on the GUI side"
    );

    // Close: the listener is cleared and, once handed back, dropped here.
    rig.close();
    assert_eq!(rig.link.listening_on(), None);
    rig.audio.blocks(Strategy::COUNT);
    rig.frame();
    assert_eq!(
        rig.link.listening_on(),
        None,
        "a late frame does not re-register"
    );
    assert_eq!(rig.installed(), []);
    rig.link.sync();
    assert_eq!(
        rig.alive(),
        0,
        "every tap listener was dropped, on the GUI side"
    );
    let blocks_before = rig.core.model().delivered[Strategy::Mailbox].batches;

    // Reopen: a new session, counting from zero, listening again.
    rig.open();
    rig.frame();
    assert_eq!(
        rig.core.model().delivered[Strategy::Mailbox].batches,
        0,
        "counters start over at each open (had {blocks_before})"
    );
    assert_eq!(rig.audio.blocks(3), 3);
    rig.frame();
    assert_eq!(rig.status(Strategy::Mailbox), Status::Listening);
    assert_eq!(rig.core.model().delivered[Strategy::Mailbox].batches, 3);
    assert_eq!(rig.core.model().held.count(), 1);
}

#[test]
fn a_set_the_spsc_queue_refuses_is_retried_every_frame() {
    let mut rig = Rig::new(Strategy::Mailbox);
    rig.open();
    rig.audio.blocks(1);
    rig.frame();
    assert_eq!(rig.status(Strategy::Mailbox), Status::Listening);

    // The audio thread stalls while the user flips strategies: the queue's four places fill
    // with set, clear, set, clear; the next set is refused.
    for strategy in [
        Strategy::SpscQueue,
        Strategy::Mailbox,
        Strategy::SpscQueue,
        Strategy::Mailbox,
    ] {
        rig.automate(strategy);
        rig.frame();
    }
    assert_eq!(rig.link.report(Strategy::SpscQueue).refusals, 0);
    rig.automate(Strategy::SpscQueue);
    rig.frame();
    assert_eq!(rig.status(Strategy::SpscQueue), Status::Refused);
    assert_eq!(rig.link.report(Strategy::SpscQueue).refusals, 1);
    rig.frame();
    assert_eq!(
        rig.link.report(Strategy::SpscQueue).refusals,
        2,
        "retried on the next frame"
    );

    // The audio thread catches up: the next frame's retry is accepted, then applied.
    rig.audio.blocks(1);
    rig.frame();
    assert_eq!(rig.status(Strategy::SpscQueue), Status::Applying);
    assert_eq!(rig.audio.blocks(1), 1);
    rig.frame();
    assert_eq!(rig.status(Strategy::SpscQueue), Status::Listening);
    assert_eq!(rig.link.report(Strategy::SpscQueue).refusals, 2);
    rig.audio.blocks(Strategy::COUNT);
    assert_eq!(rig.installed(), [Strategy::SpscQueue]);
}

#[test]
fn a_set_the_occupied_trap_refuses_is_retried_every_frame() {
    let mut rig = Rig::new(Strategy::Trap);
    rig.open();
    rig.audio.blocks(1);
    rig.frame();
    assert_eq!(rig.status(Strategy::Trap), Status::Listening);

    // Leave Trap: its clear waits in the trap's one place while the audio thread stalls...
    rig.automate(Strategy::Mailbox);
    rig.frame();
    assert_eq!(rig.status(Strategy::Trap), Status::Clearing);
    // ...so coming back is refused until the audio thread takes the clear.
    rig.automate(Strategy::Trap);
    rig.frame();
    assert_eq!(rig.status(Strategy::Trap), Status::Refused);
    rig.frame();
    assert_eq!(rig.link.report(Strategy::Trap).refusals, 2);

    rig.audio.blocks(1);
    rig.frame();
    assert_eq!(rig.status(Strategy::Trap), Status::Applying);
    rig.audio.blocks(1);
    rig.frame();
    assert_eq!(rig.status(Strategy::Trap), Status::Listening);
    rig.audio.blocks(Strategy::COUNT);
    assert_eq!(rig.installed(), [Strategy::Trap]);
}

#[test]
fn clicking_a_strategy_card_asks_the_host_for_it() {
    let mut rig = Rig::new(Strategy::Mailbox);
    rig.open();
    rig.frame();
    // The five cards share the width under the title row; the third is Trap.
    let trap = egui::pos2(840.0 * 2.5 / 5.0, 100.0);
    let button = |pressed| egui::Event::PointerButton {
        pos: trap,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    rig.frame_with(vec![egui::Event::PointerMoved(trap)]);
    rig.frame_with(vec![button(true)]);
    let changes = rig.frame_with(vec![button(false)]);
    assert_eq!(changes, [ParamChange::Strategy(Strategy::Trap)]);
    rig.frame();
    assert_eq!(rig.link.listening_on(), Some(Strategy::Trap));
}

#[test]
fn the_demo_switch_is_asked_for_at_the_first_open_only() {
    let (registrar, _caller) = rtcb::switchable::<NoteBatch>();
    let link = Arc::new(EditorLink::new(registrar));
    let params = TestParams::new(Strategy::Mailbox);
    let mut core = EditorCore::new(Arc::clone(&link), params.clone()).with_demo_at_first_open(true);
    let ctx = egui::Context::default();
    let frame = |core: &mut EditorCore| {
        let mut changes = Vec::new();
        crate::frame(&ctx, egui::RawInput::default(), core, &mut changes);
        changes
    };
    link.open(Strategy::Mailbox);
    assert_eq!(frame(&mut core), [ParamChange::Demo(true)]);
    assert_eq!(frame(&mut core), []);
    link.close();
    link.open(Strategy::Mailbox);
    assert_eq!(frame(&mut core), [], "only at the first open");
}

#[test]
fn opening_switching_and_closing_while_the_audio_thread_runs() {
    let (registrar, mut caller) = rtcb::switchable::<NoteBatch>();
    let link = Arc::new(EditorLink::new(registrar));
    let params = TestParams::new(Strategy::Mailbox);
    let mut core = EditorCore::new(Arc::clone(&link), params.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let audio = {
        let (params, stop) = (params.clone(), Arc::clone(&stop));
        thread::spawn(move || {
            let mut block = Block::default();
            let mut delivered = 0usize;
            while !stop.load(Ordering::Relaxed) {
                delivered += usize::from(assert_no_alloc(|| {
                    block.process(&mut caller, params.strategy())
                }));
                thread::sleep(std::time::Duration::from_micros(50));
            }
            delivered
        })
    };
    let ctx = egui::Context::default();
    let frame = |core: &mut EditorCore| {
        let mut changes = Vec::new();
        crate::frame(&ctx, egui::RawInput::default(), core, &mut changes);
        changes
    };
    for round in 0..12 {
        link.open(params.strategy());
        for step in 0..6 {
            if step % 2 == 1 {
                let next = Strategy::ALL[(round * 7 + step * 3) % Strategy::COUNT];
                params.apply(ParamChange::Strategy(next));
            }
            frame(&mut core);
        }
        link.close();
        frame(&mut core);
    }
    // Let the audio thread apply the last clears (each strategy is serviced within a few
    // blocks); bounded, so a lost clear fails the test instead of hanging it.
    let all_off = || {
        Strategy::ALL
            .into_iter()
            .all(|s| link.report(s).status == Status::Off)
    };
    for _ in 0..100_000 {
        link.sync();
        if all_off() {
            break;
        }
        thread::sleep(std::time::Duration::from_micros(100));
    }
    assert!(all_off(), "every clear was applied");
    stop.store(true, Ordering::Relaxed);
    let delivered = audio
        .join()
        .expect("the audio thread did not abort or panic");
    assert!(
        delivered > 0,
        "batches were delivered while the editor was open"
    );
    link.sync();
    let (made, dropped) = link.listener_counts();
    assert!(made >= 12, "a listener per open at least ({made})");
    assert_eq!(
        made, dropped,
        "every tap listener was dropped, on this side"
    );
}

/// Every part of the editor is on screen, with room, and overlaps no other, at the minimum and
/// the default size; with notes and costs shown for every strategy.
#[test]
fn every_section_is_visible_at_the_minimum_and_the_default_size() {
    let mut rig = Rig::new(Strategy::Mailbox);
    rig.open();
    for strategy in Strategy::ALL {
        rig.automate(strategy);
        for _ in 0..3 {
            rig.frame();
            rig.audio.blocks(20);
        }
    }
    for size in [(MIN_SIZE.0 as u32, MIN_SIZE.1 as u32), DEFAULT_SIZE] {
        for _ in 0..3 {
            rig.frame_sized(Vec::new(), size);
        }
        let screen =
            egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(size.0 as f32, size.1 as f32));
        let sections = *rig.core.sections();
        let mut named: Vec<(String, egui::Rect)> = vec![
            ("header".into(), sections.header),
            ("keyboard".into(), sections.keyboard),
            ("counters".into(), sections.counters),
            ("cost table".into(), sections.cost_table),
            ("cost plot".into(), sections.cost_plot),
            ("log".into(), sections.log),
        ];
        named.extend(
            Strategy::ALL
                .into_iter()
                .map(|s| (format!("{s} card"), sections.cards[s])),
        );
        for (name, rect) in &named {
            assert!(
                rect.width() >= 40.0 && rect.height() >= 12.0,
                "{size:?}: {name} has no room: {rect:?}"
            );
            assert!(
                screen.contains_rect(*rect),
                "{size:?}: {name} is clipped: {rect:?} on {screen:?}"
            );
        }
        for (i, (a, ra)) in named.iter().enumerate() {
            for (b, rb) in &named[i + 1..] {
                assert!(
                    ra.intersect(*rb).area() < 1.0,
                    "{size:?}: {a} {ra:?} overlaps {b} {rb:?}"
                );
            }
        }
    }
}
