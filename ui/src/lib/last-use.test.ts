import { describe, expect, it } from "vitest";
import { lastUseText, lastUsedLine } from "./last-use";

describe("last use", () => {
  it("says how, from where and on which machine", () => {
    expect(lastUseText({ how: "copied", by: "app", host: "trader-pc", program: null })).toBe(
      "copied in the app on trader-pc",
    );
    expect(lastUseText({ how: "revealed", by: "cli", host: null, program: null })).toBe("shown with the CLI");
    expect(lastUseText({ how: "verified", by: "app", host: null, program: null })).toBe(
      "checked on its exchange in the app",
    );
    expect(lastUseText({ how: "run", by: "cli", host: "vps-1", program: "python3" })).toBe(
      "handed to python3 by keystead run on vps-1",
    );
  });

  it("reads never for an unused key, and the time alone for a use from before it was recorded", () => {
    const when = (at: string) => `at ${at}`;
    expect(lastUsedLine(null, null, when)).toMatch(/^never/);
    expect(lastUsedLine("2026-12-02T10:00:00Z", null, when)).toBe("at 2026-12-02T10:00:00Z");
    expect(
      lastUsedLine("2026-12-02T10:00:00Z", { how: "copied", by: "app", host: "pc", program: null }, when),
    ).toBe("at 2026-12-02T10:00:00Z, copied in the app on pc");
  });
});
