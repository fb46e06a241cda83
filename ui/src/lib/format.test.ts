import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  FIELD_LABELS,
  dueSentence,
  fieldTechName,
  countFormat,
  formatCount,
  formatDate,
  formatDateTime,
  formatDayHeading,
  formatTime,
  plural,
  quotedList,
  tableRiskFlags,
  urlBreaks,
  utcDateInput,
  utcDay,
} from "./format";

// A zone far from UTC, so a formatter that slips back to local time gives another hour and day.
beforeAll(() => {
  vi.stubEnv("TZ", "Pacific/Kiritimati"); // UTC+14
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const lateEvening = "2027-01-10T22:05:09Z";

describe("times are UTC and say so", () => {
  it("the zone under test really is not UTC", () => {
    expect(new Date(lateEvening).getHours()).not.toBe(22);
  });

  it("date and time: ISO day, 24-hour time, UTC label", () => {
    expect(formatDateTime(lateEvening)).toBe("2027-01-10 22:05 UTC");
    expect(formatDateTime("2027-01-10T00:00:00Z")).toBe("2027-01-10 00:00 UTC");
    expect(formatDateTime(null)).toBe("—");
  });

  it("a time alone carries seconds and the label", () => {
    expect(formatTime(lateEvening)).toBe("22:05:09 UTC");
  });

  it("a date is the UTC day as YYYY-MM-DD, never a locale form like 01/10/2027", () => {
    expect(formatDate(lateEvening)).toBe("2027-01-10");
    expect(utcDay(lateEvening)).toBe("2027-01-10");
    expect(utcDateInput(lateEvening)).toBe("2027-01-10");
    expect(utcDateInput("2027-03-01T00:00:00Z")).toBe("2027-03-01");
    expect(utcDateInput(null)).toBe("");
    for (const shown of [formatDate(lateEvening), formatDateTime(lateEvening), utcDateInput(lateEvening)]) {
      expect(shown).toMatch(/^\d{4}-\d{2}-\d{2}/);
      expect(shown).not.toContain("/");
    }
  });

  it("bad input is shown as given, not as a wrong date", () => {
    expect(formatDateTime("soon")).toBe("soon");
    expect(utcDay("soon")).toBe("unknown day");
    expect(utcDateInput("soon")).toBe("");
  });

  it("an audit day heading names the UTC weekday and the zone", () => {
    expect(formatDayHeading("2027-01-10")).toBe("2027-01-10 · Sunday (UTC)");
    expect(formatDayHeading("unknown day")).toBe("unknown day");
  });
});

describe("plural", () => {
  it("never writes '1 keys'", () => {
    expect(plural(1, "key")).toBe("1 key");
    expect(plural(0, "key")).toBe("0 keys");
    expect(plural(2, "entry", "entries")).toBe("2 entries");
    expect(plural(1, "entry", "entries")).toBe("1 entry");
    expect(plural(10_000, "key")).toBe(`${formatCount(10_000)} keys`);
  });
  it("groups the digits of a large count, also under the C locale", () => {
    expect(formatCount(100_000)).toMatch(/^100\D000$/);
    expect(formatCount(7)).toBe("7");
    // WebKit's locale in a C/POSIX session groups nothing: "100000".
    expect(countFormat("en-US-u-va-posix").format(100_000)).toBe("100,000");
    expect(countFormat("de").format(100_000)).toBe("100.000");
  });
});

describe("dueSentence", () => {
  const due = "2026-12-31T00:00:00Z";

  it("an exchange rule is its own sentence; the date follows it, not glued to its full stop", () => {
    const s = dueSentence(
      "Binance removes trading permissions from a key without an IP allowlist 30 days after it is created.",
      "exchange_trading_lapse",
      due,
    );
    expect(s).toBe(
      "Binance removes trading permissions from a key without an IP allowlist 30 days after it is created. For this key: 2026-12-31 00:00 UTC.",
    );
    expect(s).not.toMatch(/\. on /);
  });

  it("a clause takes the date and ends once, without a repeated '(rotation)' or '(expiry date)'", () => {
    const rot = dueSentence("the key is due for rotation (every 90 days)", "rotation", due);
    expect(rot).toBe("The key is due for rotation (every 90 days) on 2026-12-31 00:00 UTC.");
    expect(rot).not.toMatch(/\(rotation\)/);
    const exp = dueSentence("the key expires", "expiry", due);
    expect(exp).toBe("The key expires on 2026-12-31 00:00 UTC.");
    expect(exp).not.toMatch(/\(expiry date\)/);
    expect(dueSentence(null, "expiry", due)).toBe("Expires on 2026-12-31 00:00 UTC.");
  });
});

describe("fieldTechName", () => {
  it("no label repeats itself ('Secret secret', 'API key apiKey')", () => {
    expect(fieldTechName("secret")).toBeNull();
    expect(fieldTechName("apiKey")).toBeNull();
    expect(fieldTechName("uid")).toBeNull();
    expect(fieldTechName("privateKey")).toBeNull();
    expect(fieldTechName("password")).toBe("password");
    for (const f of Object.keys(FIELD_LABELS) as (keyof typeof FIELD_LABELS)[]) {
      const caption = `${FIELD_LABELS[f]} ${fieldTechName(f) ?? ""}`.trim().toLowerCase().split(/\s+/);
      expect(caption.length === 1 || caption[caption.length - 1] !== caption[caption.length - 2]).toBe(true);
    }
  });
});

describe("tableRiskFlags", () => {
  it("leaves out what the scope and IP columns already say, keeps what they do not", () => {
    expect(tableRiskFlags(["withdraw_enabled", "no_ip_allowlist", "transfer_enabled"])).toEqual([]);
    expect(tableRiskFlags(["withdraw_enabled", "rotation_overdue", "no_ip_allowlist", "compromised"])).toEqual([
      "rotation_overdue",
      "compromised",
    ]);
  });
});

describe("urlBreaks", () => {
  it("wraps a URL after its separators, never inside a word, and gives the URL back exactly", () => {
    const url = "https://www.binance.com/en/my/settings/api-management";
    const pieces = urlBreaks(url);
    expect(pieces.join("")).toBe(url);
    expect(pieces).toContain("api-");
    expect(pieces).toContain("management");
    expect(pieces.some((p) => p.startsWith("pi"))).toBe(false);
    expect(pieces[0]).toBe("https://");
    expect(urlBreaks("")).toEqual([]);
  });
});

describe("quotedList", () => {
  it("names one, two and three entries as a sentence does", () => {
    expect(quotedList([])).toBe("");
    expect(quotedList(["binance-main"])).toBe("'binance-main'");
    expect(quotedList(["a", "b"])).toBe("'a' and 'b'");
    expect(quotedList(["a", "b", "c"])).toBe("'a', 'b' and 'c'");
  });
});
