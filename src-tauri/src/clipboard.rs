//! Copy happens here, never in the webview. The value is marked so clipboard managers skip it, and it
//! is cleared after a delay only if the clipboard still holds it (we keep a hash, not the value).

use crate::mutex::lock;
use arboard::Clipboard;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::sync::Mutex;

#[derive(Default)]
pub struct SecretClipboard {
    /// Kept open while we own the selection: on X11 the owner must stay alive to serve it.
    board: Mutex<Option<Clipboard>>,
    ours: Mutex<Option<[u8; 32]>>,
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl SecretClipboard {
    pub fn copy(&self, value: &SecretString) -> Result<(), String> {
        let mut board = lock(&self.board);
        if board.is_none() {
            *board = Some(
                Clipboard::new().map_err(|e| format!("the clipboard is not available ({e})"))?,
            );
        }
        let cb = board.as_mut().expect("set above");
        let set = cb.set();
        #[cfg(target_os = "linux")]
        let set = {
            use arboard::SetExtLinux;
            set.exclude_from_history()
        };
        // Borrowed, not copied: arboard keeps its own copy while it serves the clipboard.
        set.text(value.expose_secret())
            .map_err(|e| format!("could not copy ({e})"))?;
        *lock(&self.ours) = Some(digest(value.expose_secret()));
        Ok(())
    }

    /// Copies a value that is not secret (a public sharing key): not marked as ours, never cleared.
    pub fn copy_public(&self, text: &str) -> Result<(), String> {
        let mut board = lock(&self.board);
        if board.is_none() {
            *board = Some(
                Clipboard::new().map_err(|e| format!("the clipboard is not available ({e})"))?,
            );
        }
        let cb = board.as_mut().expect("set above");
        cb.set_text(text.to_string())
            .map_err(|e| format!("could not copy ({e})"))?;
        *lock(&self.ours) = None;
        Ok(())
    }

    /// Clears the clipboard if it still holds what we put there. Returns whether it cleared.
    pub fn clear_if_ours(&self) -> bool {
        let mut ours = lock(&self.ours);
        let Some(hash) = *ours else { return false };
        let mut board = lock(&self.board);
        let Some(cb) = board.as_mut() else {
            return false;
        };
        let still_ours = cb.get_text().map(|t| digest(&t) == hash).unwrap_or(false);
        if still_ours {
            let _ = cb.clear();
        }
        *ours = None;
        still_ours
    }
}
