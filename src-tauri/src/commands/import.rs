//! Commands for importing keys from other tools' files (bot configs, `.env`, KeePass, Bitwarden). Rules
//! live in keystead-core (`import`, `Vault::import_*`); these read the files, call core and map errors.
//!
//! Parsed files hold secrets: they stay in Rust (`AppState::pending_import`) between preview and apply,
//! and are dropped on apply, cancel and lock. The webview only ever sees the preview (names, fields by
//! name, statuses) and the summary. Keystead never edits or deletes the source files.

use super::{blocking, chooser, AppStateRef};
use crate::error::{AppError, AppResult};
use crate::types::{ImportFileInfo, Typed};
use keystead_core::import::{self, ImportEntryChoice, ImportPreview, ImportSummary, SourceFormat};
use std::path::PathBuf;
use tauri::AppHandle;

/// Paths the user typed or picked: absolute, each once.
fn checked_paths(paths: &[String]) -> AppResult<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::new();
    for text in paths.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(text);
        if !path.is_absolute() {
            return Err(AppError::invalid(format!(
                "Give each file's full path ({text} is not one), or press Choose…."
            )));
        }
        if !out.contains(&path) {
            out.push(path);
        }
    }
    if out.is_empty() {
        return Err(AppError::invalid(
            "Choose the files to import from (a bot config, a .env file, a KeePass or Bitwarden export).",
        ));
    }
    Ok(out)
}

/// The vault's own files and the settings: never read as an import source.
fn protected(state: &crate::state::AppState) -> Vec<PathBuf> {
    let mut out = keystead_core::vault::own_files(&state.vault_path());
    out.push(state.settings_path());
    out
}

/// The desktop's file chooser for import sources (several files at once).
#[tauri::command]
pub async fn choose_import_files(app: AppHandle) -> AppResult<Vec<String>> {
    let picked = chooser::show(
        &app,
        chooser::Request {
            title: "Import keys from files",
            filters: &[],
            mode: chooser::Mode::OpenMany,
            current: None,
        },
    )
    .await?;
    Ok(picked.iter().map(|p| p.display().to_string()).collect())
}

/// What each file is (its format, judged from its content) and whether it needs its own password.
#[tauri::command]
pub async fn import_inspect(
    state: AppStateRef<'_>,
    paths: Vec<String>,
) -> AppResult<Vec<ImportFileInfo>> {
    let state = state.inner().clone();
    blocking(move || {
        let protected = protected(&state);
        checked_paths(&paths)?
            .into_iter()
            .map(|path| {
                let bytes = zeroize::Zeroizing::new(import::read_source(&path, &protected)?);
                let format = import::detect(&path, &bytes);
                Ok(ImportFileInfo {
                    path: path.display().to_string(),
                    format,
                    format_label: format.map(|f| f.label().to_string()),
                    needs_password: format.is_some_and(SourceFormat::needs_password),
                })
            })
            .collect()
    })
    .await
}

/// Reads the files (decrypting them with `password` when they need one), in memory, and answers what
/// importing them would do. The parsed files wait in Rust for `import_apply`.
#[tauri::command]
pub async fn import_preview(
    state: AppStateRef<'_>,
    paths: Vec<String>,
    format: Option<SourceFormat>,
    password: Option<Typed>,
) -> AppResult<ImportPreview> {
    let password = password.map(Typed::into_secret);
    let state = state.inner().clone();
    blocking(move || {
        let protected = protected(&state);
        let files = checked_paths(&paths)?
            .into_iter()
            .map(|path| {
                let bytes = import::read_source(&path, &protected)?;
                Ok((path, bytes))
            })
            .collect::<AppResult<Vec<_>>>()?;
        let parsed = import::parse_files(&files, format, password.as_ref());
        for (_, mut bytes) in files {
            zeroize::Zeroize::zeroize(&mut bytes);
        }
        let parsed = parsed?;
        state.with_vault(|v| {
            let preview = v.import_preview(&parsed)?;
            state.set_pending_import(Some(parsed));
            Ok(preview)
        })
    })
    .await
}

/// Applies the previewed files with one choice per entry, in one transaction. Nothing changes on error,
/// and the files stay read so the user can choose again.
#[tauri::command]
pub async fn import_apply(
    state: AppStateRef<'_>,
    choices: Vec<ImportEntryChoice>,
) -> AppResult<ImportSummary> {
    let state = state.inner().clone();
    blocking(move || {
        let files = state.take_pending_import().ok_or_else(|| {
            AppError::invalid("No files are open for import: choose them again to see the preview.")
        })?;
        let applied = state.change_keys(|v| Ok(v.import_apply(&files, &choices)?));
        if applied.is_err() {
            state.set_pending_import(Some(files));
        }
        applied
    })
    .await
}

/// Forgets the previewed files (their secrets are wiped).
#[tauri::command]
pub async fn import_cancel(state: AppStateRef<'_>) -> AppResult<()> {
    state.set_pending_import(None);
    Ok(())
}
