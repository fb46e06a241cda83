//! How the CLI fails: one `error: ` line and an exit code (2 for input, 3 for a vault that did not open).
//! Core's message says what went wrong; the advice added here says what to do on a terminal (which
//! command, flag or variable), which core cannot know.

use keystead_core::error::ErrorKind;
use keystead_core::Error;
use std::process::ExitCode;

/// A failure with its exit code. Its message may quote names, paths or a file's text: it is printed only
/// by [`Failure::print`], escaped.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// The one `error: ` line on stderr, control and text-direction characters made visible.
    pub fn print(&self) {
        eprintln!("error: {}", crate::output::Shown(&self.message));
    }
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

/// What to do about a core error on the command line, and how it joins core's message.
enum Advice {
    /// Continues core's last clause: "no vault at PATH: create one with …".
    Clause(String),
    /// A sentence of its own after core's message: "… withdraw too. Confirm each one with …".
    Sentence(String),
}

fn advice(e: &Error) -> Option<Advice> {
    use Advice::{Clause, Sentence};
    Some(match e {
        Error::NoVault { .. } => Clause(
            "create one with `keystead init`, or point --vault (or KEYSTEAD_VAULT) at an existing vault file"
                .into(),
        ),
        Error::VaultExists { .. } => {
            Clause("choose another path with --vault, or move that file away first".into())
        }
        Error::NotAVault { .. } => Clause("check the path given with --vault or KEYSTEAD_VAULT".into()),
        Error::KeyNotFound { .. } => Clause("`keystead list` shows the names in this vault".into()),
        Error::NoContacts { .. } => Clause("add one with `keystead contacts add NAME KEY`".into()),
        Error::BadSharingKey { .. } => {
            Sentence("It is the line `keystead whoami` prints on their machine".into())
        }
        Error::NoKeysChosen => {
            Clause("name the keys to share, e.g. --keys binance-main,okx-bot".into())
        }
        Error::RecipientsAndPassphrase => Clause("drop --to or --passphrase".into()),
        Error::NoRecipient => Sentence(
            "Name contacts or age1… keys with --to (e.g. --to alice,bob), or protect the file with --passphrase"
                .into(),
        ),
        Error::WithdrawNotConfirmed { names } => Sentence(format!(
            "Confirm each one with --confirm-withdraw {names}, or leave it out"
        )),
        Error::ShareNotForYou => Sentence(
            "`keystead whoami` shows your sharing key: send the sender that line".into(),
        ),
        Error::SharePassphraseNeeded => Sentence(
            "Run `keystead share import --passphrase` (or set KEYSTEAD_SHARE_PASSPHRASE)".into(),
        ),
        // Only `run` refuses a key for being expired.
        Error::NotActive { status, .. } if status == "expired" => {
            Sentence("Add --allow-expired to start the program with it all the same".into())
        }
        _ => return None,
    })
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e.kind() {
            ErrorKind::Input => 2,
            ErrorKind::Access | ErrorKind::Storage => 3,
        };
        let message = match advice(&e) {
            Some(Advice::Clause(a)) => format!("{e}: {a}"),
            Some(Advice::Sentence(a)) => format!("{e}. {a}"),
            None => e.to_string(),
        };
        Failure { code, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn message(e: Error) -> String {
        Failure::from(e).message
    }

    #[test]
    fn a_missing_vault_points_to_init_and_the_vault_flag_as_before() {
        assert_eq!(
            message(Error::NoVault {
                path: PathBuf::from("/v.db")
            }),
            "no vault at /v.db: create one with `keystead init`, or point --vault (or KEYSTEAD_VAULT) at an existing vault file"
        );
    }

    #[test]
    fn an_unknown_key_points_to_list() {
        assert_eq!(
            message(Error::KeyNotFound {
                name: "binance".into()
            }),
            "no key named 'binance': `keystead list` shows the names in this vault"
        );
    }

    #[test]
    fn unconfirmed_withdraw_keys_name_the_flag_with_the_keys() {
        assert_eq!(
            message(Error::WithdrawNotConfirmed {
                names: "okx-hot,bybit".into()
            }),
            "okx-hot,bybit can withdraw funds: a share file would let everyone who opens it withdraw too. \
             Confirm each one with --confirm-withdraw okx-hot,bybit, or leave it out"
        );
    }

    #[test]
    fn share_export_mistakes_name_the_flags() {
        assert!(message(Error::NoKeysChosen).contains("--keys"));
        assert!(message(Error::RecipientsAndPassphrase).ends_with(": drop --to or --passphrase"));
        assert!(message(Error::NoRecipient).contains("--to alice,bob"));
        assert!(message(Error::NoContacts { name: "bob".into() })
            .contains("`keystead contacts add NAME KEY`"));
    }

    #[test]
    fn an_expired_key_refused_by_run_names_the_flag_and_other_statuses_do_not() {
        let expired = message(Error::NotActive {
            name: "okx".into(),
            status: "expired".into(),
            hint: "h".into(),
        });
        assert!(
            expired.ends_with(". Add --allow-expired to start the program with it all the same")
        );
        let revoked = message(Error::NotActive {
            name: "okx".into(),
            status: "revoked".into(),
            hint: "h".into(),
        });
        assert_eq!(revoked, "'okx' is revoked: h");
    }

    #[test]
    fn errors_without_terminal_advice_keep_core_wording_and_codes() {
        let f = Failure::from(Error::WrongPassphrase);
        assert_eq!(f.code, 3);
        assert_eq!(f.message, Error::WrongPassphrase.to_string());
        assert_eq!(
            Failure::from(Error::NoContacts { name: "bob".into() }).code,
            2
        );
    }
}
