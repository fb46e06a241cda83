// The keyboard shortcuts of the main screen: which key does what, and the list the help overlay shows.

export type ShortcutAction = "lock" | "search" | "add" | "help";

/** What the help overlay lists, in the order shown; the table's own keys come last. */
export const SHORTCUTS: readonly { keys: string; does: string }[] = [
  { keys: "Ctrl N", does: "Add a key" },
  { keys: "Ctrl F", does: "Search the keys" },
  { keys: "Ctrl L", does: "Lock the vault" },
  { keys: "↑ ↓ PgUp PgDn Home End", does: "Move through the key table" },
  { keys: "Enter", does: "Open the selected key; in a dialog, its main button" },
  { keys: "Ctrl click, Ctrl Space", does: "Add a key to the selection, or take it out" },
  { keys: "Shift click, Shift ↑ ↓", does: "Select a range of keys" },
  { keys: "Ctrl A", does: "Select every key shown (in the table)" },
  { keys: "Esc", does: "Clear the selection; close the dialog or the key's panel" },
  { keys: "?", does: "Show this list" },
];

/** The parts of a key press that decide a shortcut (a KeyboardEvent has them all). */
export type KeyPress = { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean };

/**
 * The shortcut a key press asks for, or null. `typing` is true while focus is in a text field (then "?"
 * is a character, not a shortcut); `dialogOpen` while a modal dialog is up (it owns the keyboard, except
 * for locking).
 */
export function shortcutFor(press: KeyPress, typing: boolean, dialogOpen: boolean): ShortcutAction | null {
  if (press.altKey) return null;
  const ctrl = press.ctrlKey || press.metaKey;
  if (ctrl) {
    const k = press.key.toLowerCase();
    if (k === "l") return "lock";
    if (dialogOpen) return null;
    if (k === "f") return "search";
    if (k === "n") return "add";
    return null;
  }
  if (press.key === "?" && !typing && !dialogOpen) return "help";
  return null;
}

/** Whether focus is somewhere a key press types text. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return false;
}
