//! What the fuzz targets (crate::fuzzing) reach inside the vault module: the header check, and each
//! cell's decoder behind a real seal and open under fixed keys. Built for tests and the `fuzzing`
//! feature only.

use super::cells::{self, Cells, History};
use super::contacts::ContactRecord;
pub(crate) use super::FORMAT_VERSION;
use super::{header_ad, open};
use crate::audit::AuditEvent;
use crate::crypto::{self, VaultKeys, KEY_LEN};
use crate::error::Result;
use crate::model::KeyEntry;
use crate::share::ShareIdentity;
use crate::KdfParams;
use std::path::Path;

/// The header's magic.
pub(crate) const MAGIC: &[u8] = super::MAGIC;

/// The vault id every fuzzed cell is sealed under.
pub(crate) const VAULT_ID: [u8; 16] = [7u8; 16];

/// Vault keys derived from a fixed master key, so a crash replays exactly.
pub(crate) fn fixed_keys() -> VaultKeys {
    fixed_keys_of(&VAULT_ID)
}

fn fixed_keys_of(vault_id: &[u8; 16]) -> VaultKeys {
    let kek = [9u8; KEY_LEN];
    let wrapped = crypto::seal(&kek, &[7u8; KEY_LEN], b"fuzz");
    VaultKeys::unwrap(&kek, &wrapped, b"fuzz", vault_id).expect("a fresh wrap unwraps")
}

/// The header row check of `Vault::unlock`.
pub(crate) fn check_header(
    magic: &[u8],
    version: i64,
    vault_id: &[u8],
    kdf: (i64, i64, i64),
    salt: &[u8],
) -> Result<(KdfParams, [u8; 16])> {
    open::check_header(
        Path::new("fuzz.keystead"),
        magic,
        version,
        vault_id,
        kdf,
        salt,
    )
}

/// Wraps the fixed keys' master key under `kek` for this header, as `create` does.
pub(crate) fn wrap(
    kek: &[u8; KEY_LEN],
    vault_id: &[u8; 16],
    version: i64,
    kdf: KdfParams,
    salt: &[u8],
) -> Vec<u8> {
    fixed_keys().wrap(kek, &header_ad(vault_id, version, kdf, salt))
}

/// Unwraps a wrapped key as `unlock` does; answers whether it opened to the fixed keys.
pub(crate) fn unwrap(
    kek: &[u8; KEY_LEN],
    wrapped: &[u8],
    vault_id: &[u8; 16],
    version: i64,
    kdf: KdfParams,
    salt: &[u8],
) -> Option<bool> {
    let keys = VaultKeys::unwrap(
        kek,
        wrapped,
        &header_ad(vault_id, version, kdf, salt),
        vault_id,
    )?;
    Some(keys.records == fixed_keys_of(vault_id).records)
}

/// Seals `plain` into a cell and reads it back through `read`, as the vault reads its rows.
fn through_cell<T>(
    table: &str,
    row: &str,
    column: &str,
    plain: &[u8],
    read: impl FnOnce(&Cells<'_>, &[u8]) -> T,
) -> T {
    let keys = fixed_keys();
    let cells = Cells {
        keys: &keys,
        vault_id: &VAULT_ID,
    };
    let sealed = cells.seal(table, row, column, 1, plain);
    read(&cells, &sealed)
}

/// A key row's metadata cell, read as `list` reads it (the row id must be the metadata's id).
pub(crate) fn entry_meta(row_id: &str, plain: &[u8]) -> Result<KeyEntry> {
    through_cell("entries", row_id, "meta", plain, |cells, sealed| {
        cells.read_entry(row_id, 1, sealed)
    })
}

/// A key row's history cell, decrypted and parsed as `read_secrets` does.
pub(crate) fn history(plain: &[u8]) -> Option<History> {
    through_cell("entries", "k", "history", plain, |cells, sealed| {
        let opened = cells.open("entries", "k", "history", 1, sealed).ok()?;
        cells::history_from_json(&opened)
    })
}

/// The sealed form of a history.
pub(crate) fn history_json(history: &History) -> Vec<u8> {
    cells::history_to_json(history).to_vec()
}

/// An audit row's event cell, read as the timeline reads it.
pub(crate) fn audit_event(seq: u64, plain: &[u8]) -> Result<AuditEvent> {
    let keys = fixed_keys();
    let cells = Cells {
        keys: &keys,
        vault_id: &VAULT_ID,
    };
    let sealed = cells.seal("audit", &seq.to_string(), "event", 0, plain);
    cells.read_event(seq, &sealed)
}

/// A contact row's record, parsed as `read_contacts` does; answers its id, name and sharing key.
pub(crate) fn contact(plain: &[u8]) -> Option<(String, String, String)> {
    through_cell("contacts", "c", "record", plain, |cells, sealed| {
        let opened = cells.open("contacts", "c", "record", 1, sealed).ok()?;
        let record: ContactRecord = serde_json::from_slice(&opened).ok()?;
        let key = record.key().ok()?;
        Some((
            record.id.to_string(),
            record.name,
            key.age_recipient().to_string(),
        ))
    })
}

/// The sharing identity's cell, read as the vault reads it.
pub(crate) fn identity(plain: &[u8]) -> Option<ShareIdentity> {
    through_cell("sharing_identity", "1", "secret", plain, |cells, sealed| {
        let opened = cells
            .open("sharing_identity", "1", "secret", 1, sealed)
            .ok()?;
        ShareIdentity::from_sealed_json(&opened)
    })
}

/// A real vault's cells, decrypted, each with the vault_cells selector of its kind; and its header
/// row in the vault_header target's layout. For writing the seed corpora.
#[cfg(test)]
pub(crate) fn seeds_of(vault: &super::Vault) -> (Vec<(u8, Vec<u8>)>, Vec<u8>) {
    let cells = vault.cells();
    let mut out = Vec::new();
    let mut stmt = vault
        .conn
        .prepare("SELECT id, generation, meta, secrets, history FROM entries")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)? as u64,
                [r.get::<_, Vec<u8>>(2)?, r.get(3)?, r.get(4)?],
            ))
        })
        .unwrap();
    for row in rows {
        let (id, generation, sealed) = row.unwrap();
        for (selector, (column, sealed)) in ["meta", "secrets", "history"]
            .iter()
            .zip(sealed)
            .enumerate()
        {
            let plain = cells
                .open("entries", &id, column, generation, &sealed)
                .unwrap();
            out.push((selector as u8, plain.to_vec()));
        }
    }
    let mut stmt = vault.conn.prepare("SELECT seq, event FROM audit").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .unwrap();
    for row in rows {
        let (seq, sealed) = row.unwrap();
        let plain = cells
            .open("audit", &seq.to_string(), "event", 0, &sealed)
            .unwrap();
        out.push((3, plain.to_vec()));
    }
    let mut stmt = vault
        .conn
        .prepare("SELECT id, generation, record FROM contacts")
        .unwrap();
    let rows = stmt.query_map([], super::cells::sealed_row).unwrap();
    for row in rows {
        let (id, generation, sealed) = row.unwrap();
        let plain = cells
            .open("contacts", &id, "record", generation, &sealed)
            .unwrap();
        out.push((4, plain.to_vec()));
    }
    let (generation, sealed): (i64, Vec<u8>) = vault
        .conn
        .query_row("SELECT generation, secret FROM sharing_identity", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let plain = cells
        .open(
            "sharing_identity",
            "1",
            "secret",
            generation as u64,
            &sealed,
        )
        .unwrap();
    out.push((5, plain.to_vec()));

    let (vault_id, m, t, p, salt, wrapped): (Vec<u8>, i64, i64, i64, Vec<u8>, Vec<u8>) = vault
        .conn
        .query_row(
            "SELECT vault_id, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, wrapped_key FROM header",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    let floor = KdfParams::FLOOR;
    let mut header = vec![0u8, vault_id.len() as u8];
    header.extend_from_slice(&vault_id);
    for (v, f) in [
        (m, floor.memory_kib),
        (t, floor.iterations),
        (p, floor.parallelism),
    ] {
        header.push(u8::try_from(v - i64::from(f)).unwrap());
    }
    header.push(salt.len() as u8);
    header.extend_from_slice(&salt);
    header.extend_from_slice(&wrapped);
    (out, header)
}
