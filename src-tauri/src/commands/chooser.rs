//! The desktop's file chooser (GTK through rfd), shown from Rust: the webview has no file-system access,
//! and what it gets back is the path the user picked.

use crate::error::{AppError, AppResult, ErrorCode};
use std::path::PathBuf;
use tauri::{AppHandle, Manager};

pub enum Mode {
    Open,
    /// Several files at once.
    OpenMany,
    /// Several folders at once.
    Folders,
    Save,
}

pub struct Request {
    pub title: &'static str,
    /// (label, extensions); an empty list shows every file.
    pub filters: &'static [(&'static str, &'static [&'static str])],
    pub mode: Mode,
    /// The path shown in the form: the chooser starts in its folder (and, to save, with its name).
    pub current: Option<PathBuf>,
}

/// Shows the chooser on the main thread and waits for the answer elsewhere; an empty list when the
/// user cancels.
pub async fn show(app: &AppHandle, request: Request) -> AppResult<Vec<PathBuf>> {
    type Picked = std::pin::Pin<Box<dyn std::future::Future<Output = Vec<PathBuf>> + Send>>;
    let (tx, rx) = tokio::sync::oneshot::channel::<Vec<PathBuf>>();
    let window = app.get_webview_window("main");
    // GTK dialogs are made on the main thread; the answer is awaited elsewhere.
    app.run_on_main_thread(move || {
        let mut dialog = rfd::AsyncFileDialog::new().set_title(request.title);
        for (label, extensions) in request.filters {
            dialog = dialog.add_filter(*label, extensions);
        }
        if let Some(w) = &window {
            dialog = dialog.set_parent(w);
        }
        if let Some(current) = &request.current {
            if let Some(dir) = current.parent().filter(|d| d.is_dir()) {
                dialog = dialog.set_directory(dir);
            }
            if let (Mode::Save, Some(name)) = (&request.mode, current.file_name()) {
                dialog = dialog.set_file_name(name.to_string_lossy());
            }
        }
        let one =
            |h: Option<rfd::FileHandle>| h.map(|h| h.path().to_path_buf()).into_iter().collect();
        let many = |h: Option<Vec<rfd::FileHandle>>| -> Vec<PathBuf> {
            h.unwrap_or_default()
                .into_iter()
                .map(|h| h.path().to_path_buf())
                .collect()
        };
        let picked: Picked = match request.mode {
            Mode::Save => {
                let f = dialog.save_file();
                Box::pin(async move { one(f.await) })
            }
            Mode::Open => {
                let f = dialog.pick_file();
                Box::pin(async move { one(f.await) })
            }
            Mode::Folders => {
                let f = dialog.pick_folders();
                Box::pin(async move { many(f.await) })
            }
            Mode::OpenMany => {
                let f = dialog.pick_files();
                Box::pin(async move { many(f.await) })
            }
        };
        std::thread::spawn(move || {
            let _ = tx.send(tauri::async_runtime::block_on(picked));
        });
    })
    .map_err(|e| {
        AppError::new(
            ErrorCode::Storage,
            format!("Could not show the file chooser: {e}."),
        )
    })?;
    Ok(rx.await.unwrap_or_default())
}
