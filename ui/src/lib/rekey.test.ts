import { describe, expect, it } from "vitest";
import { rekeyDone, rekeyStatus } from "./rekey";

describe("rekeyStatus", () => {
  it("says the key is being derived before Rust's first report", () => {
    expect(rekeyStatus(null)).toBe("Checking the vault and deriving the new key…");
  });

  it("counts the records sealed again, with digit grouping", () => {
    expect(rekeyStatus({ done: 0, total: 10_031 })).toBe("Re-sealing 0 of 10,031…");
    expect(rekeyStatus({ done: 4120, total: 10_031 })).toBe("Re-sealing 4,120 of 10,031…");
  });

  it("says it is saving once every record is sealed again", () => {
    expect(rekeyStatus({ done: 10_031, total: 10_031 })).toBe("Re-sealed 10,031 records; saving…");
  });
});

describe("rekeyDone", () => {
  it("reports how many records were sealed again", () => {
    expect(rekeyDone({ done: 10_031, total: 10_031 })).toBe(
      "Passphrase changed: 10,031 records sealed again under a new vault key. Use the new passphrase from now on.",
    );
    expect(rekeyDone({ done: 1, total: 1 })).toMatch(/^Passphrase changed: 1 record sealed again/);
  });

  it("still reports the change when no progress report arrived", () => {
    expect(rekeyDone(null)).toBe(
      "Passphrase changed: every record is sealed under a new vault key. Use the new passphrase from now on.",
    );
  });
});
