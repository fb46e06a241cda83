//! Sealing and opening a vault's cells: the MAC'd vault state, row digests, key rows and their
//! secret history.

use crate::crypto::{self, VaultKeys, MAC_LEN};
use crate::error::{Error, Result};
use crate::model::KeyEntry;
use crate::secret::{json_sized_once, CredentialField, RawSecret, SecretFields};
use rusqlite::Connection;
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Row ids of the sharing tables in the entries digest. Key ids are UUIDs, which never contain '/'.
pub(super) const IDENTITY_ROW: &str = "sharing_identity/1";
/// The row of the ignored scan findings in the entries digest.
pub(super) const SCAN_IGNORES_ROW: &str = "scan_ignores/1";
pub(super) fn team_row(id: &str) -> String {
    format!("teams/{id}")
}
pub(super) fn contact_row(id: &str) -> String {
    format!("contacts/{id}")
}

/// The MAC'd vault state, read and re-written by every transaction.
#[derive(Clone)]
pub(super) struct State {
    pub(super) commit_counter: u64,
    pub(super) audit_head_seq: u64,
    pub(super) audit_head_mac: [u8; MAC_LEN],
    pub(super) entries_digest: [u8; MAC_LEN],
}

/// Seals and opens cells of this vault.
pub(super) struct Cells<'a> {
    pub(super) keys: &'a VaultKeys,
    pub(super) vault_id: &'a [u8; 16],
}

impl Cells<'_> {
    pub(super) fn seal(
        &self,
        table: &str,
        row: &str,
        column: &str,
        generation: u64,
        plain: &[u8],
    ) -> Vec<u8> {
        let ad = crypto::record_ad(self.vault_id, table, row, column, generation);
        crypto::seal(&self.keys.records, plain, &ad)
    }

    pub(super) fn open(
        &self,
        table: &str,
        row: &str,
        column: &str,
        generation: u64,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let ad = crypto::record_ad(self.vault_id, table, row, column, generation);
        crypto::open(&self.keys.records, sealed, &ad).ok_or_else(|| {
            Error::damaged(format!(
                "{table} record {row}, column {column}, does not decrypt (altered, moved or corrupted)"
            ))
        })
    }

    pub(super) fn state_mac(&self, s: &State) -> [u8; MAC_LEN] {
        crypto::mac(
            &self.keys.state_mac,
            &[
                self.vault_id,
                &s.commit_counter.to_le_bytes(),
                &s.audit_head_seq.to_le_bytes(),
                &s.audit_head_mac,
                &s.entries_digest,
            ],
        )
    }

    /// One row's share of the entries digest. XOR of keyed MACs: rows can be added, changed and removed
    /// incrementally, and without the key nobody can compute a matching value.
    pub(super) fn row_digest(&self, id: &str, generation: u64) -> [u8; MAC_LEN] {
        self.row_digests().of(id, generation)
    }

    /// Row digests keyed once, for a pass over every row.
    pub(super) fn row_digests(&self) -> RowDigests {
        RowDigests(crypto::KeyedMac::new(&self.keys.state_mac))
    }

    pub(super) fn fingerprint(&self, value: &str) -> String {
        let m = crypto::mac(&self.keys.fingerprint, &[value.as_bytes()]);
        m[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(super) fn read_entry(&self, id: &str, generation: u64, meta: &[u8]) -> Result<KeyEntry> {
        let plain = self.open("entries", id, "meta", generation, meta)?;
        let mut entry: KeyEntry = unpack(&plain).map_err(|e| {
            Error::damaged(format!("key record {id} has unreadable metadata ({e})"))
        })?;
        if entry.id.to_string() != id {
            return Err(Error::damaged(format!(
                "key record {id} holds the metadata of another key"
            )));
        }
        entry.fill_version_capability();
        Ok(entry)
    }
}

/// A record as it is sealed (a key's metadata, an audit event): MessagePack, a map of named fields (so
/// fields can be added with a default, as with JSON), about a fifth smaller than JSON and quicker to read.
pub(super) fn pack<T: serde::Serialize>(record: &T) -> Result<Vec<u8>> {
    rmp_serde::to_vec_named(record).map_err(|e| Error::Storage(e.to_string()))
}

/// Reads a sealed record: MessagePack since schema 8, JSON in records written before (and, for keys, not
/// changed since). A MessagePack map never starts with `{` (0x7b is the integer 123 there).
pub(super) fn unpack<T: serde::de::DeserializeOwned>(
    plain: &[u8],
) -> std::result::Result<T, String> {
    if plain.first() == Some(&b'{') {
        serde_json::from_slice(plain).map_err(|e| e.to_string())
    } else {
        rmp_serde::from_slice(plain).map_err(|e| e.to_string())
    }
}

pub(super) fn xor_into(acc: &mut [u8; MAC_LEN], x: &[u8; MAC_LEN]) {
    for (a, b) in acc.iter_mut().zip(x) {
        *a ^= b;
    }
}

/// Secrets of retired versions, by version number.
pub(super) type History = BTreeMap<u32, SecretFields>;

/// The sealed form of the history, in a buffer sized once and wiped on drop.
pub(super) fn history_to_json(history: &History) -> Zeroizing<Vec<u8>> {
    let plain: BTreeMap<u32, BTreeMap<&str, &str>> = history
        .iter()
        .map(|(v, f)| {
            (
                *v,
                f.iter()
                    .map(|(k, s)| (k.as_str(), s.expose_secret()))
                    .collect(),
            )
        })
        .collect();
    // Writing maps of strings cannot fail.
    json_sized_once(&plain).unwrap_or_default()
}

pub(super) fn history_from_json(bytes: &[u8]) -> Option<History> {
    let raw: BTreeMap<u32, BTreeMap<CredentialField, RawSecret<'_>>> =
        serde_json::from_slice(bytes).ok()?;
    let mut history = History::new();
    for (v, fields) in raw {
        let mut f = SecretFields::new();
        for (k, s) in fields {
            f.insert(k, s.decode()?);
        }
        history.insert(v, f);
    }
    Some(history)
}

pub(super) fn read_state(conn: &Connection, cells: &Cells<'_>) -> Result<State> {
    let (counter, seq, head, digest, mac): (i64, i64, Vec<u8>, Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT commit_counter, audit_head_seq, audit_head_mac, entries_digest, mac FROM state WHERE singleton = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Error::damaged("the vault state record is missing"),
            e => e.into(),
        })?;
    let arr = |v: Vec<u8>| -> Result<[u8; MAC_LEN]> {
        v.try_into()
            .map_err(|_| Error::damaged("the vault state record is malformed"))
    };
    let state = State {
        commit_counter: counter as u64,
        audit_head_seq: seq as u64,
        audit_head_mac: arr(head)?,
        entries_digest: arr(digest)?,
    };
    if !crypto::mac_eq(&cells.state_mac(&state), &mac) {
        return Err(Error::damaged(
            "the vault state record does not match its MAC (altered outside Keystead)",
        ));
    }
    Ok(state)
}

/// A sealed row as the readers select it: id, generation, the sealed record.
pub(super) fn sealed_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, u64, Vec<u8>)> {
    Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get(2)?))
}

/// Below this many rows, decrypting on one thread is faster than starting others.
pub(super) const PARALLEL_DECRYPT_MIN_ROWS: usize = 512;

/// Every key's metadata with its row generation. Rows are read first, then decrypted and parsed on all
/// cores: for thousands of keys that is most of the time `list` takes.
pub(super) fn read_entries(conn: &Connection, cells: &Cells<'_>) -> Result<Vec<(KeyEntry, u64)>> {
    let mut stmt = conn.prepare_cached("SELECT id, generation, meta FROM entries")?;
    let rows = stmt.query_map([], sealed_row)?;
    let rows: Vec<(String, u64, Vec<u8>)> = rows.collect::<rusqlite::Result<_>>()?;
    let decrypt = |chunk: &[(String, u64, Vec<u8>)]| -> Result<Vec<(KeyEntry, u64)>> {
        chunk
            .iter()
            .map(|(id, generation, meta)| {
                Ok((cells.read_entry(id, *generation, meta)?, *generation))
            })
            .collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || rows.len() < PARALLEL_DECRYPT_MIN_ROWS {
        return decrypt(&rows);
    }
    let chunk_len = rows.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = rows
            .chunks(chunk_len)
            .map(|chunk| scope.spawn(move || decrypt(chunk)))
            .collect();
        let mut out = Vec::with_capacity(rows.len());
        for w in workers {
            out.extend(
                w.join()
                    .map_err(|_| Error::damaged("a key record could not be decoded"))??,
            );
        }
        Ok(out)
    })
}

/// The current secrets and the retired versions of a key.
pub(super) fn read_secrets(
    conn: &Connection,
    cells: &Cells<'_>,
    entry: &KeyEntry,
    generation: u64,
) -> Result<(SecretFields, History)> {
    let id = entry.id.to_string();
    let (secrets, history): (Vec<u8>, Vec<u8>) = conn.query_row(
        "SELECT secrets, history FROM entries WHERE id = ?1",
        [&id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let s = cells.open("entries", &id, "secrets", generation, &secrets)?;
    let h = cells.open("entries", &id, "history", generation, &history)?;
    let s = SecretFields::from_sealed_json(&s)
        .ok_or_else(|| Error::damaged(format!("key record {id} has unreadable secrets")))?;
    let h = history_from_json(&h)
        .ok_or_else(|| Error::damaged(format!("key record {id} has an unreadable history")))?;
    Ok((s, h))
}

/// The keyed digest of one row (id and generation) in the vault state's digest of all rows.
pub(super) struct RowDigests(crypto::KeyedMac);

impl RowDigests {
    pub fn of(&self, id: &str, generation: u64) -> [u8; MAC_LEN] {
        self.0
            .mac(&[b"entry", id.as_bytes(), &generation.to_le_bytes()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloc_probe::reallocs_during;
    use crate::secret::tests::awkward_value;
    use secrecy::SecretString;

    /// 200 retired versions, every field a long value full of escapes.
    fn long_history() -> History {
        (1..=200)
            .map(|v| {
                let mut f = SecretFields::new();
                for field in CredentialField::ALL {
                    let value = awkward_value(&format!("v{v}-{field}"), 700);
                    f.insert(field, SecretString::from(value));
                }
                (v, f)
            })
            .collect()
    }

    #[test]
    fn a_long_history_is_written_into_one_buffer_sized_once_and_reads_back_without_growing_one() {
        let history = long_history();
        let (json, reallocs) = reallocs_during(|| history_to_json(&history));
        assert_eq!(
            reallocs, 0,
            "the buffer grew, leaving copies of old secrets behind"
        );
        assert_eq!(json.capacity(), json.len());
        assert!(json.len() > 200 * 6 * 700);

        let (back, reallocs) = reallocs_during(|| history_from_json(&json).unwrap());
        assert_eq!(
            reallocs, 0,
            "a scratch buffer grew while unescaping old secrets"
        );
        assert_eq!(back.len(), history.len());
        for (v, fields) in &history {
            for (field, value) in fields.iter() {
                let got = back[v].get(field).unwrap();
                assert_eq!(got.expose_secret(), value.expose_secret(), "v{v} {field}");
            }
        }
    }

    #[test]
    fn sealing_and_opening_a_long_history_copies_it_nowhere_else() {
        let keys = VaultKeys::generate(&[7u8; 16]);
        let cells = Cells {
            keys: &keys,
            vault_id: &[7u8; 16],
        };
        let json = history_to_json(&long_history());
        let (sealed, reallocs) =
            reallocs_during(|| cells.seal("entries", "k", "history", 3, &json));
        assert_eq!(reallocs, 0);
        assert_eq!(sealed.capacity(), sealed.len());
        let (plain, reallocs) =
            reallocs_during(|| cells.open("entries", "k", "history", 3, &sealed).unwrap());
        assert_eq!(reallocs, 0);
        assert_eq!(&plain[..], &json[..]);
        assert!(cells.open("entries", "k", "history", 4, &sealed).is_err());
    }

    /// A key with every optional field set, awkward text included.
    fn every_field() -> KeyEntry {
        use crate::exchange::{ExchangeKeyReport, Verification, VerifyOutcome};
        use crate::model::*;
        use chrono::{TimeZone, Utc};
        let at = |d| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
        KeyEntry {
            id: uuid::Uuid::now_v7(),
            name: "bin\u{1b}[31mance \"main\" {ünïcode}".into(),
            exchange: "binance".into(),
            account: Some("sub-1".into()),
            environment: Environment::Testnet,
            scopes: [Scope::Read, Scope::Trade, Scope::Withdraw].into(),
            exchange_scopes: vec!["enableReading".into(), "enableWithdrawals".into()],
            scopes_unknown: true,
            ip_allowlist: vec!["203.0.113.7".into(), "2001:db8::/32".into()],
            created_at: at(1),
            updated_at: at(2),
            expires_at: Some(at(3)),
            last_rotated_at: Some(at(4)),
            last_used_at: Some(at(5)),
            last_use: Some(KeyUse {
                how: KeyUseKind::Run,
                by: "cli".into(),
                host: Some("vps-1".into()),
                program: Some("freqtrade".into()),
            }),
            rotation_days: Some(90),
            status: KeyStatus::Revoked,
            status_reason: Some("leaked".into()),
            status_changed_at: Some(at(6)),
            tags: vec!["bot".into(), "{".into()],
            notes: "line 1\nline 2\t\u{0}".into(),
            env_names: [(CredentialField::ApiKey, "BINANCE_API_KEY".to_string())].into(),
            used_by: vec![KeyUser {
                bot: "freqtrade".into(),
                host: Some("vps-1".into()),
            }],
            found_in_plaintext: Some(FoundInPlaintext {
                at: at(7),
                place: "/home/me/.env:3".into(),
                count: 2,
            }),
            member_left: Some(MemberLeft {
                team: "desk".into(),
                member: "bob".into(),
                at: at(8),
            }),
            last_verification: Some(Verification {
                at: at(9),
                outcome: VerifyOutcome::Drift,
                drift: vec!["IP allowlist removed".into()],
                error: None,
                report: Some(ExchangeKeyReport {
                    permissions: Some(vec!["enableReading".into()]),
                    scopes: Some(vec![Scope::Read]),
                    ip_restricted: Some(false),
                    ip_allowlist: Vec::new(),
                    expires_at: Some(at(10)),
                    trading_expires_at: Some(at(11)),
                    created_at: Some(at(1)),
                    last_used_at: None,
                }),
            }),
            scheduled_check: Some(false),
            versions: vec![
                SecretVersionInfo {
                    version: 1,
                    fields: vec![CredentialField::ApiKey, CredentialField::Secret],
                    created_at: at(1),
                    retired_at: Some(at(4)),
                    reason: Some("rotation".into()),
                    moves_funds: Some(true),
                    generated_key_pair: None,
                },
                SecretVersionInfo {
                    version: 2,
                    fields: vec![CredentialField::ApiKey, CredentialField::PrivateKey],
                    created_at: at(4),
                    retired_at: None,
                    reason: None,
                    moves_funds: Some(false),
                    generated_key_pair: Some(true),
                },
            ],
            fingerprints: vec!["00ff".repeat(8), "11ee".repeat(8)],
        }
    }

    /// Runs `test` with the cells of a new vault key and [`every_field`]'s key and row id.
    fn with_cells(test: impl FnOnce(&Cells<'_>, KeyEntry, String)) {
        let id = crypto::random_bytes::<16>();
        let keys = VaultKeys::generate(&id);
        let cells = Cells {
            keys: &keys,
            vault_id: &id,
        };
        let entry = every_field();
        let row = entry.id.to_string();
        test(&cells, entry, row);
    }

    #[test]
    fn metadata_sealed_as_messagepack_reads_back_whole_and_is_smaller_than_json() {
        with_cells(|cells, entry, row| {
            let packed = pack(&entry).unwrap();
            let json = serde_json::to_vec(&entry).unwrap();
            assert!(
                packed.len() * 10 < json.len() * 9,
                "MessagePack {} bytes, JSON {}",
                packed.len(),
                json.len()
            );
            let sealed = cells.seal("entries", &row, "meta", 3, &packed);
            assert_eq!(cells.read_entry(&row, 3, &sealed).unwrap(), entry);
            // The associated data still binds the row and its generation.
            assert!(cells.read_entry(&row, 2, &sealed).is_err());
            let other = uuid::Uuid::now_v7().to_string();
            assert!(cells.read_entry(&other, 3, &sealed).is_err());
            let moved = cells.seal("entries", &other, "meta", 3, &packed);
            let err = cells.read_entry(&other, 3, &moved).unwrap_err().to_string();
            assert!(err.contains("metadata of another key"), "{err}");
        });
    }

    #[test]
    fn a_key_with_nothing_optional_is_sealed_without_those_fields_and_reads_back_empty() {
        with_cells(|cells, mut entry, row| {
            let full = pack(&entry).unwrap().len();
            entry.account = None;
            entry.exchange_scopes.clear();
            entry.ip_allowlist.clear();
            (entry.expires_at, entry.last_rotated_at, entry.last_used_at) = (None, None, None);
            entry.rotation_days = None;
            (entry.status_reason, entry.status_changed_at) = (None, None);
            entry.tags.clear();
            entry.notes.clear();
            entry.last_verification = None;
            let packed = pack(&entry).unwrap();
            let text = String::from_utf8_lossy(&packed);
            for left_out in [
                "account",
                "ip_allowlist",
                "expires_at",
                "status_reason",
                "notes",
            ] {
                assert!(!text.contains(left_out), "{left_out} is written");
            }
            assert!(
                packed.len() + 100 < full,
                "{} of {full} bytes",
                packed.len()
            );
            let sealed = cells.seal("entries", &row, "meta", 1, &packed);
            assert_eq!(cells.read_entry(&row, 1, &sealed).unwrap(), entry);
        });
    }

    #[test]
    fn metadata_rows_sealed_as_json_by_an_older_keystead_still_read() {
        with_cells(|cells, entry, row| {
            let json = serde_json::to_vec(&entry).unwrap();
            let sealed = cells.seal("entries", &row, "meta", 1, &json);
            assert_eq!(cells.read_entry(&row, 1, &sealed).unwrap(), entry);
            // Neither reader takes a truncated record for a key.
            for plain in [&json[..json.len() / 2], &pack(&entry).unwrap()[..40]] {
                let sealed = cells.seal("entries", &row, "meta", 1, plain);
                let err = cells.read_entry(&row, 1, &sealed).unwrap_err().to_string();
                assert!(err.contains("unreadable metadata"), "{err}");
            }
        });
    }

    #[test]
    fn audit_events_sealed_as_messagepack_or_by_an_older_keystead_as_json_both_read() {
        use crate::audit::{AuditAction, AuditEvent};
        with_cells(|cells, entry, _| {
            let event = AuditEvent {
                at: entry.created_at,
                action: AuditAction::KeyRotated,
                key_id: Some(entry.id),
                key_name: Some(entry.name.clone()),
                detail: Some("scheduled \u{1b}[2J".into()),
                actor: "cli".into(),
                recorded_while_locked: true,
            };
            let json = serde_json::to_vec(&event).unwrap();
            let packed = pack(&event).unwrap();
            assert!(packed.len() < json.len());
            for (seq, plain) in [(1u64, &json), (2, &packed)] {
                let sealed = cells.seal("audit", &seq.to_string(), "event", 0, plain);
                assert_eq!(cells.read_event(seq, &sealed).unwrap(), event);
                assert!(
                    cells.read_event(seq + 1, &sealed).is_err(),
                    "bound to its place"
                );
            }
        });
    }
}
