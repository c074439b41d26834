//! How much memory the test process holds: resident pages (`VmRSS`) and bytes in use on the C
//! heap (glibc's `mallinfo2`, every arena). The plugin library allocates through the same C heap
//! (nice-plug's allocation guard forwards to the system allocator), so a leak in the plugin, its
//! editor or the libraries under them shows in `heap_bytes`; `VmRSS` also sees what the heap does
//! not (graphics drivers' mappings, thread stacks).

/// A snapshot of the process's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// Resident set size, in bytes.
    pub rss_bytes: u64,
    /// Bytes in use on the C heap (`uordblks + hblkhd`: small chunks plus mmapped ones).
    pub heap_bytes: u64,
}

impl Memory {
    /// Reads the process's memory now, after handing the heap's free pages back to the system
    /// (`malloc_trim`), so resident memory counts what is in use rather than what glibc keeps
    /// cached in the arenas of threads that have come and gone.
    pub fn now() -> Memory {
        // SAFETY: `malloc_trim` only releases free memory; it takes the arena locks itself.
        unsafe { libc::malloc_trim(0) };
        Memory {
            rss_bytes: rss_bytes(),
            heap_bytes: heap_bytes(),
        }
    }

    /// How much each figure grew from `earlier` to `self` (negative: shrank).
    pub fn growth_since(&self, earlier: &Memory) -> (i64, i64) {
        (
            self.rss_bytes as i64 - earlier.rss_bytes as i64,
            self.heap_bytes as i64 - earlier.heap_bytes as i64,
        )
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RSS {:.1} MiB, heap in use {:.1} KiB",
            self.rss_bytes as f64 / 1_048_576.0,
            self.heap_bytes as f64 / 1024.0
        )
    }
}

/// `VmRSS` from `/proc/self/status`.
fn rss_bytes() -> u64 {
    proc_status("VmRSS") * 1024
}

/// The number on the line `field:` of `/proc/self/status` (without its unit, e.g. kB).
pub fn proc_status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("Linux's /proc")
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

/// Bytes in use on glibc's heap.
fn heap_bytes() -> u64 {
    // SAFETY: `mallinfo2` only reads the allocator's statistics (it takes the arena locks).
    let info = unsafe { libc::mallinfo2() };
    (info.uordblks + info.hblkhd) as u64
}
