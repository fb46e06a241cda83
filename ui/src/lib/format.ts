// Words and dates as the screens show them.
import type { CredentialField, DueKind, DueState, Environment, KeyStatus, RiskFlag } from "./ipc";

export const FIELD_LABELS: Record<CredentialField, string> = {
  apiKey: "API key",
  secret: "Secret",
  password: "Passphrase",
  uid: "UID",
  privateKey: "Private key",
  walletAddress: "Wallet address",
};

/** A bot that uses a key, as typed: `freqtrade@vps-1`, or the bot alone when its host is not known. */
export function keyUserText(user: { bot: string; host: string | null }): string {
  return user.host === null ? user.bot : `${user.bot}@${user.host}`;
}

/**
 * The field's own name beside its label, only when it says something the label does not: "Passphrase
 * password", but never "Secret secret" or "API key apiKey".
 */
export function fieldTechName(field: CredentialField): string | null {
  const squash = (t: string) => t.toLowerCase().replaceAll(" ", "");
  return squash(FIELD_LABELS[field]) === squash(field) ? null : field;
}

export const ENVIRONMENT_LABELS: Record<Environment, string> = {
  production: "prod",
  staging: "staging",
  development: "dev",
  testnet: "testnet",
};

export const STATUS_LABELS: Record<KeyStatus, string> = {
  active: "active",
  revoked: "revoked",
  compromised: "compromised",
};

export const DUE_STATE_LABELS: Record<DueState, string> = {
  ok: "ok",
  due_soon: "due soon",
  overdue: "overdue",
  expired: "expired",
};

/** Short badge text and the reason (core's `RiskFlag::reason`), shown on hover and focus. */
export const RISK_FLAGS: Record<RiskFlag, { label: string; reason: string }> = {
  withdraw_enabled: { label: "withdraw", reason: "can withdraw funds from the account" },
  transfer_enabled: { label: "transfer", reason: "can move funds between accounts" },
  no_ip_allowlist: { label: "any IP", reason: "can trade or move funds from any IP address" },
  production_without_expiry: { label: "no expiry", reason: "production key with no expiry date" },
  rotation_overdue: { label: "rotate", reason: "past its rotation date" },
  duplicate_secret: { label: "duplicate", reason: "the same secret is stored in another key" },
  compromised: { label: "compromised", reason: "marked compromised: revoke it on the exchange" },
  found_in_plaintext: { label: "in plaintext", reason: "a scan found its secret in a file: rotate it" },
  member_left: { label: "member left", reason: "a team member who could read it left: rotate it" },
};

/**
 * Flags the table's other columns already show: withdraw and transfer are red scope chips, "any IP" is
 * the IP allowlist column. The table's Risk column leaves them out; the detail panel lists every flag.
 */
const SHOWN_IN_OTHER_COLUMNS: ReadonlySet<RiskFlag> = new Set<RiskFlag>(["withdraw_enabled", "transfer_enabled", "no_ip_allowlist"]);

export const tableRiskFlags = (flags: readonly RiskFlag[]): RiskFlag[] =>
  flags.filter((f) => !SHOWN_IN_OTHER_COLUMNS.has(f));

/** Flags that mean money can leave or already has: red; the rest amber. */
export const isSevereFlag = (flag: RiskFlag): boolean =>
  flag === "withdraw_enabled" || flag === "transfer_enabled" || flag === "compromised" || flag === "found_in_plaintext" ||
  flag === "member_left";

const pad = (n: number) => String(n).padStart(2, "0");

/*
 * Every time on screen is UTC and says so: exchanges count expiry and rotation in UTC days, the CLI prints
 * UTC, and a trader comparing a server log with the audit needs one clock. Dates are ISO (YYYY-MM-DD).
 */

/** The label every shown time carries. */
export const TIME_ZONE_LABEL = "UTC";

const parsed = (value: string): Date | null => {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
};

const isoDay = (d: Date): string => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** "2026-11-27 14:03 UTC", or "—". */
export function formatDateTime(value: string | null): string {
  if (value === null) return "—";
  const d = parsed(value);
  if (d === null) return value;
  return `${isoDay(d)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} ${TIME_ZONE_LABEL}`;
}

/** "2026-11-27" (the UTC day), or "—". */
export function formatDate(value: string | null): string {
  if (value === null) return "—";
  const d = parsed(value);
  return d === null ? value : isoDay(d);
}

/** "14:03:27 UTC". */
export function formatTime(value: string): string {
  const d = parsed(value);
  if (d === null) return value;
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${TIME_ZONE_LABEL}`;
}

/** The UTC calendar day of a time, as YYYY-MM-DD ("unknown day" for a bad time). */
export function utcDay(value: string): string {
  const d = parsed(value);
  return d === null ? "unknown day" : isoDay(d);
}

/** "2026-11-27 · Friday (UTC)": an audit day heading. */
export function formatDayHeading(day: string): string {
  const d = parsed(`${day}T12:00:00Z`);
  if (d === null || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return day;
  const weekday = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"][d.getUTCDay()];
  return `${day} · ${weekday} (${TIME_ZONE_LABEL})`;
}

/** The UTC date of a Rust time, as the YYYY-MM-DD the expiry field takes (Rust reads it back as that UTC day). */
export function utcDateInput(value: string | null): string {
  if (value === null) return "";
  const d = parsed(value);
  return d === null ? "" : isoDay(d);
}

/** The reader's number format; where it groups no digits at all (the C/POSIX locale, as a bare session or a
 *  service starts the app: "100000 keys"), English grouping instead. */
export function countFormat(locale?: string): Intl.NumberFormat {
  const own = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  return /^\d+$/.test(own.format(10_000)) ? new Intl.NumberFormat("en", { maximumFractionDigits: 0 }) : own;
}
const counter = countFormat();

/** A count with the reader's digit grouping: "10,000". */
export const formatCount = (n: number): string => counter.format(n);

/** "1 key", "2 keys", "10,000 keys": the one way a count and its noun are written. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${formatCount(n)} ${n === 1 ? one : many}`;

/** Names in quotes joined as a sentence does: "'a'", "'a' and 'b'", "'a', 'b' and 'c'". */
export function quotedList(names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  if (quoted.length <= 1) return quoted.join("");
  return `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}

const sentenceCase = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The due date as one sentence. Core's reason is either a clause ("the key expires", "the key is due for
 * rotation (every 90 days)") or an exchange's rule, already a full sentence: the date joins a clause and
 * follows a sentence, so nothing reads "after it is created. on 2026-12-31" or ends twice in "(rotation)".
 */
export function dueSentence(reason: string | null, kind: DueKind | null, dueAt: string): string {
  const when = formatDateTime(dueAt);
  const r = (reason ?? "").trim();
  if (r === "") return kind === "expiry" ? `Expires on ${when}.` : `Due on ${when}.`;
  if (/[.!?]$/.test(r)) {
    return `${sentenceCase(r)} For this key: ${when}.`;
  }
  return `${sentenceCase(r)} on ${when}.`;
}

/**
 * A URL cut into pieces after "/", "?", "&", "=", "." and "-": the screen puts a <wbr> between pieces, so a
 * long address wraps at those points instead of mid-word ("…/settings/a" + "pi-management"). Text only: the
 * pieces joined give the URL back exactly.
 */
export function urlBreaks(url: string): string[] {
  return url.split(/(?<=[/?&=.\-])(?!\/)/).filter((p) => p !== "");
}
