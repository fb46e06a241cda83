// The rules of the share and import dialogs as plain functions: which choices fit an entry, how extra
// recipients are typed, why Export is not ready yet, and the sentences that report what happened. Rust
// checks everything again and has the last word.
import type {
  Contact,
  ImportChoice,
  KeySummary,
  ShareEntryStatus,
  ShareExportResult,
  ShareImportSummary,
  SharePreviewEntry,
} from "./ipc";
import { plural } from "./format";
import { MIN_PASSPHRASE_CHARS, charCount, type Checked } from "./validate";

export const CHOICE_LABELS: Record<ImportChoice, string> = {
  add: "Add",
  replace: "Replace mine",
  keep_both: "Keep both",
  skip: "Skip",
};

export const STATUS_LABELS: Record<ShareEntryStatus, string> = {
  new: "new",
  identical: "identical",
  changed: "changed",
  conflicting: "conflicting",
};

/** Badge colour per status: a different key under the same name deserves a look. */
export const STATUS_TONE: Record<ShareEntryStatus, "green" | "" | "amber"> = {
  new: "green",
  identical: "",
  changed: "amber",
  conflicting: "amber",
};

const CHOICES: Record<ShareEntryStatus, readonly ImportChoice[]> = {
  new: ["add", "skip"],
  identical: ["skip", "keep_both"],
  changed: ["skip", "keep_both", "replace"],
  conflicting: ["skip", "keep_both", "replace"],
};

/** The choices Rust accepts for this entry, the default first. "Replace" only where Rust allows it (a file
 *  signed by a contact and made for this vault). */
export const choicesFor = (entry: SharePreviewEntry): readonly ImportChoice[] =>
  CHOICES[entry.status].filter((c) => c !== "replace" || entry.replace_allowed);

/** What the preview row says changed: metadata field names, then the secrets (never their values). */
export function changesOf(entry: SharePreviewEntry): string {
  const parts = entry.changed_fields.map((f) => f.replaceAll("_", " "));
  if (entry.secrets_changed) parts.push("secrets changed");
  if (entry.status === "conflicting" && entry.existing_name !== null) {
    parts.push(`another key of yours is named ${entry.existing_name}`);
  }
  if (entry.older_than_yours) parts.push("older than yours");
  return parts.join(", ");
}

/** True when a share key line or an age key is what was typed (the same test Rust uses). */
export const looksLikeSharingKey = (text: string): boolean =>
  text.trim().toLowerCase().startsWith("age1") || text.trim().startsWith("keystead-share1:");

/** Extra recipients typed one per line or separated by commas; blanks skipped, duplicates dropped. */
export function parseRecipients(text: string): Checked<string[]> {
  const keys: string[] = [];
  for (const item of text.split(/[\n,]/)) {
    const t = item.trim();
    if (t === "") continue;
    if (!looksLikeSharingKey(t)) {
      const shown = t.length > 24 ? `${t.slice(0, 24)}…` : t;
      return {
        ok: false,
        error: `'${shown}' is not a sharing key: paste a keystead-share1:… line or an age1… key, one per line`,
      };
    }
    if (!keys.includes(t)) keys.push(t);
  }
  return { ok: true, value: keys };
}

/**
 * Whether a key's secret can withdraw or transfer funds (Rust keeps this per secret version: removing the
 * scope later does not clear it). The sender confirms each such key and types the vault passphrase again.
 */
export const canWithdraw = (key: Pick<KeySummary, "moves_funds">): boolean => key.moves_funds;

/** A path Rust will take: absolute (Unix, a Windows drive, or a network share). */
export const isFullPath = (text: string): boolean => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(text.trim());

export type ExportDraft = {
  keys: readonly Pick<KeySummary, "id" | "name" | "moves_funds">[];
  contacts: readonly string[];
  extra: string;
  usePassphrase: boolean;
  passphrase: string;
  confirm: string;
  confirmedWithdraw: readonly string[];
  path: string;
};

/** Why the file cannot be made yet, in the order the dialog asks; null when it can. */
export function exportProblem(d: ExportDraft): string | null {
  if (d.keys.length === 0) return "Choose at least one key to share.";
  if (d.usePassphrase) {
    if (d.passphrase === "") return "Type the passphrase the recipient will use to open the file.";
    if (charCount(d.passphrase) < MIN_PASSPHRASE_CHARS) {
      return `The passphrase is too short: use at least ${MIN_PASSPHRASE_CHARS} characters.`;
    }
    if (d.passphrase !== d.confirm) return "The two passphrases differ: type the same one twice.";
  } else {
    const extra = parseRecipients(d.extra);
    if (!extra.ok) return `${extra.error}.`;
    if (d.contacts.length === 0 && extra.value.length === 0) {
      return "Choose who can open the file: a contact, a pasted sharing key, or a passphrase.";
    }
  }
  const unconfirmed = d.keys.filter((k) => canWithdraw(k) && !d.confirmedWithdraw.includes(k.id));
  if (unconfirmed.length > 0) {
    return `Confirm that you mean to send ${unconfirmed.map((k) => k.name).join(", ")}: ${
      unconfirmed.length === 1 ? "it can" : "they can"
    } withdraw or transfer funds.`;
  }
  if (d.path.trim() === "") return "Give the file's full path, or press Choose….";
  if (!isFullPath(d.path)) return "Give the file's full path, e.g. /home/you/Downloads/keystead-share.age.";
  return null;
}

/** The `to` of the export: the chosen contacts' keys (commas in a name cannot split them) and the typed keys. */
export function recipientsFor(chosen: readonly Contact[], extra: string): string[] {
  const typed = parseRecipients(extra);
  const all = [...chosen.map((c) => c.sharing_key), ...(typed.ok ? typed.value : [])];
  return all.filter((k, i) => all.indexOf(k) === i);
}

const sizeFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** "812 B", "3.4 KiB", "1.2 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${sizeFormat.format(n / 1024)} KiB`;
  return `${sizeFormat.format(n / (1024 * 1024))} MiB`;
}

/** "Shared 2 keys with contact bob (…) → /path (1.2 KiB)". */
export function exportResultText(r: ShareExportResult): string {
  const who = r.summary.recipients.join(", ");
  return `Shared ${plural(r.summary.keys.length, "key")} with ${who} → ${r.path} (${formatBytes(r.summary.bytes)})`;
}

/**
 * Rust's message, then that the vault is as it was ("Nothing was imported."), unless the message says so
 * already.
 */
export function nothingChanged(message: string, sentence: string): string {
  if (/nothing (was|is|has been) (imported|changed)/i.test(message)) return /[.!?]$/.test(message) ? message : `${message}.`;
  return `${/[.!?]$/.test(message) ? message : `${message}.`} ${sentence}`;
}

/** "Added a, b. Replaced c. Skipped d." or "Nothing imported: every key was skipped." */
export function importSummaryText(s: ShareImportSummary): string {
  const parts: string[] = [];
  if (s.added.length > 0) parts.push(`Added ${plural(s.added.length, "key")}: ${s.added.join(", ")}.`);
  if (s.replaced.length > 0) parts.push(`Replaced ${plural(s.replaced.length, "key")}: ${s.replaced.join(", ")}.`);
  if (s.skipped.length > 0) parts.push(`Skipped ${s.skipped.join(", ")}.`);
  if (s.added.length === 0 && s.replaced.length === 0) return `Nothing imported: every key was skipped.`;
  return parts.join(" ");
}
