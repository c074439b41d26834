//! Counts the system calls one thread makes, without ptrace: a seccomp filter on that thread
//! turns every system call into a user notification; a supervisor thread (not filtered) counts
//! it and lets it continue (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`), so the program behaves as it
//! would unfiltered, only slower at each system call. Linux 5.5 or later.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// System call numbers counted one by one; larger ones share the last bucket.
const NUMBERS: usize = 512;

struct Counts {
    total: AtomicU64,
    by_number: Vec<AtomicU64>,
}

/// Counts the system calls of the thread that installed it (and of threads it spawns later).
#[derive(Clone)]
pub struct SyscallCounter {
    counts: Arc<Counts>,
}

impl fmt::Debug for SyscallCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyscallCounter")
            .field("count", &self.count())
            .finish()
    }
}

impl SyscallCounter {
    /// Installs the filter on the calling thread. Irreversible for that thread: call it on a
    /// thread made for the measurement. `Err` with the reason if the kernel refuses (no
    /// seccomp, too old, another OS), so a caller can report "not counted".
    pub fn install() -> Result<SyscallCounter, String> {
        let counts = Arc::new(Counts {
            total: AtomicU64::new(0),
            by_number: (0..NUMBERS).map(|_| AtomicU64::new(0)).collect(),
        });
        imp::install(Arc::clone(&counts))?;
        Ok(SyscallCounter { counts })
    }

    /// System calls counted so far. Makes no system call itself (an atomic load), so the
    /// measured thread reads it before and after a measured region; a system call is counted
    /// before it runs, so the count is exact on that thread.
    pub fn count(&self) -> u64 {
        // Acquire: pairs with the supervisor's Release increment, made before it lets the
        // system call continue.
        self.counts.total.load(Ordering::Acquire)
    }

    /// The calls counted so far by system call name, most frequent first.
    pub fn by_name(&self) -> Vec<(String, u64)> {
        let mut named: Vec<(String, u64)> = self
            .counts
            .by_number
            .iter()
            .enumerate()
            // Acquire: as `count`.
            .map(|(number, count)| (number, count.load(Ordering::Acquire)))
            .filter(|&(_, count)| count > 0)
            .map(|(number, count)| (name(number), count))
            .collect();
        named.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        named
    }
}

impl Counts {
    fn record(&self, number: i32) {
        let bucket = usize::try_from(number)
            .unwrap_or(NUMBERS - 1)
            .min(NUMBERS - 1);
        // Release: see `SyscallCounter::count`.
        self.by_number[bucket].fetch_add(1, Ordering::Release);
        self.total.fetch_add(1, Ordering::Release);
    }
}

/// The name of system call `number` (the common ones; others by number).
fn name(number: usize) -> String {
    #[cfg(target_os = "linux")]
    {
        let known: &[(libc::c_long, &str)] = &[
            (libc::SYS_futex, "futex"),
            (libc::SYS_sched_yield, "sched_yield"),
            (libc::SYS_mmap, "mmap"),
            (libc::SYS_munmap, "munmap"),
            (libc::SYS_mprotect, "mprotect"),
            (libc::SYS_madvise, "madvise"),
            (libc::SYS_mremap, "mremap"),
            #[cfg(target_arch = "x86_64")]
            (libc::SYS_brk, "brk"),
            (libc::SYS_write, "write"),
            (libc::SYS_read, "read"),
            (libc::SYS_getpid, "getpid"),
            (libc::SYS_gettid, "gettid"),
            (libc::SYS_clock_gettime, "clock_gettime"),
            (libc::SYS_clock_nanosleep, "clock_nanosleep"),
            (libc::SYS_nanosleep, "nanosleep"),
            (libc::SYS_rt_sigprocmask, "rt_sigprocmask"),
            (libc::SYS_sigaltstack, "sigaltstack"),
            (libc::SYS_exit, "exit"),
            (libc::SYS_getrandom, "getrandom"),
            (libc::SYS_rseq, "rseq"),
            (libc::SYS_set_robust_list, "set_robust_list"),
            (libc::SYS_prctl, "prctl"),
        ];
        if let Some((_, name)) = known
            .iter()
            .find(|(n, _)| usize::try_from(*n).ok() == Some(number))
        {
            return (*name).to_owned();
        }
    }
    if number == NUMBERS - 1 {
        format!("syscall {number} or above")
    } else {
        format!("syscall {number}")
    }
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod imp {
    use super::Counts;
    use std::io;
    use std::sync::atomic::{AtomicI32, Ordering};
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    #[cfg(target_arch = "x86_64")]
    const AUDIT_ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64
    #[cfg(target_arch = "aarch64")]
    const AUDIT_ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64

    /// `SECCOMP_RET_USER_NOTIF` (not in every libc version).
    const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;
    /// `SECCOMP_FILTER_FLAG_NEW_LISTENER`.
    const SECCOMP_FILTER_FLAG_NEW_LISTENER: libc::c_ulong = 1 << 3;
    /// Offsets into `struct seccomp_data`: the system call number, then the architecture.
    const NR_OFFSET: u32 = 0;
    const ARCH_OFFSET: u32 = 4;

    fn statement(code: u32, k: u32) -> libc::sock_filter {
        libc::sock_filter {
            code: code as u16,
            jt: 0,
            jf: 0,
            k,
        }
    }

    fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
        libc::sock_filter {
            code: code as u16,
            jt,
            jf,
            k,
        }
    }

    /// No fd published yet.
    const NO_FD: i32 = -1;

    pub fn install(counts: Arc<Counts>) -> Result<(), String> {
        // The supervisor starts before the filter exists, so it is not filtered. It learns the
        // listener's fd through this atomic: handing it over must not take a system call that
        // would wait for the supervisor itself.
        let fd = Arc::new(AtomicI32::new(NO_FD));
        let published = Arc::clone(&fd);
        thread::Builder::new()
            .name("syscall counter".to_owned())
            .spawn(move || supervise(&published, &counts))
            .map_err(|e| format!("cannot start the supervisor: {e}"))?;

        let program = [
            statement(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, ARCH_OFFSET),
            // Another architecture's calls (none expected) run unfiltered.
            jump(
                libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
                AUDIT_ARCH,
                1,
                0,
            ),
            statement(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
            statement(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, NR_OFFSET),
            statement(libc::BPF_RET | libc::BPF_K, SECCOMP_RET_USER_NOTIF),
        ];
        let prog = libc::sock_fprog {
            len: program.len() as u16,
            filter: program.as_ptr().cast_mut(),
        };
        // SAFETY: prctl with PR_SET_NO_NEW_PRIVS takes integer arguments only.
        if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
            let error = io::Error::last_os_error();
            fd.store(-2, Ordering::Release);
            return Err(format!("prctl(PR_SET_NO_NEW_PRIVS) failed: {error}"));
        }
        // SAFETY: `prog` points at `program`, which outlives the call; the kernel copies it.
        let listener = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                SECCOMP_FILTER_FLAG_NEW_LISTENER,
                &prog as *const libc::sock_fprog,
            )
        };
        if listener < 0 {
            let error = io::Error::last_os_error();
            // Tells the supervisor to end.
            fd.store(-2, Ordering::Release);
            return Err(format!(
                "seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER) failed: {error}"
            ));
        }
        // Release: the supervisor's Acquire load sees the fd.
        fd.store(i32::try_from(listener).unwrap_or(-2), Ordering::Release);
        Ok(())
    }

    fn supervise(published: &AtomicI32, counts: &Counts) {
        let fd = loop {
            // Acquire: pairs with the filtered thread's Release store.
            match published.load(Ordering::Acquire) {
                NO_FD => thread::sleep(Duration::from_micros(100)),
                fd if fd < 0 => return,
                fd => break fd,
            }
        };
        loop {
            let mut poll = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd, for the duration of the call.
            let ready = unsafe { libc::poll(&mut poll, 1, 100) };
            if ready < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break;
            }
            if poll.revents & libc::POLLIN == 0 {
                if poll.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                    // Every filtered thread has exited.
                    break;
                }
                continue;
            }
            // SAFETY: the kernel requires the struct zeroed before RECV; all-zero is valid.
            let mut request: libc::seccomp_notif = unsafe { std::mem::zeroed() };
            // SAFETY: `fd` is the listener; `request` is a seccomp_notif the kernel fills.
            if unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_RECV as _, &mut request) } != 0 {
                // EINTR, or ENOENT: the caller was interrupted or died; nothing to answer.
                continue;
            }
            // Counted before the call continues: the filtered thread sees it once resumed.
            counts.record(request.data.nr);
            let mut response = libc::seccomp_notif_resp {
                id: request.id,
                val: 0,
                error: 0,
                flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
            };
            // SAFETY: `fd` is the listener; `response` answers the request just received. A
            // failure (ENOENT: the caller was interrupted) leaves nothing to do.
            unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_SEND as _, &mut response) };
        }
        // SAFETY: `fd` is ours and not used after this.
        unsafe { libc::close(fd) };
    }
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod imp {
    use super::Counts;
    use std::sync::Arc;

    pub fn install(_: Arc<Counts>) -> Result<(), String> {
        Err("system calls are counted on Linux (x86_64, aarch64) only".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::SyscallCounter;
    use std::hint::black_box;
    use std::thread;
    use std::time::Instant;

    #[test]
    fn counts_exactly_the_system_calls_of_its_thread() {
        let (getpids, computing, names) = thread::spawn(|| {
            let counter = SyscallCounter::install().expect("the kernel counts system calls");
            let before = counter.count();
            for _ in 0..3 {
                // SAFETY: getpid takes no arguments and cannot fail.
                black_box(unsafe { libc::syscall(libc::SYS_getpid) });
            }
            let getpids = counter.count() - before;
            let before = counter.count();
            let start = Instant::now();
            let sum: u64 = (1..1_000_000u64).map(black_box).sum();
            black_box((sum, start.elapsed()));
            let computing = counter.count() - before;
            (getpids, computing, counter.by_name())
        })
        .join()
        .expect("the measured thread ends");
        assert_eq!(getpids, 3);
        assert_eq!(
            computing, 0,
            "computing and the vDSO clock make no system call"
        );
        let getpid = names.iter().find(|(name, _)| name == "getpid");
        assert!(getpid.is_some_and(|&(_, n)| n >= 3), "{names:?}");
    }
}
