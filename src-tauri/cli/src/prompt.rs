//! Reading passphrases and secrets: from the environment (or a file it names) or stdin for automation,
//! otherwise from the terminal without echo. Never from arguments.

use crate::failure::{usage, CliResult};
use keystead_core::{CredentialField, Exchange, SecretFields};
use secrecy::{ExposeSecret, SecretString};
use std::io::Read;
use zeroize::Zeroizing;

/// Largest `--secrets-stdin` document accepted (a PEM private key is a few KiB).
const MAX_SECRETS_BYTES: u64 = 64 * 1024;

/// Asks once without echo.
pub fn ask(prompt: &str) -> CliResult<SecretString> {
    ask_or(prompt, "cannot ask for the passphrase without a terminal: set KEYSTEAD_PASSPHRASE, or run keystead in a terminal")
}

/// Asks once without echo; without a terminal, fails with `no_terminal` (which says what to set instead).
pub fn ask_or(prompt: &str, no_terminal: &str) -> CliResult<SecretString> {
    rpassword::prompt_password(prompt)
        .map(SecretString::from)
        .map_err(|_| usage(no_terminal))
}

/// The vault passphrase: `KEYSTEAD_PASSPHRASE`, the file `KEYSTEAD_PASSPHRASE_FILE` names, or asked
/// without echo.
pub fn passphrase(prompt: &str) -> CliResult<SecretString> {
    if let Some(p) = passphrase_from_file()? {
        return Ok(p);
    }
    match std::env::var("KEYSTEAD_PASSPHRASE") {
        Ok(p) => Ok(SecretString::from(p)),
        Err(_) => ask(prompt),
    }
}

/// Whether the vault passphrase is given in the environment (`KEYSTEAD_PASSPHRASE`, or a file named by
/// `KEYSTEAD_PASSPHRASE_FILE`): then it is used, and this device's remembered slot is not tried.
pub fn passphrase_supplied() -> bool {
    ["KEYSTEAD_PASSPHRASE", PASSPHRASE_FILE_VARIABLE]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
}

/// Names a file holding the vault passphrase, for services that keep stdin for the bot (a systemd
/// credential: `LoadCredential=` puts it in `$CREDENTIALS_DIRECTORY`).
pub const PASSPHRASE_FILE_VARIABLE: &str = "KEYSTEAD_PASSPHRASE_FILE";

/// Largest passphrase file read (a passphrase, not a document).
const MAX_PASSPHRASE_FILE_BYTES: u64 = 4 * 1024;

/// The passphrase in the file `KEYSTEAD_PASSPHRASE_FILE` names (one trailing newline dropped), or
/// `None` when it is not set. A file other users may read is refused, except inside systemd's
/// `$CREDENTIALS_DIRECTORY`, which only the service can enter.
pub fn passphrase_from_file() -> CliResult<Option<SecretString>> {
    let Some(path) = std::env::var_os(PASSPHRASE_FILE_VARIABLE) else {
        return Ok(None);
    };
    if std::env::var_os("KEYSTEAD_PASSPHRASE").is_some() {
        return Err(usage(format!(
            "both KEYSTEAD_PASSPHRASE and {PASSPHRASE_FILE_VARIABLE} are set: unset one of them"
        )));
    }
    let path = std::path::PathBuf::from(path);
    let shown = path.display();
    let file = std::fs::File::open(&path).map_err(|e| {
        usage(format!(
            "cannot read the passphrase file {shown} ({PASSPHRASE_FILE_VARIABLE}): {e}"
        ))
    })?;
    // The mode of the file opened, not of whatever the path names a moment later.
    let meta = file
        .metadata()
        .map_err(|e| usage(format!("cannot read the passphrase file {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(usage(format!(
            "the passphrase file {shown} is not a regular file"
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 && !in_credentials_directory(&path) {
            return Err(usage(format!(
                "the passphrase file {shown} is open to other users (mode {mode:03o}): make it yours alone with `chmod 600 {shown}`, or hand it over as a systemd credential"
            )));
        }
    }
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_PASSPHRASE_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            usage(format!(
                "cannot read the passphrase file {shown} as text: {e}"
            ))
        })?;
    if text.len() as u64 > MAX_PASSPHRASE_FILE_BYTES {
        return Err(usage(format!(
            "the passphrase file {shown} is larger than 4 KiB: it should hold the passphrase alone"
        )));
    }
    let passphrase = text.strip_suffix('\n').unwrap_or(&text);
    if passphrase.is_empty() {
        return Err(usage(format!("the passphrase file {shown} is empty")));
    }
    Ok(Some(SecretString::from(passphrase.to_string())))
}

/// Whether `path` lies inside the credentials folder systemd made for this service.
#[cfg(unix)]
fn in_credentials_directory(path: &std::path::Path) -> bool {
    let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") else {
        return false;
    };
    match (std::fs::canonicalize(dir), std::fs::canonicalize(path)) {
        (Ok(dir), Ok(path)) => path.starts_with(dir),
        _ => false,
    }
}

/// A new passphrase: from `env_var`, or asked twice without echo.
pub fn new_passphrase(env_var: &str, prompt: &str) -> CliResult<SecretString> {
    if let Ok(p) = std::env::var(env_var) {
        return Ok(SecretString::from(p));
    }
    let first = ask(prompt)?;
    let second = ask("Repeat it: ")?;
    if first.expose_secret() != second.expose_secret() {
        return Err(usage(
            "the two passphrases differ: nothing was changed, try again",
        ));
    }
    Ok(first)
}

/// An exchange's secrets: one JSON object on stdin, or each field asked without echo.
pub fn secrets(exchange: &Exchange, from_stdin: bool) -> CliResult<SecretFields> {
    if from_stdin {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin()
            .take(MAX_SECRETS_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| usage(format!("cannot read the secrets from standard input: {e}")))?;
        if text.len() as u64 > MAX_SECRETS_BYTES {
            return Err(usage("the secrets on standard input are larger than 64 KiB: send one JSON object of fields"));
        }
        // Core's message says what is wrong and where, without repeating the document.
        return SecretFields::from_json(&text).map_err(|e| usage(format!("--secrets-stdin: {e}")));
    }
    let mut fields = SecretFields::new();
    let custom = exchange.required_fields.is_empty();
    let asked: Vec<CredentialField> = if custom {
        vec![
            CredentialField::ApiKey,
            CredentialField::Secret,
            CredentialField::Password,
        ]
    } else {
        exchange.accepted_fields().collect()
    };
    for field in asked {
        let required = exchange.required_fields.contains(&field);
        let prompt = if required {
            format!("{} ({field}): ", field.label())
        } else {
            format!("{} ({field}, optional, Enter to skip): ", field.label())
        };
        for attempt in 1.. {
            let value = Zeroizing::new(rpassword::prompt_password(&prompt).map_err(|_| {
                usage("cannot ask for secrets without a terminal: pipe them as one JSON object with --secrets-stdin")
            })?);
            let value = value.trim();
            if value.is_empty() && required {
                if attempt == 3 {
                    return Err(usage(format!(
                        "{} keys need {field}: nothing was added",
                        exchange.name
                    )));
                }
                eprintln!(
                    "{} keys need {field}; paste it (input is hidden).",
                    exchange.name
                );
                continue;
            }
            fields.insert(field, SecretString::from(value.to_string()));
            break;
        }
    }
    Ok(fields)
}

/// Asks a yes/no question whose safe answer is no: only `y` or `yes` is a yes; false without a terminal.
pub fn confirm_no_default(question: &str) -> bool {
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("{} [y/N] ", crate::output::Shown(question));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Asks a yes/no question on a terminal (default yes). Without a terminal the answer is no.
pub fn confirm(question: &str) -> bool {
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("{} [Y/n] ", crate::output::Shown(question));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "" | "y" | "yes"
    )
}
