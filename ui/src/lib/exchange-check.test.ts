import { describe, expect, it } from "vitest";
import { checkRows, outcomeText } from "./exchange-check";
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
