//! Commands for team sharing: my sharing key, contacts, share files out and in. Rules live in
//! keystead-core (`share`, `Vault::share_*`); these take typed input, call core and map the error.
//!
//! An opened share file holds secrets: it stays in Rust (`AppState::pending_share`) between preview and
//! apply, and is dropped on apply, cancel and lock. The webview only ever sees the preview.
//!
//! Paths come from the native chooser or are typed by the user; either way Rust checks them with core's
//! rules: an export never replaces the vault, its journal, the settings or a file that is not a share
//! file, and a file is read only once its first bytes show it is a share file.

use super::secrets::with_step_up;
use super::{blocking, chooser, AppStateRef};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::types::{ShareExportInput, ShareExportResult, Typed};
use keystead_core::share::{
    self, Contact, ImportChoice, ShareExport, ShareImportSummary, SharePreview, SharingKeyInfo,
};
use std::path::{Path, PathBuf};
use tauri::{AppHandle, Manager};

/// The file name offered for a new share file.
fn suggested_name(now: chrono::DateTime<chrono::Utc>, armor: bool) -> String {
    format!(
        "keystead-share-{}.{}",
        now.format("%Y%m%d-%H%M"),
        if armor { "age.txt" } else { "age" }
    )
}

/// A path the user typed: absolute, in an existing folder.
fn checked_path(text: &str) -> AppResult<PathBuf> {
    let path = PathBuf::from(text.trim());
    if path.as_os_str().is_empty() || !path.is_absolute() {
        return Err(AppError::invalid(
            "Give the share file's full path, e.g. /home/you/Downloads/keystead-share.age.",
        ));
    }
    if path.is_dir() {
        return Err(AppError::invalid(format!(
            "{} is a folder: give a file name in it.",
            path.display()
        )));
    }
    Ok(path)
}

/// Reads a share file through core, which looks at its first bytes before reading the rest: a file that
/// is not a share file (the vault, the settings, anything else) is refused without being read.
fn read_share_file(text: &str) -> AppResult<Vec<u8>> {
    let path = checked_path(text)?;
    Ok(share::read_file(&path)?)
}

/// Where an export may write: an absolute path in an existing folder that core's rules allow
/// (never one of `protected`, never over a file that is not a share file), and an existing share file
/// only when the user said to replace it.
fn export_target(text: &str, protected: &[PathBuf], overwrite: bool) -> AppResult<PathBuf> {
    let path = checked_path(text)?;
    if !path.parent().is_some_and(Path::is_dir) {
        return Err(AppError::invalid(format!(
            "The folder of {} does not exist.",
            path.display()
        )));
    }
    share::check_export_target(&path, protected)?;
    if path.exists() && !overwrite {
        return Err(AppError::new(
            ErrorCode::FileExists,
            format!(
                "{} already exists. Replace it, or choose another name.",
                path.display()
            ),
        ));
    }
    Ok(path)
}

#[tauri::command]
pub async fn sharing_key(state: AppStateRef<'_>) -> AppResult<SharingKeyInfo> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.sharing_key()?))).await
}

/// Copies my sharing key (public) to the clipboard. Not a secret: not cleared later.
#[tauri::command]
pub async fn copy_sharing_key(state: AppStateRef<'_>) -> AppResult<()> {
    let state = state.inner().clone();
    blocking(move || {
        let key = state.with_vault(|v| Ok(v.sharing_key()?))?;
        state.copy_public(&key.sharing_key)
    })
    .await
}

#[tauri::command]
pub async fn list_contacts(state: AppStateRef<'_>) -> AppResult<Vec<Contact>> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.contacts()?))).await
}

#[tauri::command]
pub async fn add_contact(state: AppStateRef<'_>, name: String, key: String) -> AppResult<Contact> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.add_contact(&name, &key)?))).await
}

#[tauri::command]
pub async fn rename_contact(
    state: AppStateRef<'_>,
    name: String,
    new_name: String,
) -> AppResult<Contact> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.rename_contact(&name, &new_name)?))).await
}

#[tauri::command]
pub async fn remove_contact(state: AppStateRef<'_>, name: String) -> AppResult<Contact> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.remove_contact(&name)?))).await
}

/// Where a new share file goes unless the user picks another place: the Downloads folder.
#[tauri::command]
pub async fn default_share_path(app: AppHandle, armor: bool) -> AppResult<String> {
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("No folder to save into: {e}.")))?;
    Ok(dir
        .join(suggested_name(chrono::Utc::now(), armor))
        .display()
        .to_string())
}

/// The desktop's file chooser for share files, shown from Rust (the webview has no file-system
/// access). `None` when the user cancels.
#[tauri::command]
pub async fn choose_share_file(
    app: AppHandle,
    save: bool,
    current: Option<String>,
) -> AppResult<Option<String>> {
    let picked = chooser::show(
        &app,
        chooser::Request {
            title: if save {
                "Save share file"
            } else {
                "Open share file"
            },
            filters: &[("Keystead share files", &["age", "txt"])],
            mode: if save {
                chooser::Mode::Save
            } else {
                chooser::Mode::Open
            },
            current: current.map(PathBuf::from),
        },
    )
    .await?;
    Ok(picked.first().map(|p| p.display().to_string()))
}

/// Makes a share file of the chosen keys for the chosen people (or a passphrase) and writes it
/// atomically. The export is audited (which keys, to whom) before the file is written.
#[tauri::command]
pub async fn share_export(
    state: AppStateRef<'_>,
    input: ShareExportInput,
) -> AppResult<ShareExportResult> {
    let mut request = ShareExport {
        keys: input.keys,
        to: input.to,
        passphrase: input.passphrase.map(Typed::into_secret),
        armor: input.armor,
        confirm_withdraw: input.confirm_withdraw,
        sender_name: input.sender_name.filter(|n| !n.trim().is_empty()),
        scrypt_work_factor: None,
        step_up: None,
    };
    let vault_passphrase = input.vault_passphrase;
    let state = state.inner().clone();
    blocking(move || {
        let settings = state.settings_path();
        let (path, protected, exported) = state.with_vault(|v| {
            let mut protected = v.share_protected_files();
            protected.push(settings);
            // Checked before the export is made and audited.
            let path = export_target(&input.path, &protected, input.overwrite)?;
            let exported = with_step_up(vault_passphrase, |p| {
                request.step_up = p.cloned();
                v.share_export(&request)
            })?;
            Ok((path, protected, exported))
        })?;
        share::write_file(&path, &exported.bytes, input.overwrite, &protected)?;
        Ok(ShareExportResult {
            summary: exported.summary,
            path: path.display().to_string(),
        })
    })
    .await
}

/// Whether a share file is protected by a passphrase (then `share_preview` needs one).
#[tauri::command]
pub async fn share_file_needs_passphrase(path: String) -> AppResult<bool> {
    blocking(move || Ok(share::is_passphrase_protected(&read_share_file(&path)?)?)).await
}

/// Opens a share file (decrypt, verify, validate, all in memory) and answers what importing it would do.
/// The opened file waits in Rust for `share_apply`.
#[tauri::command]
pub async fn share_preview(
    state: AppStateRef<'_>,
    path: String,
    passphrase: Option<Typed>,
) -> AppResult<SharePreview> {
    let passphrase = passphrase.map(Typed::into_secret);
    let state = state.inner().clone();
    blocking(move || {
        let bytes = read_share_file(&path)?;
        state.with_vault(|v| {
            let opened = v.share_open(&bytes, passphrase.as_ref())?;
            let preview = v.share_preview(&opened)?;
            state.set_pending_share(Some(opened));
            Ok(preview)
        })
    })
    .await
}

/// Applies the previewed file with one choice per entry, in one transaction. Nothing changes on error,
/// and the previewed file stays open so the user can choose again.
#[tauri::command]
pub async fn share_apply(
    state: AppStateRef<'_>,
    choices: Vec<ImportChoice>,
) -> AppResult<ShareImportSummary> {
    let state = state.inner().clone();
    blocking(move || {
        let opened = state.take_pending_share().ok_or_else(|| {
            AppError::invalid("No share file is open: open it again to see its preview.")
        })?;
        let applied = state.change_keys(|v| Ok(v.share_apply(&opened, &choices)?));
        if applied.is_err() {
            state.set_pending_share(Some(opened));
        }
        applied
    })
    .await
}

/// Forgets the previewed file (its secrets are wiped).
#[tauri::command]
pub async fn share_cancel(state: AppStateRef<'_>) -> AppResult<()> {
    state.set_pending_share(None);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn share_files_are_named_by_time_and_armor() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 28, 9, 5, 0).unwrap();
        assert_eq!(
            suggested_name(at, false),
            "keystead-share-20261128-0905.age"
        );
        assert_eq!(
            suggested_name(at, true),
            "keystead-share-20261128-0905.age.txt"
        );
    }

    #[test]
    fn a_relative_path_or_a_folder_is_refused_with_what_to_give() {
        assert!(checked_path("share.age")
            .unwrap_err()
            .message
            .contains("full path"));
        let dir = tempfile::tempdir().unwrap();
        let err = checked_path(&dir.path().display().to_string()).unwrap_err();
        assert!(err.message.contains("is a folder"), "{}", err.message);
    }

    #[test]
    fn an_export_path_is_refused_for_the_vault_its_journal_the_settings_and_non_share_files() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.db");
        let settings = dir.path().join("settings.json");
        std::fs::write(&vault, b"SQLite format 3\0").unwrap();
        std::fs::write(&settings, b"{}").unwrap();
        let protected = vec![
            vault.clone(),
            dir.path().join("vault.db-wal"),
            dir.path().join("vault.db-shm"),
            settings.clone(),
        ];
        let text = |p: &Path| p.display().to_string();
        for p in &protected {
            let err = export_target(&text(p), &protected, true).unwrap_err();
            assert!(
                err.message.contains("Keystead's own files"),
                "{}",
                err.message
            );
        }
        let other = dir.path().join("notes.txt");
        std::fs::write(&other, b"notes").unwrap();
        let err = export_target(&text(&other), &protected, true).unwrap_err();
        assert!(err.message.contains("not a share file"), "{}", err.message);

        let old_share = dir.path().join("old.age");
        std::fs::write(&old_share, b"age-encryption.org/v1\n-> X25519 ...").unwrap();
        assert_eq!(
            export_target(&text(&old_share), &protected, false)
                .unwrap_err()
                .code,
            ErrorCode::FileExists
        );
        assert!(export_target(&text(&old_share), &protected, true).is_ok());
        assert!(export_target(&text(&dir.path().join("new.age")), &protected, false).is_ok());
    }

    #[test]
    fn the_webview_cannot_read_a_file_that_is_not_a_share_file() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("settings.json");
        std::fs::write(&settings, br#"{"auto_lock_minutes":5}"#).unwrap();
        let err = read_share_file(&settings.display().to_string()).unwrap_err();
        assert!(err.message.contains("not a share file"), "{}", err.message);
        assert!(!err.message.contains("auto_lock"), "{}", err.message);
        let armored = dir.path().join("s.age.txt");
        std::fs::write(&armored, b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n").unwrap();
        assert!(read_share_file(&armored.display().to_string()).is_ok());
    }
}
