//! The vault's commit counter mirrored outside the vault file, so a file swapped for an older copy of
//! itself (which would undo a revocation or hide audit entries) is reported at every unlock: the OS
//! keyring where there is one, otherwise a small MAC'd file in the user's state directory.

use crate::crypto::{self, KEY_LEN, MAC_LEN};
use crate::private_file::{self, Existing};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// What an anchor holds for one vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Nothing recorded (a vault never opened here) or no anchor at all.
    Nothing,
    /// The highest commit counter recorded, and whether an older file was found since (which stays
    /// reported, however many writes follow on it, until the user accepts it).
    Counter(Mark),
    /// A record exists but cannot be trusted: edited by hand, made under another key, unreadable.
    Untrusted(String),
}

/// One vault's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub counter: u64,
    pub disputed: bool,
}

impl Mark {
    fn encode(self) -> String {
        if self.disputed {
            format!("{} disputed", self.counter)
        } else {
            self.counter.to_string()
        }
    }

    fn decode(s: &str) -> Option<Self> {
        let mut parts = s.split(' ');
        // Only the form `encode` writes (no sign, no leading zero): one text per mark.
        let digits = parts.next()?;
        let counter: u64 = digits.parse().ok()?;
        if counter.to_string() != digits {
            return None;
        }
        let disputed = match parts.next() {
            None => false,
            Some("disputed") => true,
            Some(_) => return None,
        };
        parts.next().is_none().then_some(Mark { counter, disputed })
    }
}

/// The key the anchor file's MAC is made with, derived from the vault key (so only someone who can open
/// the vault can write a valid anchor). Wiped on drop.
pub struct AnchorKey(Zeroizing<[u8; KEY_LEN]>);

impl AnchorKey {
    pub(crate) fn new(key: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(key))
    }

    fn mac(&self, vault_id: &str, mark: Mark) -> [u8; MAC_LEN] {
        crypto::mac(
            &self.0,
            &[
                b"keystead rollback anchor v1\0",
                vault_id.as_bytes(),
                b"\0",
                &mark.counter.to_le_bytes(),
                &[u8::from(mark.disputed)],
            ],
        )
    }
}

/// Where the highest commit counter seen for each vault is kept. The vault never lowers it (see
/// `Vault::write`); only accepting a restored backup sets it to a lower value.
pub trait RollbackAnchor: Send + Sync {
    /// What is recorded for this vault on this machine.
    fn seen(&self, vault_id: &str, key: &AnchorKey) -> Seen;
    /// Records `mark` for this vault. Best effort: a missing keyring or state folder never blocks the
    /// vault (the next unlock then finds the older value, or nothing).
    fn record(&self, vault_id: &str, key: &AnchorKey, mark: Mark);
    /// Records `mark` under the key the vault is about to change to (a passphrase change), beside the
    /// current record, before the vault commits under that key: a crash between that commit and the
    /// `record` that follows it then still finds a record made under the key the file holds. The next
    /// `record` drops it. Only anchors whose records are keyed need it.
    fn record_next(&self, _vault_id: &str, _next_key: &AnchorKey, _mark: Mark) {}
}

/// No mirror and no check: for benchmarks and tools that measure the vault alone.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAnchor;

impl RollbackAnchor for NoAnchor {
    fn seen(&self, _: &str, _: &AnchorKey) -> Seen {
        Seen::Nothing
    }
    fn record(&self, _: &str, _: &AnchorKey, _: Mark) {}
}

/// Whether the OS keyring answered.
enum KeyringRead {
    Found(Seen),
    Empty,
    Unreachable,
}

/// The OS keyring: Secret Service on Linux, the Keychain on macOS, Credential Manager on Windows.
/// Calls block (D-Bus round trips): async callers run them on a blocking thread.
#[derive(Debug, Clone)]
pub struct KeyringAnchor {
    service: String,
}

impl Default for KeyringAnchor {
    fn default() -> Self {
        Self {
            service: "keystead".into(),
        }
    }
}

impl KeyringAnchor {
    fn entry(&self, vault_id: &str) -> Option<keyring::Entry> {
        keyring::Entry::new(&self.service, &format!("vault-commit-counter:{vault_id}")).ok()
    }

    fn read(&self, vault_id: &str) -> KeyringRead {
        let Some(entry) = self.entry(vault_id) else {
            return KeyringRead::Unreachable;
        };
        match entry.get_password() {
            Ok(v) => KeyringRead::Found(match Mark::decode(v.trim()) {
                Some(m) => Seen::Counter(m),
                None => Seen::Untrusted(
                    "the keyring's record of this vault's last write is unreadable".into(),
                ),
            }),
            Err(keyring::Error::NoEntry) => KeyringRead::Empty,
            Err(_) => KeyringRead::Unreachable,
        }
    }

    /// Stores the counter; false if the keyring is not there.
    fn store(&self, vault_id: &str, mark: Mark) -> bool {
        self.entry(vault_id)
            .is_some_and(|e| e.set_password(&mark.encode()).is_ok())
    }
}

impl RollbackAnchor for KeyringAnchor {
    fn seen(&self, vault_id: &str, _: &AnchorKey) -> Seen {
        match self.read(vault_id) {
            KeyringRead::Found(seen) => seen,
            KeyringRead::Empty | KeyringRead::Unreachable => Seen::Nothing,
        }
    }

    fn record(&self, vault_id: &str, _: &AnchorKey, mark: Mark) {
        self.store(vault_id, mark);
    }
}

/// A small file per vault, `<dir>/<vault id>`, 0600 in a 0700 folder: `keystead-anchor v1`, the counter
/// and an HMAC over both under a key derived from the vault key, so a hand edit is noticed. Written to a
/// temporary file and renamed, so a crash leaves the old record or the new one.
#[derive(Debug, Clone)]
pub struct FileAnchor {
    dir: PathBuf,
}

const FILE_MAGIC: &str = "keystead-anchor v1";

impl FileAnchor {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `$XDG_STATE_HOME/keystead/anchors`, else `~/.local/state/keystead/anchors`; `None` without a home.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_STATE_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|h| !h.is_empty())
                    .map(|h| PathBuf::from(h).join(".local/state"))
            })?;
        Some(base.join("keystead").join("anchors"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The anchor file of one vault. Vault ids are hex; anything else has no file.
    pub fn path_of(&self, vault_id: &str) -> Option<PathBuf> {
        (!vault_id.is_empty() && vault_id.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.dir.join(vault_id))
    }

    /// The record made under the key a passphrase change is about to commit (see
    /// [`RollbackAnchor::record_next`]).
    fn next_path_of(&self, vault_id: &str) -> Option<PathBuf> {
        self.path_of(vault_id)
            .map(|p| p.with_file_name(format!("{vault_id}.next")))
    }

    /// The mark of the record made for a passphrase change, if it is there and verifies under `key`.
    fn next_mark(&self, vault_id: &str, key: &AnchorKey) -> Option<Mark> {
        let text = std::fs::read_to_string(self.next_path_of(vault_id)?).ok()?;
        file_mark(&text, vault_id, key)
    }

    fn write_file(&self, path: &Path, text: &str) -> std::io::Result<()> {
        private_file::create_dir(&self.dir)?;
        private_file::write(path, text.as_bytes(), Existing::Replace)
    }
}

impl RollbackAnchor for FileAnchor {
    fn seen(&self, vault_id: &str, key: &AnchorKey) -> Seen {
        let Some(path) = self.path_of(vault_id) else {
            return Seen::Nothing;
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Seen::Nothing,
            Err(e) => {
                return Seen::Untrusted(format!(
                    "the record of this vault's last write ({}) cannot be read: {e}",
                    path.display()
                ))
            }
        };
        let untrusted = || {
            Seen::Untrusted(format!(
                "the record of this vault's last write ({}) was altered or made for another vault key",
                path.display()
            ))
        };
        // A passphrase change interrupted between the vault's commit and the anchor's record leaves
        // the record under the old key and its successor, under the key the file now holds, beside it.
        match file_mark(&text, vault_id, key).or_else(|| self.next_mark(vault_id, key)) {
            Some(mark) => Seen::Counter(mark),
            None => untrusted(),
        }
    }

    fn record(&self, vault_id: &str, key: &AnchorKey, mark: Mark) {
        let Some(path) = self.path_of(vault_id) else {
            return;
        };
        if self
            .write_file(&path, &file_text(vault_id, key, mark))
            .is_ok()
        {
            if let Some(next) = self.next_path_of(vault_id) {
                let _ = std::fs::remove_file(next);
            }
        }
    }

    fn record_next(&self, vault_id: &str, next_key: &AnchorKey, mark: Mark) {
        let Some(path) = self.next_path_of(vault_id) else {
            return;
        };
        let _ = self.write_file(&path, &file_text(vault_id, next_key, mark));
    }
}

/// The anchor file's text for one vault's mark: the magic, the mark, its MAC in hex.
pub(crate) fn file_text(vault_id: &str, key: &AnchorKey, mark: Mark) -> String {
    let mac: String = key
        .mac(vault_id, mark)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{FILE_MAGIC}\n{}\n{mac}\n", mark.encode())
}

/// The mark an anchor file's text holds, if its MAC is this vault's under this key.
pub(crate) fn file_mark(text: &str, vault_id: &str, key: &AnchorKey) -> Option<Mark> {
    let mut lines = text.lines();
    let (Some(FILE_MAGIC), Some(counter), Some(mac), None) =
        (lines.next(), lines.next(), lines.next(), lines.next())
    else {
        return None;
    };
    let (mark, mac) = (Mark::decode(counter)?, unhex(mac)?);
    crypto::mac_eq(&mac, &key.mac(vault_id, mark)).then_some(mark)
}

/// Lower-case hex only, as `file_text` writes it (found by fuzzing: upper case was also trusted).
fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// What the app and the CLI use: the OS keyring where it answers, otherwise the anchor file in the user's
/// state folder. Reads both and keeps the higher counter, so a machine that sometimes has a keyring (a
/// desktop session) and sometimes not (SSH) still never goes backwards.
#[derive(Debug, Clone)]
pub struct SystemAnchor {
    keyring: KeyringAnchor,
    file: Option<FileAnchor>,
}

impl Default for SystemAnchor {
    fn default() -> Self {
        Self {
            keyring: KeyringAnchor::default(),
            file: FileAnchor::default_dir().map(FileAnchor::new),
        }
    }
}

impl RollbackAnchor for SystemAnchor {
    fn seen(&self, vault_id: &str, key: &AnchorKey) -> Seen {
        let from_keyring = match self.keyring.read(vault_id) {
            KeyringRead::Found(seen) => seen,
            KeyringRead::Empty | KeyringRead::Unreachable => Seen::Nothing,
        };
        let from_file = self
            .file
            .as_ref()
            .map_or(Seen::Nothing, |f| f.seen(vault_id, key));
        match (from_keyring, from_file) {
            (Seen::Untrusted(why), _) | (_, Seen::Untrusted(why)) => Seen::Untrusted(why),
            (Seen::Counter(a), Seen::Counter(b)) => Seen::Counter(Mark {
                counter: a.counter.max(b.counter),
                disputed: a.disputed || b.disputed,
            }),
            (Seen::Counter(n), Seen::Nothing) | (Seen::Nothing, Seen::Counter(n)) => {
                Seen::Counter(n)
            }
            (Seen::Nothing, Seen::Nothing) => Seen::Nothing,
        }
    }

    fn record(&self, vault_id: &str, key: &AnchorKey, mark: Mark) {
        if self.keyring.store(vault_id, mark) {
            // A file written while the keyring was away must not keep a higher value after an accepted
            // restore: it follows the keyring where it exists.
            if let Some(f) = &self.file {
                if f.path_of(vault_id).is_some_and(|p| p.exists()) {
                    f.record(vault_id, key, mark);
                }
            }
        } else if let Some(f) = &self.file {
            f.record(vault_id, key, mark);
        }
    }

    fn record_next(&self, vault_id: &str, next_key: &AnchorKey, mark: Mark) {
        // The keyring's record is not keyed; the file's is, whichever of the two is in use.
        if let Some(f) = &self.file {
            f.record_next(vault_id, next_key, mark);
        }
    }
}

/// An in-process mirror, for tests of the rollback check itself and for tools that open a vault twice.
#[derive(Debug, Default)]
pub struct MemoryAnchor(Mutex<HashMap<String, Mark>>);

impl RollbackAnchor for MemoryAnchor {
    fn seen(&self, vault_id: &str, _: &AnchorKey) -> Seen {
        self.0
            .lock()
            .ok()
            .and_then(|m| m.get(vault_id).copied())
            .map_or(Seen::Nothing, Seen::Counter)
    }
    fn record(&self, vault_id: &str, _: &AnchorKey, mark: Mark) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(vault_id.to_string(), mark);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> AnchorKey {
        AnchorKey::new([b; KEY_LEN])
    }

    #[test]
    fn the_anchor_file_keeps_its_counter_and_reports_a_hand_edit() {
        let dir = tempfile::tempdir().unwrap();
        let a = FileAnchor::new(dir.path().join("anchors"));
        assert_eq!(a.seen("ab12", &key(1)), Seen::Nothing);
        let mark = |counter, disputed| Mark { counter, disputed };
        a.record("ab12", &key(1), mark(7, true));
        assert_eq!(a.seen("ab12", &key(1)), Seen::Counter(mark(7, true)));
        a.record("ab12", &key(1), mark(7, false));
        assert_eq!(a.seen("ab12", &key(1)), Seen::Counter(mark(7, false)));
        // Made under another vault key, or for another vault: not trusted.
        assert!(matches!(a.seen("ab12", &key(2)), Seen::Untrusted(_)));
        let path = a.path_of("ab12").unwrap();
        std::fs::copy(&path, dir.path().join("anchors/cd34")).unwrap();
        assert!(matches!(a.seen("cd34", &key(1)), Seen::Untrusted(_)));
        // A lower counter written by hand keeps the old MAC: refused.
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\n7\n", "\n3\n");
        std::fs::write(&path, text).unwrap();
        let Seen::Untrusted(why) = a.seen("ab12", &key(1)) else {
            panic!("a hand-edited anchor was trusted");
        };
        assert!(why.contains("altered"), "{why}");
        std::fs::write(&path, "garbage").unwrap();
        assert!(matches!(a.seen("ab12", &key(1)), Seen::Untrusted(_)));
        // Ids that are not hex never name a file (no path tricks).
        assert_eq!(a.path_of("../x"), None);
    }

    /// Found by fuzzing (fuzz/regressions/anchor_file): the MAC in upper-case hex, or the counter
    /// with a sign or leading zeros, was trusted though Keystead never writes it so.
    #[test]
    fn an_anchor_text_is_trusted_only_in_the_form_keystead_writes() {
        let mark = Mark {
            counter: 41,
            disputed: true,
        };
        let text = file_text("ab12", &key(1), mark);
        assert_eq!(file_mark(&text, "ab12", &key(1)), Some(mark));
        let (head, mac) = text.trim_end().rsplit_once('\n').unwrap();
        let upper = format!("{head}\n{}\n", mac.to_uppercase());
        assert_eq!(file_mark(&upper, "ab12", &key(1)), None);
        for counter in ["+41", "041"] {
            let other = text.replacen("\n41 ", &format!("\n{counter} "), 1);
            assert_ne!(other, text);
            assert_eq!(file_mark(&other, "ab12", &key(1)), None, "{counter}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_anchor_file_and_its_folder_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let a = FileAnchor::new(dir.path().join("state/anchors"));
        a.record(
            "ab12",
            &key(1),
            Mark {
                counter: 1,
                disputed: false,
            },
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&a.path_of("ab12").unwrap()), 0o600);
        assert_eq!(mode(a.dir()), 0o700);
    }
}
