//! The comparison `bench/compare.sh` prints: tokenguard end to end against the parse-only
//! ceiling on the same files in the same run, at 1 and 2 threads, with peak memory,
//! linearity, and checkov when it is installed.
//!
//! Every program runs as a whole process. The runs of one corpus are interleaved
//! (ceiling, tokenguard, ceiling, tokenguard...) so that a change of machine load during
//! the run affects both sides of a ratio alike; the table shows medians.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ceiling;
use crate::measure::{self, Run};

/// What to compare.
#[derive(Clone, Debug)]
pub struct Plan {
    pub tokenguard: PathBuf,
    /// This program, for the parse-only ceiling.
    pub xtask: PathBuf,
    pub corpora: Vec<(String, PathBuf)>,
    pub runs: usize,
    pub threads: Vec<u16>,
    /// What tokenguard is run with besides the corpus, `--root` and `--threads`.
    pub tokenguard_args: Vec<String>,
    pub checkov: Option<PathBuf>,
    /// The corpus checkov is compared on.
    pub checkov_corpus: Option<String>,
    pub checkov_timeout: Duration,
    /// Why checkov is not in the table, when it is not.
    pub checkov_note: Option<String>,
    /// Two corpora of one generator, small and large, for the linearity check.
    pub linear: Option<(String, String)>,
    /// The command line shown in the results.
    pub command: String,
}

struct Corpus {
    name: String,
    dir: PathBuf,
    files: u64,
    bytes: u64,
}

struct Row {
    corpus: usize,
    program: &'static str,
    threads: u16,
    runs: Vec<Run>,
}

impl Row {
    fn wall(&self) -> Duration {
        measure::median(self.runs.iter().map(|r| r.wall).collect())
    }

    fn min_wall(&self) -> Duration {
        self.runs.iter().map(|r| r.wall).min().unwrap_or_default()
    }

    fn cpu(&self) -> Duration {
        measure::median(self.runs.iter().map(|r| r.user + r.sys).collect())
    }

    fn rss_mib(&self) -> f64 {
        self.runs.iter().map(|r| r.max_rss_kib).max().unwrap_or(0) as f64 / 1024.0
    }
}

fn corpus(name: &str, dir: &Path) -> std::io::Result<Corpus> {
    let files = ceiling::manifest_files(&[dir.to_path_buf()])?;
    let mut bytes = 0;
    for f in &files {
        bytes += std::fs::metadata(f)?.len();
    }
    Ok(Corpus {
        name: name.to_owned(),
        dir: dir.to_path_buf(),
        files: files.len() as u64,
        bytes,
    })
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim())
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
        })
        .map_or_else(String::new, |kib| {
            format!(", {:.0} GiB RAM", kib as f64 / 1024.0 / 1024.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{model}, {cores} cores{memory}, Linux {}", kernel.trim())
}

fn measure_once(argv: &[String], timeout: Option<Duration>, sample_group: bool) -> Run {
    let options = measure::Options {
        timeout,
        sample_group,
        quiet: true,
    };
    match measure::run(argv, options) {
        Ok(run) => run,
        Err(e) => panic!("cannot run {}: {e}", argv.join(" ")),
    }
}

fn check_exit(argv: &[String], run: &Run) {
    if run.code != Some(0) {
        panic!(
            "`{}` failed (exit {:?}); the benchmark needs every run to succeed: run it by hand to see why",
            argv.join(" "),
            run.code
        );
    }
}

/// Runs the plan and returns the Markdown report.
pub fn run(plan: &Plan) -> String {
    let started = utc_now();
    let load_before = load();
    let corpora: Vec<Corpus> = plan
        .corpora
        .iter()
        .map(|(name, dir)| {
            corpus(name, dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        })
        .collect();
    let mut rows: Vec<Row> = Vec::new();
    for (ci, c) in corpora.iter().enumerate() {
        let dir = c.dir.display().to_string();
        for &threads in &plan.threads {
            let ceiling_argv = vec![
                plan.xtask.display().to_string(),
                "parse-ceiling".into(),
                "--threads".into(),
                threads.to_string(),
                dir.clone(),
            ];
            let mut tokenguard_argv = vec![
                plan.tokenguard.display().to_string(),
                "scan".into(),
                dir.clone(),
                "--root".into(),
                dir.clone(),
                "--threads".into(),
                threads.to_string(),
            ];
            tokenguard_argv.extend(plan.tokenguard_args.iter().cloned());
            eprintln!(
                "bench: {} at {threads} thread(s): {} runs each, interleaved (load {})",
                c.name,
                plan.runs,
                load()
            );
            // One untimed run each: the page cache then holds the corpus for both.
            for argv in [&ceiling_argv, &tokenguard_argv] {
                let warm = measure_once(argv, None, false);
                check_exit(argv, &warm);
            }
            let mut ceiling_runs = Vec::new();
            let mut tokenguard_runs = Vec::new();
            for _ in 0..plan.runs {
                let r = measure_once(&ceiling_argv, None, false);
                check_exit(&ceiling_argv, &r);
                ceiling_runs.push(r);
                let r = measure_once(&tokenguard_argv, None, false);
                check_exit(&tokenguard_argv, &r);
                tokenguard_runs.push(r);
            }
            rows.push(Row {
                corpus: ci,
                program: "parse-only ceiling",
                threads,
                runs: ceiling_runs,
            });
            rows.push(Row {
                corpus: ci,
                program: "tokenguard",
                threads,
                runs: tokenguard_runs,
            });
        }
    }
    let checkov = match (&plan.checkov, &plan.checkov_corpus) {
        (Some(bin), Some(name)) => corpora.iter().position(|c| &c.name == name).map(|ci| {
            eprintln!(
                "bench: checkov on {name}, capped at {} s (load {})",
                plan.checkov_timeout.as_secs(),
                load()
            );
            let argv = vec![
                bin.display().to_string(),
                "--framework".into(),
                "kubernetes".into(),
                "--check".into(),
                "CKV_K8S_38".into(),
                "-d".into(),
                corpora[ci].dir.display().to_string(),
                "--quiet".into(),
                "--compact".into(),
            ];
            let run = measure_once(&argv, Some(plan.checkov_timeout), true);
            (ci, run)
        }),
        _ => None,
    };
    let load_after = load();
    report(
        plan,
        &corpora,
        &rows,
        checkov,
        &started,
        &load_before,
        &load_after,
    )
}

/// Today's date and time in UTC, from the system clock (no date crate needed).
fn utc_now() -> String {
    command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_else(|| "?".to_owned())
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn find<'a>(rows: &'a [Row], corpus: usize, program: &str, threads: u16) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.corpus == corpus && r.program == program && r.threads == threads)
}

fn report(
    plan: &Plan,
    corpora: &[Corpus],
    rows: &[Row],
    checkov: Option<(usize, Run)>,
    date: &str,
    load_before: &str,
    load_after: &str,
) -> String {
    let mut md = String::new();
    let version = command_output(&plan.tokenguard.display().to_string(), &["--version"])
        .unwrap_or_else(|| "tokenguard ?".to_owned());
    let commit = command_output("git", &["rev-parse", "--short", "HEAD"]).unwrap_or_default();
    let rustc = command_output("rustc", &["--version"]).unwrap_or_default();
    let _ = writeln!(md, "- date: {date}");
    let _ = writeln!(md, "- machine: {}", machine());
    let _ = writeln!(
        md,
        "- load average (1, 5, 15 min): {load_before} before, {load_after} after"
    );
    let _ = writeln!(
        md,
        "- build: {version} (commit {commit}), {rustc}, release profile"
    );
    let _ = writeln!(md, "- command: `{}`", plan.command);
    let _ = writeln!(
        md,
        "- tokenguard runs as `tokenguard scan DIR --root DIR --threads N {}`",
        plan.tokenguard_args.join(" ")
    );
    let _ = writeln!(
        md,
        "- figures: median of {} interleaved runs after one warm-up run (page cache warm); MB = 10^6 bytes of the files selected (`*.yaml`, `*.yml`, `*.json`)",
        plan.runs
    );
    md.push('\n');
    let _ = writeln!(md, "| corpus | files | MB |");
    let _ = writeln!(md, "|---|---:|---:|");
    for c in corpora {
        let _ = writeln!(md, "| {} | {} | {:.1} |", c.name, c.files, mb(c.bytes));
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "| corpus | program | threads | wall s (median) | wall s (min) | CPU s | MB/s | files/s | peak RSS MiB | share of parse-only |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let c = &corpora[row.corpus];
        let wall = row.wall().as_secs_f64();
        let share = match row.program {
            "tokenguard" => find(rows, row.corpus, "parse-only ceiling", row.threads)
                .map(|ceiling| format!("{:.0}%", 100.0 * ceiling.wall().as_secs_f64() / wall))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.1} | {:.0} | {:.1} | {share} |",
            c.name,
            row.program,
            row.threads,
            wall,
            row.min_wall().as_secs_f64(),
            row.cpu().as_secs_f64(),
            mb(c.bytes) / wall,
            c.files as f64 / wall,
            row.rss_mib(),
        );
    }
    md.push('\n');

    let mut targets = Vec::new();
    // Throughput against the ceiling on the largest corpus at the most threads.
    let max_threads = plan.threads.iter().copied().max().unwrap_or(1);
    if let Some((ci, c)) = corpora.iter().enumerate().max_by_key(|(_, c)| c.bytes)
        && let (Some(tg), Some(ceiling)) = (
            find(rows, ci, "tokenguard", max_threads),
            find(rows, ci, "parse-only ceiling", max_threads),
        )
    {
        let share = ceiling.wall().as_secs_f64() / tg.wall().as_secs_f64();
        targets.push(format!(
            "- end to end on {} at {max_threads} threads: {:.0} MB/s, {:.0}% of the parse-only ceiling measured in the same run ({:.0} MB/s); target 75%: **{}**",
            c.name,
            mb(c.bytes) / tg.wall().as_secs_f64(),
            100.0 * share,
            mb(c.bytes) / ceiling.wall().as_secs_f64(),
            if share >= 0.75 { "met" } else { "missed" }
        ));
    }
    if let Some((small, large)) = &plan.linear {
        let index = |name: &str| corpora.iter().position(|c| c.name == name);
        if let (Some(s), Some(l)) = (index(small), index(large))
            && let (Some(rs), Some(rl)) = (
                find(rows, s, "tokenguard", max_threads),
                find(rows, l, "tokenguard", max_threads),
            )
        {
            let files = corpora[l].files as f64 / corpora[s].files as f64;
            let time = rl.wall().as_secs_f64() / rs.wall().as_secs_f64();
            let cpu = rl.cpu().as_secs_f64() / rs.cpu().as_secs_f64();
            targets.push(format!(
                "- linearity at {max_threads} threads: {files:.1}x the files ({large} / {small}) took {time:.2}x the wall time ({cpu:.2}x the CPU time); target at most {:.1}x: **{}**",
                files * 1.1,
                if time <= files * 1.1 { "met" } else { "missed" }
            ));
        }
    }
    match checkov {
        Some((ci, run)) => {
            let c = &corpora[ci];
            let tg = find(rows, ci, "tokenguard", max_threads);
            let tg_wall = tg.map_or(0.0, |r| r.wall().as_secs_f64());
            let tg_rss = tg.map_or(0.0, Row::rss_mib);
            let checkov_rss = run.max_rss_kib as f64 / 1024.0;
            let (time_text, speed) = if run.timed_out {
                (
                    format!(
                        "did not finish in {} s (stopped)",
                        plan.checkov_timeout.as_secs()
                    ),
                    plan.checkov_timeout.as_secs_f64() / tg_wall,
                )
            } else {
                (
                    format!(
                        "{:.1} s wall, {:.1} s CPU, exit {}",
                        run.wall.as_secs_f64(),
                        (run.user + run.sys).as_secs_f64(),
                        run.code.map_or("signal".to_owned(), |c| c.to_string())
                    ),
                    run.wall.as_secs_f64() / tg_wall,
                )
            };
            let _ = writeln!(
                md,
                "checkov (`checkov --framework kubernetes --check CKV_K8S_38 -d DIR --quiet --compact`, one run) on {}: {time_text}, peak RSS {checkov_rss:.0} MiB (largest of the process tree's sampled total and any one process).\n",
                c.name
            );
            let at_least = if run.timed_out { "at least " } else { "" };
            targets.push(format!(
                "- against checkov on {} ({} files): tokenguard at {max_threads} threads is {at_least}{speed:.0}x faster (target 200x: **{}**) with {:.1}% of its peak memory ({tg_rss:.0} MiB against {checkov_rss:.0} MiB; target at most 10%: **{}**)",
                c.name,
                c.files,
                if speed >= 200.0 { "met" } else { "missed" },
                100.0 * tg_rss / checkov_rss,
                if tg_rss * 10.0 <= checkov_rss { "met" } else { "missed" }
            ));
        }
        None => {
            let why = plan
                .checkov_note
                .clone()
                .unwrap_or_else(|| "not run".to_owned());
            targets.push(format!("- against checkov: not measured ({why})"));
        }
    }
    let _ = writeln!(md, "Targets:\n");
    for t in targets {
        let _ = writeln!(md, "{t}");
    }
    md
}
