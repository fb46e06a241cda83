//! The command line as clap sees it: every command, option and help text. No behaviour lives here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a check failed (`audit --verify` found a broken chain; `due` found a key overdue or expired)
  2  usage or input error (unknown key, exchange or scope; bad date or duration; missing field)
  3  the vault did not open: wrong passphrase, or a damaged or altered vault file

Environment:
  KEYSTEAD_VAULT           vault file (default: ~/.local/share/keystead/vault.db)
  KEYSTEAD_PASSPHRASE      vault passphrase, for automation (otherwise asked without echo)
  KEYSTEAD_PASSPHRASE_FILE  a file holding it (mode 600, or a systemd credential in $CREDENTIALS_DIRECTORY)
  KEYSTEAD_NEW_PASSPHRASE  the new passphrase for `passwd`
  KEYSTEAD_SHARE_PASSPHRASE  the passphrase of a share file (`share export --passphrase`, `share import`)
  KEYSTEAD_IMPORT_PASSWORD  the password of an encrypted file `import` reads (Hummingbot, KeePass)
  KEYSTEAD_KDF_TARGET_MS   time Argon2id should take at `init`/`passwd` (default 500; never below 64 MiB, 3 passes)
  NO_COLOR                 plain output

Secrets are never taken as arguments: they are asked without echo, or read as one JSON object
with --secrets-stdin, e.g. {\"apiKey\": \"…\", \"secret\": \"…\", \"password\": \"…\"}.";

pub const DUE_EXIT_CODES: &str = "\
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
pub struct Cli {
    /// The vault file.
    #[arg(long, global = true, env = "KEYSTEAD_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a new vault (the passphrase is asked twice).
    Init,
    /// Check the passphrase and the vault's integrity, and say whether this device is remembered.
    Unlock {
        /// Remember the vault on this device: commands here then unlock without the passphrase while
        /// your OS session (and its keyring) is unlocked. Asks the passphrase.
        #[arg(long)]
        remember: bool,
    },
    /// Forget this device: its key leaves the OS keyring and the vault asks for the passphrase again.
    ForgetDevice,
    /// Add a key; its secrets are asked without echo or read with --secrets-stdin.
    Add(AddArgs),
    /// List keys with their scopes, due state and risk flags.
    List {
        /// Print JSON (never contains a secret).
        #[arg(long)]
        json: bool,
        /// Only the keys this bot uses (as recorded with --used-by).
        #[arg(long = "used-by", value_name = "BOT")]
        used_by: Option<String>,
    },
    /// Show one key: metadata, masked secrets, rotation history.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Print the public key of a key pair (SubjectPublicKeyInfo PEM), to paste into the exchange's form.
    PublicKey { name: String },
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
        /// Rotate to a new Ed25519 key pair made here (Binance): prints its public key for the
        /// exchange's form, then asks for the new API key (with --secrets-stdin, reads {"apiKey": "…"}).
        #[arg(long)]
        new_key_pair: bool,
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
    /// Accept an older vault file as a backup you restored on purpose (audited); ends the rollback warning.
    RestoreAccept {
        /// Accept without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Write a backup: a copy of the vault file (encrypted, under the same passphrase) at PATH,
    /// private (0600), recorded in the audit log. Restore by opening the copy:
    /// `KEYSTEAD_VAULT=PATH keystead list`.
    Backup {
        /// Where to write the copy, ideally on another disk.
        path: PathBuf,
        /// Replace PATH if it is an older backup (another file is never replaced).
        #[arg(long)]
        force: bool,
    },
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
    /// Team vaults: keys kept in sync with a small team through a git repository you already have
    /// (one age-encrypted, signed file per key; every file checked before anything is applied).
    #[command(subcommand)]
    Team(TeamCommand),
    /// Import keys from other tools' files: freqtrade configs, .env files, ccxt and Passivbot key files,
    /// Hummingbot connector files, KeePass databases and CSV exports, Bitwarden JSON exports. Shows a
    /// preview first; new keys are added, everything else skipped unless chosen. The files are never
    /// changed.
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),
    /// Look for copies of your keys, and exchange-shaped secrets, in folders (respects .gitignore,
    /// skips binary and huge files, never follows symlinks); exit 1 when something is found.
    #[command(after_help = SCAN_HELP)]
    Scan(ScanArgs),
    /// Start a program with keys' secrets in its environment, named the way the bot reads them
    /// (audited; nothing written to disk), e.g. `keystead run --key binance-main -- python3 bot.py`.
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Ask each key's exchange what the key can really do (permissions, IP allowlist, expiry) and name
    /// every difference from the record (audited). Without NAME, every active key of an exchange that
    /// can be checked: Binance, Coinbase, Kraken, OKX, Bybit, KuCoin.
    #[command(after_help = VERIFY_HELP)]
    Verify {
        names: Vec<String>,
        /// Print JSON (never contains a secret).
        #[arg(long)]
        json: bool,
        /// Write the exchange's view into each key that differs (audited; removing withdraw or
        /// transfer asks the passphrase again).
        #[arg(long)]
        accept: bool,
    },
}

pub const VERIFY_HELP: &str = "\
A request goes out only when you run this command: to the exchange's read-only key-information
endpoint, over https, signed with the key as the exchange requires; it times out after 10 s.
KEYSTEAD_BASE_URL_<EXCHANGE> (e.g. KEYSTEAD_BASE_URL_BINANCE=https://proxy.example:8443) sends that
exchange's checks elsewhere; plain http is accepted only to 127.0.0.1 or [::1]. KEYSTEAD_CA_FILE (a PEM
file) replaces the built-in root certificates, for a TLS-inspecting proxy.

Exit codes:
  0  every exchange agrees with the record
  1  a difference, or an exchange rejected a key
  2  an error, or an exchange could not be asked (network, timeout, an unreadable answer)
  3  the vault did not open";

pub const IMPORT_HELP: &str = "\
Encrypted files (Hummingbot, KeePass) are opened with their own password: KEYSTEAD_IMPORT_PASSWORD, or
asked without echo. A key already in the vault (same API key) with other secrets, or a new key with the
name of one of yours, is skipped unless named with --replace (its old secrets stay in its history) or
--keep-both; --yes alone never replaces a key. The files hold no scopes: imported keys show \"scopes
unknown\" (and count as able to move funds) until set, or take the exchange's defaults with
--default-scopes.

Example: keystead import ~/ft/config.json --dry-run, then keystead import ~/ft/config.json";

pub const SCAN_HELP: &str = "\
Looks for (a) every secret of the vault, current and older versions, as written and base64, base64url,
URL-encoded, hex and JSON-escaped; (b) key shapes of exchanges and services (Binance, Kraken, KuCoin,
Bitfinex, Deribit, OKX, Coinbase CDP, 0x and PEM private keys, AWS, GitHub, Slack); (c) assignments to
names like *_API_KEY, *_SECRET, *_PASSPHRASE. A finding shows its place, rule, whose key, and a
redacted excerpt (first 4 … last 2 characters): never a whole secret. With --locked (or without a
vault) only (b) and (c) run. The scan is audited, and a key whose current secret was found is flagged
\"found in plaintext\" until it is rotated.

A finding that is not a leak (a test fixture, a revoked key in an old note) can be ignored by its ID:
later scans leave it out and say how many they left out (--include-ignored shows them again). An ID
names the match in that file, not the line, so it stays ignored when the file changes around it.

Exit codes: 0 nothing found (or only ignored findings), 1 findings, 2 or 3 an error.

Examples: keystead scan ~/bots ~/.bash_history
          keystead scan ~/bots --ignore 3f9a0c1d2e4b5a69   (then: keystead scan --ignored, --unignore ID)";

pub const RUN_HELP: &str = "\
Profiles (only the fields the key holds are set):
  ccxt       <EXCHANGE>_APIKEY, _SECRET, _PASSWORD, _UID, _PRIVATEKEY, _WALLETADDRESS, with the
             upper-case ccxt exchange id (BINANCE_APIKEY, …); one key per exchange
  freqtrade  FREQTRADE__EXCHANGE__API_KEY (and __KEY, for freqtrade 2024), __SECRET, __PASSWORD,
             __UID, __WALLET_ADDRESS, __PRIVATE_KEY, read by freqtrade over its config file; exactly
             one key
  passivbot  a file in passivbot's api-keys.json format, one entry per key under its name in the
             vault; made 0600 in a private temporary folder, its path in KEYSTEAD_API_KEYS_FILE and
             put for {keys_file} in the arguments; removed when the program ends

The program's exit code, stdin, stdout and stderr pass through; SIGINT, SIGTERM, SIGHUP and SIGQUIT
sent to keystead reach it. KEYSTEAD_PASSPHRASE and KEYSTEAD_PASSPHRASE_FILE are not passed on.
Revoked and compromised keys are refused, expired ones unless --allow-expired; a key that can
withdraw or transfer funds takes the vault passphrase given for this run as its step-up.

With --mask the program's stdout and stderr go through keystead, which replaces each secret it
handed over (and the secret's base64, base64url and percent-encoded forms) with
<concealed by keystead>; values shorter than 4 characters are not masked (keystead names the field).

Exit codes: the program's own (128 + N when it died of signal N); 2 or 3 when keystead refused
before starting it (as for other commands); 126 or 127 when it could not be started.";

#[derive(Args)]
pub struct RunArgs {
    /// A key to hand over, by name (repeat, or separate names with commas).
    #[arg(long = "key", value_name = "NAME", required = true)]
    pub keys: Vec<String>,
    /// How the variables are named.
    #[arg(long, value_enum, default_value_t = RunProfile::Ccxt)]
    pub profile: RunProfile,
    /// Hand over expired keys too (revoked and compromised ones never).
    #[arg(long)]
    pub allow_expired: bool,
    /// Replace the secrets (and their base64 and URL-encoded forms) in the program's output.
    #[arg(long)]
    pub mask: bool,
    /// The program and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Args)]
pub struct ScanArgs {
    /// Folders or files to scan.
    #[arg(required_unless_present_any = ["ignored", "unignore"], value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print the findings and stats as JSON.
    #[arg(long)]
    pub json: bool,
    /// Ignore nothing: also scan files .gitignore (and .ignore, git's exclude) would skip, and show the
    /// findings you marked ignored (marked as such).
    #[arg(long)]
    pub include_ignored: bool,
    /// After the scan, mark the finding with this ID (the last column) ignored: later scans leave it out.
    /// Repeat for several. Audited.
    #[arg(long, value_name = "ID")]
    pub ignore: Vec<String>,
    /// List the findings you marked ignored, with their IDs, and exit.
    #[arg(long, conflicts_with_all = ["paths", "ignore", "unignore"])]
    pub ignored: bool,
    /// Report this ignored finding again (its ID from --ignored), and exit. Repeat for several. Audited.
    #[arg(long, value_name = "ID", conflicts_with_all = ["paths", "ignore"])]
    pub unignore: Vec<String>,
    /// Skip files larger than this (bytes, or with K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "8M")]
    pub max_file_size: String,
    /// Also scan the git history of the repositories found (every blob once).
    #[arg(long)]
    pub history: bool,
    /// Do not open the vault: look for key shapes and assignments only.
    #[arg(long)]
    pub locked: bool,
}

/// How `run` names the variables it sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RunProfile {
    /// `<EXCHANGE>_APIKEY`, `<EXCHANGE>_SECRET`, … (ccxt's convention).
    Ccxt,
    /// `FREQTRADE__EXCHANGE__API_KEY`, `FREQTRADE__EXCHANGE__SECRET`, … (freqtrade's config override).
    Freqtrade,
    /// A temporary `api-keys.json` in passivbot's format (`KEYSTEAD_API_KEYS_FILE`, `{keys_file}`).
    Passivbot,
}

impl RunProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ccxt => "ccxt",
            Self::Freqtrade => "freqtrade",
            Self::Passivbot => "passivbot",
        }
    }
}

#[derive(Subcommand)]
pub enum ContactsCommand {
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
pub enum TeamCommand {
    /// Make a team in REMOTE, an empty git repository made with `git init --bare`: git@host:desk.git or
    /// ssh://… (your ssh agent's keys), https://… (your git credential helper), git://…, or a path or
    /// file:///srv/git/desk.git; you are its first write member.
    Init {
        remote: String,
        /// The team's name.
        #[arg(long)]
        name: String,
        /// Your name in the member list (default: your login name).
        #[arg(long = "as", value_name = "NAME")]
        me: Option<String>,
    },
    /// Join the team in REMOTE once a write member added you: shows its name, members and its
    /// creator's fingerprint to compare; nothing is kept until you confirm.
    Join {
        remote: String,
        /// Join without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Add a contact to the team (their full sharing key; all team keys are encrypted to them too).
    AddMember {
        contact: String,
        #[arg(long, value_enum, default_value = "read")]
        role: TeamRole,
        #[arg(long, value_name = "NAME")]
        team: Option<String>,
    },
    /// Remove a member: every team key is encrypted again to the members left, and marked to rotate
    /// (git history keeps the files they could open).
    RemoveMember {
        /// Their member name (or their contact's name).
        member: String,
        #[arg(long, value_name = "NAME")]
        team: Option<String>,
    },
    /// Put keys into the team: encrypted to every member, signed by you, pushed.
    Share {
        #[arg(required = true, value_name = "NAME")]
        keys: Vec<String>,
        /// Keys with the withdraw scope you really mean to share, each named (comma-separated).
        #[arg(long, value_delimiter = ',', value_name = "NAME")]
        confirm_withdraw: Vec<String>,
        #[arg(long, value_name = "NAME")]
        team: Option<String>,
    },
    /// Pull, check every file, show what would change (new, changed by whom, refused and why), apply it
    /// in one transaction and push your own changes.
    Sync {
        /// Apply without asking.
        #[arg(long)]
        yes: bool,
        /// Resolve a conflict by keeping your version of this key, sent over the other member's (repeat).
        #[arg(long, value_name = "KEY", value_delimiter = ',')]
        mine: Vec<String>,
        /// Resolve a conflict by taking the other member's version of this key (yours stays in its
        /// history) (repeat).
        #[arg(long, value_name = "KEY", value_delimiter = ',')]
        theirs: Vec<String>,
        #[arg(long, value_name = "NAME")]
        team: Option<String>,
    },
    /// The teams, their members and what a sync would bring in or send (fetches; changes nothing).
    Status {
        #[arg(long, value_name = "NAME")]
        team: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TeamRole {
    Read,
    Write,
}

#[derive(Subcommand)]
pub enum ShareCommand {
    /// Write chosen keys into a share file that only the recipients (or holders of a passphrase) can open.
    Export(ShareExportArgs),
    /// Show what a share file holds and import it: new keys are added, identical and changed ones
    /// skipped (changed ones replaced with --on-conflict replace, old secrets kept in the history),
    /// conflicting ones kept beside yours.
    Import(ShareImportArgs),
}

#[derive(Args)]
pub struct ShareExportArgs {
    /// Keys to share, by name (comma-separated or repeated).
    #[arg(
        long,
        value_delimiter = ',',
        required_unless_present = "used_by",
        value_name = "NAME"
    )]
    pub keys: Vec<String>,
    /// Deploy to a server: every active key this bot uses (as recorded with --used-by), for the
    /// server's own vault (its sharing key as a contact, in --to).
    #[arg(long = "used-by", value_name = "BOT", conflicts_with = "keys")]
    pub used_by: Option<String>,
    /// Recipients: contact names and/or age1… public keys (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "CONTACT|age1…")]
    pub to: Vec<String>,
    /// Protect the file with a passphrase instead of recipients (KEYSTEAD_SHARE_PASSPHRASE, or asked twice).
    #[arg(long)]
    pub passphrase: bool,
    /// Write ASCII armor (text) instead of binary.
    #[arg(long)]
    pub armor: bool,
    /// Keys with the withdraw scope you really mean to share, each named (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub confirm_withdraw: Vec<String>,
    /// Your name as the receiver will see it (not verified; the signature is).
    #[arg(long, value_name = "NAME")]
    pub from: Option<String>,
    /// The share file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub struct ShareImportArgs {
    pub file: PathBuf,
    /// Only show what would be imported.
    #[arg(long)]
    pub dry_run: bool,
    /// Import without asking.
    #[arg(long)]
    pub yes: bool,
    /// Print the preview (and what was imported) as JSON; never contains a secret.
    #[arg(long)]
    pub json: bool,
    /// The file is protected by a passphrase (KEYSTEAD_SHARE_PASSPHRASE, or asked). Asked anyway when the
    /// file needs one.
    #[arg(long)]
    pub passphrase: bool,
    /// What to do with a key whose name another key of yours already has (keep-both, the default, adds
    /// it beside yours) and with a key of yours the file changes (skipped unless `replace`). `replace` is
    /// refused unless the file is signed by one of your contacts and made for this vault, and never
    /// replaces a key from a file older than your copy.
    #[arg(long, value_enum, default_value = "keep-both")]
    pub on_conflict: OnConflict,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The files to read keys from (several files of one bot, e.g. config.json and config-private.json).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The files' format: auto (judged from the content), freqtrade, env, ccxt, passivbot, hummingbot,
    /// kdbx, keepass-csv or bitwarden.
    #[arg(long, default_value = "auto", value_name = "FORMAT")]
    pub format: String,
    /// Only show what would be imported.
    #[arg(long)]
    pub dry_run: bool,
    /// Import without asking (never replaces a key: that takes --replace).
    #[arg(long)]
    pub yes: bool,
    /// Print the preview (with --dry-run) or what was imported as JSON; never contains a secret.
    #[arg(long)]
    pub json: bool,
    /// Replace the secrets of this key with the file's (its name in the preview, or the name of your
    /// key it matches); repeat for more.
    #[arg(long, value_name = "NAME")]
    pub replace: Vec<String>,
    /// Add this entry beside your key of the same name or API key, under a distinct name.
    #[arg(long, value_name = "NAME")]
    pub keep_both: Vec<String>,
    /// Leave this entry out.
    #[arg(long, value_name = "NAME")]
    pub skip: Vec<String>,
    /// The exchange of an entry whose file does not say, e.g. --exchange mybot=bybit.
    #[arg(long, value_name = "NAME=EXCHANGE")]
    pub exchange: Vec<String>,
    /// Record the exchange's default permissions as the scopes of every key added, instead of "scopes
    /// unknown".
    #[arg(long)]
    pub default_scopes: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OnConflict {
    KeepBoth,
    Replace,
    Skip,
}

#[derive(Args)]
pub struct AddArgs {
    #[arg(long)]
    pub name: String,
    /// Exchange id (see `keystead exchanges`), or `custom`.
    #[arg(long)]
    pub exchange: String,
    /// production, staging, development or testnet.
    #[arg(long = "env", default_value = "production")]
    pub environment: String,
    /// Account or sub-account label.
    #[arg(long)]
    pub account: Option<String>,
    /// Comma-separated: read, trade, withdraw, transfer, margin, futures, or the exchange's own names.
    #[arg(long, value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// IP address or CIDR range the key is bound to (repeat, or separate with commas).
    #[arg(long = "ip", value_name = "ADDR")]
    pub ip: Vec<String>,
    /// Expiry date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// Rotation period: 90d, 12w, 3m, 1y.
    #[arg(long, value_name = "PERIOD")]
    pub rotate_every: Option<String>,
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    #[arg(long, default_value = "")]
    pub notes: String,
    /// The variable `keystead run` puts one field in, e.g. apiKey=BINANCE_API_KEY (repeat); wins over
    /// the profile's names.
    #[arg(long = "var", value_name = "FIELD=NAME")]
    pub vars: Vec<String>,
    /// A bot that uses the key, and where it runs: freqtrade@vps-1 (repeat, or separate with commas).
    #[arg(long = "used-by", value_name = "BOT[@HOST]", value_delimiter = ',')]
    pub used_by: Vec<String>,
    /// Read the secrets as one JSON object from standard input.
    #[arg(long)]
    pub secrets_stdin: bool,
    /// Make an Ed25519 key pair here (Binance's "self-generated" keys): prints the public key to paste
    /// into the exchange's form, then asks for the API key the exchange shows (with --secrets-stdin,
    /// reads {"apiKey": "…"}). The private key never leaves the vault without the passphrase.
    #[arg(long)]
    pub new_key_pair: bool,
}

#[derive(Args)]
pub struct EditArgs {
    pub name: String,
    #[arg(long, value_name = "NEW_NAME")]
    pub rename: Option<String>,
    #[arg(long = "env")]
    pub environment: Option<String>,
    /// New account label ("" clears it).
    #[arg(long)]
    pub account: Option<String>,
    /// Replaces the scopes (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub scopes: Option<Vec<String>>,
    /// Replaces the IP allowlist (repeat, or separate with commas).
    #[arg(long = "ip", value_name = "ADDR", conflicts_with = "no_ip")]
    pub ip: Vec<String>,
    /// Removes the IP allowlist.
    #[arg(long)]
    pub no_ip: bool,
    /// New expiry date (YYYY-MM-DD), or `never`.
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// New rotation period (90d, 12w…), or `never`.
    #[arg(long, value_name = "PERIOD")]
    pub rotate_every: Option<String>,
    /// Replaces the tags (repeat).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    #[arg(long)]
    pub notes: Option<String>,
    /// Sets the variable `keystead run` puts one field in, e.g. apiKey=BINANCE_API_KEY (repeat);
    /// `apiKey=` removes that one.
    #[arg(long = "var", value_name = "FIELD=NAME", conflicts_with = "no_vars")]
    pub vars: Vec<String>,
    /// Removes every variable name of the key (`run` uses the profile's names).
    #[arg(long)]
    pub no_vars: bool,
    /// Replaces the bots that use the key: freqtrade@vps-1 (repeat, or separate with commas).
    #[arg(
        long = "used-by",
        value_name = "BOT[@HOST]",
        value_delimiter = ',',
        conflicts_with = "no_used_by"
    )]
    pub used_by: Vec<String>,
    /// Removes every bot recorded for the key.
    #[arg(long)]
    pub no_used_by: bool,
    /// Whether the app's scheduled checks on the exchange look at this key: `on` always, `off` never,
    /// `default` as the app's setting says (all keys, or only the ones turned on).
    #[arg(long, value_name = "on|off|default")]
    pub scheduled_check: Option<ScheduledCheck>,
}

/// A key's place in the app's scheduled checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduledCheck {
    On,
    Off,
    Default,
}

impl ScheduledCheck {
    pub fn setting(self) -> Option<bool> {
        match self {
            Self::On => Some(true),
            Self::Off => Some(false),
            Self::Default => None,
        }
    }
}
