//! Progress of a scan: counters the scan updates ([`Progress`]) and the line the command
//! line draws from them on a terminal ([`Indicator`]) when a scan takes more than a
//! second. The indicator writes only to standard error, only when both standard output
//! and standard error are terminals and `CI` is not set, and erases its line before
//! anything else is printed, so it never reaches a log or a machine-readable report.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a scan has done so far; cheap to update from the scan.
#[derive(Debug, Default)]
pub struct Progress {
    stage: AtomicU8,
    files_total: AtomicUsize,
    files_done: AtomicUsize,
    objects: AtomicUsize,
}

const DISCOVERING: u8 = 0;
const READING: u8 = 1;
const CHECKING: u8 = 2;

impl Progress {
    /// The files to read are known.
    pub fn reading(&self, files: usize) {
        self.files_total.store(files, Ordering::Relaxed);
        self.stage.store(READING, Ordering::Relaxed);
    }

    /// One more file is read, with this many objects.
    pub fn file_done(&self, objects: usize) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        self.objects.fetch_add(objects, Ordering::Relaxed);
    }

    /// Every file is read; the rules run.
    pub fn checking(&self) {
        self.stage.store(CHECKING, Ordering::Relaxed);
    }

    fn line(&self) -> String {
        let files = self.files_done.load(Ordering::Relaxed);
        let total = self.files_total.load(Ordering::Relaxed);
        let objects = self.objects.load(Ordering::Relaxed);
        match self.stage.load(Ordering::Relaxed) {
            DISCOVERING => "tokenguard: finding files...".to_owned(),
            READING => format!(
                "tokenguard: scanned {} of {} files, {} objects",
                thousands(files),
                thousands(total),
                thousands(objects)
            ),
            _ => format!(
                "tokenguard: scanned {} files, {} objects; checking rules...",
                thousands(files),
                thousands(objects)
            ),
        }
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Draws [`Progress`] on standard error from a thread of its own.
pub struct Indicator {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: JoinHandle<()>,
}

/// Nothing is drawn before a scan has run this long.
const DELAY: Duration = Duration::from_secs(1);
/// At most this often.
const INTERVAL: Duration = Duration::from_millis(200);

impl Indicator {
    /// Whether a progress line may be drawn: both outputs are terminals, outside CI.
    pub fn wanted() -> bool {
        std::io::stderr().is_terminal()
            && std::io::stdout().is_terminal()
            && std::env::var_os("CI").is_none_or(|v| v.is_empty())
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
    }

    /// Starts drawing `progress` after [`DELAY`]; `None` when it is not [`wanted`](Self::wanted).
    pub fn start(progress: Arc<Progress>) -> Option<Indicator> {
        if !Self::wanted() {
            return None;
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || draw(&progress, &stop))
        };
        Some(Indicator { stop, thread })
    }

    /// Stops drawing and erases the line; returns once the terminal is clean.
    pub fn finish(self) {
        let (lock, wake) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
        }
        wake.notify_all();
        let _ = self.thread.join();
    }
}

fn draw(progress: &Progress, stop: &(Mutex<bool>, Condvar)) {
    let (lock, wake) = stop;
    let started = Instant::now();
    let mut drawn = false;
    let Ok(mut stopped) = lock.lock() else {
        return;
    };
    loop {
        let wait = if started.elapsed() < DELAY {
            DELAY - started.elapsed()
        } else {
            INTERVAL
        };
        stopped = match wake.wait_timeout(stopped, wait) {
            Ok((guard, _)) => guard,
            Err(_) => return,
        };
        if *stopped {
            break;
        }
        if started.elapsed() >= DELAY {
            // `\r` and "erase line": the line is redrawn in place, never scrolled.
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{}", progress.line());
            let _ = err.flush();
            drawn = true;
        }
    }
    if drawn {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_files_and_objects() {
        let p = Progress::default();
        assert_eq!(p.line(), "tokenguard: finding files...");
        p.reading(602_140);
        p.file_done(3);
        p.file_done(1_000);
        assert_eq!(
            p.line(),
            "tokenguard: scanned 2 of 602,140 files, 1,003 objects"
        );
        p.checking();
        assert_eq!(
            p.line(),
            "tokenguard: scanned 2 files, 1,003 objects; checking rules..."
        );
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
