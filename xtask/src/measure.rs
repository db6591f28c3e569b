//! Times whole processes: wall time, CPU time and peak memory, optionally with a time cap.
//!
//! Peak memory is the larger of the kernel's maximum resident set size for the child and
//! its reaped descendants (`wait4`), and the peak sum of the resident sets of every live
//! process in the child's process group, sampled every 50 ms when asked (tools such as
//! checkov fork workers that run at the same time; sampling costs CPU, so it is off for
//! the runs whose speed is compared).

use std::io;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One run of a command.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub wall: Duration,
    pub user: Duration,
    pub sys: Duration,
    pub max_rss_kib: u64,
    /// Exit code, or `None` when a signal (such as the time cap) ended it.
    pub code: Option<i32>,
    pub timed_out: bool,
}

/// How to run a measured command.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Kill the process group after this long.
    pub timeout: Option<Duration>,
    /// Sample the process group's total RSS (costs CPU; for multi-process tools).
    pub sample_group: bool,
    /// Send the command's standard output and error to /dev/null.
    pub quiet: bool,
}

/// Runs `argv` once.
pub fn run(argv: &[String], options: Options) -> io::Result<Run> {
    let Options {
        timeout,
        sample_group,
        quiet,
    } = options;
    use std::os::unix::process::CommandExt;
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no command"))?;
    let started = Instant::now();
    let mut command = Command::new(program);
    command.args(args).process_group(0);
    if quiet {
        command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
    }
    let child = command.spawn()?;
    let pid = child.id() as i32;
    let done = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    let group_peak = Arc::new(AtomicU64::new(0));
    let watcher = (timeout.is_some() || sample_group).then(|| {
        let (done, timed_out, group_peak) = (done.clone(), timed_out.clone(), group_peak.clone());
        std::thread::spawn(move || {
            let page_kib = (unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64 / 1024).max(1);
            while !done.load(Ordering::Relaxed) {
                if sample_group {
                    let rss = group_rss_pages(pid) * page_kib;
                    group_peak.fetch_max(rss, Ordering::Relaxed);
                }
                if timeout.is_some_and(|t| started.elapsed() >= t) {
                    timed_out.store(true, Ordering::Relaxed);
                    unsafe { libc::kill(-pid, libc::SIGKILL) };
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    });
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    // Workers the child left behind in its group are not ours to keep.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    if let Some(watcher) = watcher {
        let _ = watcher.join();
    }
    if waited < 0 {
        return Err(io::Error::last_os_error());
    }
    // The Child handle is not waited on again: wait4 reaped it.
    std::mem::forget(child);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(Run {
        wall,
        user: tv(usage.ru_utime),
        sys: tv(usage.ru_stime),
        max_rss_kib: (usage.ru_maxrss as u64).max(group_peak.load(Ordering::Relaxed)),
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        timed_out: timed_out.load(Ordering::Relaxed),
    })
}

/// Resident pages of every process in the process group `pgid`.
fn group_rss_pages(pgid: i32) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut pages = 0;
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command name (which may hold spaces) close with ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let group = rest
            .split_whitespace()
            .nth(2)
            .and_then(|g| g.parse::<i32>().ok());
        if group != Some(pgid) {
            continue;
        }
        if let Ok(statm) = std::fs::read_to_string(format!("/proc/{pid}/statm")) {
            pages += statm
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    pages
}

/// The median of some durations (the lower middle for an even count).
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or_default()
}
