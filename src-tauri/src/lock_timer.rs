//! The auto-lock timer: locks the vault after the configured idle time and tells the webview, so it
//! clears what it shows.

use crate::state::AppState;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager};

/// How often the timer looks at the idle time: the lock lands at most this late.
const TICK: Duration = Duration::from_secs(5);

/// Starts the timer task; it runs as long as the app.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            let state = app.state::<Arc<AppState>>().inner().clone();
            let limit = Duration::from_secs(u64::from(state.settings().auto_lock_minutes) * 60);
            if state.is_unlocked() && state.idle_for() >= limit {
                let locked = tauri::async_runtime::spawn_blocking(move || {
                    state.lock("auto-lock after inactivity")
                })
                .await
                .unwrap_or(false);
                if locked {
                    let _ = app.emit("vault-locked", ());
                }
            }
        }
    });
}
