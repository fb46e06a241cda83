//! `keystead`: the Keystead vault on the command line. Glue over keystead-core; no rule lives here.

mod output;
mod prompt;

use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use keystead_core::anchor::KeyringAnchor;
use keystead_core::due::DueState;
use keystead_core::error::ErrorKind;
use keystead_core::share;
use keystead_core::vault::{self, OpenOptions};
use keystead_core::{
    catalog, parse, CredentialField, Error, ImportChoice, KdfParams, KeyEdit, NewKey,
    ShareEntryStatus, ShareExport, SystemClock, Vault,
};
use secrecy::ExposeSecret;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a check failed (`audit --verify` found a broken chain; `due` found a key overdue or expired)
  2  usage or input error (unknown key, exchange or scope; bad date or duration; missing field)
  3  the vault did not open: wrong passphrase, or a damaged or altered vault file

Environment:
  KEYSTEAD_VAULT           vault file (default: ~/.local/share/keystead/vault.db)
  KEYSTEAD_PASSPHRASE      vault passphrase, for automation (otherwise asked without echo)
  KEYSTEAD_NEW_PASSPHRASE  the new passphrase for `passwd`
  KEYSTEAD_SHARE_PASSPHRASE  the passphrase of a share file (`share export --passphrase`, `share import`)
  KEYSTEAD_KDF_TARGET_MS   time Argon2id should take at `init`/`passwd` (default 500; never below 64 MiB, 3 passes)
  NO_COLOR                 plain output

Secrets are never taken as arguments: they are asked without echo, or read as one JSON object
with --secrets-stdin, e.g. {\"apiKey\": \"…\", \"secret\": \"…\", \"password\": \"…\"}.";

const DUE_EXIT_CODES: &str = "\
Exit codes:
  0  no key is overdue or expired (also when nothing is due within the window)
  1  at least one key is overdue for rotation or expired
  2  usage or input error (e.g. a bad --within period)
  3  the vault did not open: wrong passphrase, or a damaged or altered vault file

Example (cron, with KEYSTEAD_PASSPHRASE set): keystead due --within 7d || echo \"check the API keys\"";

#[derive(Parser)]
#[command(
    name = "keystead",
    version,
    about = "Keystead: an encrypted vault for exchange API keys, with due dates, scopes and an audit trail.",
    after_help = EXIT_CODES
)]
struct Cli {
    /// The vault file.
    #[arg(long, global = true, env = "KEYSTEAD_VAULT", value_name = "PATH")]
    vault: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new vault (the passphrase is asked twice).
    Init,
    /// Check the passphrase and the vault's integrity.
    Unlock,
    /// Add a key; its secrets are asked without echo or read with --secrets-stdin.
    Add(AddArgs),
    /// List keys with their scopes, due state and risk flags.
    List {
        /// Print JSON (never contains a secret).
        #[arg(long)]
        json: bool,
    },
    /// Show one key: metadata, masked secrets, rotation history.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Print one secret field to stdout (audited). FIELD: apiKey, secret, password, uid, privateKey, walletAddress.
    Reveal {
        name: String,
        field: String,
        /// An older version, as numbered in `show`.
        #[arg(long)]
        version: Option<u32>,
    },
    /// Change a key's metadata.
    Edit(EditArgs),
    /// Replace a key's secrets; the old version is kept.
    Rotate {
        name: String,
        /// Why (e.g. "scheduled", "left the team").
        #[arg(long)]
        reason: Option<String>,
        /// Read the new secrets as one JSON object from standard input.
        #[arg(long)]
        secrets_stdin: bool,
    },
    /// Mark a key revoked (deleted on the exchange).
    Revoke {
        name: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Mark a key compromised and print the incident checklist.
    Compromised {
        name: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Change the vault passphrase (re-wraps the vault key only).
    Passwd,
    /// Show the audit timeline, or verify its chain.
    Audit {
        #[arg(long)]
        json: bool,
        /// Check the hash chain; exit 1 and name the first bad entry if it is broken.
        #[arg(long)]
        verify: bool,
        /// Only events of this key.
        #[arg(long, value_name = "NAME")]
        key: Option<String>,
    },
    /// List active keys due within a window (expiry, rotation or exchange rule), most urgent first. For
    /// servers and cron jobs: exits 1 when a key is overdue or expired.
    #[command(after_help = DUE_EXIT_CODES)]
    Due {
        /// How far ahead to look: 14d, 2w, 1m (30 days), 1y; a bare number is days.
        #[arg(long, value_name = "PERIOD", default_value = "14d")]
        within: String,
        /// Print JSON (never contains a secret).
        #[arg(long)]
        json: bool,
    },
    /// List the exchanges Keystead knows, their fields, permissions and key-lifetime rules.
    Exchanges {
        #[arg(long)]
        json: bool,
    },
    /// Show this vault's sharing key: the one line teammates need to send you keys, and its fingerprint.
    Whoami {
        #[arg(long)]
        json: bool,
    },
    /// Teammates you share keys with: a name and the sharing key they gave you.
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// Pass keys to teammates in encrypted share files (age format; the `age` tool opens them too).
    #[command(subcommand)]
    Share(ShareCommand),
}

#[derive(Subcommand)]
enum ContactsCommand {
    /// Add a contact. KEY: the line `keystead whoami` printed for them, or a plain age1… public key.
    Add { name: String, key: String },
    /// List contacts with their fingerprints.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a contact (keys already shared with them stay shared: rotate those).
    Remove { name: String },
    /// Rename a contact.
    Rename { old: String, new: String },
}

#[derive(Subcommand)]
enum ShareCommand {
    /// Write chosen keys into a share file that only the recipients (or holders of a passphrase) can open.
    Export(ShareExportArgs),
    /// Show what a share file holds and import it: new keys are added, changed ones replaced (old secrets
    /// kept in the history), identical ones skipped, conflicting ones kept beside yours.
    Import(ShareImportArgs),
}

#[derive(Args)]
struct ShareExportArgs {
    /// Keys to share, by name (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', required = true, value_name = "NAME")]
    keys: Vec<String>,
    /// Recipients: contact names and/or age1… public keys (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "CONTACT|age1…")]
    to: Vec<String>,
    /// Protect the file with a passphrase instead of recipients (KEYSTEAD_SHARE_PASSPHRASE, or asked twice).
    #[arg(long)]
    passphrase: bool,
    /// Write ASCII armor (text) instead of binary.
    #[arg(long)]
    armor: bool,
    /// Keys with the withdraw scope you really mean to share, each named (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    confirm_withdraw: Vec<String>,
    /// Your name as the receiver will see it (not verified; the signature is).
    #[arg(long, value_name = "NAME")]
    from: Option<String>,
    /// The share file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct ShareImportArgs {
    file: PathBuf,
    /// Only show what would be imported.
    #[arg(long)]
    dry_run: bool,
    /// Import without asking.
    #[arg(long)]
    yes: bool,
    /// Print the preview (and what was imported) as JSON; never contains a secret.
    #[arg(long)]
    json: bool,
    /// The file is protected by a passphrase (KEYSTEAD_SHARE_PASSPHRASE, or asked). Asked anyway when the
    /// file needs one.
    #[arg(long)]
    passphrase: bool,
    /// What to do with a key whose name another key of yours already has.
    #[arg(long, value_enum, default_value = "keep-both")]
    on_conflict: OnConflict,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OnConflict {
    KeepBoth,
    Replace,
    Skip,
}

#[derive(Args)]
struct AddArgs {
    #[arg(long)]
    name: String,
    /// Exchange id (see `keystead exchanges`), or `custom`.
    #[arg(long)]
    exchange: String,
    /// production, staging, development or testnet.
    #[arg(long = "env", default_value = "production")]
    environment: String,
    /// Account or sub-account label.
    #[arg(long)]
    account: Option<String>,
    /// Comma-separated: read, trade, withdraw, transfer, margin, futures, or the exchange's own names.
    #[arg(long, value_delimiter = ',')]
    scopes: Vec<String>,
    /// IP address or CIDR range the key is bound to (repeat, or separate with commas).
    #[arg(long = "ip", value_name = "ADDR")]
    ip: Vec<String>,
    /// Expiry date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    expires: Option<String>,
    /// Rotation period: 90d, 12w, 3m, 1y.
    #[arg(long, value_name = "PERIOD")]
    rotate_every: Option<String>,
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long, default_value = "")]
    notes: String,
    /// Read the secrets as one JSON object from standard input.
    #[arg(long)]
    secrets_stdin: bool,
}

#[derive(Args)]
struct EditArgs {
    name: String,
    #[arg(long, value_name = "NEW_NAME")]
    rename: Option<String>,
    #[arg(long = "env")]
    environment: Option<String>,
    /// New account label ("" clears it).
    #[arg(long)]
    account: Option<String>,
    /// Replaces the scopes (comma-separated).
    #[arg(long, value_delimiter = ',')]
    scopes: Option<Vec<String>>,
    /// Replaces the IP allowlist (repeat, or separate with commas).
    #[arg(long = "ip", value_name = "ADDR", conflicts_with = "no_ip")]
    ip: Vec<String>,
    /// Removes the IP allowlist.
    #[arg(long)]
    no_ip: bool,
    /// New expiry date (YYYY-MM-DD), or `never`.
    #[arg(long, value_name = "DATE")]
    expires: Option<String>,
    /// New rotation period (90d, 12w…), or `never`.
    #[arg(long, value_name = "PERIOD")]
    rotate_every: Option<String>,
    /// Replaces the tags (repeat).
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long)]
    notes: Option<String>,
}

/// A failure with its exit code.
struct Failure {
    code: u8,
    message: String,
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

type CliResult<T = ExitCode> = Result<T, Failure>;

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    keystead_core::process::harden();
    keystead_core::process::exit_quietly_on_closed_pipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn vault_path(cli: &Cli) -> CliResult<PathBuf> {
    match &cli.vault {
        Some(p) if !p.as_os_str().is_empty() => Ok(p.clone()),
        _ => vault::default_path().ok_or_else(|| {
            usage("cannot find a home directory for the default vault: give --vault PATH")
        }),
    }
}

fn options() -> OpenOptions {
    OpenOptions::new(Arc::new(SystemClock), "cli").with_anchor(Arc::new(KeyringAnchor::default()))
}

fn open(path: &std::path::Path) -> CliResult<Vault> {
    if !path.is_file() {
        return Err(Error::NoVault {
            path: path.to_path_buf(),
        }
        .into());
    }
    let passphrase = prompt::passphrase("Vault passphrase: ")?;
    let vault = Vault::unlock(path, &passphrase, options())?;
    for w in vault.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(vault)
}

fn kdf_target() -> CliResult<Duration> {
    match std::env::var("KEYSTEAD_KDF_TARGET_MS") {
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| {
                usage(format!(
                    "KEYSTEAD_KDF_TARGET_MS='{v}' is not a number of milliseconds"
                ))
            }),
        Err(_) => Ok(Duration::from_millis(500)),
    }
}

fn run(cli: Cli) -> CliResult {
    let path = vault_path(&cli)?;
    let Some(command) = cli.command else {
        output::welcome(&path);
        if !path.exists() && prompt::confirm(&format!("Create a vault at {} now?", path.display()))
        {
            println!();
            init(&path)?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    match command {
        Command::Init => init(&path)?,
        Command::Unlock => {
            let mut vault = open(&path)?;
            vault.record_unlock()?;
            let keys = vault.list()?.len();
            println!(
                "Vault unlocked: {keys} key{} in {}.",
                if keys == 1 { "" } else { "s" },
                path.display()
            );
        }
        Command::Add(a) => {
            let exchange = catalog::exchange(&a.exchange)?;
            let new = NewKey {
                name: parse::key_name(&a.name)?,
                exchange: exchange.id.to_string(),
                account: a.account,
                environment: Some(a.environment.parse()?),
                scopes: a.scopes,
                ip_allowlist: parse::ip_allowlist(&a.ip)?,
                expires_at: a.expires.as_deref().map(parse::date).transpose()?,
                rotation_days: a.rotate_every.as_deref().map(parse::days).transpose()?,
                tags: a.tags,
                notes: a.notes,
            };
            exchange.resolve_scopes(&new.scopes)?;
            let mut vault = open(&path)?;
            let secrets = prompt::secrets(exchange, a.secrets_stdin)?;
            let entry = vault.add(new, secrets)?;
            println!("Added '{}' ({}).", entry.name, exchange.name);
            let summary = vault.summary(&entry.id.to_string())?;
            output::print_flags(&summary);
        }
        Command::List { json } => {
            let vault = open(&path)?;
            let keys = vault.list()?;
            if json {
                output::json(&keys)?;
            } else {
                output::table(&keys, Utc::now());
            }
        }
        Command::Show { name, json } => {
            let vault = open(&path)?;
            if json {
                output::json(&output::detail_json(&vault.detail(&name)?)?)?;
            } else {
                let entry = vault.find(&name)?;
                output::detail(&entry, &vault.summary(&name)?, Utc::now());
            }
        }
        Command::Reveal {
            name,
            field,
            version,
        } => {
            let field = CredentialField::parse(&field)?;
            let mut vault = open(&path)?;
            let value = vault.reveal(&name, field, version)?;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(value.expose_secret().as_bytes());
            let _ = out.write_all(b"\n");
        }
        Command::Edit(e) => {
            let edit = KeyEdit {
                name: e.rename,
                account: e.account.map(|a| Some(a).filter(|a| !a.trim().is_empty())),
                environment: e.environment.as_deref().map(str::parse).transpose()?,
                scopes: e.scopes,
                ip_allowlist: if e.no_ip {
                    Some(Vec::new())
                } else if e.ip.is_empty() {
                    None
                } else {
                    Some(parse::ip_allowlist(&e.ip)?)
                },
                expires_at: e
                    .expires
                    .as_deref()
                    .map(|d| never_or(d, parse::date))
                    .transpose()?,
                rotation_days: e
                    .rotate_every
                    .as_deref()
                    .map(|d| never_or(d, parse::days))
                    .transpose()?,
                tags: (!e.tags.is_empty()).then_some(e.tags),
                notes: e.notes,
            };
            if edit.is_empty() {
                return Err(usage("nothing to change: give at least one option, e.g. --scopes read (see `keystead edit --help`)"));
            }
            let mut vault = open(&path)?;
            let entry = vault.edit(&e.name, edit)?;
            println!("Updated '{}'.", entry.name);
            output::print_flags(&vault.summary(&entry.id.to_string())?);
        }
        Command::Rotate {
            name,
            reason,
            secrets_stdin,
        } => {
            let mut vault = open(&path)?;
            let entry = vault.find(&name)?;
            let exchange = vault::exchange_of(&entry);
            let secrets = prompt::secrets(exchange, secrets_stdin)?;
            let entry = vault.rotate(&name, secrets, reason)?;
            let version = entry.current_version().map_or(1, |v| v.version);
            println!(
                "Rotated '{}': now at version {version}; the old secrets are kept in its history.",
                entry.name
            );
            let summary = vault.summary(&entry.id.to_string())?;
            if let Some(at) = summary.due_at {
                println!(
                    "Next due {} ({}).",
                    at.format("%Y-%m-%d"),
                    output::countdown(at, Utc::now())
                );
            }
        }
        Command::Revoke { name, reason } => {
            let mut vault = open(&path)?;
            let entry = vault.revoke(&name, reason)?;
            println!("'{}' is now revoked.", entry.name);
            let page = vault::exchange_of(&entry).api_key_page;
            if !page.is_empty() {
                println!("Make sure it is deleted on the exchange too: {page}");
            }
        }
        Command::Compromised { name, reason } => {
            let mut vault = open(&path)?;
            let entry = vault.mark_compromised(&name, reason)?;
            output::incident_checklist(&entry);
        }
        Command::Passwd => {
            let mut vault = open(&path)?;
            let new = prompt::new_passphrase("KEYSTEAD_NEW_PASSPHRASE", "New passphrase: ")?;
            vault::check_passphrase(&new)?;
            eprintln!("Measuring this machine to tune key derivation…");
            let kdf = KdfParams::calibrate(kdf_target()?)?;
            vault.change_passphrase(&new, kdf)?;
            println!("Passphrase changed. Use the new one from now on; your keys are unchanged.");
        }
        Command::Audit { json, verify, key } => {
            let vault = open(&path)?;
            if verify {
                let report = vault.verify_audit()?;
                return Ok(output::audit_report(&report, vault.warnings()));
            }
            let mut records = vault.audit_log()?;
            if let Some(name) = key {
                let id = vault.find(&name)?.id;
                records.retain(|r| r.event.key_id == Some(id));
            }
            if json {
                output::json(&records)?;
            } else {
                output::audit_timeline(&records);
            }
        }
        Command::Due { within, json } => {
            let days = parse::days(&within)?;
            let vault = open(&path)?;
            let keys = vault.due_within(chrono::Duration::days(days.into()))?;
            if json {
                output::json(&keys)?;
            } else {
                output::due_table(&keys, days, Utc::now());
            }
            if keys.iter().any(|k| k.due_state >= DueState::Overdue) {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Exchanges { json } => output::exchanges(json)?,
        Command::Whoami { json } => {
            let mut vault = open(&path)?;
            let key = vault.sharing_key()?;
            if json {
                output::json(&key)?;
            } else {
                output::whoami(&key);
            }
        }
        Command::Contacts(c) => contacts(&path, c)?,
        Command::Share(ShareCommand::Export(a)) => share_export(&path, a)?,
        Command::Share(ShareCommand::Import(a)) => share_import(&path, a)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn contacts(path: &std::path::Path, command: ContactsCommand) -> CliResult<()> {
    let mut vault = open(path)?;
    match command {
        ContactsCommand::Add { name, key } => {
            let c = vault.add_contact(&name, &key)?;
            println!("Added contact '{}', fingerprint {}.", c.name, c.fingerprint);
            if c.can_verify {
                println!("Compare the fingerprint with them (by voice, not in the chat you got the key from).");
            } else {
                println!("This is an age key only: you can send them files, but files from them cannot be attributed.");
            }
        }
        ContactsCommand::List { json } => {
            let list = vault.contacts()?;
            if json {
                output::json(&list)?;
            } else {
                output::contacts(&list);
            }
        }
        ContactsCommand::Remove { name } => {
            let c = vault.remove_contact(&name)?;
            println!("Removed contact '{}'. Keys you shared with them before still work: rotate them if they left the team.", c.name);
        }
        ContactsCommand::Rename { old, new } => {
            let c = vault.rename_contact(&old, &new)?;
            println!("Renamed contact '{old}' to '{}'.", c.name);
        }
    }
    Ok(())
}

fn share_export(path: &std::path::Path, a: ShareExportArgs) -> CliResult<()> {
    if !a.force && a.output.exists() {
        return Err(usage(format!(
            "{} already exists: choose another file name with -o, or pass --force to replace it",
            a.output.display()
        )));
    }
    if a.passphrase && !a.to.is_empty() {
        return Err(usage("a share file is protected either by recipients or by a passphrase, not both (the age format requires the passphrase alone): drop --to or --passphrase"));
    }
    let mut vault = open(path)?;
    let passphrase = if a.passphrase {
        let p = prompt::new_passphrase("KEYSTEAD_SHARE_PASSPHRASE", "Share file passphrase: ")?;
        vault::check_passphrase(&p)?;
        Some(p)
    } else {
        None
    };
    let exported = vault.share_export(&ShareExport {
        keys: a.keys,
        to: a.to,
        passphrase,
        armor: a.armor,
        confirm_withdraw: a.confirm_withdraw,
        sender_name: a.from,
        scrypt_work_factor: None,
    })?;
    share::write_file(&a.output, &exported.bytes, a.force)?;
    output::share_exported(&a.output, &exported.summary);
    Ok(())
}

fn share_import(path: &std::path::Path, a: ShareImportArgs) -> CliResult<()> {
    use std::io::Read;
    let file = std::fs::File::open(&a.file)
        .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
    let mut bytes = Vec::new();
    file.take(share::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
    let mut vault = open(path)?;
    let passphrase = if a.passphrase || share::is_passphrase_protected(&bytes)? {
        Some(match std::env::var("KEYSTEAD_SHARE_PASSPHRASE") {
            Ok(p) => secrecy::SecretString::from(p),
            Err(_) => prompt::ask("Share file passphrase: ")?,
        })
    } else {
        None
    };
    let opened = vault.share_open(&bytes, passphrase.as_ref())?;
    let preview = vault.share_preview(&opened)?;
    let choices: Vec<ImportChoice> = preview
        .entries
        .iter()
        .map(|e| match (e.status, a.on_conflict) {
            (ShareEntryStatus::Conflicting, OnConflict::Replace) => ImportChoice::Replace,
            (ShareEntryStatus::Conflicting, OnConflict::Skip) => ImportChoice::Skip,
            _ => e.default_choice,
        })
        .collect();
    if !a.json {
        output::share_preview(&preview, &choices);
    }
    let nothing = choices.iter().all(|c| *c == ImportChoice::Skip);
    let apply = !a.dry_run
        && !nothing
        && {
            if a.yes {
                true
            } else if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                prompt::confirm("Import these keys?")
            } else {
                return Err(usage("nothing was imported: pass --yes to import without asking, or --dry-run to only see the preview"));
            }
        };
    let imported = if apply {
        Some(vault.share_apply(&opened, &choices)?)
    } else {
        None
    };
    if a.json {
        output::json(&serde_json::json!({
            "preview": preview,
            "choices": choices,
            "imported": imported,
        }))?;
    } else if let Some(summary) = &imported {
        output::share_imported(summary);
    } else if a.dry_run {
        println!("Dry run: nothing was imported.");
    } else if nothing {
        println!("Nothing to import.");
    } else {
        println!("Nothing was imported.");
    }
    Ok(())
}

fn init(path: &std::path::Path) -> CliResult<()> {
    if path.exists() {
        return Err(Error::VaultExists {
            path: path.to_path_buf(),
        }
        .into());
    }
    println!(
        "Choose a passphrase of at least {} characters; a few random words work well.",
        vault::MIN_PASSPHRASE_CHARS
    );
    println!("Keystead cannot recover it for you: write it down somewhere safe.");
    let passphrase = prompt::new_passphrase("KEYSTEAD_PASSPHRASE", "New vault passphrase: ")?;
    vault::check_passphrase(&passphrase)?;
    eprintln!("Measuring this machine to tune key derivation…");
    let kdf = KdfParams::calibrate(kdf_target()?)?;
    let vault = Vault::create(path, &passphrase, kdf, options())?;
    println!(
        "Created vault at {} (Argon2id {} MiB, {} passes).",
        vault.path().display(),
        kdf.memory_kib / 1024,
        kdf.iterations
    );
    println!("Next: keystead add --name binance-main --exchange binance --scopes read,trade --ip YOUR.SERVER.IP");
    Ok(())
}

/// `never` clears an optional value; anything else is parsed.
fn never_or<T>(
    text: &str,
    parse: impl Fn(&str) -> keystead_core::Result<T>,
) -> CliResult<Option<T>> {
    if text.trim().eq_ignore_ascii_case("never") || text.trim().eq_ignore_ascii_case("none") {
        Ok(None)
    } else {
        Ok(Some(parse(text)?))
    }
}
