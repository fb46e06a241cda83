import { describe, expect, it } from "vitest";
import type { KeySummary } from "./ipc";
import {
  NO_FILTERS,
  PERSONAL,
  canAct,
  ccxtVariable,
  effectiveScopes,
  hasFilters,
  listQuery,
  nextSort,
  searchKeys,
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

describe("searchKeys (the share dialog's picker)", () => {
  it("keeps every key whose name, exchange, account, tags, team or bots hold every word, in the given order", () => {
    expect(searchKeys(keys, "")).toHaveLength(5);
    expect(names(searchKeys(keys, "BINANCE"))).toEqual(["binance-main", "binance-sub"]);
    expect(names(searchKeys(keys, "tax@example"))).toEqual(["okx-tax"]);
    expect(names(searchKeys(keys, " bot  binance "))).toEqual(["binance-main", "binance-sub"]);
    expect(searchKeys(keys, "bot kraken")).toEqual([]);
    expect(searchKeys(keys, "mainbinance")).toEqual([]);
    const bots = [key("a", { used_by: [{ bot: "freqtrade", host: "vps-1" }] }), key("b", { team: "ops" })];
    expect(names(searchKeys(bots, "freqtrade@vps-1"))).toEqual(["a"]);
    expect(names(searchKeys(bots, "ops"))).toEqual(["b"]);
  });
});

describe("listQuery", () => {
  it("sends Rust null for a filter set to any, and the rest as chosen", () => {
    expect(listQuery(NO_FILTERS, { column: "due", direction: "ascending" }, "none")).toEqual({
      text: "",
      exchange: "",
      environment: null,
      due: null,
      status: null,
      bot: "",
      team: "",
      sort: { column: "due", direction: "ascending" },
      group_by: "none",
    });
    const q = listQuery(
      { ...NO_FILTERS, text: "main", environment: "testnet", due: "attention", status: "revoked", team: PERSONAL },
      { column: "name", direction: "descending" },
      "bot",
    );
    expect(q).toMatchObject({ text: "main", environment: "testnet", due: "attention", status: "revoked", team: PERSONAL });
    expect(q.group_by).toBe("bot");
    expect(hasFilters({ ...NO_FILTERS, bot: "grid" })).toBe(true);
    expect(hasFilters(NO_FILTERS)).toBe(false);
  });
});

describe("nextSort", () => {
  it("flips the same column and starts a new one ascending", () => {
    expect(nextSort({ column: "name", direction: "ascending" }, "name")).toEqual({ column: "name", direction: "descending" });
    expect(nextSort({ column: "name", direction: "descending" }, "name")).toEqual({ column: "name", direction: "ascending" });
    expect(nextSort({ column: "name", direction: "descending" }, "due")).toEqual({ column: "due", direction: "ascending" });
  });
});

describe("canAct", () => {
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
