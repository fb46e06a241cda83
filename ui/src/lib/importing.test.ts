import { describe, expect, it } from "vitest";
import type { ImportPreviewEntry } from "./ipc";
import { entryChoices, fileChoicesFor, fileImportBlocker, fileImportSummaryText, fileStatusText, parsePaths } from "./importing";

function entry(over: Partial<ImportPreviewEntry> = {}): ImportPreviewEntry {
  return {
    index: 0,
    source: 0,
    location: "exchange",
    name: "Binance freqtrade",
    exchange: "binance",
    exchange_name: "Binance",
    exchange_hint: null,
    secret_fields: ["apiKey", "secret"],
    problem: null,
    needs_exchange: false,
    status: "new",
    secrets_changed: false,
    existing_id: null,
    existing_name: null,
    replace_allowed: false,
    default_choice: "add",
    default_scopes: ["Enable Reading"],
    ...over,
  };
}

describe("file import choices", () => {
  it("offers add for a complete new key, only skip for an incomplete one, and replace only as an explicit choice", () => {
    expect(fileChoicesFor(entry())).toEqual(["add", "skip"]);
    expect(fileChoicesFor(entry({ problem: "OKX keys need password", default_choice: "skip" }))).toEqual(["skip"]);
    expect(fileChoicesFor(entry({ needs_exchange: true, problem: "choose the exchange", default_choice: "skip" }))).toEqual([
      "skip",
      "add",
    ]);
    const changed = fileChoicesFor(entry({ status: "changed", default_choice: "skip", existing_name: "mine" }));
    expect(changed[0]).toBe("skip");
    expect(changed).toContain("replace");
    expect(fileChoicesFor(entry({ status: "identical", default_choice: "skip" }))).not.toContain("replace");
  });

  it("names the key of the vault an entry matches", () => {
    expect(fileStatusText(entry({ status: "changed", existing_name: "binance-main" }))).toBe(
      "same API key as “binance-main”, other secret",
    );
    expect(fileStatusText(entry({ status: "identical", existing_name: "b" }))).toBe("already in the vault as “b”");
  });

  it("sends the exchange only for entries without one and blocks until it is chosen", () => {
    const entries = [entry(), entry({ index: 1, needs_exchange: true, exchange: null, name: "mybot" })];
    expect(fileImportBlocker(entries, ["add", "add"], ["", ""])).toBe("Choose the exchange of “mybot”, or skip it.");
    expect(fileImportBlocker(entries, ["add", "skip"], ["", ""])).toBeNull();
    expect(fileImportBlocker(entries, ["skip", "skip"], ["", ""])).toBe("Every key is skipped: nothing to import.");
    expect(entryChoices(entries, ["add", "add"], ["okx", "bybit"], true)).toEqual([
      { action: "add", exchange: undefined, default_scopes: true },
      { action: "add", exchange: "bybit", default_scopes: true },
    ]);
  });

  it("reports what happened with correct plurals", () => {
    expect(fileImportSummaryText({ added: ["a"], replaced: [], skipped: ["b", "c"], plaintext: [] })).toBe(
      "Added 1 key (“a”). Skipped 2 keys.",
    );
    expect(fileImportSummaryText({ added: [], replaced: [], skipped: [], plaintext: [] })).toBe("Nothing was imported.");
  });

  it("reads one path per line", () => {
    expect(parsePaths(" /a/config.json \n\n/b/.env\n/a/config.json")).toEqual(["/a/config.json", "/b/.env"]);
  });
});
