//! `xtask`: tokenguard's benchmark helpers. Run `cargo run -p xtask --release -- help`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use xtask::{bench, ceiling, corpus, kustomize_corpus, kustomize_roots, measure, render_roots};

// The allocator tokenguard uses, so that the parse-only ceiling allocates alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HELP: &str = "\
xtask: tokenguard's benchmark helpers

USAGE:
  xtask gen-corpus --out DIR [--files N | --objects N] [--seed S]
      Write a deterministic corpus of realistic manifests (default 2000 files, seed 1)
      and a .tokenguard.yaml trust config at its root.
  xtask gen-kustomize --out DIR --overlays N [--bases B] [--seed S]
      Write a deterministic Kustomize repository: B application bases (default N/10,
      rounded up), shared components, N overlays (each over one base) and a
      .tokenguard.yaml trust config at its root.
  xtask kustomize-roots DIR
      Print the Kustomize roots under DIR (kustomization directories that no other
      kustomization there lists under resources, bases or components), relative to DIR,
      one per line, sorted.
  xtask render-roots [--runs N] [--slowest K] DIR ROOTS
      Render each root listed in the file ROOTS (relative to DIR, one per line) as
      `tokenguard render DIR/ROOT` does, through tokenguard's own render command, in
      this one process, N times (default 5); print the median total wall and CPU
      seconds and the K slowest roots (default 5; median milliseconds, then the root).
  xtask parse-ceiling [--threads N] PATH...
      Read every *.yaml, *.yml and *.json file and drain saphyr-parser's events, nothing
      else: the speed no scan of the same files can beat.
  xtask measure [--runs N] [--timeout SECS] [--sample-group] [--quiet] -- COMMAND [ARG...]
      Run a command N times; print wall and CPU seconds, peak RSS and how many runs
      failed (exited non-zero or by a signal). --quiet discards the command's output.
  xtask bench --tokenguard BIN --corpus NAME=DIR... [--runs N] [--threads 1,2]
              [--linear SMALL,LARGE] [--checkov BIN --checkov-corpus NAME]
              [--checkov-timeout SECS] [--checkov-note TEXT] [--command TEXT]
              [--output FILE] [-- TOKENGUARD_ARGS...]
      The comparison table of bench/compare.sh, as Markdown on stdout (and in FILE).
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        "gen-corpus" => gen_corpus(rest),
        "gen-kustomize" => gen_kustomize(rest),
        "kustomize-roots" => kustomize_roots_command(rest),
        "render-roots" => render_roots_command(rest),
        "parse-ceiling" => parse_ceiling(rest),
        "measure" => measure_command(rest),
        "bench" => bench_command(rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::from(2)
        }
    }
}

/// Options as `--name value` pairs, positional arguments, and what follows `--`.
struct Parsed {
    options: Vec<(String, String)>,
    flags: Vec<String>,
    positional: Vec<String>,
    trailing: Vec<String>,
}

impl Parsed {
    fn new(args: &[String], flags: &[&str]) -> Result<Parsed, String> {
        let mut parsed = Parsed {
            options: Vec::new(),
            flags: Vec::new(),
            positional: Vec::new(),
            trailing: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--" {
                parsed.trailing = it.cloned().collect();
                break;
            } else if flags.contains(&arg.as_str()) {
                parsed.flags.push(arg.clone());
            } else if let Some(name) = arg.strip_prefix("--") {
                let value = it.next().ok_or(format!("--{name} needs a value"))?;
                parsed.options.push((name.to_owned(), value.clone()));
            } else {
                parsed.positional.push(arg.clone());
            }
        }
        Ok(parsed)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.options
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, name: &str, default: u64) -> Result<u64, String> {
        self.get(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| format!("--{name}: not a number: {v}"))
        })
    }

    fn check(&self, known: &[&str]) -> Result<(), String> {
        match self
            .options
            .iter()
            .find(|(n, _)| !known.contains(&n.as_str()))
        {
            Some((n, _)) => Err(format!("unknown option --{n}\n\n{HELP}")),
            None => Ok(()),
        }
    }
}

fn pool(threads: u64) -> Result<rayon::ThreadPool, String> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if threads > 0 {
        builder = builder.num_threads(threads as usize);
    }
    builder.build().map_err(|e| e.to_string())
}

fn gen_corpus(args: &[String]) -> Result<(), String> {
    let p = Parsed::new(args, &[])?;
    p.check(&["out", "files", "objects", "seed", "threads"])?;
    let out = PathBuf::from(p.get("out").ok_or("gen-corpus needs --out DIR")?);
    let size = match (p.get("files"), p.get("objects")) {
        (Some(_), Some(_)) => return Err("give --files or --objects, not both".into()),
        (_, Some(_)) => corpus::Size::Objects(p.number("objects", 0)?),
        _ => corpus::Size::Files(p.number("files", 2000)?),
    };
    let seed = p.number("seed", 1)?;
    write_corpus(&p, &out, seed, "", |out| corpus::generate(out, seed, size))
}

/// Generates a corpus into `out` on a pool of `--threads` and says what it wrote,
/// after `what`.
fn write_corpus(
    p: &Parsed,
    out: &Path,
    seed: u64,
    what: &str,
    generate: impl FnOnce(&Path) -> std::io::Result<corpus::Summary> + Send,
) -> Result<(), String> {
    let started = Instant::now();
    let summary = pool(p.number("threads", 0)?)?
        .install(|| generate(out))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "wrote {what}{} files, {} objects, {:.1} MB to {} (seed {seed}) in {:.1} s",
        summary.files,
        summary.objects,
        summary.bytes as f64 / 1e6,
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn gen_kustomize(args: &[String]) -> Result<(), String> {
    let p = Parsed::new(args, &[])?;
    p.check(&["out", "overlays", "bases", "seed", "threads"])?;
    let out = PathBuf::from(p.get("out").ok_or("gen-kustomize needs --out DIR")?);
    if p.get("overlays").is_none() {
        return Err("gen-kustomize needs --overlays N".into());
    }
    let overlays = p.number("overlays", 0)?;
    let bases = p.number(
        "bases",
        overlays
            .div_ceil(kustomize_corpus::OVERLAYS_PER_BASE)
            .max(1),
    )?;
    if bases == 0 {
        return Err("--bases must be at least 1".into());
    }
    let seed = p.number("seed", 1)?;
    let what = format!("{overlays} overlays over {bases} bases: ");
    write_corpus(&p, &out, seed, &what, |out| {
        kustomize_corpus::generate(out, seed, overlays, bases)
    })
}

fn kustomize_roots_command(args: &[String]) -> Result<(), String> {
    let p = Parsed::new(args, &[])?;
    p.check(&[])?;
    let [dir] = p.positional.as_slice() else {
        return Err("kustomize-roots needs one DIR".into());
    };
    let roots =
        kustomize_roots::roots(Path::new(dir)).map_err(|e| format!("cannot read {dir}: {e}"))?;
    let mut out = std::io::stdout().lock();
    for root in roots {
        match writeln!(out, "{}", root.display()) {
            // A reader that stops early (`| head`) wants no more.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(format!("cannot write the roots: {e}")),
            Ok(()) => {}
        }
    }
    Ok(())
}

fn render_roots_command(args: &[String]) -> Result<(), String> {
    let p = Parsed::new(args, &[])?;
    p.check(&["runs", "slowest"])?;
    let [dir, list] = p.positional.as_slice() else {
        return Err("render-roots needs DIR and a ROOTS file".into());
    };
    let roots: Vec<String> = std::fs::read_to_string(list)
        .map_err(|e| format!("cannot read {list}: {e}"))?
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    let arguments = render_roots::arguments(Path::new(dir), &roots)?;
    let passes: Vec<render_roots::Pass> = (0..p.number("runs", 5)?.max(1))
        .map(|_| render_roots::pass(&roots, &arguments))
        .collect();
    let failed: Vec<&render_roots::Rendered> = passes
        .first()
        .map(|pass| pass.roots.iter().filter(|r| r.outcome.is_err()).collect())
        .unwrap_or_default();
    for rendered in &failed {
        if let Err(why) = &rendered.outcome {
            eprintln!("not rendered: {}: {why}", rendered.root);
        }
    }
    println!(
        "roots={} runs={} wall_median={:.4} wall_min={:.4} cpu_median={:.4} failed={} bytes={}",
        roots.len(),
        passes.len(),
        measure::median(passes.iter().map(|p| p.wall).collect()).as_secs_f64(),
        passes
            .iter()
            .map(|p| p.wall)
            .min()
            .unwrap_or_default()
            .as_secs_f64(),
        measure::median(passes.iter().map(|p| p.cpu).collect()).as_secs_f64(),
        failed.len(),
        passes.first().map_or(0, |pass| pass
            .roots
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok())
            .sum::<usize>())
    );
    for (root, wall) in render_roots::slowest(&passes)
        .into_iter()
        .take(p.number("slowest", 5)? as usize)
    {
        println!("{:.2} {root}", wall.as_secs_f64() * 1000.0);
    }
    Ok(())
}

fn parse_ceiling(args: &[String]) -> Result<(), String> {
    let p = Parsed::new(args, &[])?;
    p.check(&["threads"])?;
    let started = Instant::now();
    let paths: Vec<PathBuf> = p.positional.iter().map(PathBuf::from).collect();
    if paths.is_empty() {
        return Err("parse-ceiling needs a PATH".into());
    }
    let totals = pool(p.number("threads", 0)?)?.install(|| -> Result<_, String> {
        let files = ceiling::manifest_files(&paths).map_err(|e| e.to_string())?;
        Ok(ceiling::parse_all(&files))
    })?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} files, {:.1} MB, {} events, {} with errors in {seconds:.3} s: {:.1} MB/s",
        totals.files,
        totals.bytes as f64 / 1e6,
        totals.events,
        totals.errors,
        totals.bytes as f64 / 1e6 / seconds
    );
    Ok(())
}

fn measure_command(args: &[String]) -> Result<(), String> {
    let p = Parsed::new(args, &["--sample-group", "--quiet"])?;
    p.check(&["runs", "timeout"])?;
    if p.trailing.is_empty() {
        return Err("measure needs -- COMMAND".into());
    }
    let timeout = p
        .get("timeout")
        .map(|_| p.number("timeout", 0))
        .transpose()?;
    let sample = p.flags.iter().any(|f| f == "--sample-group");
    let quiet = p.flags.iter().any(|f| f == "--quiet");
    let mut runs = Vec::new();
    for _ in 0..p.number("runs", 1)?.max(1) {
        let options = measure::Options {
            timeout: timeout.map(Duration::from_secs),
            sample_group: sample,
            quiet,
        };
        let run = measure::run(&p.trailing, options).map_err(|e| e.to_string())?;
        eprintln!(
            "wall {:.3} s, user {:.3} s, sys {:.3} s, peak RSS {} KiB, exit {}{}",
            run.wall.as_secs_f64(),
            run.user.as_secs_f64(),
            run.sys.as_secs_f64(),
            run.max_rss_kib,
            run.code.map_or("by signal".to_owned(), |c| c.to_string()),
            if run.timed_out { " (time cap)" } else { "" }
        );
        runs.push(run);
    }
    println!(
        "runs={} wall_median={:.4} wall_min={:.4} cpu_median={:.4} peak_rss_kib={} failed={}",
        runs.len(),
        measure::median(runs.iter().map(|r| r.wall).collect()).as_secs_f64(),
        runs.iter()
            .map(|r| r.wall)
            .min()
            .unwrap_or_default()
            .as_secs_f64(),
        measure::median(runs.iter().map(|r| r.user + r.sys).collect()).as_secs_f64(),
        runs.iter().map(|r| r.max_rss_kib).max().unwrap_or(0),
        runs.iter().filter(|r| r.code != Some(0)).count()
    );
    Ok(())
}

fn bench_command(args: &[String]) -> Result<(), String> {
    let p = Parsed::new(args, &[])?;
    p.check(&[
        "tokenguard",
        "corpus",
        "runs",
        "threads",
        "linear",
        "checkov",
        "checkov-corpus",
        "checkov-timeout",
        "checkov-note",
        "command",
        "output",
    ])?;
    let corpora = p
        .all("corpus")
        .map(|c| {
            c.split_once('=')
                .map(|(n, d)| (n.to_owned(), PathBuf::from(d)))
                .ok_or(format!("--corpus {c}: expected NAME=DIR"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if corpora.is_empty() {
        return Err("bench needs at least one --corpus NAME=DIR".into());
    }
    let threads = p
        .get("threads")
        .unwrap_or("1,2")
        .split(',')
        .map(|t| t.parse::<u16>().map_err(|_| format!("--threads: {t}")))
        .collect::<Result<Vec<_>, _>>()?;
    let linear = p
        .get("linear")
        .map(|l| {
            l.split_once(',')
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .ok_or(format!("--linear {l}: expected SMALL,LARGE"))
        })
        .transpose()?;
    let tokenguard_args = if p.trailing.is_empty() {
        [
            "--format",
            "sarif",
            "--output",
            "/dev/null",
            "--fail-on",
            "never",
        ]
        .map(str::to_owned)
        .to_vec()
    } else {
        p.trailing.clone()
    };
    let plan = bench::Plan {
        tokenguard: PathBuf::from(p.get("tokenguard").ok_or("bench needs --tokenguard BIN")?),
        xtask: std::env::current_exe().map_err(|e| e.to_string())?,
        corpora,
        runs: p.number("runs", 5)?.max(1) as usize,
        threads,
        tokenguard_args,
        checkov: p.get("checkov").map(PathBuf::from),
        checkov_corpus: p.get("checkov-corpus").map(str::to_owned),
        checkov_timeout: Duration::from_secs(p.number("checkov-timeout", 1800)?),
        checkov_note: p.get("checkov-note").map(str::to_owned),
        linear,
        command: p.get("command").unwrap_or("xtask bench").to_owned(),
    };
    let report = bench::run(&plan);
    print!("{report}");
    if let Some(path) = p.get("output") {
        std::fs::write(path, &report).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    Ok(())
}
