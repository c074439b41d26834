//! The editor: [`EditorCore`] draws a frame and follows the strategy parameter (it runs without a
//! window, which is how the tests drive it); [`RtcbEditor`] wraps it in nice-plug-egui's editor
//! and ties the link's open/close to the editor's lifetime.

use crate::link::{EditorLink, StrategyReport};
use crate::model::EditorModel;
use crate::view::{cost, counters, keyboard, log, selector, theme};
use egui::{CentralPanel, Panel, RichText, Ui};
use nice_plug_core::context::gui::{GuiContext, ParamSetter};
use nice_plug_core::editor::dpi::{LogicalSize, NativeSize};
use nice_plug_core::editor::{
    Editor, EditorHandle, HostMethods, Modifiers, ParentWindowHandle, ResizeHint, SpawnedEditor,
    VirtualKeyCode,
};
use nice_plug_core::plugin::TrackInfo;
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{baseview, EguiEditor, EguiEditorHandle, EguiNiceSettings, NiceEguiApp};
use rtcb::{PerStrategy, Status, Strategy};
use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

/// The smallest size the editor can be resized to, in logical pixels.
pub const MIN_SIZE: (f32, f32) = (640.0, 440.0);
/// Below this width or height (logical pixels) the editor draws compactly: no subtitle, tighter
/// gaps, shorter keys.
const COMPACT_BELOW: (f32, f32) = (760.0, 520.0);
/// From this width (logical pixels) the title row has room for the subtitle.
const WIDE_FROM: f32 = 900.0;
/// The note log's width, least and most (a row of the log needs the least).
const LOG_WIDTH: (f32, f32) = (266.0, 340.0);

/// How often a frame is drawn while a change is pending (refused, applying, clearing), so a
/// refused set is retried and "applied" is noticed even when no batch arrives.
pub const RETRY_INTERVAL: Duration = Duration::from_millis(15);

/// Set this environment variable to `1` and the editor switches the demo pattern on (through
/// the host) the first time it opens: notes move without any MIDI device, e.g. in the
/// standalone's window check.
pub const DEMO_ENV: &str = "RTCB_DEMO";

/// A parameter change the editor asks the host for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamChange {
    /// Make this strategy the active one.
    Strategy(Strategy),
    /// Switch the demo pattern on or off.
    Demo(bool),
}

/// What the editor needs from the plugin's parameters. The plugin implements it for its
/// `Params` struct.
pub trait EditorParams: Send + Sync + 'static {
    /// The strategy the parameter selects now (set by the editor, automation or a preset).
    fn strategy(&self) -> Strategy;

    /// Whether the demo pattern is on.
    fn demo(&self) -> bool;

    /// Applies `change` through the host, as one gesture: `begin_set_parameter`,
    /// `set_parameter`, `end_set_parameter`, so it is recorded as automation and undoable.
    fn change(&self, setter: &ParamSetter, change: ParamChange);
}

/// The editor's state and drawing, without a window: the real editor runs it every frame, the
/// tests drive it with `egui::Context::run_ui`.
pub struct EditorCore {
    link: Arc<EditorLink>,
    params: Arc<dyn EditorParams>,
    model: EditorModel,
    /// The link session this model belongs to.
    session: u64,
    demo_at_first_open: bool,
    /// Where each section was drawn in the last frame.
    sections: Sections,
}

/// Where each part of the editor was drawn in a frame, in points (`Rect::NOTHING` before the
/// first frame). The headless tests check that every part is on screen and none overlaps
/// another, at the minimum and the default size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sections {
    /// The title row.
    pub header: egui::Rect,
    /// The strategy cards.
    pub cards: PerStrategy<egui::Rect>,
    /// The keyboard.
    pub keyboard: egui::Rect,
    /// The counters table.
    pub counters: egui::Rect,
    /// The delivery-cost table.
    pub cost_table: egui::Rect,
    /// The delivery-cost plot.
    pub cost_plot: egui::Rect,
    /// The note log.
    pub log: egui::Rect,
}

impl Default for Sections {
    fn default() -> Self {
        let nothing = egui::Rect::NOTHING;
        Self {
            header: nothing,
            cards: PerStrategy::from_fn(|_| nothing),
            keyboard: nothing,
            counters: nothing,
            cost_table: nothing,
            cost_plot: nothing,
            log: nothing,
        }
    }
}

impl EditorCore {
    /// An editor over `link`, reading and changing `params`.
    pub fn new(link: Arc<EditorLink>, params: Arc<dyn EditorParams>) -> Self {
        Self {
            link,
            params,
            model: EditorModel::default(),
            session: 0,
            demo_at_first_open: false,
            sections: Sections::default(),
        }
    }

    /// Asks for the demo pattern (if off) in the first frame of the first session.
    pub fn with_demo_at_first_open(mut self, on: bool) -> Self {
        self.demo_at_first_open = on;
        self
    }

    /// What the editor has learned since it opened.
    pub fn model(&self) -> &EditorModel {
        &self.model
    }

    /// Where each part of the editor was drawn in the last frame (the keyboard's area finds a
    /// key with [`keyboard::key_rect`], as a test clicking it does).
    pub fn sections(&self) -> &Sections {
        &self.sections
    }

    /// The link this editor draws from.
    pub fn link(&self) -> &Arc<EditorLink> {
        &self.link
    }

    /// One frame: starts over if the editor was reopened, follows the strategy parameter,
    /// drains the ring, draws everything, and returns the parameter changes the user asked for
    /// (apply them through the host).
    pub fn ui(&mut self, ui: &mut Ui) -> Vec<ParamChange> {
        let mut changes = Vec::new();
        let session = self.link.session();
        if session != self.session {
            self.session = session;
            self.model = EditorModel::default();
            theme::apply(ui.ctx());
            if std::mem::take(&mut self.demo_at_first_open) && !self.params.demo() {
                changes.push(ParamChange::Demo(true));
            }
        }
        let active = self.params.strategy();
        self.link.follow(active);
        self.link.drain(&mut self.model);
        let reports = PerStrategy::from_fn(|s| self.link.report(s));
        if reports.values().any(|r| {
            matches!(
                r.status,
                Status::Refused | Status::Applying | Status::Clearing
            )
        }) {
            ui.ctx().request_repaint_after(RETRY_INTERVAL);
        }

        let mut sections = Sections::default();
        let screen = ui.available_rect_before_wrap();
        let compact = screen.height() < COMPACT_BELOW.1 || screen.width() < COMPACT_BELOW.0;
        let gap = if compact { 3.0 } else { 6.0 };
        Panel::top("rtcb-header").show(ui, |ui| {
            ui.add_space(gap * 0.7);
            let header = ui.scope(|ui| self.header(ui, active, &reports[active], compact));
            sections.header = header.response.rect;
            changes.extend(header.inner);
            ui.add_space(gap * 0.3);
        });
        Panel::top("rtcb-strategies").show(ui, |ui| {
            ui.add_space(gap);
            let (picked, cards) = selector::show(ui, active, &reports);
            sections.cards = cards;
            changes.extend(picked.map(ParamChange::Strategy));
            ui.add_space(gap);
        });
        Panel::top("rtcb-keyboard").show(ui, |ui| {
            ui.add_space(gap);
            let lit = theme::strategy_color(self.model.last_strategy().unwrap_or(active));
            // Shorter keys in a short window, so the tables below stay in it.
            let height = if compact { 30.0 } else { 58.0 };
            let keys = keyboard::show(ui, &self.model.held, lit, height);
            self.link.hold_key(keys.pressed);
            sections.keyboard = keys.rect;
            ui.add_space(gap);
        });
        // A third of the width, following the window as it resizes, and never narrower than a
        // log row.
        Panel::right("rtcb-log")
            .resizable(false)
            .exact_size((screen.width() * 0.32).clamp(LOG_WIDTH.0, LOG_WIDTH.1))
            .show(ui, |ui| {
                ui.add_space(gap);
                sections.log = ui
                    .scope(|ui| {
                        ui.label(RichText::new("Note events, newest first").strong());
                        log::show(ui, &self.model.log);
                    })
                    .response
                    .rect;
            });
        CentralPanel::default().show(ui, |ui| {
            ui.add_space(gap * 0.3);
            sections.counters = ui
                .scope(|ui| counters::show(ui, active, &reports, &self.model.delivered))
                .response
                .rect;
            ui.add_space(gap * 1.3);
            ui.horizontal_top(|ui| {
                sections.cost_table = ui
                    .vertical(|ui| cost::table(ui, active, &self.model.cost))
                    .response
                    .rect;
                let size = egui::vec2(ui.available_width(), ui.available_height().max(90.0));
                sections.cost_plot = cost::plot(ui, &self.model.cost, size);
            });
        });
        self.sections = sections;
        changes
    }

    /// The title row: the demo switch and where the listener stands.
    fn header(
        &self,
        ui: &mut Ui,
        active: Strategy,
        report: &StrategyReport,
        compact: bool,
    ) -> Option<ParamChange> {
        let mut change = None;
        // Wrapped: at the minimum width the status moves to a second line instead of being cut.
        ui.horizontal_wrapped(|ui| {
            ui.heading("rtcb")
                .on_hover_text("Notes from the audio thread, handed over by the strategy you pick");
            if cfg!(debug_assertions) {
                ui.label(RichText::new("debug build").small().color(theme::WARNING))
                    .on_hover_text("Unoptimized: delivery costs are higher than a release build's");
            }
            // The subtitle only in a wide window: its words are in the title's hover text too.
            if ui.ctx().content_rect().width() >= WIDE_FROM {
                ui.label(RichText::new("notes from the audio thread").color(theme::TEXT_DIM));
            }
            ui.separator();
            let mut demo = self.params.demo();
            if ui
                .checkbox(&mut demo, "Demo pattern")
                .on_hover_text("Plays a built-in arpeggio (a plugin parameter: automatable)")
                .changed()
            {
                change = Some(ParamChange::Demo(demo));
            }
            ui.separator();
            let (status, colour) = theme::status_label(report.status);
            ui.label(RichText::new(status).strong().color(colour));
            ui.label(format!("on {active}"));
            ui.label(
                // Shorter words in a compact window; the hover text has the rest.
                RichText::new(if compact {
                    format!("{} applied", report.applied_ticket)
                } else {
                    format!("{} changes applied", report.applied_ticket)
                })
                .small()
                .color(theme::TEXT_DIM),
            )
            .on_hover_text(format!(
                "The audio thread has applied {} changes of listener on {active} (each set or \
                 clear is one; rtcb calls it a ticket)",
                report.applied_ticket
            ));
            let (made, dropped) = self.link.listener_counts();
            let listeners = made - dropped;
            let plural = |n: u64, one: &'static str, many: &'static str| match n {
                1 => one,
                _ => many,
            };
            ui.label(
                RichText::new(format!(
                    "· {} {}missed · {listeners} {}",
                    self.model.blocks_unheard,
                    if compact {
                        ""
                    } else {
                        plural(self.model.blocks_unheard, "block ", "blocks ")
                    },
                    plural(listeners, "listener", "listeners"),
                ))
                .small()
                .color(theme::TEXT_DIM),
            )
            .on_hover_text(
                "Blocks missed: audio blocks that went by between two batches the editor \
                 received, e.g. while its listener moved to another strategy.\n\
                 Listeners: those the editor made and has not dropped yet: one while it \
                 listens, two for a moment while it moves. They are always dropped here, never \
                 on the audio thread.",
            );
        });
        change
    }
}

/// The nice-plug-egui app: the core plus the host connection it applies changes through.
struct EditorApp {
    core: EditorCore,
    params: Arc<dyn EditorParams>,
    gui_context: Option<GuiContext>,
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), baseview::HandlerError> {
        theme::apply(&egui_ctx);
        self.gui_context = Some(nice_gui_ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut nice_plug_egui::Frame) {
        let (min_width, min_height) = MIN_SIZE;
        let changes = ResizableWindow::new("rtcb-editor")
            .min_size(egui::vec2(min_width, min_height))
            .show(ui, |ui| self.core.ui(ui))
            .inner;
        if let Some(gui_context) = &self.gui_context {
            let setter = gui_context.param_setter();
            for change in changes {
                self.params.change(&setter, change);
            }
        }
    }
}

/// The plugin's editor: nice-plug-egui's editor, with the link opened when the window is
/// spawned and closed when the host drops it.
pub struct RtcbEditor {
    inner: EguiEditor<EditorApp>,
    link: Arc<EditorLink>,
    params: Arc<dyn EditorParams>,
}

/// Creates the editor for the plugin's `editor()`: `link` is the plugin instance's link,
/// `params` its parameters. Reads [`DEMO_ENV`] once.
pub fn create_editor(link: Arc<EditorLink>, params: Arc<dyn EditorParams>) -> Option<RtcbEditor> {
    let demo = std::env::var(DEMO_ENV).is_ok_and(|v| v == "1");
    let core =
        EditorCore::new(Arc::clone(&link), Arc::clone(&params)).with_demo_at_first_open(demo);
    let (min_width, min_height) = MIN_SIZE;
    let settings = EguiNiceSettings::new().with_tile("rtcb").with_resize_hint(
        ResizeHint::resizable().with_min_logical_size(LogicalSize::new(min_width, min_height)),
    );
    let app = EditorApp {
        core,
        params: Arc::clone(&params),
        gui_context: None,
    };
    let inner = nice_plug_egui::create_egui_editor(
        link.editor_state(),
        link.repaint_notifier(),
        settings,
        app,
    )?;
    Some(RtcbEditor {
        inner,
        link,
        params,
    })
}

impl Editor for RtcbEditor {
    type Handle = RtcbEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn Error>> {
        self.link.open(self.params.strategy());
        match self.inner.spawn(
            parent,
            wait_for_parent,
            fallback_scale_factor,
            gui_context,
            host,
        ) {
            Ok(spawned) => Ok(SpawnedEditor {
                handle: RtcbEditorHandle {
                    inner: spawned.handle,
                    link: Arc::clone(&self.link),
                },
                window: spawned.window,
            }),
            Err(error) => {
                self.link.close();
                Err(error)
            }
        }
    }

    fn size(&self) -> NativeSize<u32> {
        self.inner.size()
    }

    fn resize_hint(&self) -> ResizeHint {
        self.inner.resize_hint()
    }

    fn track_info_updated(&self, info: TrackInfo) {
        self.inner.track_info_updated(info);
    }

    unsafe fn assume_standalone_in_process(&self) {
        // SAFETY: forwarded unchanged; our caller upholds the same contract for us.
        unsafe { self.inner.assume_standalone_in_process() }
    }
}

/// A spawned editor; dropping it (the host closed the editor) clears the listener.
pub struct RtcbEditorHandle {
    inner: EguiEditorHandle,
    link: Arc<EditorLink>,
}

impl Drop for RtcbEditorHandle {
    fn drop(&mut self) {
        self.link.close();
    }
}

impl EditorHandle for RtcbEditorHandle {
    type Window = <EguiEditorHandle as EditorHandle>::Window;
    type Error = <EguiEditorHandle as EditorHandle>::Error;

    fn run_until_closed(window: Self::Window) -> Result<(), Self::Error> {
        EguiEditorHandle::run_until_closed(window)
    }

    fn set_parent(
        &self,
        parent: ParentWindowHandle,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_parent(parent, window)
    }

    fn show(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.show(window)
    }

    fn hide(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.hide(window)
    }

    fn set_size(
        &self,
        new_size: NativeSize<u32>,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_size(new_size, window)
    }

    fn host_main_thread_callback(&self, window: &Self::Window) {
        self.inner.host_main_thread_callback(window);
    }

    fn adjust_size(
        &self,
        new_size: NativeSize<u32>,
        window: &Self::Window,
    ) -> Option<NativeSize<u32>> {
        self.inner.adjust_size(new_size, window)
    }

    fn set_fallback_scale_factor(
        &self,
        scale_factor: f64,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_fallback_scale_factor(scale_factor, window)
    }

    fn on_virtual_key_from_host(
        &self,
        key_code: VirtualKeyCode,
        is_down: bool,
        modifiers: Modifiers,
    ) -> bool {
        self.inner
            .on_virtual_key_from_host(key_code, is_down, modifiers)
    }

    fn state_changed(&self) {
        self.inner.state_changed();
    }

    fn param_value_changed(&self, id: &str, normalized_value: f32) {
        self.inner.param_value_changed(id, normalized_value);
    }

    fn param_modulation_changed(&self, id: &str, modulation_offset: f32) {
        self.inner.param_modulation_changed(id, modulation_offset);
    }
}
