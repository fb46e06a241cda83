import { describe, expect, it } from "vitest";
import { formatAgo, formatCountdown, liveDueState, parseTime, secondsLeft } from "./countdown";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const now = Date.UTC(2026, 10, 27, 12, 0, 0);

describe("formatCountdown", () => {
  it("shows days and hours when more than a day is left", () => {
    expect(formatCountdown(now + 12 * D + 4 * H + 59 * M, now)).toBe("12 d 04 h");
    expect(formatCountdown(now + D, now)).toBe("1 d 00 h");
    expect(formatCountdown(now + 400 * D, now)).toBe("400 d 00 h");
  });

  it("shows hours, minutes and seconds under a day", () => {
    expect(formatCountdown(now + 4 * H + 12 * M + 9 * S, now)).toBe("04 h 12 m 09 s");
    expect(formatCountdown(now + D - 1, now)).toBe("23 h 59 m 59 s");
    expect(formatCountdown(now + 1 * S, now)).toBe("00 h 00 m 01 s");
    expect(formatCountdown(now + 999, now)).toBe("00 h 00 m 00 s");
  });

  it("says how long ago an expiry passed", () => {
    expect(formatCountdown(now - 3 * D, now)).toBe("expired 3 d ago");
    expect(formatCountdown(now - 3 * D - 23 * H, now, "expiry")).toBe("expired 3 d ago");
    expect(formatCountdown(now - 5 * H - 12 * M - 30 * S, now, "exchange_expiry")).toBe("expired 05 h 12 m ago");
    expect(formatCountdown(now - 30 * S, now)).toBe("expired just now");
    expect(formatCountdown(now, now)).toBe("expired just now");
  });

  it("says overdue for a passed rotation date", () => {
    expect(formatCountdown(now - 2 * D, now, "rotation")).toBe("overdue 2 d");
    expect(formatCountdown(now - 2 * M, now, "rotation")).toBe("overdue 00 h 02 m");
    expect(formatCountdown(now - 1, now, "rotation")).toBe("overdue just now");
  });

  it("shows a dash when there is no due date", () => {
    expect(formatCountdown(null, now)).toBe("—");
    expect(formatCountdown(Number.NaN, now)).toBe("—");
  });
});

describe("parseTime", () => {
  it("reads Rust's RFC 3339 times and keeps null", () => {
    expect(parseTime("2026-11-27T12:00:00Z")).toBe(now);
    expect(parseTime("2026-11-27T12:00:00.000000+00:00")).toBe(now);
    expect(parseTime(null)).toBeNull();
    expect(parseTime("not a date")).toBeNull();
  });
});

describe("liveDueState", () => {
  it("follows core's thresholds as time passes", () => {
    expect(liveDueState(now + 15 * D, "expiry", now, "ok")).toBe("ok");
    expect(liveDueState(now + 14 * D, "expiry", now, "ok")).toBe("due_soon");
    expect(liveDueState(now + 1, "rotation", now, "due_soon")).toBe("due_soon");
    expect(liveDueState(now, "rotation", now, "due_soon")).toBe("overdue");
    expect(liveDueState(now - 1, "exchange_trading_lapse", now, "due_soon")).toBe("expired");
    expect(liveDueState(null, null, now, "ok")).toBe("ok");
  });
});

describe("secondsLeft", () => {
  it("rounds up and never goes below zero", () => {
    expect(secondsLeft(now + 27 * S, now)).toBe(27);
    expect(secondsLeft(now + 26_001, now)).toBe(27);
    expect(secondsLeft(now - 5 * S, now)).toBe(0);
  });
});

describe("formatAgo (last used)", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");
  it("says never, just now, minutes, hours and days", () => {
    expect(formatAgo(null, now)).toBe("never");
    expect(formatAgo(now - 30_000, now)).toBe("just now");
    expect(formatAgo(now - 12 * 60_000, now)).toBe("12 m ago");
    expect(formatAgo(now - 5 * 3_600_000, now)).toBe("05 h ago");
    expect(formatAgo(now - 15 * 86_400_000 - 1, now)).toBe("15 d ago");
  });
  it("treats a time in the future (a clock set back) as just now", () => {
    expect(formatAgo(now + 60_000, now)).toBe("just now");
  });
});
