//! The fuzz targets' bodies (fuzz/fuzz_targets/* each call one): every decoder of bytes Keystead reads,
//! fed hostile input, with the properties beyond "no panic" that each can check (a decoded value
//! re-encodes and decodes the same; a verifier never accepts a changed chain). Built for tests and the
//! `fuzzing` feature only; `cargo test` replays fuzz/regressions/<target>/* and fuzz/corpus/<target>/*
//! through the same functions.

use crate::anchor::{self, AnchorKey, FileAnchor, Mark, RollbackAnchor, Seen};
use crate::audit::{self, AuditProblem, ChainWalk};
use crate::crypto::{KEY_LEN, MAC_LEN};
use crate::model::Environment;
use crate::reminders::ReminderPolicy;
use crate::secret::{CredentialField, SecretFields};
use crate::share::{self, ShareIdentity};
use crate::vault::fuzzing as cells;
use crate::{catalog, parse};
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::OnceLock;

/// A target's body: takes the fuzzer's bytes, panics on a broken property.
pub type Target = fn(&[u8]);

/// Every target, by the name of its folder under fuzz/corpus and fuzz/regressions.
pub const TARGETS: &[(&str, Target)] = &[
    ("vault_header", vault_header),
    ("vault_cells", vault_cells),
    ("audit_chain", audit_chain),
    ("share_file", share_file),
    ("share_document", share_document),
    ("secrets_stdin", secrets_stdin),
    ("anchor_file", anchor_file),
    ("settings", settings),
    ("args", args),
];

/// Reads fields off the front of the fuzzer's bytes; past the end it answers zeros and empty slices.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        let got = self.take(8);
        b[..got.len()].copy_from_slice(got);
        u64::from_le_bytes(b)
    }
    /// A length-prefixed slice (one byte of length).
    fn short(&mut self) -> &'a [u8] {
        let n = self.byte() as usize;
        self.take(n)
    }
    fn rest(&mut self) -> &'a [u8] {
        self.take(self.0.len())
    }
}

/// The vault header as `unlock` checks it, then the wrapped vault key it guards: a header that passes
/// is within the published bounds, its wrap opens only under exactly its own fields, and hostile
/// wrapped bytes never open.
pub fn vault_header(data: &[u8]) {
    let mut input = Input(data);
    let flags = input.byte();
    let magic = if flags & 1 == 0 {
        cells::MAGIC
    } else {
        input.short()
    };
    let version = if flags & 2 == 0 {
        cells::FORMAT_VERSION
    } else {
        input.u64() as i64
    };
    let vault_id = input.short();
    // Near the floor most of the time, so a derivation-sized header is reached; raw i64 otherwise.
    let mut kdf_part = |bit: u8, floor: u32| {
        if flags & bit == 0 {
            i64::from(floor) + i64::from(input.byte())
        } else {
            input.u64() as i64
        }
    };
    let m = kdf_part(4, crate::KdfParams::FLOOR.memory_kib);
    let t = kdf_part(8, crate::KdfParams::FLOOR.iterations);
    let p = kdf_part(16, crate::KdfParams::FLOOR.parallelism);
    let salt = input.short();
    let wrapped = input.rest();
    let Ok((kdf, id)) = cells::check_header(magic, version, vault_id, (m, t, p), salt) else {
        return;
    };
    assert_eq!(magic, cells::MAGIC);
    assert_eq!(version, cells::FORMAT_VERSION);
    assert_eq!(&id[..], vault_id);
    assert!((16..=64).contains(&salt.len()));
    assert!(
        kdf.check().is_ok(),
        "a header outside the KDF bounds passed"
    );
    assert_eq!(
        (i64::from(kdf.memory_kib), i64::from(kdf.iterations)),
        (m, t)
    );
    assert_eq!(i64::from(kdf.parallelism), p);

    let kek = [3u8; KEY_LEN];
    let good = cells::wrap(&kek, &id, version, kdf, salt);
    assert_eq!(
        cells::unwrap(&kek, &good, &id, version, kdf, salt),
        Some(true)
    );
    let mut other_salt = salt.to_vec();
    other_salt[0] ^= 1;
    assert_eq!(
        cells::unwrap(&kek, &good, &id, version, kdf, &other_salt),
        None
    );
    let more = crate::KdfParams {
        iterations: kdf.iterations ^ 1,
        ..kdf
    };
    assert_eq!(cells::unwrap(&kek, &good, &id, version, more, salt), None);
    if wrapped != good.as_slice() {
        assert_eq!(
            cells::unwrap(&kek, wrapped, &id, version, kdf, salt),
            None,
            "hostile wrapped bytes opened"
        );
    }
}

/// One sealed cell of the vault (the first byte picks which), decrypted and parsed as the vault reads
/// it: a key's metadata, secrets or history, an audit event, a contact, the sharing identity. What
/// decodes re-encodes and decodes to the same value; secrets decode as serde_json decodes them.
pub fn vault_cells(data: &[u8]) {
    let mut input = Input(data);
    let which = input.byte() % 6;
    let plain = input.rest();
    match which {
        0 => entry_meta(plain),
        1 => secrets_cell(plain),
        2 => history_cell(plain),
        3 => audit_event(plain),
        4 => {
            if let Some((id, name, key)) = cells::contact(plain) {
                assert!(uuid::Uuid::parse_str(&id).is_ok());
                assert!(key.starts_with("age1"), "{name}: {key}");
            }
        }
        _ => {
            if let Some(identity) = cells::identity(plain) {
                let again = cells::identity(&identity.to_sealed_json())
                    .expect("a sealed identity reads back");
                assert_eq!(
                    again.sharing_key().to_string(),
                    identity.sharing_key().to_string()
                );
            }
        }
    }
}

fn entry_meta(plain: &[u8]) {
    // The row id the metadata names, so the check that a row holds its own key is passed and the rest
    // of the record is reached.
    let id = serde_json::from_slice::<serde_json::Value>(plain)
        .ok()
        .and_then(|v| v.get("id")?.as_str().map(str::to_string))
        .unwrap_or_default();
    let Ok(entry) = cells::entry_meta(&id, plain) else {
        return;
    };
    assert_eq!(entry.id.to_string(), id);
    let json = serde_json::to_vec(&entry).expect("a key's metadata serializes");
    let again = cells::entry_meta(&id, &json).expect("re-encoded metadata reads back");
    assert_eq!(again, entry, "metadata changed across a write and a read");
}

/// The values of `fields`, exposed, for comparing.
fn exposed(fields: &SecretFields) -> BTreeMap<CredentialField, String> {
    fields
        .iter()
        .map(|(k, v)| (k, v.expose_secret().to_string()))
        .collect()
}

fn secrets_cell(plain: &[u8]) {
    let ours = SecretFields::from_sealed_json(plain).map(|f| exposed(&f));
    let reference = serde_json::from_slice::<BTreeMap<CredentialField, String>>(plain).ok();
    assert_eq!(
        ours, reference,
        "the secrets decoder and serde_json disagree"
    );
    if let Some(fields) = SecretFields::from_sealed_json(plain) {
        let again =
            SecretFields::from_sealed_json(&fields.to_json()).expect("sealed secrets read back");
        assert_eq!(exposed(&again), exposed(&fields));
    }
}

fn history_cell(plain: &[u8]) {
    let show =
        |h: &BTreeMap<u32, SecretFields>| -> BTreeMap<u32, BTreeMap<CredentialField, String>> {
            h.iter().map(|(v, f)| (*v, exposed(f))).collect()
        };
    let ours = cells::history(plain).map(|h| show(&h));
    // An empty value is "not given" (`SecretFields::insert`); the vault never writes one.
    let reference =
        serde_json::from_slice::<BTreeMap<u32, BTreeMap<CredentialField, String>>>(plain)
            .ok()
            .map(|h| {
                h.into_iter()
                    .map(|(v, f)| (v, f.into_iter().filter(|(_, s)| !s.is_empty()).collect()))
                    .collect()
            });
    assert_eq!(
        ours, reference,
        "the history decoder and serde_json disagree"
    );
    if let Some(history) = cells::history(plain) {
        let again =
            cells::history(&cells::history_json(&history)).expect("a sealed history reads back");
        assert_eq!(show(&again), show(&history));
    }
}

fn audit_event(plain: &[u8]) {
    if let Ok(event) = cells::audit_event(7, plain) {
        let json = serde_json::to_vec(&event).expect("an audit event serializes");
        let again = cells::audit_event(7, &json).expect("a re-encoded event reads back");
        assert_eq!(again, event);
    }
}

/// The audit chain verifier. A chain built from the fuzzer's events verifies; the same chain with one
/// change the fuzzer picks (a flipped bit in an event or a MAC, a row dropped, moved or replayed, a
/// moved head) never does; rows made up by the fuzzer never verify.
pub fn audit_chain(data: &[u8]) {
    let key = [11u8; KEY_LEN];
    let mut input = Input(data);
    let n = (input.byte() % 12) as usize;
    let mut rows: Vec<(u64, Vec<u8>, Vec<u8>)> = Vec::new();
    let mut prev = audit::GENESIS;
    for seq in 1..=n as u64 {
        let event = input.short().to_vec();
        let mac = audit::chain_mac(&key, &prev, seq, &event);
        rows.push((seq, event, mac.to_vec()));
        prev = mac;
    }
    let head = (n as u64, prev);
    assert!(
        walk(&key, &rows, head).is_none(),
        "an intact chain was refused"
    );

    let kind = input.byte() % 8;
    let at = input.byte() as usize;
    let bit = input.byte();
    let mut changed = rows.clone();
    let mut changed_head = head;
    let pick = |len: usize| at % len.max(1);
    match kind {
        0 if n > 0 => {
            let event = &mut changed[pick(n)].1;
            if event.is_empty() {
                event.push(bit);
            } else {
                let i = bit as usize % event.len();
                event[i] ^= 1 << (bit % 8);
            }
        }
        1 if n > 0 => {
            let mac = &mut changed[pick(n)].2;
            mac[bit as usize % MAC_LEN] ^= 1 << (bit % 8);
        }
        2 if n > 0 => {
            changed.remove(pick(n));
        }
        3 if n > 1 => {
            let i = pick(n - 1);
            changed.swap(i, i + 1);
        }
        4 if n > 0 => {
            let row = changed[pick(n)].clone();
            changed.insert(pick(n), row);
        }
        5 if n > 0 => changed.truncate(pick(n)),
        6 => changed_head.0 = changed_head.0.wrapping_add(u64::from(bit) + 1),
        7 if n > 0 => {
            let mac = &mut changed[pick(n)].2;
            mac.truncate(bit as usize % MAC_LEN);
        }
        _ => changed_head.1[bit as usize % MAC_LEN] ^= 1,
    }
    assert!(
        walk(&key, &changed, changed_head).is_some(),
        "a changed chain verified (change {kind})"
    );

    // Rows made up from the rest of the input, with a head that claims them.
    let mut made_up = Vec::new();
    while !input.0.is_empty() && made_up.len() < 16 {
        let seq = u64::from(input.byte());
        let event = input.short().to_vec();
        let mac = input.take(MAC_LEN).to_vec();
        made_up.push((seq, event, mac));
    }
    if !made_up.is_empty() {
        let mut claimed = [0u8; MAC_LEN];
        claimed.copy_from_slice(&made_up.last().map_or([0u8; MAC_LEN].to_vec(), |r| {
            let mut m = r.2.clone();
            m.resize(MAC_LEN, 0);
            m
        }));
        let report = walk(&key, &made_up, (made_up.len() as u64, claimed));
        let genuine = made_up.iter().enumerate().all(|(i, r)| {
            let prev: [u8; MAC_LEN] = if i == 0 {
                audit::GENESIS
            } else {
                made_up[i - 1]
                    .2
                    .clone()
                    .try_into()
                    .unwrap_or([0u8; MAC_LEN])
            };
            r.0 == i as u64 + 1 && r.2 == audit::chain_mac(&key, &prev, r.0, &r.1)
        });
        assert!(report.is_some() || genuine, "made-up rows verified");
    }
}

/// Walks rows as `Vault::verify_audit` does.
fn walk(
    key: &[u8; KEY_LEN],
    rows: &[(u64, Vec<u8>, Vec<u8>)],
    head: (u64, [u8; MAC_LEN]),
) -> Option<AuditProblem> {
    let mut walk = ChainWalk::new(key);
    for (seq, event, mac) in rows {
        if let Some(problem) = walk.next(*seq, event, mac) {
            return Some(problem);
        }
    }
    walk.finish(head)
}

/// The sharing identity the share_file target opens files with (its sharing key is in
/// fuzz/corpus/share_file/README).
pub fn share_identity() -> ShareIdentity {
    ShareIdentity::from_sealed_json(
        br#"{"age":"AGE-SECRET-KEY-1Q88QUQNCS5UP00T5R249TE0H5VX8PLXJ0TWN0TDVUQPW8JJ2N0FSM0AKPF","ed25519":"BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU"}"#,
    )
    .expect("the fixed identity parses")
}

/// A whole share file as import opens it with this vault's identity (age header, armor, payload
/// stream, then the document): a file that opens is one `looks_like_share_file` recognises, and holds
/// at least one key.
pub fn share_file(data: &[u8]) {
    static IDENTITY: OnceLock<ShareIdentity> = OnceLock::new();
    let identity = IDENTITY.get_or_init(share_identity);
    let _ = share::is_passphrase_protected(data);
    // No passphrase: a passphrase file would cost scrypt's work per run; it is refused as needing one.
    if let Ok(opened) = share::open(data, Some(identity), None) {
        assert!(!opened.is_empty());
        assert!(
            share::looks_like_share_file(data),
            "a file that opens as a share is not recognised as one"
        );
    }
}

/// The decrypted share document, as import checks it before trusting it: what passes holds 1 to
/// MAX_ENTRIES keys with valid, distinct names.
pub fn share_document(data: &[u8]) {
    let Ok((opened, recipients)) = share::parse_document(data) else {
        return;
    };
    assert!((1..=share::MAX_ENTRIES).contains(&opened.entries.len()));
    let mut names = std::collections::BTreeSet::new();
    for entry in &opened.entries {
        let name = &entry.checked.name;
        assert_eq!(parse::key_name(name).ok().as_ref(), Some(name));
        assert!(names.insert(name.to_lowercase()), "{name} twice");
        assert!(!entry.secrets.is_empty());
    }
    if let Some(r) = recipients {
        assert!(r.len() <= 1000);
    }
}

/// The `--secrets-stdin` document. What is accepted is what serde_json reads (values trimmed); what
/// serde_json reads as an object of known field names to strings is accepted; an error never quotes
/// text from the document.
pub fn secrets_stdin(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = SecretFields::from_json(text);
    let reference = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            let mut out = BTreeMap::new();
            let mut names = 0;
            for (k, v) in v.as_object()? {
                let field = CredentialField::parse(k).ok()?;
                out.insert(field, v.as_str()?.trim().to_string());
                names += 1;
            }
            // Two spellings of one field: which one wins depends on the map's order; skip.
            // An empty value is "not given" (`SecretFields::insert`).
            (names == out.len()).then(|| out.into_iter().filter(|(_, v)| !v.is_empty()).collect())
        });
    match (&ours, reference) {
        (Ok(fields), Some(reference)) => assert_eq!(exposed(fields), reference),
        (Ok(_), None) => {}
        (Err(e), Some(_)) => panic!("a valid secrets document was refused: {e}"),
        (Err(e), None) => {
            let message = e.to_string();
            for quoted in string_literals(text) {
                if quoted.len() < 6 || !message.contains(quoted) {
                    continue;
                }
                // Text that is also in the message for the same document with this text blanked out
                // comes from the message's own words, not from the document.
                let blanked = text.replace(quoted, &"Q".repeat(quoted.len()));
                let again = SecretFields::from_json(&blanked)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                assert!(
                    again.contains(quoted),
                    "the error quotes the document: {quoted:?} in {message}"
                );
            }
        }
    }
}

/// The text between double quotes in `text`, roughly as a JSON lexer sees it.
fn string_literals(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match (start, c) {
            (None, '"') => start = Some(i + 1),
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(s), '"') => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// The anchor file of a vault's last write, as `FileAnchor` reads it: a hostile text is trusted only
/// if it says what Keystead writes (line ends aside), and what Keystead writes reads back. One file
/// through `FileAnchor` itself in every 256 runs (the write syncs to disk, which is slow).
pub fn anchor_file(data: &[u8]) {
    let key = AnchorKey::new([4u8; KEY_LEN]);
    let mut input = Input(data);
    let mark = Mark {
        counter: input.u64(),
        disputed: input.byte() & 1 == 1,
    };
    let through_file = input.byte() == 0;
    let text = input.rest();

    let written = anchor::file_text("ab12", &key, mark);
    assert_eq!(anchor::file_mark(&written, "ab12", &key), Some(mark));
    assert_eq!(anchor::file_mark(&written, "cd34", &key), None);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    if let Some(found) = anchor::file_mark(text, "ab12", &key) {
        let lines = |t: &str| t.lines().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            lines(text),
            lines(&anchor::file_text("ab12", &key, found)),
            "a file Keystead did not write was trusted"
        );
    }
    if through_file {
        static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
        let dir = DIR.get_or_init(|| {
            std::env::temp_dir().join(format!("keystead-fuzz-anchor-{}", std::process::id()))
        });
        let files = FileAnchor::new(dir.join("anchors"));
        files.record("ab12", &key, mark);
        assert_eq!(files.seen("ab12", &key), Seen::Counter(mark));
        let path = files.path_of("ab12").expect("a hex id names a file");
        std::fs::write(&path, text).expect("the fuzz anchor file is written");
        match (
            files.seen("ab12", &key),
            anchor::file_mark(text, "ab12", &key),
        ) {
            (Seen::Counter(m), Some(t)) => assert_eq!(m, t),
            (Seen::Untrusted(_), None) => {}
            (seen, mark) => panic!("the file anchor answers {seen:?} for a text holding {mark:?}"),
        }
    }
}

/// The app's settings file, as far as core reads it: its reminder thresholds, refused unless valid;
/// a valid policy is what `ReminderPolicy::new` makes of the same numbers, and survives a write and a read.
pub fn settings(data: &[u8]) {
    let Ok(serde_json::Value::Object(file)) = serde_json::from_slice(data) else {
        return;
    };
    let Some(Ok(thresholds_days)) = file
        .get("reminder_thresholds_days")
        .map(|v| serde_json::from_value::<Vec<u32>>(v.clone()))
    else {
        return;
    };
    let policy = ReminderPolicy { thresholds_days };
    if policy.validate().is_ok() {
        let made =
            ReminderPolicy::new(policy.thresholds_days.clone()).expect("a valid policy is made");
        assert_eq!(made, policy);
        let json = serde_json::to_vec(&policy).expect("a policy serializes");
        let again: ReminderPolicy = serde_json::from_slice(&json).expect("a policy reads back");
        assert_eq!(again, policy);
    }
}

/// What people type on the command line and in the app's fields: dates, durations, IP allowlists, key
/// names, environments, credential fields, exchanges and scopes. A value accepted once is a fixed
/// point: its normal form is accepted and gives the same value, and a date survives the vault's JSON.
pub fn args(data: &[u8]) {
    let mut input = Input(data);
    let which = input.byte() % 7;
    let Ok(text) = std::str::from_utf8(input.rest()) else {
        return;
    };
    match which {
        0 => {
            if let Ok(d) = parse::date(text) {
                assert_eq!(parse::date(&d.to_rfc3339()).ok(), Some(d), "{text}");
                let json = serde_json::to_string(&d).expect("a date serializes");
                let back: chrono::DateTime<chrono::Utc> =
                    serde_json::from_str(&json).expect("an accepted date reads back from JSON");
                assert_eq!(back, d);
            }
        }
        1 => {
            if let Ok(n) = parse::days(text) {
                assert!((1..=36_500).contains(&n));
                assert_eq!(parse::days(&format!("{n}d")).ok(), Some(n));
                assert_eq!(parse::days(&n.to_string()).ok(), Some(n));
            }
        }
        2 => {
            if let Ok(ip) = parse::ip_entry(text) {
                assert_eq!(parse::ip_entry(&ip).ok().as_ref(), Some(&ip), "{text}");
                assert!(!ip.contains(',') && ip.trim() == ip);
            }
        }
        3 => {
            let items: Vec<&str> = text.split('\n').collect();
            if let Ok(list) = parse::ip_allowlist(&items) {
                assert_eq!(parse::ip_allowlist(&list).ok().as_ref(), Some(&list));
                let distinct: std::collections::BTreeSet<_> = list.iter().collect();
                assert_eq!(distinct.len(), list.len());
            }
        }
        4 => {
            if let Ok(name) = parse::key_name(text) {
                assert_eq!(parse::key_name(&name).ok().as_ref(), Some(&name));
                assert!(!parse::has_control_or_bidi(&name));
                assert!(name.chars().count() <= parse::MAX_NAME_LEN);
            }
        }
        5 => {
            if let Ok(env) = Environment::from_str(text) {
                assert_eq!(Environment::from_str(&env.to_string()).ok(), Some(env));
            }
            if let Ok(field) = CredentialField::parse(text) {
                assert_eq!(CredentialField::parse(field.as_str()).ok(), Some(field));
            }
        }
        _ => {
            let (exchange, words) = text.split_once(' ').unwrap_or((text, ""));
            if let Ok(exchange) = catalog::exchange(exchange) {
                let words: Vec<String> = words.split(' ').map(str::to_string).collect();
                if let Ok((scopes, native)) = exchange.resolve_scopes(&words) {
                    let mut again: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
                    again.extend(native.iter().cloned());
                    let (scopes2, native2) = exchange
                        .resolve_scopes(&again)
                        .expect("resolved scopes resolve again");
                    assert_eq!(scopes2, scopes);
                    assert_eq!(native2, native);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz")
            .join(kind)
            .join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README"))
            .collect();
        files.sort();
        files
    }

    /// Every crash the fuzzer found, replayed through its target's function: each was fixed, and
    /// each stays fixed.
    #[test]
    fn every_crash_found_by_fuzzing_replays_without_a_panic() {
        for (target, run) in TARGETS {
            for path in inputs("regressions", target) {
                let data = std::fs::read(&path).expect("a regression input reads");
                run(&data);
            }
        }
    }

    /// The seed corpora (files made by Keystead itself) pass their targets' checks.
    #[test]
    fn the_seed_corpora_pass_their_targets() {
        let mut seen = 0;
        for (target, run) in TARGETS {
            for path in inputs("corpus", target) {
                let data = std::fs::read(&path).expect("a seed reads");
                run(&data);
                seen += 1;
            }
        }
        assert!(seen > 0, "no seed corpus found under fuzz/corpus");
    }

    /// Writes fuzz/corpus/<target>/* from a small vault made here: its decrypted cells and header, real
    /// share files and their documents, a real anchor file, plus typical typed values. Run by hand:
    /// `cargo test -p keystead-core --lib write_seed_corpora -- --ignored`.
    #[test]
    #[ignore]
    fn write_seed_corpora() {
        use crate::vault::OpenOptions;
        use crate::{FixedClock, KdfParams, NewKey, ShareExport, Vault};
        use secrecy::SecretString;
        use std::sync::Arc;

        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
        let put = |target: &str, name: &str, bytes: &[u8]| {
            let dir = root.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), bytes).unwrap();
        };
        let tmp = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::new("2026-03-01T09:00:00Z".parse().unwrap()));
        let mut vault = Vault::create(
            &tmp.path().join("vault.db"),
            &SecretString::from("correct horse battery"),
            KdfParams::FLOOR,
            OpenOptions::new(clock, "fuzz-seeds"),
        )
        .unwrap();
        let fields = |exchange: &str, tag: &str| {
            let mut s = SecretFields::new();
            for f in catalog::exchange(exchange).unwrap().required_fields {
                s.insert(*f, SecretString::from(format!(" {tag}-{f}-\u{e9}\\\"v ")));
            }
            s
        };
        for (name, exchange, scopes) in [
            ("binance-main", "binance", vec!["read", "trade"]),
            ("okx-bot", "okx", vec!["read"]),
        ] {
            let new = NewKey {
                name: name.into(),
                exchange: exchange.into(),
                scopes: scopes.into_iter().map(str::to_string).collect(),
                ip_allowlist: vec!["203.0.113.7".into(), "2001:db8::/32".into()],
                expires_at: Some("2027-03-01T00:00:00Z".parse().unwrap()),
                rotation_days: Some(90),
                tags: vec!["bots".into()],
                notes: format!("{name} notes <b>é</b>"),
                ..NewKey::default()
            };
            vault.add(new, fields(exchange, name)).unwrap();
        }
        vault
            .rotate(
                "okx-bot",
                fields("okx", "okx-bot-2"),
                Some("scheduled".into()),
            )
            .unwrap();
        let me = share_identity().sharing_key().to_string();
        vault.add_contact("fuzz", &me).unwrap();
        let (cells, header) = crate::vault::fuzzing::seeds_of(&vault);
        for (i, (selector, plain)) in cells.iter().enumerate() {
            let mut seed = vec![*selector];
            seed.extend_from_slice(plain);
            put("vault_cells", &format!("cell-{i:02}"), &seed);
        }
        put("vault_header", "header", &header);

        for (armor, name) in [(false, "binary.age"), (true, "armored.age")] {
            let file = vault
                .share_export(&ShareExport {
                    keys: vec!["okx-bot".into()],
                    to: vec!["fuzz".into()],
                    armor,
                    sender_name: Some("Fuzz desk".into()),
                    ..ShareExport::default()
                })
                .unwrap()
                .bytes;
            put("share_file", name, &file);
            let (plain, _) = share::envelope_decrypt(&file, Some(&share_identity()), None).unwrap();
            put("share_document", &format!("{name}.json"), &plain);
        }
        put(
            "share_file",
            "README",
            format!("Share files made by Keystead for the fuzzing identity, whose sharing key is\n{me}\n").as_bytes(),
        );

        // The audit chain target's layout: a count, then each event (here the vault's own sealed ones).
        let mut chain = vec![4u8];
        for (_, plain) in cells.iter().filter(|(s, _)| *s == 3).take(4) {
            chain.push(plain.len().min(255) as u8);
            chain.extend_from_slice(&plain[..plain.len().min(255)]);
        }
        chain.extend_from_slice(&[0, 3, 17]);
        put("audit_chain", "vault-events", &chain);

        for (i, doc) in [
            r#"{"apiKey": "k-123", "secret": "s-456"}"#,
            "{\n  \"apiKey\": \"AKIA\\u00e9\",\n  \"secret\": \" s \",\n  \"password\": \"p\"\n}\n",
            r#"{"privateKey": "0xabc", "walletAddress": "0xdef", "uid": "42"}"#,
            r#"{"secret": 987654321}"#,
        ]
        .iter()
        .enumerate()
        {
            put("secrets_stdin", &format!("doc-{i}"), doc.as_bytes());
        }

        let anchors = tmp.path().join("anchors");
        let anchor = FileAnchor::new(&anchors);
        let mark = Mark {
            counter: 41,
            disputed: true,
        };
        anchor.record("ab12", &AnchorKey::new([4u8; KEY_LEN]), mark);
        let mut seed = 41u64.to_le_bytes().to_vec();
        seed.extend_from_slice(&[1, 0]);
        seed.extend_from_slice(&std::fs::read(anchor.path_of("ab12").unwrap()).unwrap());
        put("anchor_file", "recorded", &seed);

        put(
            "settings",
            "settings.json",
            br#"{"auto_lock_minutes":5,"clipboard_clear_seconds":20,"reveal_seconds":30,"theme":"system","reminder_thresholds_days":[14,7,3,1,0],"show_names_when_locked":false,"close_to_tray":true,"start_at_login":false}"#,
        );
        for (i, (which, text)) in [
            (0u8, "2027-03-01"),
            (0, "2027-03-01T12:00:00+02:00"),
            (1, "90d"),
            (1, "12w"),
            (1, "1y"),
            (2, "203.0.113.0/24"),
            (2, "2001:db8::1"),
            (3, "203.0.113.7, 198.51.100.0/24\n2001:db8::1"),
            (4, "  binance-main "),
            (5, "testnet"),
            (5, "apiKey"),
            (6, "binance read trade"),
            (6, "okx read withdraw"),
        ]
        .iter()
        .enumerate()
        {
            let mut seed = vec![*which];
            seed.extend_from_slice(text.as_bytes());
            put("args", &format!("arg-{i:02}"), &seed);
        }
    }
}
