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
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => parse_failure(e),
    };
    match commands::run(cli) {
        Ok(code) => code,
        Err(f) => {
            f.print();
            ExitCode::from(f.code)
        }
    }
}

/// Clap's own message (help, version, or a usage error), as clap prints it. When an argument holds control
/// or text-direction characters, a usage error (which may quote it) is printed plain and escaped instead.
fn parse_failure(e: clap::Error) -> ! {
    let hostile = std::env::args_os().any(|a| {
        let a = a.to_string_lossy();
        output::shown(&a) != a
    });
    if !e.use_stderr() || !hostile {
        e.exit();
    }
    eprint!("{}", output::shown_lines(&e.render().to_string(), "\n"));
    std::process::exit(e.exit_code());
}
