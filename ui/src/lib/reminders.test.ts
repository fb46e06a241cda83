import { describe, expect, it } from "vitest";
import { formatThresholds, parseThresholds } from "./reminders";

describe("reminder thresholds typed in settings", () => {
  it("accepts commas or spaces and sorts from the most distant day to the closest", () => {
    expect(parseThresholds("1, 14 7,0  3")).toEqual({ days: [14, 7, 3, 1, 0], error: null });
    expect(formatThresholds([30, 7, 0])).toBe("30, 7, 0");
  });

  it("says what is wrong with each kind of bad input", () => {
    expect(parseThresholds("  ").error).toMatch(/at least one/);
    expect(parseThresholds("7, soon").error).toMatch(/"soon" is not a whole number/);
    expect(parseThresholds("2.5").error).toMatch(/not a whole number/);
    expect(parseThresholds("-1").error).toMatch(/not a whole number/);
    expect(parseThresholds("400").error).toMatch(/too far ahead/);
    expect(parseThresholds("7, 7").error).toMatch(/listed twice/);
    expect(parseThresholds("0 1 2 3 4 5 6 7 8 9 10").error).toMatch(/at most 10/);
  });
});
