import { describe, expect, it } from "vitest";
import type { KeySummary } from "./ipc";
import {
  NO_FILTERS,
  botsIn,
  teamsIn,
  PERSONAL,
  canAct,
  ccxtVariable,
  countKeys,
  effectiveScopes,
  exchangesIn,
  filterKeys,
  hasFilters,
  nextSort,
  sortKeys,
  toggleScope,
} from "./keys";

function key(name: string, over: Partial<KeySummary> = {}): KeySummary {
  return {
    id: `id-${name}`,
    name,
    exchange: "binance",
    exchange_name: "Binance",
    account: null,
    environment: "production",
    scopes: ["read"],
    exchange_scopes: [],
    scopes_unknown: false,
    ip_allowlist: [],
    status: "active",
    created_at: "2026-01-01T00:00:00Z",
    expires_at: null,
    last_rotated_at: null,
    rotation_days: null,
    last_used_at: null,
    last_use: null,
    due_at: null,
    due_kind: null,
    due_state: "ok",
    days_left: null,
    due_reason: null,
    risk_flags: [],
    tags: [],
    moves_funds: false,
    last_check: null,
    scheduled_check: null,
    used_by: [],
    team: null,
    ...over,
  };
}

const names = (keys: KeySummary[]) => keys.map((k) => k.name);

const keys = [
  key("binance-main", { scopes: ["read", "trade", "withdraw"], due_at: "2026-12-01T00:00:00Z", due_state: "due_soon", tags: ["bot"] }),
  key("okx-tax", { exchange: "okx", exchange_name: "OKX", account: "tax@example.com", environment: "staging", due_at: "2027-06-01T00:00:00Z" }),
  key("kraken-old", { exchange: "kraken", exchange_name: "Kraken", status: "revoked", due_state: "ok" }),
  key("Bybit-testnet", { exchange: "bybit", exchange_name: "Bybit", environment: "testnet", due_at: "2026-11-01T00:00:00Z", due_state: "expired", scopes: ["trade"] }),
  key("binance-sub", { account: "sub1", due_at: "2026-11-20T00:00:00Z", due_state: "overdue", tags: ["grid", "bot"] }),
];

describe("filterKeys", () => {
  it("keeps everything with no filters", () => {
    expect(filterKeys(keys, NO_FILTERS)).toHaveLength(5);
  });

  it("searches name, exchange, account and tags, case-insensitively, every word", () => {
    expect(names(filterKeys(keys, { ...NO_FILTERS, text: "BINANCE" }))).toEqual(["binance-main", "binance-sub"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, text: "okx" }))).toEqual(["okx-tax"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, text: "tax@example" }))).toEqual(["okx-tax"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, text: "grid" }))).toEqual(["binance-sub"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, text: " bot  binance " }))).toEqual(["binance-main", "binance-sub"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, text: "bot kraken" }))).toEqual([]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, text: "Kraken" }))).toEqual(["kraken-old"]);
  });

  it("does not match across field boundaries", () => {
    expect(filterKeys(keys, { ...NO_FILTERS, text: "mainbinance" })).toEqual([]);
  });

  it("filters by exchange, environment, status and due state", () => {
    expect(names(filterKeys(keys, { ...NO_FILTERS, exchange: "binance" }))).toEqual(["binance-main", "binance-sub"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, environment: "testnet" }))).toEqual(["Bybit-testnet"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, status: "revoked" }))).toEqual(["kraken-old"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, due: "overdue" }))).toEqual(["binance-sub"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, due: "attention" }))).toEqual([
      "binance-main",
      "Bybit-testnet",
      "binance-sub",
    ]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, exchange: "binance", due: "due_soon", text: "main" }))).toEqual([
      "binance-main",
    ]);
  });

  it("filters by the bot that uses a key, and finds bots and hosts by search", () => {
    const bots = [
      key("a", { used_by: [{ bot: "freqtrade", host: "vps-1" }] }),
      key("b", { used_by: [{ bot: "grid", host: null }, { bot: "freqtrade", host: "vps-2" }] }),
      key("c"),
    ];
    expect(botsIn(bots)).toEqual(["freqtrade", "grid"]);
    expect(names(filterKeys(bots, { ...NO_FILTERS, bot: "freqtrade" }))).toEqual(["a", "b"]);
    expect(names(filterKeys(bots, { ...NO_FILTERS, bot: "grid" }))).toEqual(["b"]);
    expect(names(filterKeys(bots, { ...NO_FILTERS, text: "vps-2" }))).toEqual(["b"]);
    expect(names(filterKeys(bots, { ...NO_FILTERS, text: "freqtrade@vps-1" }))).toEqual(["a"]);
    expect(hasFilters({ ...NO_FILTERS, bot: "grid" })).toBe(true);
  });

  it("filters by team, or the personal keys, and finds a team by search", () => {
    const keys = [key("a", { team: "desk" }), key("b", { team: "ops" }), key("c")];
    expect(teamsIn(keys)).toEqual(["desk", "ops"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, team: "desk" }))).toEqual(["a"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, team: PERSONAL }))).toEqual(["c"]);
    expect(names(filterKeys(keys, { ...NO_FILTERS, text: "ops" }))).toEqual(["b"]);
    expect(hasFilters({ ...NO_FILTERS, team: PERSONAL })).toBe(true);
  });

  it("keeps the given order", () => {
    const reversed = [...keys].reverse();
    expect(names(filterKeys(reversed, { ...NO_FILTERS, exchange: "binance" }))).toEqual(["binance-sub", "binance-main"]);
  });
});

describe("sortKeys", () => {
  it("sorts names naturally and case-insensitively, both ways", () => {
    const list = [key("key-10"), key("Key-2"), key("alpha")];
    expect(names(sortKeys(list, { column: "name", direction: "ascending" }))).toEqual(["alpha", "Key-2", "key-10"]);
    expect(names(sortKeys(list, { column: "name", direction: "descending" }))).toEqual(["key-10", "Key-2", "alpha"]);
  });

  it("sorts by due date with keys without a due date last, in both directions", () => {
    const asc = names(sortKeys(keys, { column: "due", direction: "ascending" }));
    expect(asc).toEqual(["Bybit-testnet", "binance-sub", "binance-main", "okx-tax", "kraken-old"]);
    const desc = names(sortKeys(keys, { column: "due", direction: "descending" }));
    expect(desc).toEqual(["okx-tax", "binance-main", "binance-sub", "Bybit-testnet", "kraken-old"]);
  });

  it("is stable: equal keys keep their order in both directions", () => {
    const list = [key("b1"), key("a1", { exchange_name: "Aave" }), key("b2"), key("b3")];
    expect(names(sortKeys(list, { column: "exchange", direction: "ascending" }))).toEqual(["a1", "b1", "b2", "b3"]);
    expect(names(sortKeys(list, { column: "exchange", direction: "descending" }))).toEqual(["b1", "b2", "b3", "a1"]);
    const undated = [key("n1"), key("n2"), key("d", { due_at: "2027-01-01T00:00:00Z" }), key("n3")];
    expect(names(sortKeys(undated, { column: "due", direction: "descending" }))).toEqual(["d", "n1", "n2", "n3"]);
  });

  it("sorts environments and statuses in their natural order, not alphabetically", () => {
    expect(names(sortKeys(keys, { column: "environment", direction: "ascending" }))).toEqual([
      "binance-main",
      "kraken-old",
      "binance-sub",
      "okx-tax",
      "Bybit-testnet",
    ]);
    const statuses = [key("r", { status: "revoked" }), key("c", { status: "compromised" }), key("a")];
    expect(names(sortKeys(statuses, { column: "status", direction: "ascending" }))).toEqual(["a", "c", "r"]);
  });

  it("does not change the list it was given", () => {
    const copy = [...keys];
    sortKeys(keys, { column: "name", direction: "descending" });
    expect(keys).toEqual(copy);
  });

  it("sorts 10,000 keys", () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      key(`k${(i * 7919) % 10_000}`, { due_at: i % 3 === 0 ? null : new Date(Date.UTC(2027, 0, 1) + i * 1000).toISOString() }),
    );
    const sorted = sortKeys(many, { column: "due", direction: "ascending" });
    expect(sorted).toHaveLength(10_000);
    expect(sorted[sorted.length - 1]?.due_at).toBeNull();
    expect(sorted[0]?.due_at).not.toBeNull();
  });
});

describe("nextSort", () => {
  it("flips the same column and starts a new one ascending", () => {
    expect(nextSort({ column: "name", direction: "ascending" }, "name")).toEqual({ column: "name", direction: "descending" });
    expect(nextSort({ column: "name", direction: "descending" }, "name")).toEqual({ column: "name", direction: "ascending" });
    expect(nextSort({ column: "name", direction: "descending" }, "due")).toEqual({ column: "due", direction: "ascending" });
  });
});

describe("countKeys", () => {
  it("counts due soon, overdue or expired, and active withdraw-enabled keys", () => {
    const withRevokedWithdraw = [...keys, key("gone", { status: "revoked", scopes: ["withdraw"] })];
    expect(countKeys(withRevokedWithdraw)).toEqual({ keys: 6, dueSoon: 1, overdue: 2, withdraw: 1 });
    expect(countKeys([])).toEqual({ keys: 0, dueSoon: 0, overdue: 0, withdraw: 0 });
  });
});

describe("exchangesIn and canAct", () => {
  it("lists each exchange once, by name", () => {
    expect(exchangesIn(keys).map((e) => e.name)).toEqual(["Binance", "Bybit", "Kraken", "OKX"]);
  });

  it("treats any scope but read as able to act", () => {
    expect(canAct({ scopes: ["read"] })).toBe(false);
    expect(canAct({ scopes: [] })).toBe(false);
    expect(canAct({ scopes: ["read", "futures"] })).toBe(true);
  });
});

describe("effectiveScopes", () => {
  const binance = {
    permissions: [
      { id: "enable_withdrawals", label: "Enable Withdrawals", grants: ["withdraw" as const] },
      { id: "enable_spot", label: "Enable Spot & Margin Trading", grants: ["trade" as const, "margin" as const] },
    ],
  };

  it("adds what the ticked exchange permissions grant, in canonical order, once each", () => {
    expect(effectiveScopes(["read", "trade"], ["enable_withdrawals", "enable_spot"], binance)).toEqual([
      "read",
      "trade",
      "withdraw",
      "margin",
    ]);
  });

  it("ignores permissions the exchange does not have", () => {
    expect(effectiveScopes(["read"], ["enable_withdrawals"], undefined)).toEqual(["read"]);
    expect(effectiveScopes([], ["unknown"], binance)).toEqual([]);
  });
});

describe("ccxtVariable", () => {
  it("names the field as ccxt's environment convention does", () => {
    expect(ccxtVariable("binance", "apiKey")).toBe("BINANCE_APIKEY");
    expect(ccxtVariable("okx", "password")).toBe("OKX_PASSWORD");
    expect(ccxtVariable("hyperliquid", "walletAddress")).toBe("HYPERLIQUID_WALLETADDRESS");
  });
});

describe("toggleScope keeps the canonical boxes and the exchange's names in step", () => {
  const binance = {
    permissions: [
      { id: "enable_reading", label: "Enable Reading", grants: ["read" as const] },
      { id: "enable_spot_margin_trading", label: "Enable Spot & Margin Trading", grants: ["trade" as const, "margin" as const] },
      { id: "enable_withdrawals", label: "Enable Withdrawals", grants: ["withdraw" as const] },
    ],
  };

  it("ticks a scope the exchange names alone under that name, and others as canonical", () => {
    let state = toggleScope("read", true, [], [], binance);
    expect(state).toEqual({ canonical: [], permissions: ["enable_reading"] });
    state = toggleScope("trade", true, state.canonical, state.permissions, binance);
    expect(state).toEqual({ canonical: ["trade"], permissions: ["enable_reading"] });
    expect(effectiveScopes(state.canonical, state.permissions, binance)).toEqual(["read", "trade"]);
  });

  it("unticking a scope unticks every exchange permission that grants it", () => {
    const state = toggleScope("margin", false, ["read"], ["enable_spot_margin_trading", "enable_withdrawals"], binance);
    expect(state).toEqual({ canonical: ["read"], permissions: ["enable_withdrawals"] });
    const off = toggleScope("withdraw", false, state.canonical, state.permissions, binance);
    expect(effectiveScopes(off.canonical, off.permissions, binance)).toEqual(["read"]);
  });

  it("without an exchange catalog every scope is canonical", () => {
    expect(toggleScope("withdraw", true, ["read"], [], undefined)).toEqual({ canonical: ["read", "withdraw"], permissions: [] });
  });
});
