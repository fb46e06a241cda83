import { describe, expect, it } from "vitest";
import type { KeySummary } from "./ipc";
import {
  NO_SELECTION,
  clickSelect,
  groupRows,
  keepShown,
  keysInRows,
  namesLine,
  rangeIds,
  selectAll,
  type Selection,
} from "./key-table";

const shown = ["a", "b", "c", "d", "e"];
const plain = { shift: false, toggle: false };
const ctrl = { shift: false, toggle: true };
const shift = { shift: true, toggle: false };
const ctrlShift = { shift: true, toggle: true };

describe("clickSelect", () => {
  it("a plain click selects that key alone and anchors there", () => {
    const s = clickSelect({ ids: ["a", "c"], anchor: "a" }, shown, "d", plain);
    expect(s).toEqual({ ids: ["d"], anchor: "d" });
  });

  it("Ctrl+click toggles a key in and out, keeping the table's order", () => {
    let s: Selection = clickSelect(NO_SELECTION, shown, "d", plain);
    s = clickSelect(s, shown, "b", ctrl);
    expect(s.ids).toEqual(["b", "d"]);
    s = clickSelect(s, shown, "d", ctrl);
    expect(s).toEqual({ ids: ["b"], anchor: "d" });
  });

  it("Shift+click selects the range from the anchor, either way, and replaces what was selected", () => {
    let s = clickSelect(NO_SELECTION, shown, "b", plain);
    s = clickSelect(s, shown, "d", shift);
    expect(s).toEqual({ ids: ["b", "c", "d"], anchor: "b" });
    s = clickSelect(s, shown, "a", shift);
    expect(s).toEqual({ ids: ["a", "b"], anchor: "b" });
  });

  it("Ctrl+Shift adds the range to the selection", () => {
    let s = clickSelect(NO_SELECTION, shown, "a", plain);
    s = clickSelect(s, shown, "d", ctrl);
    s = clickSelect(s, shown, "e", ctrlShift);
    expect(s.ids).toEqual(["a", "d", "e"]);
  });

  it("Shift with no anchor shown selects just the clicked key", () => {
    const s = clickSelect({ ids: ["gone"], anchor: "gone" }, shown, "c", shift);
    expect(s).toEqual({ ids: ["c"], anchor: "c" });
  });
});

describe("selectAll and keepShown", () => {
  it("Ctrl+A selects every shown key", () => {
    expect(selectAll(NO_SELECTION, shown)).toEqual({ ids: shown, anchor: "a" });
    expect(selectAll({ ids: ["c"], anchor: "c" }, shown).anchor).toBe("c");
    expect(selectAll(NO_SELECTION, [])).toEqual({ ids: [], anchor: null });
  });

  it("a search that hides selected keys drops them from the selection", () => {
    const s = keepShown({ ids: ["a", "c", "e"], anchor: "e" }, ["a", "b", "c"]);
    expect(s).toEqual({ ids: ["a", "c"], anchor: null });
    const same = { ids: ["a"], anchor: "a" };
    expect(keepShown(same, shown)).toBe(same);
  });

  it("rangeIds reads in the shown order", () => {
    expect(rangeIds(shown, "d", "b")).toEqual(["b", "c", "d"]);
    expect(rangeIds(shown, null, "b")).toEqual(["b"]);
    expect(rangeIds(shown, "a", "zz")).toEqual([]);
  });
});

function key(name: string, exchange_name: string, account: string | null = null, bots: string[] = []): KeySummary {
  const used_by = bots.map((bot) => ({ bot, host: null }));
  return { id: `id-${name}`, name, exchange: exchange_name.toLowerCase(), exchange_name, account, used_by } as KeySummary;
}

describe("groupRows", () => {
  const sorted = [
    key("k1", "OKX", "tax"),
    key("k2", "Binance"),
    key("k3", "OKX", "main"),
    key("k4", "Binance", "tax"),
  ];

  it("without grouping, one row per key in the given order", () => {
    const rows = groupRows(sorted, "none");
    expect(rows.map((r) => r.kind)).toEqual(["key", "key", "key", "key"]);
  });

  it("groups by exchange in name order with counts, keys keeping their sort order inside", () => {
    const rows = groupRows(sorted, "exchange");
    expect(rows.map((r) => (r.kind === "group" ? `# ${r.label} (${r.count})` : r.key.name))).toEqual([
      "# Binance (2)",
      "k2",
      "k4",
      "# OKX (2)",
      "k1",
      "k3",
    ]);
    expect(keysInRows(rows).map((k) => k.name)).toEqual(["k2", "k4", "k1", "k3"]);
    expect(rows.flatMap((r) => (r.kind === "key" ? [r.index] : []))).toEqual([0, 1, 2, 3]);
  });

  it("groups by account with the keys that have none last", () => {
    const rows = groupRows(sorted, "account");
    expect(rows.filter((r) => r.kind === "group").map((r) => r.kind === "group" && r.label)).toEqual([
      "main",
      "tax",
      "No account",
    ]);
  });
});

describe("groupRows by bot", () => {
  it("groups by the bots that use a key, a key used by two under both names once, unused keys last", () => {
    const rows = groupRows(
      [key("k1", "OKX", null, ["hummingbot"]), key("k2", "OKX"), key("k3", "OKX", null, ["hummingbot", "freqtrade"]), key("k4", "OKX", null, ["freqtrade"])],
      "bot",
    );
    expect(rows.map((r) => (r.kind === "group" ? `# ${r.label} (${r.count})` : r.key.name))).toEqual([
      "# freqtrade (1)",
      "k4",
      "# freqtrade + hummingbot (1)",
      "k3",
      "# hummingbot (1)",
      "k1",
      "# Used by no bot (1)",
      "k2",
    ]);
  });
});

describe("namesLine", () => {
  it("names up to five keys, then says how many more", () => {
    expect(namesLine(["a", "b"])).toBe("a, b");
    expect(namesLine(["a", "b", "c", "d", "e", "f", "g"])).toBe("a, b, c, d, e and 2 more");
  });
});
