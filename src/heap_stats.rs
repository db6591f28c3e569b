//! The live heap after each phase of a scan, for memory work: build with
//! `--features heap-stats` and each phase prints one line to stderr (bench/RESULTS.md
//! has the figures this gave). A counting wrapper around mimalloc, the binary's allocator.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most `LIVE` has been since the last phase ended.
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// mimalloc, counting what is live.
pub struct Counting;

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call is passed on unchanged to mimalloc, which upholds GlobalAlloc's
// contract; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's layout, as GlobalAlloc::alloc requires.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: as for alloc.
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: `ptr` was allocated by mimalloc with `layout`, as the caller guarantees.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match new_size.checked_sub(layout.size()) {
            Some(more) => grew(more),
            None => {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        // SAFETY: as for dealloc, with the caller's new size.
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

/// Prints the live heap at the end of `phase`, its peak since the previous phase and the
/// process's resident set (Linux), then starts the next phase's peak.
pub fn phase_done(phase: &str) {
    let mib = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
    let live = LIVE.load(Relaxed);
    let resident = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(String::new(), |pages| {
            format!(", resident {:.1} MiB", mib(pages * 4096))
        });
    eprintln!(
        "heap: {phase}: live {:.1} MiB, peak {:.1} MiB during the phase{resident}",
        mib(live),
        mib(PEAK.load(Relaxed)),
    );
    PEAK.store(live, Relaxed);
}
