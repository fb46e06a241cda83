import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { formatDate, formatDateTime, formatDayHeading, formatTime, utcDateInput, utcDay } from "./format";

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
