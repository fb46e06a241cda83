// Filtering, sorting and counting the key list: plain functions, so 10,000 keys cost a few milliseconds and
// the rules are tested without a DOM.
import type { CredentialField, DueState, Environment, ExchangeInfo, KeyStatus, KeySummary, Scope } from "./ipc";
import { parseTime } from "./countdown";

export type SortColumn = "name" | "exchange" | "environment" | "due" | "last_used" | "status";
export type SortDirection = "ascending" | "descending";
export type SortOrder = { column: SortColumn; direction: SortDirection };

export type KeyFilters = {
  /** Words typed in the search box; every word must appear in the name, exchange, account, tags or bots. */
  text: string;
  /** Exchange id, or "" for every exchange. */
  exchange: string;
  environment: Environment | "";
  /** A due state, "attention" (due soon, overdue or expired), or "" for any. */
  due: DueState | "attention" | "";
  status: KeyStatus | "";
  /** A bot the key is used by (any host), or "" for any. */
  bot: string;
  /** A team's name, PERSONAL for the keys of no team, or "" for any. */
  team: string;
};

/** The team filter's choice for the keys that belong to no team (no team name starts with a space: core trims
 *  them). */
export const PERSONAL = " personal";

export const NO_FILTERS: KeyFilters = { text: "", exchange: "", environment: "", due: "", status: "", bot: "", team: "" };

export const ENVIRONMENTS: readonly Environment[] = ["production", "staging", "development", "testnet"];
export const STATUSES: readonly KeyStatus[] = ["active", "compromised", "revoked"];
export const DUE_STATES: readonly DueState[] = ["ok", "due_soon", "overdue", "expired"];
export const SCOPES: readonly Scope[] = ["read", "trade", "withdraw", "transfer", "margin", "futures"];

/** Scopes that can move money out: shown in red. */
export const isFundsScope = (scope: Scope | string): boolean => scope === "withdraw" || scope === "transfer";

/**
 * What a key may do: the canonical scopes ticked plus those the ticked exchange permissions grant, in the
 * order of SCOPES.
 */
export function effectiveScopes(
  canonical: readonly Scope[],
  permissions: readonly string[],
  exchange: Pick<ExchangeInfo, "permissions"> | undefined,
): Scope[] {
  const all = new Set<Scope>(canonical);
  for (const id of permissions) for (const s of exchange?.permissions.find((p) => p.id === id)?.grants ?? []) all.add(s);
  return SCOPES.filter((s) => all.has(s));
}

/**
 * Ticks (`on`) or unticks a canonical scope, keeping the exchange's own names in step, so the two lists never
 * disagree: a scope the exchange names alone (Binance "Enable Reading" → read) is ticked under that name; any
 * other stays canonical. Unticking a scope also unticks every exchange permission that grants it.
 */
export function toggleScope(
  scope: Scope,
  on: boolean,
  canonical: readonly Scope[],
  permissions: readonly string[],
  exchange: Pick<ExchangeInfo, "permissions"> | undefined,
): { canonical: Scope[]; permissions: string[] } {
  const others = canonical.filter((s) => s !== scope);
  if (!on) {
    const kept = permissions.filter((id) => !(exchange?.permissions.find((p) => p.id === id)?.grants ?? []).includes(scope));
    return { canonical: others, permissions: kept };
  }
  const exact = exchange?.permissions.find((p) => p.grants.length === 1 && p.grants[0] === scope);
  if (exact === undefined) return { canonical: [...others, scope], permissions: [...permissions] };
  return { canonical: others, permissions: permissions.includes(exact.id) ? [...permissions] : [...permissions, exact.id] };
}

const haystacks = new WeakMap<KeySummary, string>();

/** The lower-case text a key is searched by (cached per key object). */
export function searchText(key: KeySummary): string {
  let text = haystacks.get(key);
  if (text === undefined) {
    const bots = key.used_by.map((u) => (u.host === null ? u.bot : `${u.bot}@${u.host}`));
    text = [key.name, key.exchange, key.exchange_name, key.account ?? "", key.team ?? "", ...key.tags, ...bots]
      .join("\u0000")
      .toLowerCase();
    haystacks.set(key, text);
  }
  return text;
}

/** Builds the search text of every key ahead of the first keystroke. */
export function prepareSearch(keys: readonly KeySummary[]): void {
  for (const key of keys) searchText(key);
}

export function hasFilters(filters: KeyFilters): boolean {
  return (
    filters.text.trim() !== "" ||
    filters.exchange !== "" ||
    filters.environment !== "" ||
    filters.due !== "" ||
    filters.status !== "" ||
    filters.bot !== "" ||
    filters.team !== ""
  );
}

/** The keys that match every filter, in their given order. */
export function filterKeys(keys: readonly KeySummary[], filters: KeyFilters): KeySummary[] {
  const words = filters.text.toLowerCase().split(/\s+/).filter((w) => w !== "");
  const { exchange, environment, due, status, bot, team } = filters;
  return keys.filter((key) => {
    if (bot !== "" && !key.used_by.some((u) => u.bot === bot)) return false;
    if (team !== "" && (team === PERSONAL ? key.team !== null : key.team !== team)) return false;
    if (exchange !== "" && key.exchange !== exchange) return false;
    if (environment !== "" && key.environment !== environment) return false;
    if (status !== "" && key.status !== status) return false;
    if (due === "attention") {
      if (key.due_state === "ok") return false;
    } else if (due !== "" && key.due_state !== due) return false;
    if (words.length > 0) {
      const text = searchText(key);
      for (const word of words) if (!text.includes(word)) return false;
    }
    return true;
  });
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
const ENV_RANK: Record<Environment, number> = { production: 0, staging: 1, development: 2, testnet: 3 };
const STATUS_RANK: Record<KeyStatus, number> = { active: 0, compromised: 1, revoked: 2 };

type SortValue = string | number | null;

function sortValue(key: KeySummary, column: SortColumn): SortValue {
  switch (column) {
    case "name":
      return key.name;
    case "exchange":
      return key.exchange_name;
    case "environment":
      return ENV_RANK[key.environment];
    case "due":
      return parseTime(key.due_at);
    case "last_used":
      return parseTime(key.last_used_at);
    case "status":
      return STATUS_RANK[key.status];
  }
}

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === "string" && typeof b === "string") return collator.compare(a, b);
  if (typeof a === "number" && typeof b === "number") return a - b;
  return 0;
}

/**
 * A sorted copy. Stable: equal keys keep their given order in both directions. Keys without a due date
 * come last whichever way the due column is sorted.
 */
export function sortKeys(keys: readonly KeySummary[], order: SortOrder): KeySummary[] {
  const sign = order.direction === "ascending" ? 1 : -1;
  const decorated = keys.map((key, index) => ({ key, index, value: sortValue(key, order.column) }));
  decorated.sort((a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value === null && b.value === null) return a.index - b.index;
      return a.value === null ? 1 : -1;
    }
    return sign * compareValues(a.value, b.value) || a.index - b.index;
  });
  return decorated.map((d) => d.key);
}

/** The next order when a column header is clicked: same column flips, a new column starts ascending. */
export function nextSort(current: SortOrder, column: SortColumn): SortOrder {
  if (current.column === column) {
    return { column, direction: current.direction === "ascending" ? "descending" : "ascending" };
  }
  return { column, direction: "ascending" };
}

export type KeyCounts = { keys: number; dueSoon: number; overdue: number; withdraw: number };

/** The summary strip: all keys, due soon, overdue or expired, and active keys that can withdraw. */
export function countKeys(keys: readonly KeySummary[]): KeyCounts {
  const counts: KeyCounts = { keys: keys.length, dueSoon: 0, overdue: 0, withdraw: 0 };
  for (const key of keys) {
    if (key.due_state === "due_soon") counts.dueSoon++;
    else if (key.due_state === "overdue" || key.due_state === "expired") counts.overdue++;
    if (key.status === "active" && key.scopes.includes("withdraw")) counts.withdraw++;
  }
  return counts;
}

/** Exchanges present in the list, by display name, for the exchange filter. */
export function exchangesIn(keys: readonly KeySummary[]): { id: string; name: string }[] {
  const seen = new Map<string, string>();
  for (const key of keys) if (!seen.has(key.exchange)) seen.set(key.exchange, key.exchange_name);
  return [...seen].map(([id, name]) => ({ id, name })).sort((a, b) => collator.compare(a.name, b.name));
}

/** The teams any key belongs to, sorted, each once: the team filter's choices. */
export function teamsIn(keys: readonly KeySummary[]): string[] {
  const teams = new Set<string>();
  for (const key of keys) if (key.team !== null) teams.add(key.team);
  return [...teams].sort((a, b) => collator.compare(a, b));
}

/** The bots recorded on any key, sorted, each once: the bot filter's choices. */
export function botsIn(keys: readonly KeySummary[]): string[] {
  const bots = new Set<string>();
  for (const key of keys) for (const u of key.used_by) bots.add(u.bot);
  return [...bots].sort((a, b) => collator.compare(a, b));
}

/** Whether a key may place orders or move funds, and so should be bound to IP addresses. */
export const canAct = (key: Pick<KeySummary, "scopes">): boolean => key.scopes.some((s) => s !== "read");

const CCXT_SUFFIX: Record<CredentialField, string> = {
  apiKey: "APIKEY",
  secret: "SECRET",
  password: "PASSWORD",
  uid: "UID",
  privateKey: "PRIVATEKEY",
  walletAddress: "WALLETADDRESS",
};

/** The variable `keystead run`'s default (ccxt) profile puts a field in, e.g. BINANCE_APIKEY. */
export function ccxtVariable(exchangeId: string, field: CredentialField): string {
  return `${exchangeId.toUpperCase()}_${CCXT_SUFFIX[field]}`;
}
