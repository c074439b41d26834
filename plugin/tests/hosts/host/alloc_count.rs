//! Counts the allocations and frees the plugin makes inside `process()`, in release builds too.
//!
//! The plugin library allocates through the C allocator (`malloc` and friends). This test
//! executable defines those functions itself, so the dynamic linker binds the plugin's calls
//! (and everyone else's) to them; each forwards to glibc's own allocator (`__libc_malloc`, ...)
//! and, while the calling thread is [`counting`], adds one to that thread's count. A host counts
//! around its call into the plugin's `process()` and [`pause`]s inside its own callbacks (the
//! event lists), so the count is the plugin's alone: its own code and the framework's wrapper.
//!
//! (nice-plug's `assert_process_allocs` guards only the plugin's code, in debug builds, and lets
//! the wrapper allocate; this count sees both.)

use std::cell::Cell;
use std::ffi::c_void;

thread_local! {
    /// Whether allocations on this thread are counted now.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Allocations and frees counted on this thread.
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

/// Runs `call` with this thread's allocations and frees counted; returns its result and the
/// count.
pub fn counting<R>(call: impl FnOnce() -> R) -> (R, u64) {
    let before = COUNT.with(Cell::get);
    let was = COUNTING.with(|c| c.replace(true));
    let result = call();
    COUNTING.with(|c| c.set(was));
    (result, COUNT.with(Cell::get) - before)
}

/// Runs `call` (host code, inside a counted call) without counting.
pub fn pause<R>(call: impl FnOnce() -> R) -> R {
    let _paused = Paused::new();
    call()
}

/// While alive, this thread's allocations are not counted (for host code inside a counted
/// call).
pub struct Paused {
    was: bool,
}

impl Paused {
    /// Pauses counting on this thread until dropped.
    pub fn new() -> Paused {
        Paused {
            was: COUNTING.with(|c| c.replace(false)),
        }
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        COUNTING.with(|c| c.set(self.was));
    }
}

fn note() {
    // `try_with`: a thread's TLS may be gone while it exits; then nothing is counted. Both cells
    // are const-initialized `Cell`s without destructors, so reading them never allocates.
    let _ = COUNTING.try_with(|counting| {
        if counting.get() {
            let _ = COUNT.try_with(|count| count.set(count.get() + 1));
        }
    });
}

extern "C" {
    fn __libc_malloc(size: usize) -> *mut c_void;
    fn __libc_calloc(count: usize, size: usize) -> *mut c_void;
    fn __libc_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn __libc_free(ptr: *mut c_void);
    fn __libc_memalign(align: usize, size: usize) -> *mut c_void;
}

/// `malloc`, counted.
///
/// # Safety
/// As C's `malloc`.
#[no_mangle]
pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
    note();
    // SAFETY: forwarded as it came.
    unsafe { __libc_malloc(size) }
}

/// `calloc`, counted.
///
/// # Safety
/// As C's `calloc`.
#[no_mangle]
pub unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
    note();
    // SAFETY: forwarded as it came.
    unsafe { __libc_calloc(count, size) }
}

/// `realloc`, counted.
///
/// # Safety
/// As C's `realloc`.
#[no_mangle]
pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    note();
    // SAFETY: forwarded as it came; the pointer came from this allocator (glibc's).
    unsafe { __libc_realloc(ptr, size) }
}

/// `free`, counted (a null pointer is not a free).
///
/// # Safety
/// As C's `free`.
#[no_mangle]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    if !ptr.is_null() {
        note();
    }
    // SAFETY: forwarded as it came; the pointer came from this allocator (glibc's).
    unsafe { __libc_free(ptr) }
}

/// `memalign`, counted.
///
/// # Safety
/// As C's `memalign`.
#[no_mangle]
pub unsafe extern "C" fn memalign(align: usize, size: usize) -> *mut c_void {
    note();
    // SAFETY: forwarded as it came.
    unsafe { __libc_memalign(align, size) }
}

/// `aligned_alloc`, counted.
///
/// # Safety
/// As C's `aligned_alloc`.
#[no_mangle]
pub unsafe extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
    note();
    // SAFETY: forwarded as it came.
    unsafe { __libc_memalign(align, size) }
}

/// `posix_memalign`, counted (Rust's allocator uses it for alignments above 16).
///
/// # Safety
/// As C's `posix_memalign`.
#[no_mangle]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> i32 {
    note();
    if !align.is_power_of_two() || !align.is_multiple_of(std::mem::size_of::<usize>()) {
        return libc::EINVAL;
    }
    // SAFETY: forwarded; `out` is the caller's valid place for the pointer.
    unsafe {
        let ptr = __libc_memalign(align, size);
        if ptr.is_null() && size != 0 {
            return libc::ENOMEM;
        }
        *out = ptr;
    }
    0
}

#[test]
fn counts_this_threads_allocations_and_frees_only_while_counting() {
    // `black_box`: an optimized build may otherwise drop an allocation nobody reads.
    let (boxed, count) = counting(|| std::hint::black_box(Box::new([0u8; 100])));
    assert_eq!(count, 1, "one allocation");
    let ((), count) = counting(|| drop(std::hint::black_box(boxed)));
    assert_eq!(count, 1, "one free");
    let (_, count) = counting(|| pause(|| std::hint::black_box(vec![1u8; 10])));
    assert_eq!(count, 0, "paused: not counted");
    let (_, count) = counting(|| std::thread::spawn(|| vec![1u8; 10]).join());
    assert!(count >= 1, "spawning allocates on this thread");
    let other = std::thread::spawn(|| counting(|| 1 + 1).1);
    assert_eq!(other.join().unwrap(), 0, "a computation allocates nothing");
}
