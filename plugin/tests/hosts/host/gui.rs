//! The host's side of the CLAP GUI extension on X11, the way a DAW embeds a plugin's editor: the
//! host makes a window of its own for each opening ([`X11Display::parent_window`]), asks the plugin
//! to create its editor for the X11 API, embeds it with `set_parent`, shows it, and later hides
//! and destroys it ([`EditorSession`]). The plugin's callbacks to the host (resize requests,
//! "closed") are counted in [`HostGuiCalls`].
//!
//! Needs an X server (`$DISPLAY`): the tests that use this module are `#[ignore]`d and run under
//! Xvfb (see `.ci/run`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use clack_extensions::gui::{
    GuiApiType, GuiConfiguration, GuiSize, HostGuiImpl, PluginGui, Window as ClapWindow,
};
use clack_host::prelude::*;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, CreateWindowAux, EventMask, WindowClass};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use super::clap::{Plugin, Shared};

/// What the plugin's editor asked of the host.
#[derive(Debug, Default)]
pub struct HostGuiCalls {
    /// `request_resize` calls (all accepted: the host's window follows the editor).
    pub resize_requests: AtomicU32,
    /// `closed` calls: the editor went away without the host asking.
    pub closed: AtomicU32,
}

impl HostGuiImpl for Shared {
    fn resize_hints_changed(&self) {}

    fn request_resize(&self, _new_size: GuiSize) -> Result<(), HostError> {
        // SeqCst (both counters here): test bookkeeping, read after the calls.
        self.gui.resize_requests.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn closed(&self, _was_destroyed: bool) {
        self.gui.closed.fetch_add(1, Ordering::SeqCst);
    }
}

/// The host's connection to the X server, for its own windows.
pub struct X11Display {
    connection: RustConnection,
    root: u32,
    depth: u8,
    visual: u32,
}

impl X11Display {
    /// Connects to `$DISPLAY`.
    pub fn connect() -> X11Display {
        let (connection, screen) = RustConnection::connect(None)
            .expect("an X server to connect to (run under xvfb-run; see .ci/run)");
        let screen = &connection.setup().roots[screen];
        let (root, depth, visual) = (screen.root, screen.root_depth, screen.root_visual);
        X11Display {
            connection,
            root,
            depth,
            visual,
        }
    }

    /// Creates and maps a top-level window of `width` × `height`: the host's window for the
    /// editor.
    pub fn parent_window(&self, width: u32, height: u32) -> u32 {
        let window = self.connection.generate_id().expect("a window id");
        self.connection
            .create_window(
                self.depth,
                window,
                self.root,
                0,
                0,
                width.clamp(1, u16::MAX.into()) as u16,
                height.clamp(1, u16::MAX.into()) as u16,
                0,
                WindowClass::INPUT_OUTPUT,
                self.visual,
                &CreateWindowAux::new()
                    .background_pixel(0)
                    .event_mask(EventMask::STRUCTURE_NOTIFY),
            )
            .expect("create_window is sent");
        self.connection.map_window(window).expect("map is sent");
        // A round trip: the window exists for the X server before the plugin's own connection
        // (its editor's window thread) refers to it.
        self.connection.sync().expect("the X server answers");
        window
    }

    /// The connection, for the tests' own requests.
    pub fn connection(&self) -> &RustConnection {
        &self.connection
    }

    /// Destroys one of the host's windows.
    pub fn destroy_window(&self, window: u32) {
        self.connection
            .destroy_window(window)
            .expect("destroy is sent");
        self.connection.sync().expect("the X server answers");
        self.drain_events();
    }

    /// The windows inside `window` (the plugin's editor, once embedded).
    pub fn children(&self, window: u32) -> usize {
        self.connection
            .query_tree(window)
            .expect("query_tree is sent")
            .reply()
            .expect("the window exists")
            .children
            .len()
    }

    /// Discards the events the X server sent about the host's windows (nobody reads them).
    pub fn drain_events(&self) {
        while let Ok(Some(_)) = self.connection.poll_for_event() {}
    }
}

/// The plugin's editor, created and embedded in a window of the host's: create, `set_parent`,
/// show. [`Plugin::close_editor`] hides and destroys it, then the host's window.
pub struct EditorSession<'d> {
    gui: PluginGui,
    display: &'d X11Display,
    /// The host's window the editor is embedded in.
    pub parent: u32,
    /// The size the plugin asked for.
    pub size: GuiSize,
    /// The process's threads before the editor was created.
    threads_before: usize,
}

/// How an editor went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    /// Its window left the host's window.
    pub window_left: bool,
    /// The threads it started (its window thread, the OpenGL driver's) have ended.
    pub threads_ended: bool,
}

/// The number of threads in this process.
pub fn thread_count() -> usize {
    super::memory::proc_status("Threads") as usize
}

/// Asks every `step` until `done` holds or `timeout` passes; services the plugin's main-thread
/// callbacks in between (the editor's window thread asks for them). Returns whether `done` held.
pub fn wait_on_main_thread(
    plugin: &mut Plugin,
    timeout: Duration,
    mut done: impl FnMut(&mut Plugin) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        plugin.service_main_thread();
        if done(plugin) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

impl Plugin {
    /// The plugin's GUI extension.
    pub fn gui(&mut self) -> PluginGui {
        self.instance
            .plugin_handle()
            .get_extension()
            .expect("the plugin has a GUI")
    }

    /// Whether the plugin embeds its editor in an X11 window, and whether it can float.
    pub fn x11_support(&mut self) -> (bool, bool) {
        let gui = self.gui();
        let handle = self.instance.plugin_handle();
        let supports = |is_floating| {
            gui.is_api_supported(
                &handle,
                GuiConfiguration {
                    api_type: GuiApiType::X11,
                    is_floating,
                },
            )
        };
        (supports(false), supports(true))
    }

    /// Opens the editor embedded in a new window of the host's, and shows it.
    pub fn open_editor<'d>(&mut self, display: &'d X11Display) -> EditorSession<'d> {
        let threads_before = thread_count();
        let gui = self.gui();
        let handle = self.instance.plugin_handle();
        gui.create(
            &handle,
            GuiConfiguration {
                api_type: GuiApiType::X11,
                is_floating: false,
            },
        )
        .expect("the plugin creates its editor");
        let size = gui
            .get_size(&handle)
            .expect("the editor has a size once created");
        let parent = display.parent_window(size.width, size.height);
        // SAFETY: `parent` is a live window of this host's; it is destroyed only after the
        // plugin's GUI (`EditorSession::drop` destroys the GUI first).
        unsafe { gui.set_parent(&handle, ClapWindow::from_x11_handle(parent.into())) }
            .expect("the editor embeds in the host's window");
        gui.show(&handle).expect("the editor shows");
        self.service_main_thread();
        EditorSession {
            gui,
            display,
            parent,
            size,
            threads_before,
        }
    }

    /// Hides and destroys the editor of `session`, waits (up to `patience`) until its window has
    /// left the host's window and the threads it started have ended, then destroys the host's
    /// window.
    ///
    /// The wait for the threads matters: baseview does not always join its window thread when
    /// the editor is destroyed (when the thread stops first, the join is skipped and "Error while
    /// closing window" is logged), so the thread may still be freeing the editor's memory.
    pub fn close_editor(&mut self, session: EditorSession<'_>, patience: Duration) -> Closed {
        let handle = self.instance.plugin_handle();
        session.gui.hide(&handle).expect("the open editor hides");
        session.gui.destroy(&handle);
        let display = session.display;
        let window_left =
            wait_on_main_thread(self, patience, |_| display.children(session.parent) == 0);
        display.destroy_window(session.parent);
        let threads_ended =
            wait_on_main_thread(self, patience, |_| thread_count() <= session.threads_before);
        Closed {
            window_left,
            threads_ended,
        }
    }
}
