//! The editor's parts, drawn with egui from the model and the link's reports.

pub mod cost;
pub mod counters;
pub mod keyboard;
pub mod log;
pub mod selector;
pub mod theme;
