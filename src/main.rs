use std::process::ExitCode;

use clap::Parser;
use tokenguard::cli::{Cli, run};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(e) => {
            eprintln!("tokenguard: error: {e}");
            ExitCode::from(2)
        }
    }
}
