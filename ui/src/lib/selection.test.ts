import { describe, expect, it } from "vitest";
import { toggled, withShown } from "./selection";

describe("checkbox lists", () => {
  it("a ticked box adds its item once, an unticked one removes it", () => {
    expect(toggled(["read"], "trade", true)).toEqual(["read", "trade"]);
    expect(toggled(["read", "trade"], "trade", true)).toEqual(["read", "trade"]);
    expect(toggled(["read", "trade"], "read", false)).toEqual(["trade"]);
    expect(toggled([], "read", false)).toEqual([]);
  });

  it("select all shown keeps what was chosen and follows the order of the whole list", () => {
    const all = [{ id: "a" }, { id: "b" }, { id: "c" }, { id: "d" }];
    expect(withShown(all, ["d"], [{ id: "b" }, { id: "a" }])).toEqual(["a", "b", "d"]);
    expect(withShown(all, [], [])).toEqual([]);
    // A chosen id no longer in the list (the key was revoked meanwhile) is dropped.
    expect(withShown(all, ["gone"], [{ id: "c" }])).toEqual(["c"]);
  });
});
