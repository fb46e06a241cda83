//! The age layer of a share file: encrypting to sharing keys or a passphrase, decrypting with this vault's
//! identity, and writing the file atomically. Everything happens in memory, in buffers wiped on drop.

use super::identity::{ShareIdentity, SharingKey};
use super::refused;
use crate::error::{Error, Result};
use crate::private_file::{self, Existing};
use secrecy::SecretString;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Largest share file accepted (encrypted or decrypted).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Highest scrypt work factor (log2 N) a passphrase file may ask for: 2^20 takes 1 GiB of memory (age
/// uses r = 8: 128 × 8 × 2^20 bytes) and a few seconds; 2^22 would be 4 GiB. More is refused before
/// deriving, so a hostile file cannot tie up the machine.
pub const MAX_SCRYPT_WORK_FACTOR: u8 = 20;

/// Who can open a file being written: age public keys, or a passphrase alone (age's scrypt recipient must
/// be the only one).
pub(crate) enum Seal<'a> {
    Recipients(&'a [SharingKey]),
    Passphrase {
        passphrase: &'a SecretString,
        /// log2 of scrypt's N; `None` lets age pick about one second of work on this machine.
        work_factor: Option<u8>,
    },
}

/// Encrypts `plain` in memory; the result is the whole share file.
pub(crate) fn encrypt(plain: &[u8], seal: Seal<'_>, armor: bool) -> Result<Vec<u8>> {
    let failed = |e: &dyn fmt::Display| Error::Storage(format!("encrypting the share file: {e}"));
    let encryptor = match seal {
        Seal::Recipients(keys) => {
            if keys.is_empty() {
                return Err(Error::input(
                    "no recipient: name at least one contact or age1… key, or use a passphrase",
                ));
            }
            let recipients = keys
                .iter()
                .map(SharingKey::recipient)
                .collect::<Result<Vec<_>>>()?;
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| failed(&e))?
        }
        Seal::Passphrase {
            passphrase,
            work_factor,
        } => {
            let mut r = age::scrypt::Recipient::new(passphrase.clone());
            if let Some(n) = work_factor {
                if !(1..=MAX_SCRYPT_WORK_FACTOR).contains(&n) {
                    return Err(Error::input(format!(
                        "the scrypt work factor must be between 1 and {MAX_SCRYPT_WORK_FACTOR}"
                    )));
                }
                r.set_work_factor(n);
            }
            age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                .map_err(|e| failed(&e))?
        }
    };
    // The ciphertext is about the plaintext's size; one allocation up front.
    let mut out = Vec::with_capacity(plain.len() * 4 / 3 + 1024);
    let format = if armor {
        age::armor::Format::AsciiArmor
    } else {
        age::armor::Format::Binary
    };
    let armored =
        age::armor::ArmoredWriter::wrap_output(&mut out, format).map_err(|e| failed(&e))?;
    let mut writer = encryptor.wrap_output(armored).map_err(|e| failed(&e))?;
    writer.write_all(plain).map_err(|e| failed(&e))?;
    writer
        .finish()
        .and_then(|a| a.finish())
        .map_err(|e| failed(&e))?;
    Ok(out)
}

/// Whether a share file is protected by a passphrase (then it opens with the passphrase only).
pub fn is_passphrase_protected(file: &[u8]) -> Result<bool> {
    Ok(decryptor(file)?.is_scrypt())
}

type FileDecryptor<'a> = age::Decryptor<age::armor::ArmoredReader<std::io::BufReader<&'a [u8]>>>;

fn decryptor(file: &[u8]) -> Result<FileDecryptor<'_>> {
    if file.len() > MAX_FILE_BYTES {
        return Err(refused(format!(
            "it is larger than {} MiB",
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    if file.is_empty() {
        return Err(refused("the file is empty"));
    }
    age::Decryptor::new_buffered(age::armor::ArmoredReader::new(file)).map_err(|e| match e {
        age::DecryptError::UnknownFormat => refused(
            "it is not in the age format this Keystead reads (a newer age version, or not a share file)",
        ),
        age::DecryptError::Io(e) => refused(format!(
            "it is not an age file, or it is truncated or damaged ({e})"
        )),
        e => refused(format!("its age header is damaged ({e})")),
    })
}

/// Decrypts a share file in memory with this vault's identity, or with the passphrase when the file is
/// protected by one. The plaintext lives in a buffer wiped on drop; the flag says it opened with the
/// passphrase.
pub(crate) fn decrypt(
    file: &[u8],
    identity: Option<&ShareIdentity>,
    passphrase: Option<&SecretString>,
) -> Result<(Zeroizing<Vec<u8>>, bool)> {
    let d = decryptor(file)?;
    let scrypt = d.is_scrypt();
    let reader = if scrypt {
        let passphrase = passphrase.ok_or(Error::SharePassphraseNeeded)?;
        let mut id = age::scrypt::Identity::new(passphrase.clone());
        id.set_max_work_factor(MAX_SCRYPT_WORK_FACTOR);
        d.decrypt(std::iter::once(&id as &dyn age::Identity))
    } else {
        let identity = identity.ok_or(Error::ShareNotForYou)?;
        d.decrypt(std::iter::once(&identity.age as &dyn age::Identity))
    }
    .map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => Error::ShareNotForYou,
        age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed if scrypt => {
            Error::WrongSharePassphrase
        }
        age::DecryptError::ExcessiveWork { required, .. } => refused(format!(
            "its passphrase protection asks for scrypt work factor {required}, above the {MAX_SCRYPT_WORK_FACTOR} this Keystead allows"
        )),
        age::DecryptError::InvalidMac => refused("its age header was altered (the header MAC does not match)"),
        e => refused(format!("it does not decrypt ({e})")),
    })?;
    // The plaintext is never longer than the file, so this buffer never reallocates (a reallocation
    // would leave a copy of the secrets behind in freed memory).
    let mut plain = Zeroizing::new(Vec::with_capacity(file.len() + 1));
    let mut limited = reader.take(MAX_FILE_BYTES as u64 + 1);
    let mut chunk = Zeroizing::new([0u8; 8192]);
    loop {
        let n = limited.read(&mut chunk[..]).map_err(|e| {
            refused(format!(
                "its contents do not decrypt: altered, truncated or damaged ({e})"
            ))
        })?;
        if n == 0 {
            break;
        }
        if plain.len() + n > plain.capacity() || plain.len() + n > MAX_FILE_BYTES {
            return Err(refused(format!(
                "its contents are larger than {} MiB",
                MAX_FILE_BYTES / 1024 / 1024
            )));
        }
        plain.extend_from_slice(&chunk[..n]);
    }
    Ok((plain, scrypt))
}

/// The first bytes of an age file, binary or ASCII-armored.
const AGE_BINARY: &[u8] = b"age-encryption.org/v1";
const AGE_ARMORED: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// Whether `head` (the first bytes of a file) starts like an age file, binary or armored.
pub fn looks_like_share_file(head: &[u8]) -> bool {
    let trimmed = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &head[i..]);
    head.starts_with(AGE_BINARY) || trimmed.starts_with(AGE_ARMORED)
}

/// Reads the first bytes of `path` (enough for the age header line).
fn head_of(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(path)?.take(64).read_to_end(&mut head)?;
    Ok(head)
}

/// Whether `a` and `b` name the same file (after resolving links and relative parts), existing or not.
pub fn same_file(a: &Path, b: &Path) -> bool {
    resolved(a) == resolved(b)
}

/// `path` with its folder resolved (links, `..`, relative parts), so two spellings of one file compare
/// equal, whether the file exists or not.
pub(crate) fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (dir.canonicalize(), path.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => path.to_path_buf(),
    }
}

/// Checks that a share file may be written at `path`: never one of `protected` (the open vault, its
/// `-wal` and `-shm`, the settings; see [`Vault::share_protected_files`](crate::Vault::share_protected_files)),
/// and never over an existing file that is not a share file.
pub fn check_export_target(path: &Path, protected: &[PathBuf]) -> Result<()> {
    let target = resolved(path);
    if protected.iter().any(|p| resolved(p) == target) {
        return Err(Error::input(format!(
            "{} is one of Keystead's own files (the vault, its journal or the settings): a share file never replaces it; choose another file name",
            path.display()
        )));
    }
    match std::fs::symlink_metadata(path) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() => Err(Error::input(format!(
            "{} is a folder: give a file name in it",
            path.display()
        ))),
        Ok(_) => match head_of(path) {
            Ok(head) if looks_like_share_file(&head) => Ok(()),
            _ => Err(Error::input(format!(
                "{} already exists and is not a share file: a share export replaces only an older share file; choose another file name",
                path.display()
            ))),
        },
    }
}

/// Reads a share file, checking first (from its first bytes only) that it is one and that it is not
/// too large, so nothing else is read from a file that is not a share file.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let cannot = |e: std::io::Error| Error::input(format!("cannot read {}: {e}", path.display()));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(Error::input(format!("{} is not a file", path.display())));
    }
    if !looks_like_share_file(&head_of(path).map_err(cannot)?) {
        return Err(refused(format!(
            "{} is not a share file (it does not start like an age file)",
            path.display()
        )));
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(refused(format!(
            "it is larger than {} MiB",
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    Ok(bytes)
}

/// Writes a share file atomically and 0600 from its first byte ([`private_file::write`]): a temporary file
/// in the same folder, written and flushed to disk, then renamed over `path` (or, with `overwrite` false,
/// refused if `path` exists), then the folder is flushed. A crash leaves either no file or the whole file. The target passes [`check_export_target`] first.
pub fn write_file(path: &Path, bytes: &[u8], overwrite: bool, protected: &[PathBuf]) -> Result<()> {
    check_export_target(path, protected)?;
    let exists = || {
        Error::input(format!(
            "{} already exists: choose another file name, or move that file away first",
            path.display()
        ))
    };
    if !overwrite && path.exists() {
        return Err(exists());
    }
    let existing = if overwrite {
        Existing::Replace
    } else {
        Existing::Keep
    };
    private_file::write(path, bytes, existing).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists if !overwrite => exists(),
        _ => Error::Storage(format!("cannot save {}: {e}", path.display())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A passphrase file whose header asks for scrypt work factor 22 (about 4 GiB): made at work factor
    /// 10, then its stanza edited (age reads the work factor before deriving, so the header MAC never
    /// gets a say).
    #[test]
    fn a_passphrase_file_asking_for_work_factor_22_is_refused_at_once() {
        let pass = SecretString::from("a long share passphrase");
        let file = encrypt(
            b"{}",
            Seal::Passphrase {
                passphrase: &pass,
                work_factor: Some(10),
            },
            false,
        )
        .unwrap();
        let text = String::from_utf8_lossy(&file).into_owned();
        let stanza = text
            .lines()
            .find(|l| l.starts_with("-> scrypt "))
            .expect("an scrypt stanza")
            .to_string();
        let heavy = stanza.replacen(" 10", " 22", 1);
        assert_ne!(heavy, stanza);
        let crafted = [
            &file[..text.find(&stanza).unwrap()],
            heavy.as_bytes(),
            &file[text.find(&stanza).unwrap() + stanza.len()..],
        ]
        .concat();
        let started = Instant::now();
        let err = decrypt(&crafted, None, Some(&pass)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(err.to_string().contains("work factor 22"), "{err}");
        assert!(err.to_string().contains("above the 20"), "{err}");
        // Asking to write one is refused too.
        assert!(encrypt(
            b"{}",
            Seal::Passphrase {
                passphrase: &pass,
                work_factor: Some(21),
            },
            false,
        )
        .is_err());
    }
}
