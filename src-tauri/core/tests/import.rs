//! Importing keys from other tools' files into a real vault file: what the preview says, what one
//! import writes (one audit entry per key), that a second import of the same file writes nothing, and
//! the trust rule for plaintext files: an existing key changes only on an explicit per-entry replace.

use keystead_core::import::{self, ImportEntryChoice, ParsedFile, SourceFormat};
use keystead_core::{AuditAction, CredentialField, Error, ImportChoice, KeyEdit, ShareEntryStatus};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

mod common;
use common::{audit_actions, key, secrets, Sandbox, PASS};

const FREQTRADE: &str = r#"{
    // my bot
    "bot_name": "scalper",
    "exchange": {"name": "binance", "key": "", "api_key": "BN-KEY-1", "secret": "BN-SECRET-1",},
}"#;

fn parsed(files: &[(&str, &str)]) -> Vec<ParsedFile> {
    let files: Vec<(PathBuf, Vec<u8>)> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.as_bytes().to_vec()))
        .collect();
    import::parse_files(&files, None, None).unwrap()
}

fn choose(actions: &[ImportChoice]) -> Vec<ImportEntryChoice> {
    actions
        .iter()
        .map(|a| ImportEntryChoice {
            action: *a,
            exchange: None,
            default_scopes: false,
        })
        .collect()
}

#[test]
fn a_freqtrade_config_imports_its_key_with_scopes_unknown_and_one_audit_entry() {
    let s = Sandbox::new();
    let mut v = s.open();
    let files = parsed(&[("/home/t/ft/config.json", FREQTRADE)]);
    assert_eq!(files[0].format, SourceFormat::Freqtrade);
    let preview = v.import_preview(&files).unwrap();
    assert_eq!(preview.sources[0].format_label, "freqtrade config");
    let e = &preview.entries[0];
    assert_eq!(
        (e.name.as_str(), e.status),
        ("Binance scalper", ShareEntryStatus::New)
    );
    assert_eq!(e.exchange.as_deref(), Some("binance"));
    assert_eq!(e.default_choice, ImportChoice::Add);
    assert_eq!(e.default_scopes, ["Enable Reading"]);
    assert!(preview
        .warnings
        .iter()
        .any(|w| w.contains("scopes unknown")));
    let payload = serde_json::to_string(&preview).unwrap();
    assert!(
        !payload.contains("BN-KEY-1") && !payload.contains("BN-SECRET-1"),
        "{payload}"
    );

    let before = audit_actions(&v).len();
    let summary = v.import_apply(&files, &preview.default_choices()).unwrap();
    assert_eq!(summary.added, ["Binance scalper"]);
    let actions = audit_actions(&v);
    assert_eq!(&actions[before..], [AuditAction::KeyImported]);
    let detail = v.detail("Binance scalper").unwrap();
    assert!(detail.summary.scopes_unknown);
    // A bot's own config: the key is recorded as used by that bot.
    let bots: Vec<String> = detail
        .summary
        .used_by
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert_eq!(bots, ["freqtrade"]);
    assert_eq!(v.keys_used_by("freqtrade").unwrap(), ["Binance scalper"]);
    assert!(detail.summary.scopes.is_empty());
    // Unknown scopes count as able to move funds: releasing the key needs the passphrase again.
    assert!(detail.summary.moves_funds);
    let err = v
        .reveal("Binance scalper", CredentialField::Secret, None, None)
        .unwrap_err();
    assert!(matches!(err, Error::StepUpRequired { .. }), "{err}");
    let got = v
        .reveal(
            "Binance scalper",
            CredentialField::Secret,
            None,
            Some(&SecretString::from(PASS)),
        )
        .unwrap();
    assert_eq!(got.expose_secret(), "BN-SECRET-1");
    // What is left in plaintext, and what replaces it.
    let left = &summary.plaintext[0];
    assert_eq!(left.path, "/home/t/ft/config.json");
    assert_eq!(
        left.run_commands,
        ["keystead run --profile freqtrade --key 'Binance scalper' -- freqtrade trade --config /home/t/ft/config.json"]
    );
    let log = v.audit_log().unwrap();
    let last = log
        .iter()
        .find(|r| r.event.action == AuditAction::KeyImported)
        .unwrap();
    assert!(
        last.event
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("imported from freqtrade config /home/t/ft/config.json"),
        "{:?}",
        last.event.detail
    );
}

#[test]
fn importing_the_same_file_again_shows_every_entry_identical_and_writes_nothing() {
    let s = Sandbox::new();
    let mut v = s.open();
    let env = "BINANCE_API_KEY=bk\nBINANCE_API_SECRET=bs\nOKX_API_KEY=ok\nOKX_API_SECRET=os\nOKX_API_PASSPHRASE=op\n";
    let files = parsed(&[("/srv/bot/.env", env)]);
    let first = v.import_preview(&files).unwrap();
    v.import_apply(&files, &first.default_choices()).unwrap();
    let bytes = std::fs::metadata(&s.path).unwrap().len();
    let count = audit_actions(&v).len();
    let again = v.import_preview(&files).unwrap();
    assert!(
        again
            .entries
            .iter()
            .all(|e| e.status == ShareEntryStatus::Identical
                && e.default_choice == ImportChoice::Skip)
    );
    assert_eq!(again.entries[0].existing_name.as_deref(), Some("Binance"));
    let summary = v.import_apply(&files, &again.default_choices()).unwrap();
    assert!(summary.added.is_empty() && summary.replaced.is_empty());
    assert_eq!(audit_actions(&v).len(), count);
    assert_eq!(std::fs::metadata(&s.path).unwrap().len(), bytes);
    // The variable names of the file are the key's own, so `run` sets the same ones.
    let d = v.detail("OKX").unwrap();
    assert_eq!(
        d.env_names
            .get(&CredentialField::Password)
            .map(String::as_str),
        Some("OKX_API_PASSPHRASE")
    );
}

#[test]
fn a_changed_secret_is_skipped_by_default_and_replaced_only_when_chosen_with_its_history() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        key("binance-main", "binance", &["read", "trade"]),
        secrets(&[
            (CredentialField::ApiKey, "BN-KEY-1"),
            (CredentialField::Secret, "OLD"),
        ]),
    )
    .unwrap();
    let files = parsed(&[("/home/t/ft/config.json", FREQTRADE)]);
    let preview = v.import_preview(&files).unwrap();
    let e = &preview.entries[0];
    assert_eq!(e.status, ShareEntryStatus::Changed);
    assert!(e.secrets_changed && e.replace_allowed);
    assert_eq!(e.existing_name.as_deref(), Some("binance-main"));
    assert_eq!(e.default_choice, ImportChoice::Skip);
    // Defaults (what --yes takes) leave the key alone.
    v.import_apply(&files, &preview.default_choices()).unwrap();
    let reveal = |v: &mut keystead_core::Vault| {
        v.reveal("binance-main", CredentialField::Secret, None, None)
            .unwrap()
            .expose_secret()
            .to_string()
    };
    assert_eq!(reveal(&mut v), "OLD");
    // `add` for it is refused, with nothing written.
    let err = v
        .import_apply(&files, &choose(&[ImportChoice::Add]))
        .unwrap_err();
    assert!(err.to_string().contains("already in this vault"), "{err}");
    v.import_apply(&files, &choose(&[ImportChoice::Replace]))
        .unwrap();
    assert_eq!(reveal(&mut v), "BN-SECRET-1");
    let d = v.detail("binance-main").unwrap();
    assert_eq!(d.versions.len(), 2);
    assert!(d.versions[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("imported from freqtrade config"));
    // Scopes recorded before stay: the file has none.
    assert!(!d.summary.scopes_unknown);
    assert_eq!(d.summary.scopes.len(), 2);
}

#[test]
fn an_okx_key_without_its_passphrase_is_flagged_and_never_imported_half() {
    let s = Sandbox::new();
    let mut v = s.open();
    let files = parsed(&[(
        "/k/keys.local.json",
        r#"{"okx": {"apiKey": "ok", "secret": "os"}, "binance": {"apiKey": "bk", "secret": "bs"}}"#,
    )]);
    let preview = v.import_preview(&files).unwrap();
    let okx = preview.entries.iter().find(|e| e.name == "OKX").unwrap();
    assert!(
        okx.problem.as_deref().unwrap().contains("password"),
        "{:?}",
        okx.problem
    );
    assert_eq!(okx.default_choice, ImportChoice::Skip);
    let mut choices = preview.default_choices();
    choices[okx.index as usize].action = ImportChoice::Add;
    let before = audit_actions(&v).len();
    let err = v.import_apply(&files, &choices).unwrap_err();
    assert!(err.to_string().contains("password"), "{err}");
    assert_eq!(
        audit_actions(&v).len(),
        before,
        "nothing of the import was written"
    );
    assert!(v.list().unwrap().is_empty());
}

#[test]
fn an_entry_without_an_exchange_takes_the_one_chosen_and_defaults_can_replace_unknown_scopes() {
    let s = Sandbox::new();
    let mut v = s.open();
    let files = parsed(&[("/b/.env", "MYBOT_API_KEY=mk\nMYBOT_API_SECRET=ms\n")]);
    let preview = v.import_preview(&files).unwrap();
    let e = &preview.entries[0];
    assert!(e.needs_exchange && e.problem.is_some());
    assert_eq!(e.exchange_hint.as_deref(), Some("MYBOT"));
    let mut choices = choose(&[ImportChoice::Add]);
    assert!(v
        .import_apply(&files, &choices)
        .unwrap_err()
        .to_string()
        .contains("which exchange"));
    choices[0].exchange = Some("bybit".into());
    choices[0].default_scopes = true;
    v.import_apply(&files, &choices).unwrap();
    let d = v.detail("mybot").unwrap();
    assert_eq!(d.summary.exchange, "bybit");
    assert!(!d.summary.scopes_unknown);
    assert_eq!(d.summary.exchange_scopes, ["read_only"]);
}

#[test]
fn setting_the_scopes_of_an_imported_key_to_read_only_needs_the_passphrase_again() {
    let s = Sandbox::new();
    let mut v = s.open();
    let files = parsed(&[("/home/t/ft/config.json", FREQTRADE)]);
    let preview = v.import_preview(&files).unwrap();
    v.import_apply(&files, &preview.default_choices()).unwrap();
    // A form with nothing ticked (the app's edit sends every field) leaves the scopes unknown, and
    // needs no passphrase.
    v.edit(
        "Binance scalper",
        KeyEdit {
            scopes: Some(vec![]),
            notes: Some("bot on vps-1".into()),
            ..KeyEdit::default()
        },
        None,
    )
    .unwrap();
    assert!(v.detail("Binance scalper").unwrap().summary.scopes_unknown);
    let edit = || KeyEdit {
        scopes: Some(vec!["read".into()]),
        ..KeyEdit::default()
    };
    let err = v.edit("Binance scalper", edit(), None).unwrap_err();
    assert!(matches!(err, Error::StepUpRequired { .. }), "{err}");
    v.edit("Binance scalper", edit(), Some(&SecretString::from(PASS)))
        .unwrap();
    let d = v.detail("Binance scalper").unwrap();
    assert!(!d.summary.scopes_unknown && !d.summary.moves_funds);
    assert!(v
        .reveal("Binance scalper", CredentialField::Secret, None, None)
        .is_ok());
}

#[test]
fn a_conflicting_name_is_kept_beside_yours_when_asked_and_split_freqtrade_configs_join() {
    let s = Sandbox::new();
    let mut v = s.open();
    v.add(
        key("Binance freqtrade", "binance", &["read"]),
        secrets(&[
            (CredentialField::ApiKey, "other"),
            (CredentialField::Secret, "x"),
        ]),
    )
    .unwrap();
    let files = parsed(&[
        (
            "/ft/config.json",
            r#"{"exchange": {"name": "binance", "key": ""}, "dry_run": false, "stake_currency": "USDT"}"#,
        ),
        (
            "/ft/config-private.json",
            r#"{"exchange": {"key": "pk", "secret": "ps"}}"#,
        ),
    ]);
    let preview = v.import_preview(&files).unwrap();
    assert_eq!(preview.entries.len(), 1);
    let e = &preview.entries[0];
    assert_eq!(e.status, ShareEntryStatus::Conflicting);
    assert_eq!(e.exchange.as_deref(), Some("binance"));
    v.import_apply(&files, &choose(&[ImportChoice::KeepBoth]))
        .unwrap();
    assert!(v.detail("Binance freqtrade (imported)").is_ok());
}

#[test]
fn the_vault_a_folder_and_a_huge_file_are_refused_unread_and_a_bad_file_fails_the_whole_import() {
    let s = Sandbox::new();
    let mut v = s.open();
    let dir = tempfile::tempdir().unwrap();
    let protected = vec![s.path.clone()];
    let err = import::read_source(&s.path, &protected)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Keystead's own file"), "{err}");
    let err = import::read_source(dir.path(), &protected)
        .unwrap_err()
        .to_string();
    assert!(err.contains("is a folder"), "{err}");
    let huge = dir.path().join("huge.env");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(import::MAX_FILE_BYTES as u64 + 1)
        .unwrap();
    let err = import::read_source(&huge, &protected)
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than the 16 MiB"), "{err}");
    // One good file and one broken one: an error naming the broken one, nothing imported.
    let files = vec![
        (
            PathBuf::from("/a/.env"),
            b"BINANCE_API_KEY=k\nBINANCE_API_SECRET=s\n".to_vec(),
        ),
        (
            PathBuf::from("/a/config.json"),
            b"{\"exchange\": {\"key\": \"MARKER-9\"".to_vec(),
        ),
        (PathBuf::from("/a/bad.env"), vec![b'A', b'=', 0xff, 0xfe]),
    ];
    let err = import::parse_files(&files, None, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/a/config.json") && !err.contains("MARKER"),
        "{err}"
    );
    let err = import::parse_files(&files[2..], Some(SourceFormat::Env), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not UTF-8"), "{err}");
    assert!(v.list().unwrap().is_empty());
    // Choices that do not fit (wrong count; replace for a new key) are refused and write nothing.
    let files = parsed(&[("/home/t/ft/config.json", FREQTRADE)]);
    assert!(v
        .import_apply(&files, &[])
        .unwrap_err()
        .to_string()
        .contains("one choice per key"));
    let err = v
        .import_apply(&files, &choose(&[ImportChoice::Replace]))
        .unwrap_err();
    assert!(err.to_string().contains("nothing to replace"), "{err}");
    let before = audit_actions(&v).len();
    v.import_apply(&files, &choose(&[ImportChoice::Add]))
        .unwrap();
    let err = v
        .import_apply(&files, &choose(&[ImportChoice::Replace]))
        .unwrap_err();
    assert!(
        err.to_string().contains("already holds these secrets"),
        "{err}"
    );
    assert_eq!(audit_actions(&v).len(), before + 1);
    let _ = &mut v;
}

/// Every format's fixture (made by the real tools where they install here: keepassxc-cli, eth-keyfile)
/// goes through preview and import into a vault, and a second import of the same file finds every
/// entry identical and writes nothing.
#[test]
fn each_formats_fixture_imports_and_a_second_import_of_it_writes_nothing() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let cases: &[(&str, Option<&str>, SourceFormat)] = &[
        (
            "hummingbot/binance.yml",
            Some("hummingbot-fixture-pass"),
            SourceFormat::Hummingbot,
        ),
        (
            "hummingbot/okx.yml",
            Some("hummingbot-fixture-pass"),
            SourceFormat::Hummingbot,
        ),
        (
            "keepass/fixture.kdbx",
            Some("keystead-fixture"),
            SourceFormat::Kdbx,
        ),
        (
            "keepass/fixture-kdbx3.kdbx",
            Some("keystead-fixture"),
            SourceFormat::Kdbx,
        ),
        ("keepass/fixture.csv", None, SourceFormat::KeepassCsv),
        ("bitwarden/personal.json", None, SourceFormat::Bitwarden),
        ("bitwarden/organization.json", None, SourceFormat::Bitwarden),
    ];
    for (file, password, format) in cases {
        let s = Sandbox::new();
        let mut v = s.open();
        let path = fixtures.join(file);
        let bytes = import::read_source(&path, &[]).unwrap();
        let password = password.map(SecretString::from);
        let files = import::parse_files(&[(path.clone(), bytes)], None, password.as_ref())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(files[0].format, *format, "{file}: detected format");
        let preview = v.import_preview(&files).unwrap();
        let mut choices = preview.default_choices();
        // Entries the file gives no exchange for take one, as the user would in the preview.
        for (c, e) in choices.iter_mut().zip(&preview.entries) {
            if e.needs_exchange && e.status == ShareEntryStatus::New {
                c.action = ImportChoice::Add;
                c.exchange = Some("custom".into());
            }
        }
        let summary = v.import_apply(&files, &choices).unwrap();
        assert!(!summary.added.is_empty(), "{file}: nothing added");
        assert_eq!(v.list().unwrap().len(), summary.added.len(), "{file}");
        let count = audit_actions(&v).len();
        let again = v.import_preview(&files).unwrap();
        for e in &again.entries {
            if summary.added.contains(&e.name) {
                assert_eq!(
                    e.status,
                    ShareEntryStatus::Identical,
                    "{file}: {} again",
                    e.name
                );
            }
        }
        v.import_apply(&files, &again.default_choices()).unwrap();
        assert_eq!(
            audit_actions(&v).len(),
            count,
            "{file}: the second import wrote"
        );
        let payload = serde_json::to_string(&again).unwrap();
        assert!(
            !payload.contains("MARKER"),
            "{file}: a secret in the preview"
        );
    }
}
