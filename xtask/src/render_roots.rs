//! Kustomize roots rendered in one process: `bench/kustomize.sh`'s part (a2), the
//! renderer's own time without a process start-up per root.
//!
//! Each root goes through tokenguard's `render` command itself (`tokenguard::cli::render`:
//! the kustomization graph, the rendering, the printed stream in a `String`), with the
//! arguments clap makes of `tokenguard render DIR`; only the printing to standard output
//! is left out.

use std::path::Path;
use std::time::{Duration, Instant};

use tokenguard::cli::{Cli, Command, RenderArgs};

/// One root's rendering in one pass.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The root as listed (relative to the corpus).
    pub root: String,
    pub wall: Duration,
    /// The bytes `tokenguard render` would print, or why it refused the root.
    pub outcome: Result<usize, String>,
}

/// One pass over every root.
#[derive(Clone, Debug)]
pub struct Pass {
    pub wall: Duration,
    /// User and system time of this process during the pass.
    pub cpu: Duration,
    pub roots: Vec<Rendered>,
}

/// The arguments `tokenguard render DIR` parses to, for each root under `corpus`.
pub fn arguments(corpus: &Path, roots: &[String]) -> Result<Vec<RenderArgs>, String> {
    roots
        .iter()
        .map(|root| {
            let dir = corpus.join(root);
            let argv = [Path::new("tokenguard"), Path::new("render"), &dir];
            match clap::Parser::try_parse_from(argv) {
                Ok(Cli {
                    command: Some(Command::Render(args)),
                    ..
                }) => Ok(args),
                Ok(_) => Err(format!(
                    "`tokenguard render {}` is not a render",
                    dir.display()
                )),
                Err(e) => Err(format!("tokenguard render {}: {e}", dir.display())),
            }
        })
        .collect()
}

/// Renders every root once, in order.
pub fn pass(roots: &[String], arguments: &[RenderArgs]) -> Pass {
    let cpu_before = cpu_time();
    let started = Instant::now();
    let roots = roots
        .iter()
        .zip(arguments)
        .map(|(root, args)| {
            let started = Instant::now();
            let outcome = tokenguard::cli::render(args)
                .map(|text| text.len())
                .map_err(|e| e.to_string());
            Rendered {
                root: root.clone(),
                wall: started.elapsed(),
                outcome,
            }
        })
        .collect();
    Pass {
        wall: started.elapsed(),
        cpu: cpu_time().saturating_sub(cpu_before),
        roots,
    }
}

/// User and system time of this process so far.
fn cpu_time() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // RUSAGE_SELF of a live process cannot fail; a zero is read as no time.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Each root's median wall time over the passes (which list the same roots in the same
/// order), slowest first; ties in root order.
pub fn slowest(passes: &[Pass]) -> Vec<(String, Duration)> {
    let Some(first) = passes.first() else {
        return Vec::new();
    };
    let mut medians: Vec<(String, Duration)> = first
        .roots
        .iter()
        .enumerate()
        .map(|(i, rendered)| {
            let walls = passes.iter().filter_map(|p| p.roots.get(i)).map(|r| r.wall);
            (
                rendered.root.clone(),
                crate::measure::median(walls.collect()),
            )
        })
        .collect();
    medians.sort_by_key(|(_, wall)| std::cmp::Reverse(*wall));
    medians
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/kustomize")
    }

    #[test]
    fn renders_each_root_as_the_render_command_and_reports_refusals() {
        let roots = ["names/overlay", "no-such-root"].map(str::to_owned);
        let args = arguments(&fixtures(), &roots).expect("clap parses a render");
        let pass = pass(&roots, &args);
        assert_eq!(pass.roots.len(), 2);
        let expected = std::fs::read_to_string(fixtures().join("names/expected.yaml"))
            .expect("the fixture's expected rendering");
        assert_eq!(pass.roots[0].root, "names/overlay");
        assert_eq!(pass.roots[0].outcome, Ok(expected.len()));
        let refused = pass.roots[1].outcome.as_ref().expect_err("not a directory");
        assert!(refused.starts_with("cannot render "), "{refused}");
        assert!(
            refused.ends_with("no-such-root: not a directory"),
            "{refused}"
        );
        assert!(pass.wall >= pass.roots[0].wall + pass.roots[1].wall);
    }

    #[test]
    fn slowest_is_each_roots_median_slowest_first() {
        let pass = |walls: [u64; 3]| Pass {
            wall: Duration::ZERO,
            cpu: Duration::ZERO,
            roots: ["a", "b", "c"]
                .iter()
                .zip(walls)
                .map(|(root, ms)| Rendered {
                    root: (*root).to_owned(),
                    wall: Duration::from_millis(ms),
                    outcome: Ok(0),
                })
                .collect(),
        };
        let passes = [pass([5, 1, 9]), pass([7, 2, 1]), pass([6, 30, 2])];
        let ms = Duration::from_millis;
        assert_eq!(
            slowest(&passes),
            [
                ("a".to_owned(), ms(6)),
                ("b".to_owned(), ms(2)),
                ("c".to_owned(), ms(2)),
            ]
        );
        assert!(slowest(&[]).is_empty());
    }
}
