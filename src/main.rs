use std::process::ExitCode;

use tokenguard::cli::parse_and_run;

#[cfg(not(feature = "heap-stats"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "heap-stats")]
#[global_allocator]
static ALLOCATOR: tokenguard::heap_stats::Counting = tokenguard::heap_stats::Counting;

fn main() -> ExitCode {
    match parse_and_run() {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(e) => {
            // The message can quote a manifest or the config: keep it to one inert line.
            let message =
                tokenguard::report::escape::visible_with(&e.to_string(), false).into_owned();
            eprintln!(
                "{}",
                tokenguard::report::escape::ci_log_line(&format!("tokenguard: error: {message}"))
            );
            ExitCode::from(2)
        }
    }
}
