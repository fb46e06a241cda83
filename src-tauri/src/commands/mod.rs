//! The commands the webview calls, one module per noun. Each is thin: typed input, a call into
//! keystead-core, the error mapped. Rules live in keystead-core.

pub mod audit;
mod chooser;
pub mod import;
pub mod keys;
pub mod scan;
pub mod secrets;
pub mod settings;
pub mod sharing;
pub mod team;
pub mod vault;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use std::sync::Arc;
use tauri::State;

/// How every command receives the app's state.
pub type AppStateRef<'a> = State<'a, Arc<AppState>>;

/// Runs blocking work (key derivation, SQLite, D-Bus) off the async runtime's worker threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("Internal error: {e}.")))?
}
