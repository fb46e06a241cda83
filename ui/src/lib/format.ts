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

export const DUE_KIND_LABELS: Record<DueKind, string> = {
  expiry: "expiry date",
  rotation: "rotation",
  exchange_expiry: "exchange rule: key deleted",
  exchange_trading_lapse: "exchange rule: trading disabled",
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
};

/** Flags that mean money can leave or already has: red; the rest amber. */
export const isSevereFlag = (flag: RiskFlag): boolean =>
  flag === "withdraw_enabled" || flag === "transfer_enabled" || flag === "compromised" || flag === "found_in_plaintext";

const pad = (n: number) => String(n).padStart(2, "0");

/** "2026-11-27 14:03" in local time, or "—". */
export function formatDateTime(value: string | null): string {
  if (value === null) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-11-27" in local time, or "—". */
export function formatDate(value: string | null): string {
  return value === null ? "—" : formatDateTime(value).slice(0, 10);
}

/** "14:03:27" in local time. */
export function formatTime(value: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The UTC date of a Rust time, as the YYYY-MM-DD a date input takes (Rust reads it back as that UTC day). */
export function utcDateInput(value: string | null): string {
  if (value === null) return "";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().slice(0, 10);
}

const counter = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** A count with the reader's digit grouping: "10,000". */
export const formatCount = (n: number): string => counter.format(n);

/** "1 key", "2 keys". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
