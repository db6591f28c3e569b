//! The command line: clap types, and their translation into a scan and its outputs.
//! Nothing else in the crate knows about flags.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, Config, ConfigError};
use crate::report::{self, Format, ReportOptions};
use crate::rule_id::Level;
use crate::{ScanOptions, Stdin, rules, yaml};

#[derive(Debug, Parser)]
#[command(
    name = "tokenguard",
    version,
    about = "Finds Kubernetes workloads that get an API token for a service account you do not trust.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (the default command).
    Scan(Box<ScanArgs>),
    /// List every rule: id, name, default level and the level under the config.
    Rules(RulesArgs),
    /// Print the full help of one rule (the same text as SARIF help.markdown).
    Explain {
        /// A rule id such as TG001, or its name such as token-automount-untrusted.
        rule: String,
    },
    /// Write a starter .tokenguard.yaml that accepts nothing and lists, commented out,
    /// every entry the repository needs to pass, with the facts behind each.
    Init(InitArgs),
    /// Write the baseline: today's findings, accepted, so that scans with it fail only
    /// on new ones.
    Baseline(BaselineArgs),
    /// Print the JSON Schema of .tokenguard.yaml (for editors and CI validators).
    ConfigSchema,
    /// Print the objects a kustomization renders, as `kubectl kustomize DIR` prints
    /// them.
    Render(RenderArgs),
}

/// `tokenguard render ...` alone: the same subcommand, parsed without building the
/// whole command tree (scan's many flags), most of a small render's start-up. Its help,
/// errors and exit codes are those of the render subcommand of [`Cli`] (a unit test
/// compares them).
#[derive(Debug, Parser)]
#[command(name = "tokenguard", version)]
struct RenderOnly {
    #[command(subcommand)]
    command: RenderCommand,
}

#[derive(Debug, Subcommand)]
enum RenderCommand {
    /// Print the objects a kustomization renders, as `kubectl kustomize DIR` prints
    /// them.
    Render(RenderArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The kustomization directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Follow each scalar with a `# file:line:col` comment naming where it was written.
    #[arg(long)]
    pub origins: bool,
    /// Files may be read only under this directory, and paths are shown relative to
    /// it (default: the git top-level of DIR; outside git, paths are shown relative to
    /// the current directory and any file may be read).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Larger files are not read (e.g. 16MiB, 512KiB).
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = parse_size)]
    pub max_file_size: u64,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Where to write (default: .tokenguard.yaml at the root).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rewrite an existing config file, keeping its entries and their reasons.
    #[arg(long)]
    pub force: bool,
    /// The candidates make a scan pass at this `scan --fail-on` level.
    #[arg(long, value_enum, default_value_t = GateLevel::Error)]
    pub fail_on: GateLevel,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Trust config (default: the nearest .tokenguard.yaml or .tokenguard.yml from the
    /// first PATH up to its git top-level).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where to write (default: the config's `baseline:`, else
    /// .tokenguard-baseline.json at the root).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// What a scan covers, shared by `scan` and `init`.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// The repository root; paths in reports are relative to it (default: the git
    /// top-level of the first PATH, else the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Namespace of objects without metadata.namespace (default: the config's, else "default").
    #[arg(long, value_name = "NS")]
    pub default_namespace: Option<String>,
    /// Scan only what this glob matches: a directory (`apps`, `apps/`, `apps/**`) for
    /// its manifests, or files (`**/*.txt`) whatever their type. Relative to the current
    /// directory; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out what this glob matches, a file or a directory with everything in it
    /// (`samples`, `samples/`, `samples/**`). Relative to the current directory;
    /// repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Trust config (default: the nearest .tokenguard.yaml or .tokenguard.yml from the
    /// root, or the current directory, up to its git top-level).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The repository root (default: the git top-level, else the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Trust config (default: the nearest .tokenguard.yaml or .tokenguard.yml from the
    /// first PATH up to its git top-level).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What goes to standard output (or to --output).
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Write the --format output to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write SARIF to FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write GitLab Code Quality JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub gitlab: Option<PathBuf>,
    /// Also write GitHub workflow commands (annotations) to FILE.
    #[arg(long, value_name = "FILE")]
    pub github: Option<PathBuf>,
    /// Also write a Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Markdown: link locations as URL + path + #L + line (e.g. https://github.com/OWNER/REPO/blob/SHA/).
    #[arg(long, value_name = "URL")]
    pub link_base: Option<String>,
    /// GitHub annotations for findings on the lines this unified diff adds come first
    /// (e.g. `git diff --unified=0 BASE...HEAD`; paths relative to the root).
    #[arg(long, value_name = "FILE")]
    pub diff: Option<PathBuf>,
    /// Exit 1 if a finding at or above this level exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// SARIF automationDetails.id: tells apart several uploads of one repository.
    #[arg(long, value_name = "ID", default_value = "tokenguard/")]
    pub category: String,
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Text: only the summary (findings by rule, namespace and service account, and
    /// the totals); no findings are listed.
    #[arg(long, short)]
    pub quiet: bool,
    /// Text: one line per finding (path:line:col: level[RULE]: message), without source
    /// lines or notes; --quiet wins over it.
    #[arg(long)]
    pub compact: bool,
    /// Text: also list skipped files.
    #[arg(long, short)]
    pub verbose: bool,
    /// Text: also list suppressed findings.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Findings in this baseline file (see `tokenguard baseline`) are accepted: only new
    /// ones count for --fail-on and annotations (default: the config's `baseline:`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

/// What a scan reads and how: shared by `scan`, `baseline` and `init`, so that a
/// baseline holds exactly the findings that a scan with the same flags reports, and the
/// entries `init` offers are those such a scan needs.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The name reports use for standard input.
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    pub stdin_filename: String,
    /// Files larger than this are not parsed and are reported as TG000, e.g. 16MiB,
    /// 512KiB, 1000000 (at most 1GiB).
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Files with more YAML documents than this (empty ones included) are reported as
    /// TG000 after the first N.
    #[arg(long, value_name = "N", default_value_t = yaml::Limits::default().max_documents,
          value_parser = parse_count)]
    pub max_documents: usize,
    /// Follow symbolic links, also those that lead outside the root (off: links are
    /// reported and not read).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Scan the files of Kustomize overlays one by one instead of rendering them (wins
    /// over the config's `kustomize:`).
    #[arg(long)]
    pub no_kustomize: bool,
    /// The date exemptions expire against (YYYY-MM-DD; default: today). For tests.
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<jiff::civil::Date>,
    #[command(flatten)]
    pub scope: ScopeArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Text,
    Sarif,
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// A Markdown summary.
    Markdown,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    /// Never exit 1 (`none` is accepted too).
    #[value(alias = "none")]
    Never,
}

/// A `--fail-on` level that fails on something: what `init` prepares a repository for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GateLevel {
    Error,
    Warning,
    Note,
}

impl GateLevel {
    fn level(self) -> Level {
        match self {
            GateLevel::Error => Level::Error,
            GateLevel::Warning => Level::Warning,
            GateLevel::Note => Level::Note,
        }
    }
}

impl FailOn {
    /// The lowest level that fails, if any does.
    fn level(self) -> Option<Level> {
        match self {
            FailOn::Error => Some(Level::Error),
            FailOn::Warning => Some(Level::Warning),
            FailOn::Note => Some(Level::Note),
            FailOn::Never => None,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Why the command could not do its job (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Scan(#[from] crate::Error),
    #[error("{0}")]
    Diff(#[from] crate::diff::DiffError),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Render(String),
    #[error("unknown rule `{0}`; `tokenguard rules` lists them")]
    UnknownRule(String),
    #[error("cannot start {0} worker threads: {1}")]
    Threads(u16, rayon::ThreadPoolBuildError),
    #[error("{} already exists; use --force to overwrite it", .0.display())]
    Exists(PathBuf),
    #[error("{0}")]
    Baseline(#[from] crate::baseline::BaselineError),
    #[error("two config files in one directory, {0} and {1}: keep one (or name it with --config)")]
    TwoConfigs(String, String),
    #[error("{first} and {second} both write {}; give each output its own file", path.display())]
    SameOutput {
        first: &'static str,
        second: &'static str,
        path: PathBuf,
    },
}

/// Parses the process's arguments and runs the command, as [`run`] does.
pub fn parse_and_run() -> Result<bool, CliError> {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|first| first == "render")
    {
        let RenderOnly {
            command: RenderCommand::Render(args),
        } = RenderOnly::parse();
        return render_command(&args);
    }
    run(Cli::parse())
}

/// Runs the command; `Ok(true)` means the exit code is 1 (findings at --fail-on).
pub fn run(cli: Cli) -> Result<bool, CliError> {
    match cli.command {
        None => scan(cli.scan),
        Some(Command::Scan(args)) => scan(*args),
        Some(Command::Rules(args)) => {
            let start = match &args.root {
                Some(root) => crate::discover::absolute(root),
                None => current_dir()?,
            };
            let root = resolve_root(args.root.as_deref(), &start)?;
            let config = load_config(args.config.as_deref(), &start, &root)?;
            print_out(&rules_table(&config))?;
            Ok(false)
        }
        Some(Command::Explain { rule }) => {
            let meta = rules::find(&rule).ok_or(CliError::UnknownRule(rule))?;
            print_out(meta.help)?;
            Ok(false)
        }
        Some(Command::Init(args)) => init(args),
        Some(Command::Baseline(args)) => write_baseline(args),
        Some(Command::Render(args)) => render_command(&args),
        Some(Command::ConfigSchema) => {
            let schema = config::schema::json_schema(|id| {
                let meta = rules::meta(id);
                format!("{} (default {}): {}", id.name(), meta.level, meta.summary)
            });
            let mut text = serde_json::to_string_pretty(&schema).expect("a JSON value");
            text.push('\n');
            print_out(&text)?;
            Ok(false)
        }
    }
}

fn render_command(args: &RenderArgs) -> Result<bool, CliError> {
    print_out(&render(args)?)?;
    Ok(false)
}

/// The stream `tokenguard render` prints: the rendering of the kustomization in
/// `args.dir`, or why it cannot be rendered (file:line:col and the reason).
pub fn render(args: &RenderArgs) -> Result<String, CliError> {
    use crate::kustomize;
    let dir = crate::discover::absolute(&args.dir);
    if !dir.is_dir() {
        return Err(CliError::Io {
            what: "cannot render",
            path: args.dir.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let (boundary, shown_from) = match (&args.root, git_top_level(&dir)) {
        (Some(_), _) => {
            let root = resolve_root(args.root.as_deref(), &dir)?;
            (root.clone(), root)
        }
        (None, Some(top)) => (top.to_path_buf(), top.to_path_buf()),
        (None, None) => (PathBuf::from("/"), current_dir()?),
    };
    let limits = yaml::Limits {
        max_file_bytes: args.max_file_size,
        ..yaml::Limits::default()
    };
    let reader = kustomize::FsReader {
        max_file_bytes: args.max_file_size,
        follow_symlinks: false,
    };
    let graph = kustomize::plan(std::slice::from_ref(&dir), &boundary, &reader, &limits);
    let shown = |path: &Path| match crate::discover::display_path(path, &shown_from) {
        empty if empty.is_empty() => ".".to_owned(),
        shown => shown,
    };
    let failed = |problem: kustomize::Problem| {
        let at = problem.at.start;
        let position = if at.line == 0 {
            String::new()
        } else {
            format!(":{}:{}", at.line, at.col)
        };
        CliError::Render(format!(
            "{}{position}: cannot render {}: {}",
            shown(&problem.file),
            shown(&dir),
            problem.reason
        ))
    };
    let Some(root) = graph.roots.iter().find(|r| r.dir == dir) else {
        return Err(CliError::Render(format!(
            "{}: no kustomization to render",
            shown(&dir)
        )));
    };
    // The render's own file table: the root's inputs, in order, are the ids.
    let inputs = &root.inputs;
    let id = |path: &Path| {
        inputs
            .binary_search_by(|p| p.as_path().cmp(path))
            .ok()
            .map(|i| crate::FileId(i as u32))
    };
    let rendering = kustomize::render(&graph, root, &id, &reader).map_err(failed)?;
    let path_of = |file: crate::FileId| {
        inputs
            .get(file.0 as usize)
            .map_or_else(String::new, |p| shown(p))
    };
    let origins: Option<&dyn Fn(crate::FileId) -> String> =
        if args.origins { Some(&path_of) } else { None };
    Ok(kustomize::emit::to_yaml(&rendering.objects, origins))
}

/// Standard input, read when `-` is among `paths`: at most one byte over the limit, so
/// that a larger input is reported as too large without being held.
fn read_stdin(
    paths: &[PathBuf],
    name: &str,
    limits: &yaml::Limits,
) -> Result<Option<Stdin>, CliError> {
    if !paths.iter().any(|p| p.as_os_str() == "-") {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| CliError::Io {
            what: "cannot read",
            path: PathBuf::from("-"),
            source,
        })?;
    Ok(Some(Stdin {
        name: name.to_owned(),
        bytes,
    }))
}

/// The baseline file named by `--baseline`, else by the config's `baseline:` (relative
/// to the config file's directory).
fn baseline_path(flag: Option<&Path>, config: &Config, root: &Path) -> Option<(PathBuf, String)> {
    if let Some(path) = flag {
        return Some((path.to_path_buf(), path.display().to_string()));
    }
    let written = config.baseline.as_deref()?;
    let dir = config
        .path
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(root);
    let path = dir.join(written);
    let shown = crate::discover::display_path(&path, root);
    Some((path, shown))
}

/// The scan `input` asks for, without a baseline; `own_files` are the run's reports,
/// never scanned.
fn scan_options(
    input: InputArgs,
    config: Option<&Path>,
    own_files: Vec<PathBuf>,
) -> Result<ScanOptions, CliError> {
    let start = search_start(&input.paths)?;
    let root = resolve_root(input.scope.root.as_deref(), &start)?;
    let config = load_config(config, &start, &root)?;
    input_options(input, root, config, own_files)
}

/// [`scan_options`] with the root and the config already decided.
fn input_options(
    input: InputArgs,
    root: PathBuf,
    config: Config,
    own_files: Vec<PathBuf>,
) -> Result<ScanOptions, CliError> {
    let glob_dir = flag_glob_dir(&root)?;
    let limits = yaml::Limits {
        max_file_bytes: input.max_file_size,
        max_documents: input.max_documents,
        follow_symlinks: input.follow_symlinks,
        ..yaml::Limits::default()
    };
    let stdin = read_stdin(&input.paths, &input.stdin_filename, &limits)?;
    Ok(ScanOptions {
        render_kustomize: !input.no_kustomize && config.render_kustomize(),
        config,
        default_namespace: input.scope.default_namespace,
        include: input.scope.include,
        exclude: input.scope.exclude,
        glob_dir,
        stdin,
        own_files,
        limits,
        ..ScanOptions::new(
            input.paths,
            root,
            input.today.unwrap_or_else(|| jiff::Zoned::now().date()),
        )
    })
}

fn scan(args: ScanArgs) -> Result<bool, CliError> {
    let changed_lines = args.diff.as_deref().map(read_diff).transpose()?;
    let reports = [
        &args.output,
        &args.sarif,
        &args.json,
        &args.gitlab,
        &args.github,
        &args.markdown,
    ];
    let own_files = reports.into_iter().flatten().cloned().collect();
    let mut options = scan_options(args.input, args.config.as_deref(), own_files)?;
    if let Some((path, shown)) =
        baseline_path(args.baseline.as_deref(), &options.config, &options.root)
    {
        options.baseline = Some(crate::baseline::Baseline::load(&path, &shown)?);
        options.own_files.push(path);
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(usize::from(n));
    }
    let pool = pool
        .build()
        .map_err(|e| CliError::Threads(args.threads.unwrap_or(0), e))?;
    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Json => Format::Json,
        FormatArg::Github => Format::Github,
        FormatArg::Gitlab => Format::Gitlab,
        FormatArg::Markdown => Format::Markdown,
    };
    // Output files never get colour (see `Outputs::file`).
    let color = colour(args.color, std::io::stdout().is_terminal(), |name| {
        std::env::var_os(name)
    });
    let report_options = ReportOptions {
        color,
        quiet: args.quiet,
        compact: args.compact,
        verbose: args.verbose,
        show_suppressed: args.show_suppressed,
        category: args.category,
        // A base written without its last `/` would glue the host or commit to the path.
        link_base: args.link_base.map(|base| match base.ends_with('/') {
            true => base,
            false => base + "/",
        }),
        changed_lines,
    };
    let files: Vec<(&'static str, &PathBuf, Format)> = [
        ("--output", &args.output, format),
        ("--sarif", &args.sarif, Format::Sarif),
        ("--json", &args.json, Format::Json),
        ("--gitlab", &args.gitlab, Format::Gitlab),
        ("--github", &args.github, Format::Github),
        ("--markdown", &args.markdown, Format::Markdown),
    ]
    .into_iter()
    .filter_map(|(flag, path, format)| Some((flag, path.as_ref()?, format)))
    .collect();
    let identities: Vec<PathBuf> = files
        .iter()
        .map(|(_, path, _)| crate::discover::file_identity(path))
        .collect();
    for (i, identity) in identities.iter().enumerate() {
        if let Some(j) = identities[..i]
            .iter()
            .position(|earlier| earlier == identity)
        {
            return Err(CliError::SameOutput {
                first: files[j].0,
                second: files[i].0,
                path: files[i].1.clone(),
            });
        }
    }
    // Every output file is checked before the scan, so that a path that cannot be
    // written fails at once, and each is written as the findings come.
    let mut outputs = Outputs::default();
    if args.output.is_none() {
        outputs.stdout(format, &report_options);
    }
    for (_, path, format) in &files {
        outputs.file(path, *format, &report_options)?;
    }
    let sarif = format == Format::Sarif || args.sarif.is_some();
    // A progress line on a terminal for long scans, erased before anything is printed.
    let progress = std::sync::Arc::new(crate::progress::Progress::default());
    outputs.indicator = (!args.quiet)
        .then(|| crate::progress::Indicator::start(progress.clone()))
        .flatten();
    // Reports are written on the scan's threads too: SARIF results are built in parallel.
    let scanned = pool.install(|| crate::scan_into(options, &progress, &mut outputs));
    outputs.stop_indicator();
    if scanned.is_err() {
        outputs.discard();
    }
    let scanned = match scanned {
        Err(crate::Error::Write(e)) => {
            return Err(outputs
                .failure
                .take()
                .unwrap_or(CliError::Scan(crate::Error::Write(e))));
        }
        other => other?,
    };
    let results = scanned.totals.all();
    if sarif && results > 5000 {
        eprintln!(
            "tokenguard: warning: {results} results in one SARIF run; GitHub shows only 5,000 and rejects more than 25,000, GitLab reads 5,000"
        );
    }
    Ok(fails(scanned.totals.worst_level(), args.fail_on))
}

/// Every output of a scan: standard output or `--output`, and the extra report files.
#[derive(Default)]
struct Outputs {
    outputs: Vec<Output>,
    indicator: Option<crate::progress::Indicator>,
    /// Why the scan stopped, when an output could not be written.
    failure: Option<CliError>,
}

struct Output {
    format: Format,
    options: ReportOptions,
    /// `None` for standard output.
    path: Option<PathBuf>,
    /// The file did not exist before this scan checked that it can write it.
    created: bool,
    /// Opened when the first findings are about to be written, so that a scan that fails
    /// before then leaves an existing file as it was.
    sink: Option<Box<dyn report::Sink + Send>>,
    /// Standard output's reader went away (`tokenguard scan | head`): the reader's
    /// choice, not an error; the other outputs are still written.
    closed: bool,
}

impl Outputs {
    fn stdout(&mut self, format: Format, options: &ReportOptions) {
        self.outputs.push(Output {
            format,
            options: options.clone(),
            path: None,
            created: false,
            sink: None,
            closed: false,
        });
    }

    /// An output file, checked now (without changing it) so that a path that cannot be
    /// written fails before the scan.
    fn file(
        &mut self,
        path: &Path,
        format: Format,
        options: &ReportOptions,
    ) -> Result<(), CliError> {
        let existed = path.exists();
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|source| CliError::Io {
                what: "cannot write",
                path: path.to_path_buf(),
                source,
            })?;
        self.outputs.push(Output {
            format,
            options: ReportOptions {
                color: false,
                ..options.clone()
            },
            path: Some(path.to_path_buf()),
            created: !existed,
            sink: None,
            closed: false,
        });
        Ok(())
    }

    /// After a scan that failed before writing: the files it created are removed.
    fn discard(&self) {
        for output in &self.outputs {
            if let (Some(path), true, None) = (&output.path, output.created, &output.sink) {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    fn stop_indicator(&mut self) {
        if let Some(indicator) = self.indicator.take() {
            indicator.finish();
        }
    }

    /// Calls `write` on every output still open; the first failure stops the scan.
    fn each(
        &mut self,
        mut write: impl FnMut(&mut dyn report::Sink) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        for output in self.outputs.iter_mut().filter(|o| !o.closed) {
            let written = match &mut output.sink {
                Some(sink) => write(sink.as_mut()),
                None => open(output).and_then(|sink| write(sink)),
            };
            match written {
                Ok(()) => {}
                Err(e) if output.path.is_none() && e.kind() == std::io::ErrorKind::BrokenPipe => {
                    output.closed = true;
                }
                Err(source) => {
                    let kind = source.kind();
                    self.failure = Some(CliError::Io {
                        what: "cannot write",
                        path: output
                            .path
                            .clone()
                            .unwrap_or_else(|| PathBuf::from("<stdout>")),
                        source,
                    });
                    return Err(std::io::Error::from(kind));
                }
            }
        }
        Ok(())
    }
}

/// Opens `output` for writing (a file is emptied now) and returns its sink.
fn open(output: &mut Output) -> std::io::Result<&mut (dyn report::Sink + Send)> {
    let out: Box<dyn Write + Send> = match &output.path {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let sink = output
        .sink
        .insert(report::writer(output.format, &output.options, out));
    Ok(sink.as_mut())
}

impl report::Sink for Outputs {
    fn start(&mut self, scanned: &crate::Scanned) -> std::io::Result<()> {
        // The progress line is erased before anything is written to the terminal; with
        // every output in a file it goes on while the rules run.
        if self.outputs.iter().any(|o| o.path.is_none()) {
            self.stop_indicator();
        }
        self.each(|sink| sink.start(scanned))
    }

    fn findings(
        &mut self,
        scanned: &crate::Scanned,
        findings: &[crate::finding::Finding],
    ) -> std::io::Result<()> {
        self.each(|sink| sink.findings(scanned, findings))
    }

    fn finish(&mut self, scanned: &crate::Scanned) -> std::io::Result<()> {
        self.each(|sink| sink.finish(scanned))
    }
}

/// `tokenguard init`: scan, then write the starter config with a candidate for every
/// entry the repository needs to pass (see [`crate::init`]).
fn init(args: InitArgs) -> Result<bool, CliError> {
    let start = search_start(&args.input.paths)?;
    let root = resolve_root(args.input.scope.root.as_deref(), &start)?;
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| root.join(config::FILE_NAMES[0]));
    if !args.force {
        // Either name at the root is the config a scan would read.
        let mut taken = vec![target.clone()];
        if args.output.is_none() {
            taken.extend(config::FILE_NAMES.iter().map(|n| root.join(n)));
        }
        let existing = taken.into_iter().find(|p| p.exists());
        if let Some(path) = existing {
            return Err(CliError::Exists(path));
        }
    }
    // `--force` keeps what the file being rewritten accepts: the scan applies it, so its
    // entries are not offered again, and the new file writes them back.
    let kept = if args.force && target.exists() {
        Config::load(&target, &crate::discover::display_path(&target, &root))?
    } else {
        Config::default()
    };
    // The scan `scan` would make with the same flags, with nothing accepted but `kept`.
    let options = input_options(args.input, root, kept.clone(), Vec::new())?;
    let today = options.today;
    let report = crate::scan(options.clone())?;
    let fail_on = args.fail_on.level();
    let mut candidates = crate::init::Candidates::from_report(&report, fail_on);
    drop(report);
    let expires = today
        .checked_add(jiff::Span::new().days(crate::init::EXEMPTION_DAYS))
        .unwrap_or(today);
    let starter = |candidates: &crate::init::Candidates| {
        crate::init::starter_config(&crate::init::Starter {
            kept: &kept,
            candidates,
            fail_on,
            expires,
        })
    };
    // What a scan with every candidate so far accepted still reports is offered as an
    // exemption, or listed as something no entry can accept.
    let accepted = crate::init::with_every_candidate_accepted(&starter(&candidates));
    let accepted = Config::parse(&accepted, config::FILE_NAMES[0])?;
    let residual = crate::scan(ScanOptions {
        config: accepted,
        ..options
    })?;
    candidates.add_exemptions(&residual, fail_on);
    let text = starter(&candidates);
    let io_error = |source| CliError::Io {
        what: "cannot write",
        path: target.clone(),
        source,
    };
    let mut file = if args.force {
        std::fs::File::create(&target)
    } else {
        // Never replace a file that appeared since the check above.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
    }
    .map_err(io_error)?;
    file.write_all(text.as_bytes()).map_err(io_error)?;
    eprintln!(
        "tokenguard: wrote {}: {}",
        target.display(),
        crate::init::summary(&candidates)
    );
    Ok(false)
}

/// `tokenguard baseline`: scan as `scan` does, without a baseline, and write every
/// finding that is not suppressed to the baseline file.
fn write_baseline(args: BaselineArgs) -> Result<bool, CliError> {
    let mut options = scan_options(args.input, args.config.as_deref(), Vec::new())?;
    let target = match args.output {
        Some(path) => path,
        None => baseline_path(None, &options.config, &options.root).map_or_else(
            || options.root.join(crate::baseline::FILE_NAME),
            |(path, _)| path,
        ),
    };
    options.own_files.push(target.clone());
    let report = crate::scan(options)?;
    let entries: Vec<_> = report
        .findings
        .iter()
        .filter(|f| !f.is_suppressed())
        .map(|f| crate::baseline::Entry::of(f, f.unit_path(&report.scanned.files)))
        .collect();
    let count = entries.len();
    std::fs::write(&target, crate::baseline::render(entries)).map_err(|source| CliError::Io {
        what: "cannot write",
        path: target.clone(),
        source,
    })?;
    let shown = crate::discover::display_path(&target, &report.scanned.root);
    eprintln!(
        "tokenguard: wrote {shown} with {count} finding(s); scans with `--baseline {shown}` (or `baseline: {shown}` in .tokenguard.yaml) now fail only on new findings"
    );
    Ok(false)
}

/// `--diff FILE`: the lines a change adds. Read up to a bound, so that a device such as
/// /dev/zero is an error, not an endless read.
fn read_diff(path: &Path) -> Result<std::sync::Arc<crate::diff::ChangedLines>, CliError> {
    const MAX_DIFF_BYTES: u64 = 256 << 20;
    let io_error = |source| CliError::Io {
        what: "cannot read",
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_DIFF_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_DIFF_BYTES {
        return Err(io_error(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            "larger than 256MiB",
        )));
    }
    let changed = crate::diff::ChangedLines::parse(&bytes, &path.display().to_string())?;
    Ok(std::sync::Arc::new(changed))
}

/// A positive count, such as a number of documents.
fn parse_count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number")),
    }
}

/// A size in bytes: a number with an optional unit (B, KiB, MiB, GiB, or K, M, G as
/// their binary multiples), at most [`yaml::MAX_FILE_BYTES_CEILING`].
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 16MiB or 1048576"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}` (use KiB, MiB or GiB)")),
    };
    let bytes = number
        .checked_mul(multiplier)
        .filter(|&b| b <= yaml::MAX_FILE_BYTES_CEILING)
        .ok_or_else(|| "the size limit can be at most 1GiB".to_owned())?;
    if bytes == 0 {
        return Err("the size limit must be at least one byte".to_owned());
    }
    Ok(bytes)
}

/// Whether text on standard output is coloured (SPEC 2). `--color always|never`
/// decides. Under `auto`, as the common conventions have it: a non-empty `NO_COLOR`
/// turns colour off; `FORCE_COLOR` (but `0` or `false`, which turn it off) and a
/// `CLICOLOR_FORCE` other than empty or `0` turn it on without a terminal; `CLICOLOR=0`
/// and `TERM=dumb` turn it off; otherwise colour needs a terminal.
fn colour(choice: ColorArg, terminal: bool, env: impl Fn(&str) -> Option<OsString>) -> bool {
    match choice {
        ColorArg::Always => return true,
        ColorArg::Never => return false,
        ColorArg::Auto => {}
    }
    let set = |name| env(name).filter(|v| !v.is_empty());
    if set("NO_COLOR").is_some() {
        return false;
    }
    if let Some(force) = env("FORCE_COLOR") {
        return force != "0" && force != "false";
    }
    if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    terminal && env("CLICOLOR").is_none_or(|v| v != "0") && env("TERM").is_none_or(|t| t != "dumb")
}

fn fails(worst: Option<Level>, fail_on: FailOn) -> bool {
    fail_on
        .level()
        .is_some_and(|threshold| worst.is_some_and(|worst| worst >= threshold))
}

/// The directory the config search starts from and the root is found from (SPEC 5.4):
/// the first scanned path if it is a directory, else the directory it is in; the
/// current directory for standard input.
fn search_start(paths: &[PathBuf]) -> Result<PathBuf, CliError> {
    let cwd = current_dir()?;
    let Some(first) = paths.first().filter(|p| p.as_os_str() != "-") else {
        return Ok(cwd);
    };
    let path = crate::discover::absolute(first);
    if path.is_dir() {
        return Ok(path);
    }
    Ok(path.parent().map_or(cwd, Path::to_path_buf))
}

fn current_dir() -> Result<PathBuf, CliError> {
    std::env::current_dir().map_err(|source| CliError::Io {
        what: "cannot read the current directory",
        path: PathBuf::from("."),
        source,
    })
}

/// The git top-level of `dir`: the nearest directory at or above it with a `.git`.
/// Found by looking, not by running git, so that nothing in the scanned repository
/// (such as its git config) can run.
fn git_top_level(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|dir| dir.join(".git").exists())
}

/// `--root`, else the git top-level of `start`, else the current directory.
fn resolve_root(root: Option<&Path>, start: &Path) -> Result<PathBuf, CliError> {
    if let Some(root) = root {
        if !root.is_dir() {
            return Err(CliError::Io {
                what: "cannot use --root",
                path: root.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            });
        }
        return Ok(crate::discover::absolute(root));
    }
    match git_top_level(start) {
        Some(top) => Ok(top.to_path_buf()),
        None => current_dir(),
    }
}

/// The directory `--include` and `--exclude` globs are relative to, as users type them:
/// the current directory when it lies below the root, else the root (`None`).
fn flag_glob_dir(root: &Path) -> Result<Option<PathBuf>, CliError> {
    let cwd = crate::discover::absolute(&current_dir()?);
    let root = crate::discover::absolute(root);
    Ok((cwd != root && cwd.starts_with(&root)).then_some(cwd))
}

/// `--config`, else the nearest `.tokenguard.yaml` or `.tokenguard.yml` in `start` or
/// above it, up to its git top-level, as `.gitignore` files are found (SPEC 5.4).
fn load_config(explicit: Option<&Path>, start: &Path, root: &Path) -> Result<Config, CliError> {
    if let Some(path) = explicit {
        return Ok(Config::load(path, &path.display().to_string())?);
    }
    // Outside git the search stops at the root (the current directory unless --root
    // says otherwise), not at the file system root as ruff's does: a config that
    // trusts everything, left in /tmp or a home directory, must not silence a scan.
    let last = match git_top_level(start) {
        Some(top) => top,
        None if start.starts_with(root) => root,
        None => start,
    };
    for dir in start.ancestors() {
        let found: Vec<PathBuf> = config::FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .filter(|path| path.is_file())
            .collect();
        match found.as_slice() {
            [] => {}
            [path] => return load_found_config(path, dir, last, root),
            [first, second, ..] => {
                return Err(CliError::TwoConfigs(
                    crate::discover::display_path(first, root),
                    crate::discover::display_path(second, root),
                ));
            }
        }
        if dir == last {
            break;
        }
    }
    Ok(Config::default())
}

/// Loads the config found in `dir`; its `paths` globs are relative to `dir`. A symbolic
/// link that leads out of the directories searched (up to `boundary`) is not read.
fn load_found_config(
    path: &Path,
    dir: &Path,
    boundary: &Path,
    root: &Path,
) -> Result<Config, CliError> {
    let shown = crate::discover::display_path(path, root);
    let real_boundary = std::fs::canonicalize(boundary).unwrap_or_else(|_| boundary.to_path_buf());
    if !std::fs::canonicalize(path).is_ok_and(|p| p.starts_with(&real_boundary)) {
        return Err(CliError::Config(ConfigError {
            file: shown,
            pos: None,
            message: "a symbolic link to outside the root; not read".to_owned(),
        }));
    }
    let mut config = Config::load(path, &shown)?;
    let dir = crate::discover::absolute(dir);
    config.glob_dir = (dir != crate::discover::absolute(root)).then_some(dir);
    Ok(config)
}

/// `tokenguard rules`: every rule, its default level and its level under `config`.
fn rules_table(config: &Config) -> String {
    let mut out = format!("{:<6}  {:<38}  {:<8}  effective\n", "id", "name", "default");
    for rule in rules::ALL {
        let meta = &rule.meta;
        let effective = config
            .level_of(meta.id, meta.level)
            .map_or("off", Level::as_str);
        out += &format!(
            "{:<6}  {:<38}  {:<8}  {effective}\n",
            meta.id,
            meta.name(),
            meta.level.as_str()
        );
    }
    out
}

/// Writes a command's whole output to standard output. A reader that goes away early
/// (`tokenguard rules | head -3`) is its choice, not an error.
fn print_out(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Io {
            what: "cannot write",
            path: PathBuf::from("<stdout>"),
            source: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{ColorArg, Command, colour};

    /// What clap makes of `argv`: the render arguments, or the error with its text.
    fn parsed<P: clap::Parser>(
        argv: &[&str],
        render: impl Fn(P) -> Option<super::RenderArgs>,
    ) -> Result<String, (clap::error::ErrorKind, i32, String)> {
        P::try_parse_from(argv)
            .map(|parsed| format!("{:?}", render(parsed)))
            .map_err(|e| (e.kind(), e.exit_code(), e.render().to_string()))
    }

    #[test]
    fn render_alone_parses_as_the_render_subcommand_of_the_whole_cli() {
        let argvs: [&[&str]; 12] = [
            &["tokenguard", "render", "dir"],
            &["tokenguard", "render", "--origins", "--root", "r", "dir"],
            &["tokenguard", "render", "--max-file-size", "2KiB", "dir"],
            &["tokenguard", "render", "--help"],
            &["tokenguard", "render", "-h"],
            &["tokenguard", "render"],
            &["tokenguard", "render", "a", "b"],
            &["tokenguard", "render", "--orgins", "dir"],
            &["tokenguard", "render", "--max-file-size", "lots", "dir"],
            &["tokenguard", "render", "--version"],
            &["tokenguard", "render", "--format", "sarif", "dir"],
            &["tokenguard", "render", "--root"],
        ];
        for argv in argvs {
            let whole = parsed(argv, |cli: super::Cli| match cli.command {
                Some(Command::Render(args)) => Some(args),
                _ => None,
            });
            let alone = parsed(argv, |only: super::RenderOnly| match only.command {
                super::RenderCommand::Render(args) => Some(args),
            });
            assert_eq!(whole, alone, "{argv:?}");
        }
        let help = parsed(
            &["tokenguard", "render", "--help"],
            |_: super::RenderOnly| None,
        );
        let Err((_, 0, help)) = help else {
            panic!("--help is not help: {help:?}")
        };
        assert!(
            help.starts_with("Print the objects a kustomization renders"),
            "{help}"
        );
        assert!(
            help.contains("Usage: tokenguard render [OPTIONS] <DIR>"),
            "{help}"
        );
    }

    /// `render_kustomize` as `flags` and the config text `config` decide it, for each
    /// command with the input flags.
    fn renders(flags: &[&str], config: &str) -> [bool; 3] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap();
        ["scan", "baseline", "init"].map(|command| {
            let args = [&["tokenguard", command], flags, &[path]].concat();
            let cli = <super::Cli as clap::Parser>::try_parse_from(args).unwrap();
            let input = match cli.command {
                Some(Command::Scan(args)) => args.input,
                Some(Command::Baseline(args)) => args.input,
                Some(Command::Init(args)) => args.input,
                _ => unreachable!("{command}"),
            };
            let config = crate::config::Config::parse(config, "c.yaml").unwrap();
            super::input_options(input, dir.path().to_path_buf(), config, Vec::new())
                .unwrap()
                .render_kustomize
        })
    }

    /// As for the other flags with a config setting, the flag wins over the config.
    #[test]
    fn no_kustomize_wins_over_the_config() {
        assert_eq!(renders(&[], ""), [true; 3]);
        assert_eq!(renders(&[], "kustomize: true"), [true; 3]);
        assert_eq!(renders(&[], "kustomize: false"), [false; 3]);
        assert_eq!(renders(&["--no-kustomize"], ""), [false; 3]);
        assert_eq!(renders(&["--no-kustomize"], "kustomize: true"), [false; 3]);
    }

    /// Whether `auto` colours with `env` set, on a terminal and through a pipe.
    fn auto(env: &[(&str, &str)]) -> (bool, bool) {
        let lookup = |name: &str| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).into())
        };
        (
            colour(ColorArg::Auto, true, lookup),
            colour(ColorArg::Auto, false, lookup),
        )
    }

    #[test]
    fn colour_follows_the_common_conventions_in_their_order() {
        assert_eq!(auto(&[]), (true, false));
        assert_eq!(auto(&[("TERM", "dumb")]), (false, false));
        assert_eq!(auto(&[("TERM", "xterm-256color")]), (true, false));
        assert_eq!(auto(&[("CLICOLOR", "0")]), (false, false));
        assert_eq!(auto(&[("CLICOLOR", "1")]), (true, false));
        assert_eq!(auto(&[("NO_COLOR", "1")]), (false, false));
        assert_eq!(auto(&[("NO_COLOR", "")]), (true, false));
        // Forcing wins over the terminal, TERM and CLICOLOR; NO_COLOR wins over forcing.
        for force in [
            ("FORCE_COLOR", "1"),
            ("FORCE_COLOR", ""),
            ("CLICOLOR_FORCE", "1"),
        ] {
            assert_eq!(auto(&[force, ("TERM", "dumb")]), (true, true), "{force:?}");
            assert_eq!(auto(&[force, ("CLICOLOR", "0")]), (true, true), "{force:?}");
            assert_eq!(
                auto(&[force, ("NO_COLOR", "1")]),
                (false, false),
                "{force:?}"
            );
        }
        assert_eq!(auto(&[("FORCE_COLOR", "0")]), (false, false));
        assert_eq!(auto(&[("FORCE_COLOR", "false")]), (false, false));
        assert_eq!(auto(&[("CLICOLOR_FORCE", "0")]), (true, false));
        // The flag decides before any variable.
        let forced = |_: &str| Some("1".into());
        assert!(colour(ColorArg::Always, false, |_| None));
        assert!(!colour(ColorArg::Never, true, forced));
    }
}
