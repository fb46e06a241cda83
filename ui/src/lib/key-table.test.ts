import { describe, expect, it } from "vitest";
import type { ListGroup } from "./ipc";
import { formatCount } from "./format";
import { NO_SELECTION, clickStep, isHeaderRow, joinRange, namesLine, rowOfKey, type Selection } from "./key-table";

const plain = { shift: false, toggle: false };
const ctrl = { shift: false, toggle: true };
const shift = { shift: true, toggle: false };
const ctrlShift = { shift: true, toggle: true };

describe("clickStep", () => {
  it("a plain click selects that key alone and anchors there", () => {
    const current: Selection = { ids: ["a", "b"], anchor: "a" };
    expect(clickStep(current, "c", plain)).toEqual({ kind: "set", selection: { ids: ["c"], anchor: "c" } });
  });

  it("Ctrl+click toggles a key in and out and anchors there", () => {
    const one = clickStep({ ids: ["a"], anchor: "a" }, "c", ctrl);
    expect(one).toEqual({ kind: "set", selection: { ids: ["a", "c"], anchor: "c" } });
    const two = clickStep({ ids: ["a", "c"], anchor: "c" }, "a", ctrl);
    expect(two).toEqual({ kind: "set", selection: { ids: ["c"], anchor: "a" } });
  });

  it("Shift+click asks for the range from the anchor, replacing the selection; Ctrl+Shift keeps it", () => {
    const current: Selection = { ids: ["x", "b"], anchor: "b" };
    expect(clickStep(current, "d", shift)).toEqual({ kind: "range", from: "b", to: "d", keep: [], anchor: "b" });
    expect(clickStep(current, "d", ctrlShift)).toEqual({ kind: "range", from: "b", to: "d", keep: ["x", "b"], anchor: "b" });
  });

  it("Shift with no anchor starts the range at the clicked key", () => {
    expect(clickStep(NO_SELECTION, "c", shift)).toEqual({ kind: "range", from: "c", to: "c", keep: [], anchor: "c" });
  });

  it("joinRange adds each id of the range once", () => {
    expect(joinRange(["a", "c"], ["b", "c", "d"])).toEqual(["a", "c", "b", "d"]);
  });
});

describe("rows of keys with group headers", () => {
  // [A 2] k0 k1 [B 1] k2 [C 3] k3 k4 k5
  const groups: ListGroup[] = [
    { label: "A", count: 2, row: 0, first_key: 0 },
    { label: "B", count: 1, row: 3, first_key: 2 },
    { label: "C", count: 3, row: 5, first_key: 3 },
  ];

  it("finds each key's row below the headers above it", () => {
    expect([0, 1, 2, 3, 4, 5].map((k) => rowOfKey(groups, k))).toEqual([1, 2, 4, 6, 7, 8]);
    expect(rowOfKey([], 7)).toBe(7);
  });

  it("tells a header's row from a key's", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((r) => isHeaderRow(groups, r))).toEqual([true, false, false, true, false, true, false]);
    expect(isHeaderRow([], 0)).toBe(false);
  });
});

describe("namesLine", () => {
  it("names up to five keys, then says how many more", () => {
    expect(namesLine(["a", "b"])).toBe("a, b");
    expect(namesLine(["a", "b", "c", "d", "e", "f", "g"])).toBe("a, b, c, d, e and 2 more");
  });
  it("counts the keys whose names did not come with the selection", () => {
    // Rust sends the first twelve names of 100,000 selected keys.
    const twelve = Array.from({ length: 12 }, (_, i) => `k${i}`);
    expect(namesLine(twelve, 100_000)).toBe(`k0, k1, k2, k3, k4 and ${formatCount(99_995)} more`);
    expect(namesLine(twelve, 100_000, 12)).toBe(`${twelve.join(", ")} and ${formatCount(99_988)} more`);
    expect(namesLine(["a", "b"], 2, 12)).toBe("a, b");
  });
});
