//! How the CLI fails: one `error: ` line and an exit code (2 for input, 3 for a vault that did not open).

use keystead_core::error::ErrorKind;
use keystead_core::Error;
use std::process::ExitCode;

/// A failure with its exit code.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

pub type CliResult<T = ExitCode> = Result<T, Failure>;

/// A usage or input error the CLI itself detects (exit 2).
pub fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

/// Output that could not be produced (exit 3).
pub fn cannot_print(what: impl std::fmt::Display) -> Failure {
    Failure {
        code: 3,
        message: format!("cannot print JSON: {what}"),
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e.kind() {
            ErrorKind::Input => 2,
            ErrorKind::Access | ErrorKind::Storage => 3,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}
