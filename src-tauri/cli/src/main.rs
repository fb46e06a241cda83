//! `keystead`: the Keystead vault on the command line. Glue over keystead-core; no rule lives here.

mod args;
mod commands;
mod failure;
mod output;
mod prompt;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    keystead_core::process::harden();
    keystead_core::process::exit_quietly_on_closed_pipe();
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
