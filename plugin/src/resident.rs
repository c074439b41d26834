//! Keeps the plugin library in memory once a host has created an instance.
//!
//! Creating an instance leaves a thread-local destructor (Rust's standard library registers one
//! with `pthread_key_create`) in the host thread that called in. If the host then unloads the
//! library and that thread exits later, the destructor would run code that is no longer mapped,
//! and the host would crash. Hosts may unload plugin libraries whenever they like (scanners do),
//! so the library makes itself resident instead: a second `dlopen` of itself with
//! `RTLD_NODELETE` keeps it mapped until the process exits. Loading it again later finds the same
//! copy.

/// Makes the library that contains this code resident (once; later calls do nothing).
#[cfg(unix)]
pub fn stay_loaded() {
    use std::ffi::c_void;
    use std::sync::Once;

    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `Dl_info` is plain data (pointers and integers); all zeroes is a valid value.
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        let here = stay_loaded as *const c_void;
        // SAFETY: `dladdr` only looks `here` up among the loaded objects and fills `info`.
        let found = unsafe { libc::dladdr(here, &mut info) } != 0;
        if found && !info.dli_fname.is_null() {
            // SAFETY: `dli_fname` is the NUL-terminated path of the object this function is in,
            // which is loaded (`RTLD_NOLOAD` only takes one more reference to it, and opens
            // nothing new). The handle is never closed, on purpose. In the standalone program the
            // object is the executable itself, which `dlopen` does not know by its path: the call
            // returns null, and there is nothing to keep loaded anyway.
            unsafe {
                libc::dlopen(
                    info.dli_fname,
                    libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
                )
            };
        }
    });
}

/// Elsewhere: nothing is done (the problem above is one of `pthread` keys).
#[cfg(not(unix))]
pub fn stay_loaded() {}
