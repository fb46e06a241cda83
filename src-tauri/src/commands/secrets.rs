//! The two commands through which a secret leaves the vault: reveal (to the webview, masked again after
//! a while) and copy (to the clipboard, cleared later if still ours). Both are audited by core.

use super::{blocking, AppStateRef};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use crate::types::{CopyResult, RevealedSecret, Typed};
use keystead_core::CredentialField;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Manager};

/// Runs a core operation that may need the passphrase again (step-up: a key that can withdraw or
/// transfer funds is revealed, copied, shared or loses that scope). Core decides, checks, throttles and
/// audits; here a wrong passphrase gets the window's wording.
pub(super) fn with_step_up<T>(
    passphrase: Option<Typed>,
    op: impl FnOnce(Option<&SecretString>) -> keystead_core::Result<T>,
) -> AppResult<T> {
    let proof = passphrase.map(Typed::into_secret);
    match op(proof.as_ref()) {
        Err(keystead_core::Error::WrongPassphrase) if proof.is_some() => Err(AppError::new(
            ErrorCode::WrongPassphrase,
            "Wrong passphrase: nothing was released or changed.",
        )),
        r => Ok(r?),
    }
}

#[tauri::command]
pub async fn reveal_secret(
    state: AppStateRef<'_>,
    id: String,
    field: CredentialField,
    version: Option<u32>,
    passphrase: Option<Typed>,
) -> AppResult<RevealedSecret> {
    let state = state.inner().clone();
    blocking(move || {
        let hide_after_seconds = state.settings().reveal_seconds;
        state.change_one_row(&id.clone(), |v| {
            let value = with_step_up(passphrase, |p| v.reveal(&id, field, version, p))?;
            Ok(RevealedSecret {
                value,
                hide_after_seconds,
            })
        })
    })
    .await
}

#[tauri::command]
pub async fn copy_secret(
    app: AppHandle,
    state: AppStateRef<'_>,
    id: String,
    field: CredentialField,
    version: Option<u32>,
    passphrase: Option<Typed>,
) -> AppResult<CopyResult> {
    let state = state.inner().clone();
    let seconds = state.settings().clipboard_clear_seconds;
    let for_copy = state.clone();
    blocking(move || {
        for_copy.change_one_row(&id.clone(), |v| {
            let value = with_step_up(passphrase, |p| v.secret_for_copy(&id, field, version, p))?;
            for_copy.copy_secret(&value)
        })
    })
    .await?;
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_secs(seconds.into())).await;
        let state = app.state::<Arc<AppState>>().inner().clone();
        let _ = tauri::async_runtime::spawn_blocking(move || state.clear_clipboard_if_ours()).await;
    });
    Ok(CopyResult {
        clears_in_seconds: seconds,
    })
}
