//! KeePass databases (KDBX 3.1 and 4, opened with their password) and KeePassXC's CSV export: one
//! entry with a secret becomes one candidate (username → apiKey, password → secret, custom attributes
//! named like a credential field → that field).

use super::{exchange_from_word, field_from_word, Candidate, MAX_DEPTH};
use crate::error::{Error, Result};
use crate::secret::CredentialField;
use keepass::db::{DatabaseOpenError, EntryRef, GroupRef};
use keepass::error::DatabaseKeyError;
use keepass::{Database, DatabaseKey};
use secrecy::{ExposeSecret, SecretString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The KDBX signature: 0x9AA2D903 then 0xB54BFB67, little-endian.
const KDBX_SIGNATURE: [u8; 8] = [0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5];
/// The longest title kept as a key's name.
const MAX_TITLE_CHARS: usize = 128;
/// The longest notes kept from an entry.
const MAX_NOTES_CHARS: usize = 4000;
/// The entry fields every KeePass entry has; any other is a custom attribute.
const STANDARD_FIELDS: [&str; 5] = ["Title", "UserName", "Password", "URL", "Notes"];

pub(super) fn is_kdbx(bytes: &[u8]) -> bool {
    bytes.starts_with(&KDBX_SIGNATURE)
}

/// KeePassXC's CSV header: `"Group","Title","Username","Password",…`.
pub(super) fn looks_like_csv(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("").to_ascii_lowercase();
    let has = |h: &str| first.contains(&format!("\"{h}\""));
    has("title") && has("password") && (has("group") || has("username"))
}

/// An entry's title as a key name: trimmed, at most [`MAX_TITLE_CHARS`], "Untitled" when empty.
pub(super) fn title_name(title: &str) -> String {
    let t: String = title
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TITLE_CHARS)
        .collect();
    let t = t.trim();
    if t.is_empty() {
        "Untitled".to_string()
    } else {
        t.to_string()
    }
}

/// Plain notes, capped at [`MAX_NOTES_CHARS`].
pub(super) fn cap_notes(notes: &str) -> String {
    notes.trim().chars().take(MAX_NOTES_CHARS).collect()
}

/// Sets the candidate's exchange from the first of `words` that names one (title, URL, tags, groups);
/// none is kept as a hint when none does: a title like "Email" is no exchange's name.
pub(super) fn set_exchange_from(cand: &mut Candidate, words: &[&str]) {
    if let Some(w) = words.iter().find(|w| exchange_from_word(w).is_some()) {
        cand.set_exchange_word(w);
    }
}

/// Whether a candidate holds a secret: a username or wallet address alone is no key.
pub(super) fn has_secret(cand: &Candidate) -> bool {
    [
        CredentialField::Secret,
        CredentialField::Password,
        CredentialField::PrivateKey,
    ]
    .into_iter()
    .any(|f| cand.secrets.get(f).is_some())
}

/// The warning for entries left out, or nothing.
pub(super) fn skipped_warning(
    no_secret: usize,
    deleted: usize,
    deleted_place: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    if no_secret > 0 {
        out.push(format!(
            "{no_secret} {} no secret (no password, key or credential field) and {} left out",
            if no_secret == 1 {
                "entry has"
            } else {
                "entries have"
            },
            if no_secret == 1 { "was" } else { "were" }
        ));
    }
    if deleted > 0 {
        out.push(format!(
            "{deleted} {} in the {deleted_place} {} left out",
            if deleted == 1 { "entry" } else { "entries" },
            if deleted == 1 { "was" } else { "were" }
        ));
    }
    out
}

pub(super) fn parse_kdbx(
    bytes: &[u8],
    password: &SecretString,
    warnings: &mut Vec<String>,
) -> Result<Vec<Candidate>> {
    if !is_kdbx(bytes) {
        return Err(Error::input(
            "not a KeePass database (KDBX): its first bytes are not KeePass's signature",
        ));
    }
    let key = DatabaseKey::new().with_password(password.expose_secret());
    // The crate parses untrusted bytes: a panic in it must become an error, not end the program.
    let opened = catch_unwind(AssertUnwindSafe(|| Database::parse(bytes, key)))
        .map_err(|_| Error::input("the KeePass database could not be read: it is damaged"))?;
    let kdbx3 = bytes.get(10..12) == Some(&[3, 0]);
    let db = opened.map_err(|e| open_error(e, kdbx3))?;
    let recycle_bin = db.recycle_bin().map(|g| g.id());
    let mut walk = Walk {
        recycle_bin,
        out: Vec::new(),
        no_secret: 0,
        deleted: 0,
    };
    let root = db.root();
    let mut path = Vec::new();
    walk.group(&root, &mut path, 0)?;
    warnings.extend(skipped_warning(walk.no_secret, walk.deleted, "recycle bin"));
    Ok(walk.out)
}

/// What an open error says, never the crate's own text (after decryption it could quote the content).
/// `kdbx3`: KDBX 3.1 has no header MAC, so a wrong key mostly shows as bad padding of the decrypted payload.
fn open_error(e: DatabaseOpenError, kdbx3: bool) -> Error {
    Error::input(match e {
        DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey) => {
            "wrong password for the KeePass database (or it needs a key file, which Keystead does not read yet)"
        }
        DatabaseOpenError::Cryptography(_) if kdbx3 => {
            "wrong password for the KeePass database (or it needs a key file, which Keystead does not read yet), or the file is damaged"
        }
        DatabaseOpenError::Key(_) => {
            "the KeePass database needs a key Keystead cannot give (a key file or a hardware key)"
        }
        DatabaseOpenError::Io(_) | DatabaseOpenError::UnexpectedEof => {
            "the KeePass database ends early: is it truncated?"
        }
        DatabaseOpenError::VersionParse(_) | DatabaseOpenError::UnsupportedVersion => {
            "the KeePass database has a version Keystead does not read (KDBX 3.1 and 4 are read)"
        }
        _ => "the KeePass database could not be read: it is damaged or truncated",
    })
}

struct Walk {
    recycle_bin: Option<keepass::db::GroupId>,
    out: Vec<Candidate>,
    no_secret: usize,
    deleted: usize,
}

impl Walk {
    /// Visits one group: its entries, then its subgroups. `path` holds the group names below the root.
    fn group(&mut self, group: &GroupRef<'_>, path: &mut Vec<String>, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::input(format!(
                "the KeePass database has groups nested more than {MAX_DEPTH} deep"
            )));
        }
        if Some(group.id()) == self.recycle_bin {
            self.deleted += count_entries(group, depth);
            return Ok(());
        }
        for entry in group.entries() {
            match entry_candidate(&entry, path) {
                Some(c) => self.out.push(c),
                None => self.no_secret += 1,
            }
        }
        for sub in group.groups() {
            path.push(sub.name.clone());
            let r = self.group(&sub, path, depth + 1);
            path.pop();
            r?;
        }
        Ok(())
    }
}

fn count_entries(group: &GroupRef<'_>, depth: usize) -> usize {
    if depth > MAX_DEPTH {
        return 0;
    }
    group.entries().count()
        + group
            .groups()
            .map(|g| count_entries(&g, depth + 1))
            .sum::<usize>()
}

fn entry_candidate(entry: &EntryRef<'_>, path: &[String]) -> Option<Candidate> {
    let title = entry.get_title().unwrap_or("");
    let name = title_name(title);
    let mut shown: Vec<&str> = path.iter().map(String::as_str).collect();
    shown.push(&name);
    let mut cand = Candidate::new(format!("entry '{}'", shown.join("/")), name.clone());
    let url = entry.get_url().unwrap_or("");
    let mut words = vec![title, url];
    words.extend(entry.tags.iter().map(String::as_str));
    words.extend(path.iter().rev().map(String::as_str));
    set_exchange_from(&mut cand, &words);
    cand.put(CredentialField::ApiKey, entry.get_username().unwrap_or(""));
    cand.put(CredentialField::Secret, entry.get_password().unwrap_or(""));
    let mut custom: Vec<(&String, &str)> = entry
        .fields
        .iter()
        .filter(|(k, _)| !STANDARD_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k, v.get().as_str()))
        .collect();
    custom.sort();
    for (k, v) in custom {
        if let Some(field) = field_from_word(k) {
            cand.put(field, v);
        }
    }
    if !has_secret(&cand) {
        return None;
    }
    cand.notes = cap_notes(entry.get("Notes").unwrap_or(""));
    Some(cand)
}

/// The CSV columns KeePassXC writes, by what Keystead does with them.
#[derive(Default)]
struct Columns {
    group: Option<usize>,
    title: usize,
    username: Option<usize>,
    password: usize,
    url: Option<usize>,
    notes: Option<usize>,
    /// Other columns named like a credential field (a hand-made CSV's "passphrase").
    custom: Vec<(usize, CredentialField)>,
}

fn columns(header: &csv::StringRecord) -> Result<Columns> {
    let squeeze = |h: &str| -> String {
        h.trim_start_matches('\u{feff}')
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let names: Vec<String> = header.iter().map(squeeze).collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let title = find(&["title"]).ok_or_else(|| Error::input("the CSV has no Title column"))?;
    let password =
        find(&["password"]).ok_or_else(|| Error::input("the CSV has no Password column"))?;
    let standard = [
        "group",
        "title",
        "username",
        "login",
        "loginname",
        "password",
        "url",
        "notes",
    ];
    let custom = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !standard.contains(&n.as_str()))
        .filter_map(|(i, n)| field_from_word(n).map(|f| (i, f)))
        .collect();
    Ok(Columns {
        group: find(&["group"]),
        title,
        username: find(&["username", "login", "loginname"]),
        password,
        url: find(&["url"]),
        notes: find(&["notes"]),
        custom,
    })
}

pub(super) fn parse_csv(text: &str, warnings: &mut Vec<String>) -> Result<Vec<Candidate>> {
    let text = text.trim_start_matches('\u{feff}');
    // Every value is quoted, so a file cut inside a value has an odd number of quotes; the csv crate
    // would read such a cut value as if it were whole.
    if text.bytes().filter(|b| *b == b'"').count() % 2 == 1 {
        return Err(Error::input(
            "the CSV ends inside a quoted value: is it truncated?",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(csv_error)?.clone();
    let cols = columns(&header)?;
    let mut out = Vec::new();
    let (mut no_secret, mut deleted) = (0, 0);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(e)),
        }
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        // KeePassXC writes the root group's name first ("Root/Exchanges"); the path below it is shown.
        let group_path: Vec<&str> = get(cols.group)
            .split('/')
            .skip(1)
            .filter(|g| !g.trim().is_empty())
            .collect();
        if group_path.first() == Some(&"Recycle Bin") {
            deleted += 1;
            continue;
        }
        let title = get(Some(cols.title));
        let name = title_name(title);
        let mut shown = group_path.clone();
        shown.push(&name);
        let mut cand = Candidate::new(format!("entry '{}'", shown.join("/")), name.clone());
        let mut words = vec![title, get(cols.url)];
        words.extend(group_path.iter().rev());
        set_exchange_from(&mut cand, &words);
        cand.put(CredentialField::ApiKey, get(cols.username));
        cand.put(CredentialField::Secret, get(Some(cols.password)));
        for (i, f) in &cols.custom {
            cand.put(*f, get(Some(*i)));
        }
        if !has_secret(&cand) {
            no_secret += 1;
            continue;
        }
        cand.notes = cap_notes(get(cols.notes));
        out.push(cand);
    }
    warnings.extend(skipped_warning(no_secret, deleted, "recycle bin"));
    if !out.is_empty() {
        warnings.push(
            "KeePassXC's CSV export leaves out custom attributes (an OKX passphrase, a wallet's private key): import the .kdbx database itself to bring those too".to_string(),
        );
    }
    Ok(out)
}

/// A CSV error by its place, never the text around it.
fn csv_error(e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
    Error::input(match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
            "the CSV has a row of {len} values{at} where the header has {expected_len}: is it truncated or not KeePassXC's export?"
        ),
        csv::ErrorKind::Utf8 { .. } => format!("the CSV is not UTF-8 text{at}"),
        _ => format!("the CSV could not be read{at}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{detect, parse_file, SourceFormat, MAX_CANDIDATES};
    use std::path::Path;

    const KDBX4: &[u8] = include_bytes!("../../tests/fixtures/import/keepass/fixture.kdbx");
    const KDBX3: &[u8] = include_bytes!("../../tests/fixtures/import/keepass/fixture-kdbx3.kdbx");
    const DEEP: &[u8] = include_bytes!("../../tests/fixtures/import/keepass/deep.kdbx");
    const CSV: &str = include_str!("../../tests/fixtures/import/keepass/fixture.csv");
    const PASSWORD: &str = "keystead-fixture";

    type Summary = (
        String,
        String,
        Option<&'static str>,
        Vec<(&'static str, String)>,
        String,
    );

    /// Each candidate as (name, location, exchange, fields and values, notes).
    pub(crate) fn summary(cands: &[Candidate]) -> Vec<Summary> {
        cands
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.location.clone(),
                    c.exchange.map(|e| e.id),
                    c.secrets
                        .fields()
                        .into_iter()
                        .map(|f| {
                            (
                                f.as_str(),
                                c.secrets.get(f).unwrap().expose_secret().to_string(),
                            )
                        })
                        .collect(),
                    c.notes.clone(),
                )
            })
            .collect()
    }

    fn s(
        name: &str,
        location: &str,
        ex: Option<&'static str>,
        fields: &[(&'static str, &str)],
        notes: &str,
    ) -> Summary {
        (
            name.into(),
            location.into(),
            ex,
            fields.iter().map(|(f, v)| (*f, v.to_string())).collect(),
            notes.into(),
        )
    }

    fn kdbx(bytes: &[u8], password: &str) -> Result<(Vec<Candidate>, Vec<String>)> {
        let mut warnings = Vec::new();
        parse_kdbx(
            bytes,
            &SecretString::from(password.to_string()),
            &mut warnings,
        )
        .map(|c| (c, warnings))
    }

    fn err_text(r: Result<impl Sized>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    fn expected_kdbx() -> Vec<Summary> {
        vec![
            s(
                "Binance main",
                "entry 'Exchanges/Binance main'",
                Some("binance"),
                &[
                    ("apiKey", "bnc-key-MARKER-0001"),
                    ("secret", "bnc-secret-MARKER-0001"),
                ],
                "Spot only, read + trade.",
            ),
            s(
                "OKX bot",
                "entry 'Exchanges/OKX bot'",
                Some("okx"),
                &[
                    ("apiKey", "okx-key-MARKER-0002"),
                    ("secret", "okx-secret-MARKER-0002"),
                    ("password", "okx-pass-MARKER-0002"),
                ],
                "",
            ),
            s(
                "Hyperliquid vault",
                "entry 'Exchanges/Hyperliquid vault'",
                Some("hyperliquid"),
                &[
                    ("privateKey", "0xhl-private-MARKER-0004"),
                    (
                        "walletAddress",
                        "0x1111111111111111111111111111111111111111",
                    ),
                ],
                "",
            ),
            s(
                "Sub-account 2",
                "entry 'Exchanges/Bybit/Sub-account 2'",
                Some("bybit"),
                &[
                    ("apiKey", "bybit-key-MARKER-0003"),
                    ("secret", "bybit-secret-MARKER-0003"),
                ],
                "",
            ),
            s(
                "Email",
                "entry 'Personal/Email'",
                None,
                &[
                    ("apiKey", "me@example.com"),
                    ("secret", "mail-password-MARKER-0005"),
                ],
                "",
            ),
        ]
    }

    #[test]
    fn the_keepassxc_kdbx4_and_kdbx3_fixtures_import_to_exactly_their_entries() {
        for bytes in [KDBX4, KDBX3] {
            assert!(is_kdbx(bytes));
            assert_eq!(detect(Path::new("x.kdbx"), bytes), Some(SourceFormat::Kdbx));
            let (cands, warnings) = kdbx(bytes, PASSWORD).unwrap();
            assert_eq!(summary(&cands), expected_kdbx());
            assert_eq!(
                warnings,
                [
                    "1 entry has no secret (no password, key or credential field) and was left out",
                    "1 entry in the recycle bin was left out"
                ]
            );
        }
        assert_eq!(&KDBX4[8..12], &[0, 0, 4, 0], "fixture.kdbx is KDBX 4.0");
        assert_eq!(
            &KDBX3[8..12],
            &[1, 0, 3, 0],
            "fixture-kdbx3.kdbx is KDBX 3.1"
        );
    }

    #[test]
    fn a_wrong_password_says_so_and_names_no_value() {
        for bytes in [KDBX4, KDBX3] {
            let e = err_text(kdbx(bytes, "not-the-password-MARKER"));
            assert!(e.contains("wrong password for the KeePass database"), "{e}");
            assert!(e.contains("key file"), "{e}");
            assert!(!e.contains("MARKER"), "{e}");
        }
        let e = err_text(parse_file(Path::new("v.kdbx"), KDBX4, None, None));
        assert!(e.contains("its password is needed"), "{e}");
    }

    #[test]
    fn truncated_and_damaged_databases_are_clear_errors_never_panics() {
        let header_end = 400.min(KDBX4.len());
        let mut lengths: Vec<usize> = (0..header_end).collect();
        lengths.extend([
            KDBX4.len() / 2,
            KDBX4.len() - 100,
            KDBX4.len() - 17,
            KDBX4.len() - 1,
        ]);
        for len in lengths {
            let e = err_text(kdbx(&KDBX4[..len], PASSWORD));
            assert!(!e.contains("MARKER") && !e.contains(PASSWORD), "{len}: {e}");
            if len >= 8 {
                assert!(e.contains("KeePass database"), "{len}: {e}");
            }
        }
        for len in [KDBX3.len() / 2, KDBX3.len() - 1] {
            let e = err_text(kdbx(&KDBX3[..len], PASSWORD));
            assert!(e.contains("KeePass database"), "{len}: {e}");
        }
        // One byte changed in the encrypted payload: the block HMAC (KDBX 4) or hash (3.1) catches it.
        // (KDBX 3.1's last block is only the stream's end marker, whose hash is not checked: not there.)
        for (bytes, at) in [(KDBX4, KDBX4.len() * 2 / 3), (KDBX3, KDBX3.len() * 2 / 3)] {
            let mut damaged = bytes.to_vec();
            damaged[at] ^= 0x55;
            let e = err_text(kdbx(&damaged, PASSWORD));
            assert!(e.contains("damaged") && !e.contains("MARKER"), "{e}");
        }
        let e = err_text(kdbx(b"not a database", PASSWORD));
        assert!(e.contains("not a KeePass database"), "{e}");
    }

    #[test]
    fn groups_nested_deeper_than_the_limit_are_an_error() {
        let e = err_text(kdbx(DEEP, PASSWORD));
        assert!(
            e.contains(&format!("nested more than {MAX_DEPTH} deep")),
            "{e}"
        );
        assert!(!e.contains("MARKER"), "{e}");
    }

    fn csv(text: &str) -> Result<(Vec<Candidate>, Vec<String>)> {
        let mut warnings = Vec::new();
        parse_csv(text, &mut warnings).map(|c| (c, warnings))
    }

    #[test]
    fn the_keepassxc_csv_export_imports_to_exactly_its_entries() {
        assert!(looks_like_csv(CSV));
        assert_eq!(
            detect(Path::new("export.csv"), CSV.as_bytes()),
            Some(SourceFormat::KeepassCsv)
        );
        let (cands, warnings) = csv(CSV).unwrap();
        let expected = vec![
            expected_kdbx()[0].clone(),
            s(
                "OKX bot",
                "entry 'Exchanges/OKX bot'",
                Some("okx"),
                &[
                    ("apiKey", "okx-key-MARKER-0002"),
                    ("secret", "okx-secret-MARKER-0002"),
                ],
                "",
            ),
            // The export has no custom attributes: the login fields are all there is.
            s(
                "Sub-account 2",
                "entry 'Exchanges/Bybit/Sub-account 2'",
                Some("bybit"),
                &[
                    ("apiKey", "trader@example.com"),
                    ("secret", "login-password-MARKER-0003"),
                ],
                "",
            ),
            expected_kdbx()[4].clone(),
        ];
        assert_eq!(summary(&cands), expected);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(
            warnings[0].starts_with("2 entries have no secret"),
            "{warnings:?}"
        );
        assert_eq!(warnings[1], "1 entry in the recycle bin was left out");
        assert!(
            warnings[2].contains("leaves out custom attributes"),
            "{warnings:?}"
        );
    }

    #[test]
    fn an_older_csv_with_fewer_columns_in_another_order_maps_by_header_name() {
        let text = "\"Title\",\"Password\",\"Username\",\"URL\",\"Notes\",\"passphrase\"\n\
                    \"Main\",\"s-MARKER\",\"k-MARKER\",\"https://www.kucoin.com\",\"n\",\"p-MARKER\"\n";
        assert!(looks_like_csv(text));
        let (cands, _) = csv(text).unwrap();
        assert_eq!(
            summary(&cands),
            [s(
                "Main",
                "entry 'Main'",
                Some("kucoin"),
                &[
                    ("apiKey", "k-MARKER"),
                    ("secret", "s-MARKER"),
                    ("password", "p-MARKER")
                ],
                "n"
            )]
        );
    }

    #[test]
    fn broken_csv_files_are_clear_errors_naming_no_value() {
        let no_password = CSV.replacen("\"Password\"", "\"Secret word\"", 1);
        let e = err_text(csv(&no_password));
        assert!(
            e.contains("no Password column") && !e.contains("MARKER"),
            "{e}"
        );
        let no_title = CSV.replacen("\"Title\"", "\"Name\"", 1);
        assert!(err_text(csv(&no_title)).contains("no Title column"));

        let mut bytes = CSV.as_bytes().to_vec();
        let at = CSV.find("bnc-secret").unwrap();
        bytes[at] = 0xff;
        let e = err_text(parse_file(
            Path::new("export.csv"),
            &bytes,
            Some(SourceFormat::KeepassCsv),
            None,
        ));
        assert!(
            e.contains("is not UTF-8 text") && !e.contains("MARKER"),
            "{e}"
        );

        // Cut at every length: an error, or only whole values (a value cut short is never imported).
        let whole: Vec<String> = summary(&csv(CSV).unwrap().0)
            .into_iter()
            .flat_map(|(.., fields, _)| fields.into_iter().map(|(_, v)| v))
            .collect();
        let mut errors = 0;
        for len in 0..CSV.len() {
            match csv(&CSV[..len]) {
                Ok((cands, _)) => {
                    for (.., fields, _) in summary(&cands) {
                        for (_, v) in fields {
                            assert!(whole.contains(&v), "{len}: a cut value was imported");
                        }
                    }
                }
                Err(e) => {
                    errors += 1;
                    assert!(!e.to_string().contains("MARKER"), "{len}: {e}");
                }
            }
        }
        assert!(errors > CSV.len() / 2, "{errors}");
        let e = err_text(csv(&CSV[..CSV.find("bnc-secret").unwrap() + 4]));
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn a_csv_with_more_entries_than_an_import_takes_is_read_and_refused_by_the_caller() {
        let mut text = String::from("\"Group\",\"Title\",\"Username\",\"Password\"\n");
        for i in 0..=MAX_CANDIDATES {
            text.push_str(&format!("\"Root\",\"Binance {i}\",\"k{i}\",\"s{i}\"\n"));
        }
        let (cands, _) = csv(&text).unwrap();
        assert_eq!(cands.len(), MAX_CANDIDATES + 1);
        let e = err_text(parse_file(
            Path::new("big.csv"),
            text.as_bytes(),
            None,
            None,
        ));
        assert!(e.contains("more than the 10000"), "{e}");
    }

    #[test]
    fn titles_and_notes_are_capped() {
        let long_title = "B".repeat(300);
        let long_notes = "n".repeat(5000);
        let text = format!(
            "\"Title\",\"Password\",\"Notes\"\n\"{long_title}\",\"s\",\"{long_notes}\"\n\"  \",\"s\",\"\"\n"
        );
        let (cands, _) = csv(&text).unwrap();
        assert_eq!(cands[0].name.chars().count(), 128);
        assert_eq!(cands[0].notes.chars().count(), 4000);
        assert_eq!(cands[1].name, "Untitled");
    }
}
