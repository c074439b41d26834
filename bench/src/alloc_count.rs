//! A global allocator that counts, per thread, the bytes live and the allocations and frees
//! made, so the report can tell how much heap a subject's `new()` keeps and whether its audio
//! side allocates or frees. Install it with
//! `#[global_allocator] static A: CountingAllocator = CountingAllocator;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting per thread.
pub struct CountingAllocator;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread (may go negative when it frees what
    /// another thread allocated).
    static LIVE: Cell<i64> = const { Cell::new(0) };
    /// Allocations (and reallocations) this thread made.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    /// Frees (and reallocations) this thread made.
    static FREES: Cell<u64> = const { Cell::new(0) };
}

fn count(bytes: i64) {
    // `try_with`: during thread teardown the counter may be gone; such frees are not counted.
    let _ = LIVE.try_with(|live| live.set(live.get() + bytes));
}

fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>) {
    let _ = counter.try_with(|n| n.set(n.get() + 1));
}

/// Allocations and frees this thread has made so far (a reallocation counts as both).
pub fn allocations_and_frees() -> (u64, u64) {
    (ALLOCATIONS.with(Cell::get), FREES.with(Cell::get))
}

fn size(layout: Layout) -> i64 {
    i64::try_from(layout.size()).unwrap_or(i64::MAX)
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counting touches only a thread-local `Cell` (no allocation, no reentrancy).
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees (non-zero size layout).
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(size(layout));
            bump(&ALLOCATIONS);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(size(layout));
            bump(&ALLOCATIONS);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through us) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        count(-size(layout));
        bump(&FREES);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count(i64::try_from(new_size).unwrap_or(i64::MAX) - size(layout));
            bump(&ALLOCATIONS);
            bump(&FREES);
        }
        new
    }
}

/// Heap bytes `make` allocated on this thread and still holds in what it returns. Panics if
/// [`CountingAllocator`] is not the global allocator.
pub fn heap_kept_by<T>(make: impl FnOnce() -> T) -> (T, u64) {
    let probe_before = live();
    // black_box: the optimiser may otherwise remove the allocation altogether.
    let probe = std::hint::black_box(Box::new(0u64));
    assert_eq!(
        live() - probe_before,
        8,
        "CountingAllocator must be the global allocator"
    );
    drop(probe);
    let before = live();
    let made = make();
    let kept = u64::try_from(live() - before).unwrap_or(0);
    (made, kept)
}

fn live() -> i64 {
    LIVE.with(Cell::get)
}
