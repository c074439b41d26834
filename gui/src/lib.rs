//! The rtcb demonstrator's editor, and the data the plugin's audio thread hands it.
#![deny(missing_docs)]

pub mod batch;
