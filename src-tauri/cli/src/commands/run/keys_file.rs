//! File profiles of `run`: the keys written in the bot's own file format as a 0600 file in a private
//! 0700 temporary folder with an unguessable name, removed with its folder when dropped.

use keystead_core::private_file;
use keystead_core::{CredentialField, KeyEntry, SecretFields};
use secrecy::ExposeSecret;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The file's name inside its folder (the name passivbot looks for in its working directory).
const FILE_NAME: &str = "api-keys.json";

/// The keys file while the program runs; dropping it removes the file and its folder.
pub struct KeysFile {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl KeysFile {
    /// Writes `content` as a new 0600 file in a new 0700 folder under the system's temporary folder.
    pub fn write(content: &[u8]) -> io::Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("keystead-run-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // mkdir(2) with 0700: the folder is private from its creation.
            builder.permissions(std::fs::Permissions::from_mode(private_file::DIR_MODE));
        }
        let dir = builder.tempdir()?;
        let path = dir.path().join(FILE_NAME);
        let mut file = private_file::create_new(&path)?;
        file.write_all(content)?;
        file.sync_all()?;
        Ok(Self {
            dir: Some(dir),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for KeysFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

/// passivbot's field name for one field of a key (`api-keys.json`: `key`, `secret`, `passphrase`, and
/// `wallet_address`/`private_key` for Hyperliquid; `uid` is passed through under ccxt's name, as
/// passivbot hands unknown fields on to ccxt).
fn passivbot_field(field: CredentialField) -> &'static str {
    match field {
        CredentialField::ApiKey => "key",
        CredentialField::Secret => "secret",
        CredentialField::Password => "passphrase",
        CredentialField::Uid => "uid",
        CredentialField::PrivateKey => "private_key",
        CredentialField::WalletAddress => "wallet_address",
    }
}

/// passivbot's `api-keys.json`: one entry per key, under the key's name in the vault, with its exchange
/// and the fields it holds, in a buffer wiped when dropped.
pub fn passivbot(released: &[(KeyEntry, SecretFields)]) -> Zeroizing<Vec<u8>> {
    let size: usize = released
        .iter()
        .map(|(e, s)| {
            64 + 6 * (e.name.len() + e.exchange.len())
                + s.fields()
                    .into_iter()
                    .filter_map(|f| s.get(f))
                    .map(|v| 32 + 6 * v.expose_secret().len())
                    .sum::<usize>()
        })
        .sum::<usize>()
        + 8;
    // Reserved once, so the secrets are never left behind in a buffer a reallocation gave up.
    let mut out = Zeroizing::new(Vec::with_capacity(size));
    out.extend_from_slice(b"{\n");
    for (i, (entry, secrets)) in released.iter().enumerate() {
        out.extend_from_slice(b"  ");
        json_string(&mut out, &entry.name);
        out.extend_from_slice(b": {\n    \"exchange\": ");
        json_string(&mut out, &entry.exchange);
        for field in secrets.fields() {
            if let Some(value) = secrets.get(field) {
                out.extend_from_slice(b",\n    ");
                json_string(&mut out, passivbot_field(field));
                out.extend_from_slice(b": ");
                json_string(&mut out, value.expose_secret());
            }
        }
        out.extend_from_slice(b"\n  }");
        if i + 1 < released.len() {
            out.push(b',');
        }
        out.push(b'\n');
    }
    out.extend_from_slice(b"}\n");
    out
}

/// `text` as a JSON string, written straight into `out` (no intermediate copy).
fn json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = c as usize;
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[n >> 4], HEX[n & 0xf]]);
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_quotes_backslashes_and_control_characters() {
        let mut out = Vec::new();
        json_string(&mut out, "a\"b\\c\nd\u{1}é");
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#""a\"b\\c\u000ad\u0001é""#);
        let back: String = serde_json::from_str(&text).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}é");
    }
}
