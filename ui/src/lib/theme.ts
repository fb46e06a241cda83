// The theme setting lives in the vault (Rust); a copy in localStorage lets the unlock screen, painted before
// the vault is open, use the same colours. It is not a secret.
import type { Theme } from "./ipc";

const STORAGE_KEY = "keystead.theme";

export function isTheme(value: unknown): value is Theme {
  return value === "light" || value === "dark" || value === "system";
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Storage unavailable: the theme still applies for this session.
  }
}

export function cachedTheme(): Theme {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return isTheme(value) ? value : "system";
  } catch {
    return "system";
  }
}
