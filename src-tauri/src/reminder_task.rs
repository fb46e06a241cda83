//! The reminder task: looks at the vault once at start (the catch-up after the app was off or the machine
//! slept), then at each threshold, at least hourly, when woken (unlock, lock, a change of keys or
//! settings), and when the wall clock jumps (resume) or the vault file changes (a write from the CLI).
//! What a look finds and shows is `reminders`'; this module decides when, and keeps the tray's count.

use crate::reminders::Look;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tauri::{AppHandle, Manager};

/// The longest the task sleeps without looking again, even with nothing due for weeks.
const MAX_SLEEP: Duration = Duration::from_secs(3600);
/// How often the task wakes to notice a resume from suspend (the wall clock jumped past the next
/// threshold) or a vault file changed by another process (`keystead add` from a terminal). Two `stat`
/// calls each time.
const TICK: Duration = Duration::from_secs(10);

/// The modification times of the vault file and its write-ahead log: a change means another process
/// (or this one) wrote to the vault, and the due dates may have moved.
fn file_marks(path: &Path) -> (Option<SystemTime>, Option<SystemTime>) {
    let mtime = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (mtime(path.to_path_buf()), mtime(PathBuf::from(wal)))
}

/// After a failed look (a vault file being written by another process, a full disk), the next one.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(30);

/// Starts the task: one look at start (the catch-up after the app was off or the machine slept), then
/// one at each threshold, at least hourly, and whenever woken.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            let state = app.state::<Arc<AppState>>().inner().clone();
            // Taken before the look, so a write that lands during it is still noticed afterwards.
            let path = state.vault_path();
            let marks = file_marks(&path);
            let service_app = app.clone();
            let look = tauri::async_runtime::spawn_blocking(move || {
                let look = state.look_for_reminders(Utc::now());
                if let Ok(Look {
                    outgoing: Some(out),
                    ..
                }) = &look
                {
                    if let Err(e) = state.notify(&service_app, out) {
                        eprintln!("keystead: {}", e.message);
                    }
                }
                look
            })
            .await;
            let retry = Utc::now() + RETRY_AFTER_ERROR;
            let next_at = match look {
                Ok(Ok(look)) => {
                    crate::tray::show_due_count(&app, look.due_count);
                    look.next_at
                }
                Ok(Err(e)) => {
                    eprintln!("keystead: reminders: {}", e.message);
                    Some(retry)
                }
                Err(_) => Some(retry),
            };
            wait_for_next_look(&app, &path, marks, next_at).await;
        }
    });
}

async fn wait_for_next_look(
    app: &AppHandle,
    path: &Path,
    marks: (Option<SystemTime>, Option<SystemTime>),
    next_at: Option<DateTime<Utc>>,
) {
    let state = app.state::<Arc<AppState>>().inner().clone();
    let settings = state.settings();
    let give_up = tokio::time::Instant::now() + MAX_SLEEP;
    loop {
        // The monotonic clock stops while the machine sleeps; the wall clock does not. Comparing with
        // the wall clock at every tick is what notices a resume.
        if next_at.is_some_and(|at| Utc::now() >= at) || tokio::time::Instant::now() >= give_up {
            return;
        }
        tokio::select! {
            _ = state.reminders_woken() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
        if state.vault_path() != path || file_marks(path) != marks || state.settings() != settings {
            return;
        }
    }
}
