//! Bitwarden's unencrypted JSON export (personal and organisation): one item with a secret becomes one
//! candidate (login username → apiKey, password → secret, text and hidden custom fields named like a
//! credential field → that field).

use super::keepass::{cap_notes, has_secret, set_exchange_from, skipped_warning, title_name};
use super::{field_from_word, Candidate};
use crate::error::{Error, Result};
use crate::secret::CredentialField;
use serde::Deserialize;
use serde_json::Value;

/// Bitwarden's custom field types that hold text: 0 text, 1 hidden (2 is a checkbox, 3 a linked field).
const TEXT_FIELD: u8 = 0;
const HIDDEN_FIELD: u8 = 1;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Folder {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Item {
    name: Option<String>,
    notes: Option<String>,
    folder_id: Option<String>,
    collection_ids: Option<Vec<String>>,
    deleted_date: Option<String>,
    login: Option<Login>,
    fields: Option<Vec<Field>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Login {
    username: Option<String>,
    password: Option<String>,
    uris: Option<Vec<Uri>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Uri {
    uri: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Field {
    name: Option<String>,
    value: Option<String>,
    #[serde(rename = "type")]
    kind: Option<u8>,
}

/// An object with `encrypted` and either `items` (a plain export) or the password-protected
/// export's own keys, so that the latter gets its own error.
pub(super) fn looks_like(text: &str) -> bool {
    let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}'))
    else {
        return false;
    };
    doc.contains_key("encrypted")
        && (doc.get("items").is_some_and(Value::is_array)
            || doc.contains_key("passwordProtected")
            || doc.contains_key("encKeyValidation_DO_NOT_EDIT"))
}

pub(super) fn parse(text: &str, warnings: &mut Vec<String>) -> Result<Vec<Candidate>> {
    // serde_json's messages for bad syntax name a place only; typed reads below never show its text,
    // which for a wrong type quotes the value.
    let doc: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        Error::input(if e.to_string().starts_with("recursion limit exceeded") {
            format!("not valid JSON: nested too deep at line {line} column {column}")
        } else {
            format!("not valid JSON at line {line} column {column}: is the file complete?")
        })
    })?;
    let Value::Object(mut doc) = doc else {
        return Err(Error::input(
            "not a Bitwarden export: the file is not a JSON object",
        ));
    };
    match doc.get("encrypted") {
        Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => {
            return Err(Error::input(
                "this Bitwarden export is encrypted: export again as .json (not encrypted), import it, then delete that file",
            ))
        }
        Some(_) => return Err(Error::input("\"encrypted\" is not true or false")),
        None => return Err(Error::input("not a Bitwarden export: it has no \"encrypted\" key")),
    }
    let groups = |key: &str, doc: &serde_json::Map<String, Value>| -> Result<Vec<Folder>> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    Folder::deserialize(v).map_err(|_| {
                        Error::input(format!(
                            "{key} entry {i} is not a Bitwarden {key} entry (id and name as text)"
                        ))
                    })
                })
                .collect(),
            Some(_) => Err(Error::input(format!("\"{key}\" is not a list"))),
        }
    };
    let folders = groups("folders", &doc)?;
    let collections = groups("collections", &doc)?;
    let items = match doc.remove("items") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::input("\"items\" is not a list")),
        None => return Err(Error::input("not a Bitwarden export: it has no \"items\"")),
    };
    let name_of = |list: &[Folder], id: &str| -> Option<String> {
        list.iter()
            .find(|f| f.id.as_deref() == Some(id))
            .and_then(|f| f.name.clone())
    };
    let mut out = Vec::new();
    let (mut no_secret, mut deleted) = (0, 0);
    for (index, value) in items.iter().enumerate() {
        let item = Item::deserialize(value).map_err(|_| {
            Error::input(format!(
                "item {index} is not a Bitwarden item: one of its values has the wrong type (name, notes, username, password, uri and field values are text, a field's type a number)"
            ))
        })?;
        if item.deleted_date.is_some() {
            deleted += 1;
            continue;
        }
        let title = item.name.as_deref().unwrap_or("");
        let name = title_name(title);
        let mut cand = Candidate::new(format!("entry '{name}'"), name.clone());
        let login = item.login.unwrap_or_default();
        let uris: Vec<String> = login
            .uris
            .unwrap_or_default()
            .into_iter()
            .filter_map(|u| u.uri)
            .collect();
        let mut places: Vec<String> = Vec::new();
        if let Some(f) = item
            .folder_id
            .as_deref()
            .and_then(|id| name_of(&folders, id))
        {
            places.push(f);
        }
        for id in item.collection_ids.unwrap_or_default() {
            places.extend(name_of(&collections, &id));
        }
        let mut words = vec![title];
        words.extend(uris.iter().map(String::as_str));
        // Folder and collection paths ("Exchanges/Binance"): the innermost name first.
        words.extend(places.iter().flat_map(|p| p.rsplit('/')));
        set_exchange_from(&mut cand, &words);
        cand.put(
            CredentialField::ApiKey,
            login.username.as_deref().unwrap_or(""),
        );
        cand.put(
            CredentialField::Secret,
            login.password.as_deref().unwrap_or(""),
        );
        for field in item.fields.unwrap_or_default() {
            if !matches!(field.kind, Some(TEXT_FIELD | HIDDEN_FIELD) | None) {
                continue;
            }
            if let (Some(f), Some(v)) = (
                field.name.as_deref().and_then(field_from_word),
                field.value.as_deref(),
            ) {
                cand.put(f, v);
            }
        }
        if !has_secret(&cand) {
            no_secret += 1;
            continue;
        }
        cand.notes = cap_notes(item.notes.as_deref().unwrap_or(""));
        out.push(cand);
    }
    warnings.extend(skipped_warning(no_secret, deleted, "trash"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{detect, parse_file, SourceFormat, MAX_CANDIDATES};
    use secrecy::ExposeSecret;
    use std::path::Path;

    const PERSONAL: &str = include_str!("../../tests/fixtures/import/bitwarden/personal.json");
    const ORGANIZATION: &str =
        include_str!("../../tests/fixtures/import/bitwarden/organization.json");
    const ENCRYPTED: &str = include_str!("../../tests/fixtures/import/bitwarden/encrypted.json");

    type Summary = (
        String,
        Option<&'static str>,
        Vec<(&'static str, String)>,
        String,
    );

    fn summary(cands: &[Candidate]) -> Vec<Summary> {
        cands
            .iter()
            .map(|c| {
                assert_eq!(c.location, format!("entry '{}'", c.name));
                (
                    c.name.clone(),
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
        ex: Option<&'static str>,
        fields: &[(&'static str, &str)],
        notes: &str,
    ) -> Summary {
        (
            name.into(),
            ex,
            fields.iter().map(|(f, v)| (*f, v.to_string())).collect(),
            notes.into(),
        )
    }

    fn run(text: &str) -> Result<(Vec<Candidate>, Vec<String>)> {
        let mut warnings = Vec::new();
        parse(text, &mut warnings).map(|c| (c, warnings))
    }

    fn err_text(r: Result<impl Sized>) -> String {
        match r {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_personal_export_imports_to_exactly_its_items() {
        assert!(looks_like(PERSONAL));
        assert_eq!(
            detect(Path::new("bitwarden_export.json"), PERSONAL.as_bytes()),
            Some(SourceFormat::Bitwarden)
        );
        let (cands, warnings) = run(PERSONAL).unwrap();
        assert_eq!(
            summary(&cands),
            [
                s(
                    "Binance main",
                    Some("binance"),
                    &[
                        ("apiKey", "bnc-key-MARKER-0001"),
                        ("secret", "bnc-secret-MARKER-0001")
                    ],
                    "Spot only, read + trade."
                ),
                // The exchange from the URL, the passphrase from a hidden field; the checkbox is no field.
                s(
                    "Trading bot",
                    Some("okx"),
                    &[
                        ("apiKey", "okx-key-MARKER-0002"),
                        ("secret", "okx-secret-MARKER-0002"),
                        ("password", "okx-pass-MARKER-0002")
                    ],
                    ""
                ),
                // Custom fields override the login; the exchange from the folder "Exchanges/Kraken".
                s(
                    "Futures account",
                    Some("kraken"),
                    &[
                        ("apiKey", "krk-key-MARKER-0003"),
                        ("secret", "krk-secret-MARKER-0003")
                    ],
                    ""
                ),
                // A secure note with fields counts too.
                s(
                    "Hyperliquid vault",
                    Some("hyperliquid"),
                    &[
                        ("privateKey", "0xhl-private-MARKER-0004"),
                        (
                            "walletAddress",
                            "0x1111111111111111111111111111111111111111"
                        )
                    ],
                    "Agent wallet for the grid bot."
                ),
                s(
                    "Email",
                    None,
                    &[
                        ("apiKey", "me@example.com"),
                        ("secret", "mail-password-MARKER-0005")
                    ],
                    ""
                ),
            ]
        );
        assert_eq!(
            warnings,
            ["2 entries have no secret (no password, key or credential field) and were left out"]
        );
    }

    #[test]
    fn the_organization_export_takes_the_exchange_from_a_collection() {
        assert!(looks_like(ORGANIZATION));
        let (cands, warnings) = run(ORGANIZATION).unwrap();
        assert_eq!(
            summary(&cands),
            [s(
                "Sub-account 2",
                Some("bybit"),
                &[
                    ("apiKey", "bybit-key-MARKER-0006"),
                    ("secret", "bybit-secret-MARKER-0006")
                ],
                ""
            )]
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn an_encrypted_export_says_to_export_again_unencrypted() {
        assert!(looks_like(ENCRYPTED));
        assert_eq!(
            detect(Path::new("e.json"), ENCRYPTED.as_bytes()),
            Some(SourceFormat::Bitwarden)
        );
        let e = err_text(run(ENCRYPTED));
        assert!(
            e.contains("this Bitwarden export is encrypted: export again as .json (not encrypted)"),
            "{e}"
        );
        let account_encrypted =
            r#"{"encrypted": true, "folders": [], "items": [{"name": "2.MARKER|x|y"}]}"#;
        assert!(err_text(run(account_encrypted)).contains("is encrypted"));
    }

    #[test]
    fn deleted_items_are_left_out_with_a_warning() {
        let text = r#"{"encrypted": false, "items": [
            {"type": 1, "name": "Binance", "deletedDate": "2026-11-01T00:00:00Z", "login": {"password": "s-MARKER"}},
            {"type": 1, "name": "OKX", "login": {"password": "s2-MARKER"}}]}"#;
        let (cands, warnings) = run(text).unwrap();
        assert_eq!(cands.len(), 1);
        assert_eq!(cands[0].name, "OKX");
        assert_eq!(warnings, ["1 entry in the trash was left out"]);
    }

    #[test]
    fn wrong_types_name_the_item_and_never_a_value() {
        for (text, wanted) in [
            (
                r#"{"encrypted": false, "items": [{"name": "a"}, {"login": {"password": ["MARKER"]}}]}"#,
                "item 1",
            ),
            (
                r#"{"encrypted": false, "items": [{"login": {"password": 12345678}}]}"#,
                "item 0",
            ),
            (
                r#"{"encrypted": false, "items": [{"fields": "MARKER"}]}"#,
                "item 0",
            ),
            (
                r#"{"encrypted": false, "items": [{"fields": [{"name": "secret", "value": "MARKER", "type": "hidden"}]}]}"#,
                "item 0",
            ),
            (
                r#"{"encrypted": false, "items": [{"name": {"MARKER": 1}}]}"#,
                "item 0",
            ),
            (r#"{"encrypted": false, "items": ["MARKER"]}"#, "item 0"),
            (
                r#"{"encrypted": false, "items": {"MARKER": 1}}"#,
                "\"items\" is not a list",
            ),
            (
                r#"{"encrypted": false, "folders": [{"name": ["MARKER"]}], "items": []}"#,
                "folders entry 0",
            ),
            (
                r#"{"encrypted": "MARKER", "items": []}"#,
                "\"encrypted\" is not true or false",
            ),
            (r#"{"encrypted": false}"#, "no \"items\""),
            (r#"["MARKER"]"#, "not a JSON object"),
            (
                r#"{"encrypted": false, "items": [{"name": "MARKER"#,
                "not valid JSON at line 1",
            ),
        ] {
            let e = err_text(run(text));
            assert!(e.contains(wanted), "{text}: {e}");
            assert!(
                !e.contains("MARKER") && !e.contains("12345678"),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn truncated_and_deeply_nested_exports_are_errors_not_panics() {
        for len in 0..PERSONAL.len() {
            if let Err(e) = run(&PERSONAL[..len]) {
                assert!(!e.to_string().contains("MARKER"), "{len}: {e}");
            }
        }
        let deep = format!(
            r#"{{"encrypted": false, "items": [{{"fields": {}MARKER{}}}]}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let e = err_text(run(&deep));
        assert!(
            e.contains("not valid JSON: nested too deep") && !e.contains("MARKER"),
            "{e}"
        );
        assert!(!looks_like(&deep));
    }

    #[test]
    fn an_export_with_more_items_than_an_import_takes_is_read_and_refused_by_the_caller() {
        let items: Vec<String> = (0..=MAX_CANDIDATES)
            .map(|i| format!(r#"{{"type": 1, "name": "Binance {i}", "login": {{"username": "k{i}", "password": "s{i}"}}}}"#))
            .collect();
        let text = format!(r#"{{"encrypted": false, "items": [{}]}}"#, items.join(","));
        let (cands, _) = run(&text).unwrap();
        assert_eq!(cands.len(), MAX_CANDIDATES + 1);
        let e = err_text(parse_file(
            Path::new("big.json"),
            text.as_bytes(),
            None,
            None,
        ));
        assert!(e.contains("more than the 10000"), "{e}");
    }

    #[test]
    fn other_json_files_are_not_taken_for_bitwarden_exports() {
        assert!(!looks_like(
            r#"{"exchange": {"name": "binance", "key": "k"}}"#
        ));
        assert!(!looks_like(r#"{"items": []}"#));
        assert!(!looks_like("not json"));
    }
}
