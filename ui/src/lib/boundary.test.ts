import { describe, expect, it } from "vitest";

// Every source file of the UI as text (bindings and tests excluded).
const sources = import.meta.glob(["../**/*.ts", "../**/*.svelte", "!../**/*.test.ts", "!../bindings/**"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

describe("the webview boundary", () => {
  it("reads the sources it guards", () => {
    expect(Object.keys(sources)).toContain("./ipc.ts");
    expect(Object.keys(sources).length).toBeGreaterThan(20);
  });

  it("only ipc.ts talks to Tauri", () => {
    const callers = Object.entries(sources)
      .filter(([, text]) => text.includes("@tauri-apps/api"))
      .map(([file]) => file);
    expect(callers).toEqual(["./ipc.ts"]);
  });

  it("no component renders user text as HTML", () => {
    const offenders = Object.entries(sources)
      .filter(([, text]) => /\{@html|innerHTML|outerHTML|insertAdjacentHTML/.test(text))
      .map(([file]) => file);
    expect(offenders).toEqual([]);
  });
});
