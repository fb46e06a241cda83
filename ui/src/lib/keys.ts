// The key list's filters as the table's controls hold them, and the scope rules of the key form: plain
// functions tested without a DOM. Filtering, sorting and grouping the table run in Rust (key_list.rs); the
// webview sends them a ListQuery.
import type {
  CredentialField,
  DueState,
  Environment,
  ExchangeInfo,
  GroupBy,
  KeyStatus,
  KeySummary,
  ListQuery,
  Scope,
  SortColumn,
  SortOrder,
} from "./ipc";

export type { SortColumn, SortOrder };

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

/** The lower-case text the share dialog's picker searches a key by (cached per key object). The key table's
 *  search runs in Rust over the same fields. */
function searchText(key: KeySummary): string {
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

/** The share dialog's picker: the keys whose text holds every typed word, in their given order. */
export function searchKeys(keys: readonly KeySummary[], text: string): KeySummary[] {
  const words = text.toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return [...keys];
  return keys.filter((key) => {
    const hay = searchText(key);
    return words.every((word) => hay.includes(word));
  });
}

/** What the key table asks Rust for: the filters ("" for any), the order and the grouping. */
export function listQuery(filters: KeyFilters, sort: SortOrder, groupBy: GroupBy): ListQuery {
  return {
    text: filters.text,
    exchange: filters.exchange,
    environment: filters.environment === "" ? null : filters.environment,
    due: filters.due === "" ? null : filters.due,
    status: filters.status === "" ? null : filters.status,
    bot: filters.bot,
    team: filters.team,
    sort,
    group_by: groupBy,
  };
}

/** The view the app starts with: every key, soonest due first. */
export const DEFAULT_SORT: SortOrder = { column: "due", direction: "ascending" };

/** The next order when a column header is clicked: same column flips, a new column starts ascending. */
export function nextSort(current: SortOrder, column: SortColumn): SortOrder {
  if (current.column === column) {
    return { column, direction: current.direction === "ascending" ? "descending" : "ascending" };
  }
  return { column, direction: "ascending" };
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
