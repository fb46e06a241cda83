// The rules of the "From another app or file" import as plain functions: which actions fit an entry, what
// its status says, and the sentence that reports what happened. Rust checks everything again.
import type { ImportChoice, ImportEntryChoice, ImportPreviewEntry, ImportSummary } from "./ipc";
import { plural } from "./format";

/** The actions Rust accepts for an entry, the default first. An entry whose file lacks a field its
 *  exchange needs can only be skipped; one without an exchange can be added once an exchange is chosen. */
export function fileChoicesFor(entry: ImportPreviewEntry): readonly ImportChoice[] {
  const blocked = entry.problem !== null && !entry.needs_exchange;
  switch (entry.status) {
    case "new":
      return blocked ? ["skip"] : entry.default_choice === "add" ? ["add", "skip"] : ["skip", "add"];
    case "identical":
      return ["skip", "keep_both"];
    case "changed":
    case "conflicting":
      return blocked ? ["skip"] : ["skip", "replace", "keep_both"];
  }
}

export const FILE_CHOICE_LABELS: Record<ImportChoice, string> = {
  add: "Add",
  replace: "Replace mine",
  keep_both: "Keep both",
  skip: "Skip",
};

/** What the status means for this entry, naming the key of the vault it matches. */
export function fileStatusText(entry: ImportPreviewEntry): string {
  const mine = entry.existing_name === null ? "" : `“${entry.existing_name}”`;
  switch (entry.status) {
    case "new":
      return "new";
    case "identical":
      return `already in the vault as ${mine}`;
    case "changed":
      return `same API key as ${mine}, other secret`;
    case "conflicting":
      return `name taken by ${mine}`;
  }
}

/** The choices to send: each entry's action, the exchange picked for entries whose file names none, and
 *  whether new keys take the exchange's default scopes. */
export function entryChoices(
  entries: readonly ImportPreviewEntry[],
  actions: readonly ImportChoice[],
  exchanges: readonly string[],
  defaultScopes: boolean,
): ImportEntryChoice[] {
  return entries.map((e, i) => ({
    action: actions[i] ?? "skip",
    exchange: e.needs_exchange && exchanges[i] ? exchanges[i] : undefined,
    default_scopes: defaultScopes,
  }));
}

/** Why Import cannot go yet, or null. */
export function fileImportBlocker(
  entries: readonly ImportPreviewEntry[],
  actions: readonly ImportChoice[],
  exchanges: readonly string[],
): string | null {
  const missing = entries.filter((e, i) => e.needs_exchange && actions[i] !== "skip" && !exchanges[i]);
  if (missing.length > 0) return `Choose the exchange of ${missing.map((e) => `“${e.name}”`).join(", ")}, or skip it.`;
  if (actions.every((a) => a === "skip")) return "Every key is skipped: nothing to import.";
  return null;
}

/** "Added 2 keys (a, b). Skipped 1 key (c).": what the import did. */
export function fileImportSummaryText(summary: ImportSummary): string {
  const parts: string[] = [];
  const list = (names: string[]) => names.map((n) => `“${n}”`).join(", ");
  if (summary.added.length > 0) parts.push(`Added ${plural(summary.added.length, "key")} (${list(summary.added)}).`);
  if (summary.replaced.length > 0)
    parts.push(`Replaced the secrets of ${plural(summary.replaced.length, "key")} (${list(summary.replaced)}).`);
  if (summary.skipped.length > 0) parts.push(`Skipped ${plural(summary.skipped.length, "key")}.`);
  return parts.length === 0 ? "Nothing was imported." : parts.join(" ");
}

/** Paths typed one per line (or picked): trimmed, blanks and repeats dropped. */
export function parsePaths(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t !== "" && !out.includes(t)) out.push(t);
  }
  return out;
}
