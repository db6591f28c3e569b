//! `cargo bench`: the library's scan end to end and the parse-only ceiling (read the
//! files, drain saphyr-parser's events) over the same generated corpus, at 1 and 2
//! threads, with throughput in bytes. Whole-process figures, peak memory and checkov are
//! `bench/compare.sh`'s job; this is the quick in-process check while optimising.
//!
//! `BENCH_FILES=2000 cargo bench` scans a larger corpus (default 500 files).

use std::path::PathBuf;
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use tokenguard::ScanOptions;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

struct Corpus {
    /// Keeps the directory until the process ends.
    _dir: tempfile::TempDir,
    root: PathBuf,
    files: Vec<PathBuf>,
    bytes: u64,
}

static CORPUS: LazyLock<Corpus> = LazyLock::new(|| {
    let files = std::env::var("BENCH_FILES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().join("corpus");
    xtask::corpus::generate(&root, 1, xtask::corpus::Size::Files(files))
        .expect("the corpus is written");
    let list = xtask::ceiling::manifest_files(std::slice::from_ref(&root)).expect("listed");
    let bytes = list
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    Corpus {
        _dir: dir,
        root,
        files: list,
        bytes,
    }
});

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

fn options(corpus: &Corpus) -> ScanOptions {
    ScanOptions::new(
        vec![corpus.root.clone()],
        corpus.root.clone(),
        jiff::civil::date(2026, 1, 1),
    )
}

#[divan::bench(args = [1, 2], sample_count = 10, sample_size = 1)]
fn end_to_end(bencher: Bencher, threads: usize) {
    let corpus = &*CORPUS;
    let pool = pool(threads);
    bencher
        .counter(BytesCount::new(corpus.bytes))
        .with_inputs(|| options(corpus))
        .bench_values(|options| pool.install(|| tokenguard::scan(options).expect("scans")));
}

#[divan::bench(args = [1, 2], sample_count = 10, sample_size = 1)]
fn parse_only_ceiling(bencher: Bencher, threads: usize) {
    let corpus = &*CORPUS;
    let pool = pool(threads);
    bencher
        .counter(BytesCount::new(corpus.bytes))
        .bench(|| pool.install(|| xtask::ceiling::parse_all(&corpus.files)));
}
