import { describe, expect, it } from "vitest";
import { SHORTCUTS, shortcutFor } from "./shortcuts";

const press = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe("shortcutFor", () => {
  it("Ctrl+N adds, Ctrl+F searches, Ctrl+L locks (Cmd on macOS too)", () => {
    expect(shortcutFor(press("n", { ctrlKey: true }), false, false)).toBe("add");
    expect(shortcutFor(press("N", { ctrlKey: true }), true, false)).toBe("add");
    expect(shortcutFor(press("f", { metaKey: true }), false, false)).toBe("search");
    expect(shortcutFor(press("l", { ctrlKey: true }), false, false)).toBe("lock");
    expect(shortcutFor(press("n", { ctrlKey: true, altKey: true }), false, false)).toBeNull();
  });

  it("'?' opens the help, but not while typing in a field or with a dialog open", () => {
    expect(shortcutFor(press("?"), false, false)).toBe("help");
    expect(shortcutFor(press("?"), true, false)).toBeNull();
    expect(shortcutFor(press("?"), false, true)).toBeNull();
    expect(shortcutFor(press("n"), false, false)).toBeNull();
  });

  it("a dialog keeps Ctrl+N and Ctrl+F to itself, but Ctrl+L still locks", () => {
    expect(shortcutFor(press("n", { ctrlKey: true }), false, true)).toBeNull();
    expect(shortcutFor(press("f", { ctrlKey: true }), false, true)).toBeNull();
    expect(shortcutFor(press("l", { ctrlKey: true }), false, true)).toBe("lock");
  });

  it("the help lists every shortcut it handles", () => {
    const listed = SHORTCUTS.map((s) => s.keys).join(" | ");
    for (const keys of ["Ctrl N", "Ctrl F", "Ctrl L", "Enter", "Esc", "?"]) expect(listed).toContain(keys);
  });
});
