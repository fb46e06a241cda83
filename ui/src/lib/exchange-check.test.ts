import { describe, expect, it } from "vitest";
import { checkRows, outcomeText, tableCheck } from "./exchange-check";
import type { RecordedView, Verification } from "./ipc";

const recorded: RecordedView = {
  permissions: ["enable_reading", "enable_spot_margin_trading"],
  scopes: ["read", "trade", "margin"],
  scopes_unknown: false,
  ip_allowlist: ["203.0.113.7"],
  expires_at: null,
  created_at: "2026-01-10T09:00:00Z",
};

function verification(report: Verification["report"], outcome: Verification["outcome"] = "drift"): Verification {
  return { at: "2026-01-10T09:00:00Z", outcome, drift: [], error: null, report };
}

describe("checkRows", () => {
  it("lays the record beside the exchange's report", () => {
    const rows = checkRows(
      recorded,
      verification({
        permissions: ["enable_reading", "enable_withdrawals"],
        scopes: ["read", "withdraw"],
        ip_restricted: false,
        ip_allowlist: [],
        expires_at: null,
        trading_expires_at: null,
        created_at: null,
        last_used_at: null,
      }),
    );
    const byLabel = Object.fromEntries(rows.map((r) => [r.label, r]));
    expect(byLabel["Permissions"]).toEqual({
      label: "Permissions",
      recorded: "enable_reading, enable_spot_margin_trading",
      exchange: "enable_reading, enable_withdrawals",
    });
    expect(byLabel["IP allowlist"]?.recorded).toBe("203.0.113.7");
    expect(byLabel["IP allowlist"]?.exchange).toBe("any address");
    expect(byLabel["Expires"]).toMatchObject({ recorded: "never", exchange: "not reported" });
    expect(byLabel["Created"]?.exchange).toBe("not reported");
  });

  it("says what the exchange did not report, and shows nothing without a report", () => {
    const rows = checkRows(
      { ...recorded, scopes_unknown: true },
      verification({
        permissions: null,
        scopes: null,
        ip_restricted: true,
        ip_allowlist: [],
        expires_at: null,
        trading_expires_at: null,
        created_at: null,
        last_used_at: null,
      }),
    );
    expect(rows[0]).toMatchObject({ recorded: "unknown", exchange: "not reported" });
    expect(rows[2]?.exchange).toBe("restricted (addresses not reported)");
    expect(checkRows(recorded, verification(null, "rejected"))).toEqual([]);
  });
});

describe("outcomeText", () => {
  it("names the exchange in every outcome", () => {
    expect(outcomeText("agrees", "Binance")).toBe("Binance agrees with the record.");
    expect(outcomeText("rejected", "OKX")).toBe("OKX rejected this key.");
    expect(outcomeText("failed", "Bybit")).toBe("Bybit could not be asked.");
  });
});

describe("tableCheck (the table's Verified cell)", () => {
  const now = Date.parse("2026-01-10T11:05:00Z");
  const at = "2026-01-10T09:00:00Z";

  it("says how long ago the exchange agreed, with the UTC time on hover", () => {
    expect(tableCheck({ at, outcome: "agrees", differences: 0 }, "Binance", now)).toEqual({
      text: "verified 02 h ago",
      tone: "ok",
      title: "Binance agreed with the record (checked 2026-01-10 09:00 UTC)",
    });
    expect(tableCheck({ at: "2026-01-10T11:04:30Z", outcome: "agrees", differences: 0 }, "OKX", now).text).toBe(
      "verified just now",
    );
  });

  it("shows drift and a rejected key as badges, and counts the differences", () => {
    const drift = tableCheck({ at, outcome: "drift", differences: 2 }, "Binance", now);
    expect([drift.text, drift.tone]).toEqual(["drift", "amber"]);
    expect(drift.title).toBe(
      "Binance reported 2 differences from the record (checked 2026-01-10 09:00 UTC): open the key to see them",
    );
    expect(tableCheck({ at, outcome: "drift", differences: 1 }, "Binance", now).title).toContain("1 difference from");
    const rejected = tableCheck({ at, outcome: "rejected", differences: 1 }, "Bybit", now);
    expect([rejected.text, rejected.tone]).toEqual(["rejected", "red"]);
    expect(rejected.title).toContain("Bybit rejected this key");
  });

  it("is quiet for a key never checked or a check that could not reach the exchange", () => {
    expect(tableCheck(null, "Binance", now)).toEqual({ text: "—", tone: "muted", title: "Not checked on its exchange yet" });
    const failed = tableCheck({ at, outcome: "failed", differences: 0 }, "Kraken", now);
    expect([failed.text, failed.tone, failed.title]).toEqual([
      "check failed",
      "muted",
      "Kraken could not be asked (tried 2026-01-10 09:00 UTC)",
    ]);
  });
});
