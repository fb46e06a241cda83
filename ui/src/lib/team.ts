// The Team screen's words: what each entry of a sync preview means, and what a sync did. Pure, so the
// wording is tested without the app.
import type { Role, TeamEntryPreview, TeamEntryStatus, TeamSyncPreview, TeamSyncSummary } from "./ipc";
import { plural, quotedList } from "./format";

export const STATUS_LABELS: Record<TeamEntryStatus, string> = {
  new: "New",
  changed: "Changed",
  conflict: "Conflict",
  kept: "Yours kept",
  refused: "Refused",
};

export const ROLE_LABELS: Record<Role, string> = { write: "Write", read: "Read only" };

/** The key's name as the preview knows it (a refused file may not say). */
export function entryName(e: TeamEntryPreview): string {
  return e.name ?? e.file;
}

/** One line under the key's name: who made this revision and what it changes, or why it is refused. */
export function entryLine(e: TeamEntryPreview): string {
  const by = e.by ?? "an unknown member";
  const rev = e.revision === null ? "" : ` (revision ${e.revision})`;
  const changes = [...e.changed_fields, ...(e.secrets_changed ? ["the secret"] : [])];
  const what = changes.length > 0 ? `: ${changes.join(", ")}` : "";
  switch (e.status) {
    case "new":
      return `Shared by ${by}${rev}${e.can_withdraw ? ". It can withdraw funds" : ""}`;
    case "changed":
      return e.reason ?? `Changed by ${by}${rev}${what}`;
    case "conflict":
      return `Changed here and by ${by}${rev} since the last sync${what}. Keep one version whole; nothing is merged.`;
    case "kept":
    case "refused":
      return e.reason ?? (e.status === "kept" ? "Your version is sent" : "Refused: nothing of it is applied");
  }
}

/** Whether applying the preview would do anything (refused files are still recorded in the audit). */
export function previewDoesSomething(p: TeamSyncPreview): boolean {
  if (p.list_refusal !== null) return false;
  return (
    p.members_changed_from !== null ||
    p.outgoing.length > 0 ||
    p.entries.some((e) => e.status === "new" || e.status === "changed" || e.status === "refused")
  );
}

/** The keys still in conflict (their ids, for the choice). */
export const openConflicts = (p: TeamSyncPreview): TeamEntryPreview[] => p.entries.filter((e) => e.status === "conflict");

/** What an applied sync did, in one sentence. */
export function summaryText(s: TeamSyncSummary): string {
  const parts: string[] = [];
  if (s.added.length > 0) parts.push(`${plural(s.added.length, "key")} received (${quotedList(s.added)})`);
  if (s.changed.length > 0) parts.push(`${plural(s.changed.length, "key")} changed (${quotedList(s.changed)})`);
  if (s.sent.length > 0) parts.push(`${plural(s.sent.length, "key")} sent (${quotedList(s.sent)})`);
  if (s.refused.length > 0) parts.push(`${plural(s.refused.length, "file")} refused`);
  if (s.not_sent !== null) parts.push(`your changes were not sent: ${s.not_sent}`);
  const text = parts.length > 0 ? parts.join("; ") : "Up to date: nothing came in or went out";
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** The automatic sync choices, in minutes (null: off). */
export const AUTO_SYNC_CHOICES: readonly (number | null)[] = [null, 5, 15, 60, 240];

export function autoSyncLabel(minutes: number | null): string {
  if (minutes === null) return "Off: only when I press Sync now";
  if (minutes < 60) return `At unlock, then every ${minutes} min`;
  return minutes === 60 ? "At unlock, then every hour" : `At unlock, then every ${minutes / 60} hours`;
}
