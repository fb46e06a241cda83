//! `run`: starts a program with keys' secrets in its environment, named the way the bot reads them, or
//! in a temporary file in the bot's format (profiles). The keys are released by core's one policy path (status, step-up, audit, last used); the
//! program's exit code and stdio pass through (with `--mask`, stdout and stderr with the secrets
//! concealed), and SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to keystead reach it.

mod keys_file;
mod mask;

use super::open_with_step_up;
use crate::args::{RunArgs, RunProfile};
use crate::failure::{usage, CliResult, Failure};
use keystead_core::vault::program_label;
use keystead_core::{CredentialField, KeyEntry, RunRequest, SecretFields};
use secrecy::{ExposeSecret, SecretString};
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode, ExitStatus, Stdio};

/// Passphrases keystead reads from the environment (and the passphrase file's path): never handed on
/// to the program.
const NOT_PASSED_ON: [&str; 4] = [
    "KEYSTEAD_PASSPHRASE",
    crate::prompt::PASSPHRASE_FILE_VARIABLE,
    "KEYSTEAD_NEW_PASSPHRASE",
    "KEYSTEAD_SHARE_PASSPHRASE",
];

pub fn run(path: &Path, a: RunArgs) -> CliResult {
    let Some(program) = a.command.first().cloned() else {
        return Err(usage("name the program to start after `--`"));
    };
    let names: Vec<String> = a
        .keys
        .iter()
        .flat_map(|k| k.split(','))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from)
        .collect();
    let (mut vault, mut step_up) = open_with_step_up(path)?;
    // The names the profile gives must work out before anything is released (and audited).
    let mut chosen: Vec<KeyEntry> = Vec::new();
    for name in &names {
        let e = vault.find(name)?;
        if !chosen.iter().any(|c| c.id == e.id) {
            chosen.push(e);
        }
    }
    check_profile(a.profile, &chosen)?;
    let request = RunRequest {
        keys: names,
        profile: a.profile.as_str().into(),
        program: program.to_string_lossy().into_owned(),
        allow_expired: a.allow_expired,
    };
    let released = step_up.run(|p| vault.release_for_run(&request, p))?;
    // Closed before the program starts: the file is not held open while a bot runs for hours.
    drop(vault);
    drop(step_up);
    let entries: Vec<KeyEntry> = released.iter().map(|(e, _)| e.clone()).collect();
    check_profile(a.profile, &entries)?;

    // From here a signal to keystead is kept for the program (sent to it once it has started), so
    // nothing ends keystead between writing a keys file and removing it.
    forward::install();
    // File profiles: written before the program starts, removed (with its folder) when it has ended,
    // whether it exited, crashed or was killed, and when keystead got a signal (passed on to it).
    let keys_file = match a.profile {
        RunProfile::Passivbot => Some(
            keys_file::KeysFile::write(&keys_file::passivbot(&released)).map_err(|e| Failure {
                code: 3,
                message: format!("cannot write the keys file: {e}"),
            })?,
        ),
        RunProfile::Ccxt | RunProfile::Freqtrade => None,
    };
    let mut command = Command::new(&program);
    match &keys_file {
        Some(file) => {
            command.args(
                a.command[1..]
                    .iter()
                    .map(|arg| with_keys_file(arg, file.path())),
            );
            command.env(KEYS_FILE_VARIABLE, file.path());
        }
        None => {
            command.args(&a.command[1..]);
        }
    }
    for var in NOT_PASSED_ON {
        command.env_remove(var);
    }
    for (name, value) in variables(a.profile, &released) {
        command.env(name, value.expose_secret());
    }
    let masker = match a.mask {
        true => Some(
            mask::Masker::new(mask_patterns(&released)).map_err(|e| Failure {
                code: 3,
                message: format!("cannot mask the program's output: {e}"),
            })?,
        ),
        false => None,
    };
    drop(released);
    if masker.is_some() {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let child = command.spawn();
    drop(command);
    let mut child = child.map_err(|e| Failure {
        code: if e.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        },
        message: format!(
            "cannot start {}: {e}",
            program_label(&program.to_string_lossy())
        ),
    })?;
    forward::started(child.id());
    let copiers = match masker {
        Some(m) => mask::start(m, child.stdout.take(), child.stderr.take()),
        None => Vec::new(),
    };
    let status = child.wait().map_err(|e| Failure {
        code: 3,
        message: format!("lost track of the program: {e}"),
    });
    // The copiers end when the program's output is closed: after it exits (or after any process it
    // left behind holding its output does), and then the patterns are dropped.
    for copier in copiers {
        let _ = copier.join();
    }
    drop(keys_file);
    Ok(ExitCode::from(exit_code(status?)))
}

/// The variable a file profile puts the file's path in.
const KEYS_FILE_VARIABLE: &str = "KEYSTEAD_API_KEYS_FILE";
/// What a file profile replaces with the file's path in the program's arguments.
const KEYS_FILE_ARGUMENT: &str = "{keys_file}";

/// `arg` with each `{keys_file}` replaced by the file's path (an argument that is not UTF-8 is left
/// as it is).
fn with_keys_file(arg: &OsString, path: &Path) -> OsString {
    match (arg.to_str(), path.to_str()) {
        (Some(text), Some(path)) if text.contains(KEYS_FILE_ARGUMENT) => {
            text.replace(KEYS_FILE_ARGUMENT, path).into()
        }
        (Some(text), None) if text == KEYS_FILE_ARGUMENT => path.as_os_str().to_owned(),
        _ => arg.clone(),
    }
}

/// The secrets `--mask` conceals: every released value except the short ones, which would conceal
/// ordinary text (each refusal named on stderr by key and field, never by value).
fn mask_patterns(released: &[(KeyEntry, SecretFields)]) -> mask::Patterns {
    let mut patterns = mask::Patterns::new();
    for (entry, secrets) in released {
        for field in secrets.fields() {
            let Some(value) = secrets.get(field) else {
                continue;
            };
            let value = value.expose_secret().as_bytes();
            if value.is_empty() {
                continue;
            }
            if value.len() < mask::MIN_MASKED {
                eprintln!(
                    "keystead: --mask: the {} of '{}' is shorter than {} characters and is not masked",
                    field.as_str(),
                    entry.name,
                    mask::MIN_MASKED
                );
                continue;
            }
            patterns.add(value);
        }
    }
    patterns
}

/// The program's exit code, or 128 + N when signal N ended it (as shells report it).
fn exit_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return code as u8;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128u8.wrapping_add(sig as u8);
        }
    }
    1
}

/// Refuses key sets the profile cannot name unambiguously: a field with no variable (a custom key under
/// ccxt, which names variables after the exchange), two fields in one variable, more than one key for
/// freqtrade. A key's own variable names count first.
fn check_profile(profile: RunProfile, keys: &[KeyEntry]) -> CliResult<()> {
    match profile {
        RunProfile::Ccxt => {
            if let Some(k) = keys.iter().find(|k| {
                k.exchange == "custom"
                    && k.secret_fields()
                        .iter()
                        .any(|f| !k.env_names.contains_key(f))
            }) {
                return Err(usage(format!(
                    "'{}' is a key of a custom exchange: the ccxt profile names variables after the ccxt exchange id, which it has none of; give it its own (keystead edit '{}' --var apiKey=NAME …)",
                    k.name, k.name
                )));
            }
        }
        RunProfile::Passivbot => {
            if let Some(k) = keys.iter().find(|k| k.exchange == "custom") {
                return Err(usage(format!(
                    "'{}' is a key of a custom exchange: passivbot's api-keys.json names the exchange of each key",
                    k.name
                )));
            }
        }
        RunProfile::Freqtrade => {
            if keys.len() != 1 {
                return Err(usage(format!(
                    "the freqtrade profile takes exactly one key (freqtrade trades on one exchange account), not {}: {}",
                    keys.len(),
                    keys.iter()
                        .map(|k| k.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    let mut taken: Vec<(String, &KeyEntry)> = Vec::new();
    for k in keys {
        for field in k.secret_fields() {
            let Some(var) = variable(profile, k, field) else {
                continue;
            };
            if let Some((_, other)) = taken.iter().find(|(v, _)| *v == var) {
                return Err(usage(if other.id == k.id {
                    format!("two fields of '{}' would both be in {var}", k.name)
                } else {
                    format!(
                        "'{}' and '{}' would both set {var}: run with one of them, or give one its own variable names (keystead edit NAME --var {field}=…)",
                        other.name, k.name
                    )
                }));
            }
            taken.push((var, k));
        }
    }
    Ok(())
}

/// The variable one field of a key goes in: the key's own name for it (set in add or edit, for every
/// profile), else the profile's (none for a file profile).
fn variable(profile: RunProfile, entry: &KeyEntry, field: CredentialField) -> Option<String> {
    if let Some(own) = entry.env_names.get(&field) {
        return Some(own.clone());
    }
    Some(match profile {
        RunProfile::Ccxt => {
            let suffix = match field {
                CredentialField::ApiKey => "APIKEY",
                CredentialField::Secret => "SECRET",
                CredentialField::Password => "PASSWORD",
                CredentialField::Uid => "UID",
                CredentialField::PrivateKey => "PRIVATEKEY",
                CredentialField::WalletAddress => "WALLETADDRESS",
            };
            format!("{}_{suffix}", entry.exchange.to_ascii_uppercase())
        }
        // freqtrade lower-cases each part after FREQTRADE__ into the config path: exchange.api_key, …,
        // exchange.wallet_address and exchange.private_key (the names its config schema has).
        RunProfile::Freqtrade => {
            let suffix = match field {
                CredentialField::ApiKey => "API_KEY",
                CredentialField::Secret => "SECRET",
                CredentialField::Password => "PASSWORD",
                CredentialField::Uid => "UID",
                CredentialField::PrivateKey => "PRIVATE_KEY",
                CredentialField::WalletAddress => "WALLET_ADDRESS",
            };
            format!("FREQTRADE__EXCHANGE__{suffix}")
        }
        RunProfile::Passivbot => return None,
    })
}

/// freqtrade up to 2024 read the API key only as exchange.key; since 2025.1 exchange.api_key comes
/// first, and `freqtrade new-config` writes an empty one into the config file, which would win over
/// exchange.key. The key goes in both.
const FREQTRADE_2024_KEY_VARIABLE: &str = "FREQTRADE__EXCHANGE__KEY";

/// Every variable the program gets: only the fields each key holds.
fn variables(
    profile: RunProfile,
    released: &[(KeyEntry, SecretFields)],
) -> Vec<(String, &SecretString)> {
    let mut variables = Vec::new();
    for (entry, secrets) in released {
        for field in secrets.fields() {
            let (Some(value), Some(name)) = (secrets.get(field), variable(profile, entry, field))
            else {
                continue;
            };
            // freqtrade 2024 reads exchange.key; not when the key has a variable name of its own.
            if profile == RunProfile::Freqtrade
                && field == CredentialField::ApiKey
                && !entry.env_names.contains_key(&field)
            {
                variables.push((FREQTRADE_2024_KEY_VARIABLE.to_string(), value));
            }
            variables.push((name, value));
        }
    }
    variables
}

/// Signals sent to keystead while the program runs are passed to it; keystead itself waits for the
/// program to end. A Ctrl+C at the terminal already reaches the whole foreground group, the program
/// too, so on Linux it is not sent a second time.
#[cfg(unix)]
mod forward {
    use std::sync::atomic::{AtomicI32, Ordering};

    const SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];
    /// The program's process id once started (0 before).
    static CHILD: AtomicI32 = AtomicI32::new(0);
    /// A signal that came before the program started, sent to it as soon as it has.
    static PENDING: AtomicI32 = AtomicI32::new(0);

    extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: the kernel hands a valid siginfo to an SA_SIGINFO handler.
            if !info.is_null() && unsafe { (*info).si_code } == libc::SI_KERNEL {
                return;
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = info;
        let pid = CHILD.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill is async-signal-safe.
            unsafe { libc::kill(pid, sig) };
        } else {
            PENDING.store(sig, Ordering::SeqCst);
        }
    }

    pub fn install() {
        for sig in SIGNALS {
            // SAFETY: a zeroed sigaction is valid; the handler only touches atomics and calls kill.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
    }

    pub fn started(pid: u32) {
        let Ok(pid) = i32::try_from(pid) else { return };
        CHILD.store(pid, Ordering::SeqCst);
        let sig = PENDING.swap(0, Ordering::SeqCst);
        if sig != 0 {
            // SAFETY: sending a signal to our own child.
            unsafe { libc::kill(pid, sig) };
        }
    }
}

/// Elsewhere the console delivers Ctrl+C to the program itself; nothing to forward.
#[cfg(not(unix))]
mod forward {
    pub fn install() {}
    pub fn started(_pid: u32) {}
}
