// The audit timeline: one sentence per event, events grouped by day, and the filters.
import type { AuditAction, AuditRecord, IncidentStep } from "./ipc";
import { utcDay } from "./format";

/** Families pick the icon and the action filter. */
export type ActionFamily = "vault" | "access" | "secret" | "change" | "rotation" | "incident";

const FAMILIES: Record<AuditAction, ActionFamily> = {
  vault_created: "vault",
  vault_unlocked: "access",
  unlock_failed: "access",
  vault_locked: "access",
  restored_backup_accepted: "vault",
  vault_backed_up: "vault",
  passphrase_changed: "vault",
  key_created: "change",
  key_edited: "change",
  secret_revealed: "secret",
  secret_copied: "secret",
  key_rotated: "rotation",
  key_revoked: "incident",
  key_compromised: "incident",
  incident_step: "incident",
  reminder_sent: "rotation",
  sharing_identity_created: "vault",
  contact_added: "vault",
  contact_renamed: "vault",
  contact_removed: "vault",
  share_exported: "secret",
  share_imported: "change",
  key_imported: "change",
  scan_run: "vault",
  key_found_in_plaintext: "incident",
  finding_ignored: "vault",
  finding_unignored: "vault",
  key_run: "secret",
  device_remembered: "access",
  device_forgotten: "access",
  team_created: "vault",
  team_joined: "vault",
  team_member_added: "vault",
  team_member_removed: "vault",
  team_key_shared: "secret",
  team_key_received: "change",
  team_key_sent: "secret",
  team_synced: "vault",
  key_verified: "vault",
};

/** The icon of an action: like its family, but a copy, a reminder, a share and a run each look like what they are. */
export type AuditIconName = ActionFamily | "reveal" | "copy" | "reminder" | "share" | "run";

const OWN_ICONS: Partial<Record<AuditAction, AuditIconName>> = {
  secret_revealed: "reveal",
  secret_copied: "copy",
  reminder_sent: "reminder",
  share_exported: "share",
  share_imported: "share",
  key_run: "run",
};

export function actionIcon(action: string): AuditIconName {
  return (OWN_ICONS as Record<string, AuditIconName | undefined>)[action] ?? actionFamily(action);
}

/** The family of an action; actions this build does not know yet count as changes. */
export function actionFamily(action: string): ActionFamily {
  return (FAMILIES as Record<string, ActionFamily | undefined>)[action] ?? "change";
}

export const ACTION_LABELS: Record<AuditAction, string> = {
  vault_created: "Vault created",
  vault_unlocked: "Vault unlocked",
  unlock_failed: "Unlock failed",
  vault_locked: "Vault locked",
  restored_backup_accepted: "Restored backup accepted",
  vault_backed_up: "Vault backed up",
  passphrase_changed: "Passphrase changed",
  key_created: "Key created",
  key_edited: "Key edited",
  secret_revealed: "Secret revealed",
  secret_copied: "Secret copied",
  key_rotated: "Key rotated",
  key_revoked: "Key revoked",
  key_compromised: "Marked compromised",
  incident_step: "Incident step",
  reminder_sent: "Reminder sent",
  sharing_identity_created: "Sharing key created",
  contact_added: "Contact added",
  contact_renamed: "Contact renamed",
  contact_removed: "Contact removed",
  share_exported: "Keys shared",
  share_imported: "Keys imported",
  key_imported: "Key imported",
  scan_run: "Leak scan",
  key_found_in_plaintext: "Found in plaintext",
  finding_ignored: "Scan finding ignored",
  finding_unignored: "Scan finding reported again",
  key_run: "Handed to a program",
  device_remembered: "Device remembered",
  device_forgotten: "Device forgotten",
  team_created: "Team made",
  team_joined: "Team joined",
  team_member_added: "Team member added",
  team_member_removed: "Team member removed",
  team_key_shared: "Put in a team",
  team_key_received: "Received from the team",
  team_key_sent: "Sent to the team",
  team_synced: "Team synced",
  key_verified: "Checked on exchange",
};

export function actionLabel(action: string): string {
  const known = (ACTION_LABELS as Record<string, string | undefined>)[action];
  if (known !== undefined) return known;
  const words = action.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Events with a problem to notice: shown in red. */
export function isAlarming(action: string): boolean {
  return action === "unlock_failed" || action === "key_compromised";
}

const quoted = (name: string | null) => (name === null ? "a key" : `“${name}”`);
const withDetail = (sentence: string, detail: string | null) =>
  detail === null || detail === "" ? `${sentence}.` : `${sentence} (${detail}).`;

/** One plain sentence for an event, e.g. `Rotated “binance-main”: version 1 → 2.` */
export function auditSentence(record: Pick<AuditRecord, "action" | "key_name" | "detail">): string {
  const { key_name: name, detail } = record;
  const action: string = record.action;
  switch (action) {
    case "vault_created":
      return withDetail("Created the vault", detail);
    case "vault_unlocked":
      return withDetail("Unlocked the vault", detail);
    case "unlock_failed":
      return detail ? `Unlock failed: ${detail}.` : "Unlock failed.";
    case "vault_locked":
      return withDetail("Locked the vault", detail);
    case "passphrase_changed":
      return withDetail("Changed the vault passphrase", detail);
    case "key_created":
      return detail ? `Added ${quoted(name)}: ${detail}.` : `Added ${quoted(name)}.`;
    case "key_edited":
      return detail ? `Edited ${quoted(name)}: ${detail}.` : `Edited ${quoted(name)}.`;
    case "secret_revealed":
      return `Revealed ${detail || "a secret"} of ${quoted(name)}.`;
    case "secret_copied":
      return `Copied ${detail || "a secret"} of ${quoted(name)} to the clipboard.`;
    case "key_rotated":
      return detail ? `Rotated ${quoted(name)}: ${detail}.` : `Rotated ${quoted(name)}.`;
    case "key_revoked":
      return withDetail(`Revoked ${quoted(name)}`, detail);
    case "key_compromised":
      return withDetail(`Marked ${quoted(name)} compromised`, detail);
    case "incident_step": {
      const step = parseIncidentDetail(detail);
      if (step === null) return withDetail(`Incident checklist of ${quoted(name)}`, detail);
      const verb = step.done ? "Ticked" : "Unticked";
      return `${verb} “${capitalise(step.label)}” on the incident checklist of ${quoted(name)}.`;
    }
    case "reminder_sent":
      return name === null ? withDetail("Sent a reminder", detail) : withDetail(`Reminded about ${quoted(name)}`, detail);
    case "sharing_identity_created":
      return withDetail("Created this vault's sharing key", detail);
    case "contact_added":
      return withDetail("Added a contact", detail);
    case "contact_renamed":
      return withDetail("Renamed a contact", detail);
    case "contact_removed":
      return withDetail("Removed a contact", detail);
    // Per key (its own history shows its secrets left or arrived) or, for an import, one summary event.
    case "share_exported":
      return withDetail(name === null ? "Exported keys to a share file" : `Shared ${quoted(name)} in a share file`, detail);
    case "share_imported":
      return withDetail(
        name === null ? "Imported keys from a share file" : `Imported ${quoted(name)} from a share file`,
        detail,
      );
    case "key_imported":
      return withDetail(`Imported ${quoted(name)} from another app's file`, detail);
    case "scan_run":
      return withDetail("Scanned for leaked keys", detail);
    case "key_found_in_plaintext":
      return withDetail(`A scan found ${quoted(name)} in a file`, detail);
    case "finding_ignored":
      return withDetail("Ignored a scan finding", detail);
    case "finding_unignored":
      return withDetail("Stopped ignoring a scan finding", detail);
    case "key_run":
      return withDetail(`Handed ${quoted(name)} to a program`, detail);
    case "device_remembered":
      return withDetail("Remembered this vault on a device, to unlock without the passphrase", detail);
    case "device_forgotten":
      return withDetail("Forgot a remembered device", detail);
    case "team_created":
      return withDetail("Made a team vault", detail);
    case "team_joined":
      return withDetail("Joined a team vault", detail);
    case "team_member_added":
      return withDetail("Added a member to a team vault", detail);
    case "team_member_removed":
      return withDetail("Removed a member from a team vault", detail);
    case "team_key_shared":
      return withDetail(`Put ${quoted(name)} in a team vault`, detail);
    case "team_key_received":
      return withDetail(`Received ${quoted(name)} from a team vault`, detail);
    case "team_key_sent":
      return withDetail(`Sent the change of ${quoted(name)} to a team vault`, detail);
    case "team_synced":
      return withDetail("Synced a team vault", detail);
    case "key_verified":
      return withDetail(`Checked ${quoted(name)} on its exchange`, detail);
    default: {
      const label = actionLabel(action);
      const subject = name === null ? label : `${label}: ${quoted(name)}`;
      return withDetail(subject, detail);
    }
  }
}

export type AuditDay = { day: string; records: AuditRecord[] };

/**
 * Records grouped by UTC day, newest first by time (then by sequence number). Sequence order is not
 * always time order: failed unlocks are written at the next unlock with the time they happened.
 */
export function groupByDay(records: readonly AuditRecord[]): AuditDay[] {
  const newestFirst = records
    .map((record) => ({ record, time: Date.parse(record.at) }))
    .sort((a, b) => (b.time || 0) - (a.time || 0) || b.record.seq - a.record.seq)
    .map((x) => x.record);
  const days: AuditDay[] = [];
  for (const record of newestFirst) {
    const day = utcDay(record.at);
    const last = days[days.length - 1];
    if (last !== undefined && last.day === day) last.records.push(record);
    else days.push({ day, records: [record] });
  }
  return days;
}

export type AuditFilters = {
  /** A key id, or "" for every event. */
  keyId: string;
  /** An action family, or "" for every action. */
  family: ActionFamily | "";
};

export function filterAudit(records: readonly AuditRecord[], filters: AuditFilters): AuditRecord[] {
  return records.filter(
    (r) =>
      (filters.keyId === "" || r.key_id === filters.keyId) &&
      (filters.family === "" || actionFamily(r.action) === filters.family),
  );
}

/** Events newest first (the detail panel shows one key's activity from core's per-key query). */
export function newestFirst(records: readonly AuditRecord[]): AuditRecord[] {
  return [...records].sort((a, b) => b.seq - a.seq);
}

/** Keys named in the log (latest name per id), for the key filter. */
export function keysInLog(records: readonly AuditRecord[]): { id: string; name: string }[] {
  const names = new Map<string, string>();
  for (const r of [...records].sort((a, b) => a.seq - b.seq)) {
    if (r.key_id !== null) names.set(r.key_id, r.key_name ?? r.key_id);
  }
  return [...names].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
}

export const FAMILY_LABELS: Record<ActionFamily, string> = {
  vault: "Vault",
  access: "Unlock and lock",
  secret: "Reveal and copy",
  change: "Added and edited",
  rotation: "Rotations",
  incident: "Revoked and compromised",
};

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The words Rust records for each incident step (`IncidentStep::label`), in the detail "done: <label>". */
export const INCIDENT_STEP_LABELS: Record<IncidentStep, string> = {
  revoke_on_exchange: "revoke the key on the exchange",
  check_withdrawals: "check recent withdrawals and the withdrawal whitelist",
  create_replacement: "create a replacement key",
  update_bots: "update bots that used this key",
  scan_for_copies: "scan for other copies of this key",
};

/** Reads an incident_step detail ("done: create a replacement key" / "undone: …"). */
export function parseIncidentDetail(detail: string | null): { done: boolean; label: string } | null {
  const m = /^(done|undone):\s*(.+)$/.exec(detail ?? "");
  if (m === null) return null;
  return { done: m[1] === "done", label: m[2] ?? "" };
}

/** The incident steps ticked for a key, as its audit events record them (the latest event per step wins). */
export function incidentStepsDone(records: readonly AuditRecord[], keyId: string): IncidentStep[] {
  const state = new Map<IncidentStep, boolean>();
  const steps = Object.entries(INCIDENT_STEP_LABELS) as [IncidentStep, string][];
  for (const r of [...records].sort((a, b) => a.seq - b.seq)) {
    if (r.key_id !== keyId || r.action !== "incident_step") continue;
    const parsed = parseIncidentDetail(r.detail);
    const step = steps.find(([, label]) => label === parsed?.label)?.[0];
    if (parsed !== null && step !== undefined) state.set(step, parsed.done);
  }
  return steps.map(([step]) => step).filter((step) => state.get(step) === true);
}
