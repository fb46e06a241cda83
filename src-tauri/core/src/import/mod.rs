//! Reading keys out of the files traders keep them in today: bot configs (freqtrade, Passivbot,
//! Hummingbot), `.env` files, ccxt key files, KeePass databases and exports, Bitwarden exports.
//!
//! Everything here is parsing in memory: a file becomes a [`ParsedFile`] of [`Candidate`]s (a suggested
//! name, the exchange when the file says which, the secrets under ccxt field names). Nothing here touches
//! the vault or the file system: the vault compares candidates with its keys
//! ([`crate::Vault::import_preview`]) and applies the user's choices in one transaction
//! ([`crate::Vault::import_apply`]). Errors name the file's place (line, entry) but never a value.

mod bitwarden;
mod ccxt;
mod dotenv;
mod freqtrade;
mod hummingbot;
mod json;
mod keepass;
mod passivbot;
mod preview;
mod words;

use crate::catalog::Exchange;
use crate::error::{Error, Result};
use crate::model::Environment;
use crate::secret::{CredentialField, SecretFields};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use preview::{
    ImportEntryChoice, ImportPreview, ImportPreviewEntry, ImportSource, ImportSummary,
    PlaintextLeft,
};
pub use words::{exchange_from_word, field_from_word};

/// The largest file read for an import (a KeePass database of thousands of entries fits many times over).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// The most keys one import takes.
pub const MAX_CANDIDATES: usize = 10_000;
/// The deepest nesting of JSON or YAML accepted.
pub const MAX_DEPTH: usize = 64;

/// The kinds of file Keystead imports from.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// freqtrade's `config.json` (comments and trailing commas allowed), `exchange.key`/`secret`/….
    Freqtrade,
    /// A `.env` file: `BINANCE_API_KEY=…`, `export` lines, quotes.
    Env,
    /// ccxt's `keys.local.json`: `{"binance": {"apiKey": …, "secret": …}}`.
    Ccxt,
    /// Passivbot's `api-keys.json`: one entry per user label.
    Passivbot,
    /// A Hummingbot connector file (`conf/connectors/<exchange>.yml`), values encrypted with the
    /// Hummingbot password (Ethereum keystore v3).
    Hummingbot,
    /// A KeePass / KeePassXC database (KDBX 4 or 3.1), opened with its password.
    Kdbx,
    /// KeePassXC's CSV export.
    KeepassCsv,
    /// Bitwarden's unencrypted JSON export.
    Bitwarden,
}

impl SourceFormat {
    pub const ALL: [SourceFormat; 8] = [
        Self::Freqtrade,
        Self::Env,
        Self::Ccxt,
        Self::Passivbot,
        Self::Hummingbot,
        Self::Kdbx,
        Self::KeepassCsv,
        Self::Bitwarden,
    ];

    /// The id typed after `--format`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Freqtrade => "freqtrade",
            Self::Env => "env",
            Self::Ccxt => "ccxt",
            Self::Passivbot => "passivbot",
            Self::Hummingbot => "hummingbot",
            Self::Kdbx => "kdbx",
            Self::KeepassCsv => "keepass-csv",
            Self::Bitwarden => "bitwarden",
        }
    }

    /// How the user would call such a file ("imported from freqtrade config …").
    pub fn label(self) -> &'static str {
        match self {
            Self::Freqtrade => "freqtrade config",
            Self::Env => ".env file",
            Self::Ccxt => "ccxt keys file",
            Self::Passivbot => "Passivbot api-keys file",
            Self::Hummingbot => "Hummingbot connector file",
            Self::Kdbx => "KeePass database",
            Self::KeepassCsv => "KeePassXC CSV export",
            Self::Bitwarden => "Bitwarden export",
        }
    }

    /// The bot whose own file this is: its keys are recorded as used by it ("used by").
    pub fn bot(self) -> Option<&'static str> {
        match self {
            Self::Freqtrade => Some("freqtrade"),
            Self::Passivbot => Some("passivbot"),
            Self::Hummingbot => Some("hummingbot"),
            _ => None,
        }
    }

    /// Whether the file is encrypted and needs its own password to be read (not the vault passphrase).
    pub fn needs_password(self) -> bool {
        matches!(self, Self::Hummingbot | Self::Kdbx)
    }

    /// Whether the file holds its secrets readable by anyone who can read the file.
    pub fn is_plaintext(self) -> bool {
        !self.needs_password()
    }

    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                Error::input(format!(
                    "unknown import format '{}': use auto or one of {}",
                    text.trim(),
                    Self::ALL.map(|f| f.as_str()).join(", ")
                ))
            })
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One key found in a file, before it is compared with the vault. Holds secrets: never serialised,
/// and its `Debug` shows field names only.
pub struct Candidate {
    /// Where in the file it was found, for the preview and errors ("exchange", "line 3",
    /// "entry 'Binance main'", "user 'bybit_01'").
    pub location: String,
    /// The name it would get in the vault (made unique by the vault, within the name limits).
    pub name: String,
    /// The catalog exchange, when the file says which (a field, a variable prefix, a title or URL).
    pub exchange: Option<&'static Exchange>,
    /// What the file called the exchange when it is not in the catalog (shown in the preview).
    pub exchange_hint: Option<String>,
    pub environment: Option<Environment>,
    pub account: Option<String>,
    /// Under ccxt field names; empty values are never stored.
    pub secrets: SecretFields,
    /// The variable names the file used, for `.env` imports (so `keystead run` sets the same ones).
    pub env_names: BTreeMap<CredentialField, String>,
    /// Plain notes from the source (a KeePass entry's notes, a Bitwarden item's notes), never a secret.
    pub notes: String,
}

impl fmt::Debug for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Candidate")
            .field("location", &self.location)
            .field("name", &self.name)
            .field("exchange", &self.exchange.map(|e| e.id))
            .field("exchange_hint", &self.exchange_hint)
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl Candidate {
    /// A candidate with nothing in it yet but where it was found and its suggested name.
    pub fn new(location: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            name: name.into(),
            exchange: None,
            exchange_hint: None,
            environment: None,
            account: None,
            secrets: SecretFields::new(),
            env_names: BTreeMap::new(),
            notes: String::new(),
        }
    }

    /// Sets the exchange from a word of the file (`binance`, `OKX`, `gateio`, a URL): the catalog
    /// exchange when known, else the word is kept as a hint for the preview.
    pub fn set_exchange_word(&mut self, word: &str) {
        match exchange_from_word(word) {
            Some(e) => {
                self.exchange = Some(e);
                self.exchange_hint = None;
            }
            None => {
                let w = word.trim();
                if !w.is_empty() {
                    self.exchange_hint = Some(w.chars().take(64).collect());
                }
            }
        }
    }

    /// Adds a secret value under `field` (trimmed; empty values are skipped).
    pub fn put(&mut self, field: CredentialField, value: &str) {
        let v = value.trim();
        if !v.is_empty() {
            self.secrets
                .insert(field, SecretString::from(v.to_string()));
        }
    }
}

/// What one file holds.
#[derive(Debug)]
pub struct ParsedFile {
    pub path: PathBuf,
    pub format: SourceFormat,
    pub candidates: Vec<Candidate>,
    /// Things to say about the file as a whole (an entry left out and why), never a value.
    pub warnings: Vec<String>,
}

/// The format of a file, judged from its content first and its name second; `None` when it is none of
/// the formats Keystead reads.
pub fn detect(path: &Path, bytes: &[u8]) -> Option<SourceFormat> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if keepass::is_kdbx(bytes) {
        return Some(SourceFormat::Kdbx);
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with("//") || trimmed.starts_with("/*") {
        if bitwarden::looks_like(trimmed) {
            return Some(SourceFormat::Bitwarden);
        }
        if freqtrade::looks_like(trimmed) {
            return Some(SourceFormat::Freqtrade);
        }
        if passivbot::looks_like(trimmed) {
            return Some(SourceFormat::Passivbot);
        }
        if ccxt::looks_like(trimmed) {
            return Some(SourceFormat::Ccxt);
        }
        return None;
    }
    if hummingbot::looks_like(trimmed) {
        return Some(SourceFormat::Hummingbot);
    }
    if keepass::looks_like_csv(trimmed) {
        return Some(SourceFormat::KeepassCsv);
    }
    if dotenv::looks_like(trimmed) || name == ".env" || name.ends_with(".env") {
        return Some(SourceFormat::Env);
    }
    None
}

/// Reads the keys out of one file's bytes. `format` `None` detects it ([`detect`]); `password` is the
/// file's own password for the encrypted formats ([`SourceFormat::needs_password`]).
pub fn parse_file(
    path: &Path,
    bytes: &[u8],
    format: Option<SourceFormat>,
    password: Option<&SecretString>,
) -> Result<ParsedFile> {
    let shown = path.display();
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Error::input(format!(
            "{shown} is {} MiB, more than the {} MiB an import reads: is it the right file?",
            bytes.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let format = match format {
        Some(f) => f,
        None => detect(path, bytes).ok_or_else(|| {
            Error::input(format!(
                "{shown} is not a file Keystead can import from (freqtrade config, .env, ccxt or Passivbot keys, Hummingbot connector, KeePass database or CSV, Bitwarden JSON export): name its format with --format"
            ))
        })?,
    };
    let password = match (format.needs_password(), password) {
        (true, None) => {
            return Err(Error::input(format!(
                "{shown} is a {}: its password is needed to read it",
                format.label()
            )))
        }
        (true, p) => p,
        (false, _) => None,
    };
    let mut warnings = Vec::new();
    let text = || -> Result<&str> {
        std::str::from_utf8(bytes).map_err(|e| {
            Error::input(format!(
                "{shown} is not UTF-8 text (byte {}): is it a {}?",
                e.valid_up_to(),
                format.label()
            ))
        })
    };
    let parsed = match format {
        SourceFormat::Freqtrade => freqtrade::parse(text()?, &mut warnings),
        SourceFormat::Env => dotenv::parse(text()?, &mut warnings),
        SourceFormat::Ccxt => ccxt::parse(text()?, &mut warnings),
        SourceFormat::Passivbot => passivbot::parse(text()?, &mut warnings),
        SourceFormat::Hummingbot => hummingbot::parse(
            path,
            text()?,
            password.expect("checked above"),
            &mut warnings,
        ),
        SourceFormat::Kdbx => {
            keepass::parse_kdbx(bytes, password.expect("checked above"), &mut warnings)
        }
        SourceFormat::KeepassCsv => keepass::parse_csv(text()?, &mut warnings),
        SourceFormat::Bitwarden => bitwarden::parse(text()?, &mut warnings),
    };
    let candidates = parsed.map_err(|e| match e {
        Error::InvalidInput { message } => {
            Error::input(format!("{shown} ({}): {message}", format.label()))
        }
        other => other,
    })?;
    if candidates.len() > MAX_CANDIDATES {
        return Err(Error::input(format!(
            "{shown} holds {} entries, more than the {MAX_CANDIDATES} one import takes: split it",
            candidates.len()
        )));
    }
    Ok(ParsedFile {
        path: path.to_path_buf(),
        format,
        candidates,
        warnings,
    })
}

/// Reads every file of one import ([`parse_file`] each), then joins what split freqtrade configs say
/// across files of one folder (the exchange named in `config.json`, the key in `config-private.json`)
/// and leaves out entries that hold no secret, with a warning. An error in any file fails the whole
/// import.
pub fn parse_files(
    files: &[(PathBuf, Vec<u8>)],
    format: Option<SourceFormat>,
    password: Option<&SecretString>,
) -> Result<Vec<ParsedFile>> {
    if files.is_empty() {
        return Err(Error::input("no file given: name the files to import from"));
    }
    let mut parsed = files
        .iter()
        .map(|(path, bytes)| parse_file(path, bytes, format, password))
        .collect::<Result<Vec<_>>>()?;
    // freqtrade: an exchange named without a key lends its name to keys of the same folder that
    // name none.
    let named: Vec<(PathBuf, &'static Exchange)> = parsed
        .iter()
        .filter(|f| f.format == SourceFormat::Freqtrade)
        .flat_map(|f| {
            f.candidates
                .iter()
                .filter(|c| c.secrets.is_empty())
                .filter_map(|c| {
                    c.exchange.map(|e| {
                        (
                            f.path.parent().map(Path::to_path_buf).unwrap_or_default(),
                            e,
                        )
                    })
                })
        })
        .collect();
    for f in parsed
        .iter_mut()
        .filter(|f| f.format == SourceFormat::Freqtrade)
    {
        let dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let lent: Vec<&'static Exchange> = named
            .iter()
            .filter(|(d, _)| *d == dir)
            .map(|(_, e)| *e)
            .collect();
        for c in f
            .candidates
            .iter_mut()
            .filter(|c| c.exchange.is_none() && !c.secrets.is_empty())
        {
            if let [e] = lent.as_slice() {
                c.exchange = Some(e);
                c.exchange_hint = None;
                c.name = c.name.replacen("Exchange", e.name, 1);
            }
        }
    }
    for f in &mut parsed {
        let before = f.candidates.len();
        f.candidates.retain(|c| !c.secrets.is_empty());
        if f.candidates.len() < before && f.format == SourceFormat::Freqtrade {
            f.warnings.push(format!(
                "{} names the exchange but holds no key: its key is read from the other files",
                f.path.display()
            ));
        }
    }
    if parsed.iter().all(|f| f.candidates.is_empty()) {
        let warnings: Vec<String> = parsed.iter().flat_map(|f| f.warnings.clone()).collect();
        return Err(Error::input(format!(
            "no keys found in {}{}",
            parsed
                .iter()
                .map(|f| f.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if warnings.is_empty() {
                String::new()
            } else {
                format!(" ({})", warnings.join("; "))
            }
        )));
    }
    let total: usize = parsed.iter().map(|f| f.candidates.len()).sum();
    if total > MAX_CANDIDATES {
        return Err(Error::input(format!(
            "these files hold {total} keys, more than the {MAX_CANDIDATES} one import takes: import them in parts"
        )));
    }
    Ok(parsed)
}

/// A word for a shell command line: as it is when plain, else in single quotes.
pub(crate) fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What replaces a file's plaintext keys: the `keystead run` lines for its bot, and what to do with it.
pub(crate) fn plaintext_left(
    format: SourceFormat,
    path: &Path,
    keys: &[String],
) -> Option<PlaintextLeft> {
    let shown = path.display().to_string();
    let key_args = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("--key {}", shell_word(n)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (run_commands, advice) = match format {
        SourceFormat::Freqtrade => (
            keys.iter()
                .map(|k| {
                    format!(
                        "keystead run --profile freqtrade --key {} -- freqtrade trade --config {}",
                        shell_word(k),
                        shell_word(&shown)
                    )
                })
                .collect(),
            format!("freqtrade reads the key from the variables keystead sets, over the config: empty the key, secret and password in {shown} (Keystead never edits it)"),
        ),
        SourceFormat::Env => (
            vec![format!("keystead run {} -- your-bot", key_args(keys))],
            format!("the keys get the variable names of {shown}, so the bot sees the same variables: delete the file once the bot starts this way (Keystead never deletes it)"),
        ),
        SourceFormat::Ccxt => (
            vec![format!("keystead run --profile ccxt {} -- your-program", key_args(keys))],
            format!("ccxt reads <EXCHANGE>_APIKEY, _SECRET, … from the environment: delete {shown} once your program starts this way"),
        ),
        SourceFormat::Passivbot => (
            vec![format!(
                "keystead run --profile passivbot {} -- python3 src/tools/fetch_balance.py --user {} --api-keys {{keys_file}}",
                key_args(keys),
                shell_word(keys.first().map_or("USER", String::as_str))
            )],
            format!("the keys keep their passivbot user names; the live bot reads api-keys.json from its folder (see `keystead run --help`): delete {shown} once it starts this way"),
        ),
        SourceFormat::KeepassCsv | SourceFormat::Bitwarden => (
            Vec::new(),
            format!("{shown} is a plaintext export of your other vault: delete it (and empty the trash)"),
        ),
        SourceFormat::Hummingbot | SourceFormat::Kdbx => return None,
    };
    Some(PlaintextLeft {
        path: shown,
        format_label: format.label().to_string(),
        keys: keys.to_vec(),
        run_commands,
        advice,
    })
}

/// Reads one file to import: a regular file of at most [`MAX_FILE_BYTES`] (its size is checked before
/// it is read, and the read stops there whatever it grew to). `protected` (the vault, its journal, the
/// settings) are refused unread: they are never an import source.
pub fn read_source(path: &Path, protected: &[PathBuf]) -> Result<Vec<u8>> {
    let shown = path.display();
    let cannot = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::input(format!("{shown} does not exist: check the path"))
        }
        _ => Error::input(format!("cannot read {shown}: {e}")),
    };
    let too_big = |len: u64| {
        Error::input(format!(
            "{shown} is {} MiB, more than the {} MiB an import reads: is it the right file? Name the bot's config or key file itself",
            len.div_ceil(1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        ))
    };
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(Error::input(format!(
            "{shown} is a folder: name the files in it to import, e.g. {} or {}",
            path.join("config.json").display(),
            path.join(".env").display()
        )));
    }
    if !meta.is_file() {
        return Err(Error::input(format!(
            "{shown} is not a regular file: name the file that holds the keys"
        )));
    }
    let canonical = std::fs::canonicalize(path).map_err(cannot)?;
    if protected
        .iter()
        .any(|p| std::fs::canonicalize(p).is_ok_and(|p| p == canonical))
    {
        return Err(Error::input(format!(
            "{shown} is Keystead's own file, not one to import from"
        )));
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    use std::io::Read;
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    // The file may have grown since its metadata was read.
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}
