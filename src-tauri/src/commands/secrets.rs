//! The two commands through which a secret leaves the vault: reveal (to the webview, masked again after
//! a while) and copy (to the clipboard, cleared later if still ours). Both are audited by core.

use super::{blocking, AppStateRef};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use crate::types::{CopyResult, RevealedSecret};
use keystead_core::{CredentialField, Scope};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Manager};

/// A withdraw-enabled key's secrets need the passphrase again (step-up): the one operation that can
/// lose money gets a second check even on an unlocked vault. Wrong answers are audited and slowed down
/// by core's throttle, the same one as unlock's.
fn step_up(v: &mut keystead_core::Vault, id: &str, passphrase: Option<String>) -> AppResult<()> {
    let key = v.find(id)?;
    if !key.scopes.contains(&Scope::Withdraw) {
        return Ok(());
    }
    let Some(p) = passphrase else {
        return Err(AppError::new(
            ErrorCode::StepUpRequired,
            format!(
                "'{}' can withdraw funds: enter the vault passphrase to use its secrets.",
                key.name
            ),
        ));
    };
    // Core throttles and audits a wrong or refused passphrase.
    match v.verify_passphrase_for_key(&SecretString::from(p), id) {
        Ok(()) => Ok(()),
        Err(keystead_core::Error::WrongPassphrase) => Err(AppError::new(
            ErrorCode::WrongPassphrase,
            "Wrong passphrase: the secret stays hidden.",
        )),
        Err(e) => Err(e.into()),
    }
}

#[tauri::command]
pub async fn reveal_secret(
    state: AppStateRef<'_>,
    id: String,
    field: CredentialField,
    version: Option<u32>,
    passphrase: Option<String>,
) -> AppResult<RevealedSecret> {
    let state = state.inner().clone();
    blocking(move || {
        let hide_after_seconds = state.settings().reveal_seconds;
        state.with_vault(|v| {
            step_up(v, &id, passphrase)?;
            let value = v.reveal(&id, field, version)?;
            Ok(RevealedSecret {
                value: value.expose_secret().to_string(),
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
    passphrase: Option<String>,
) -> AppResult<CopyResult> {
    let state = state.inner().clone();
    let seconds = state.settings().clipboard_clear_seconds;
    let for_copy = state.clone();
    blocking(move || {
        for_copy.with_vault(|v| {
            step_up(v, &id, passphrase)?;
            let value = v.secret_for_copy(&id, field, version)?;
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
