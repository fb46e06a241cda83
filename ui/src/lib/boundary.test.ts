import { describe, expect, it } from "vitest";

// Every source file of the UI as text (bindings and tests excluded), at any depth: components live in
// feature folders (components/detail/…), and `**` takes them all.
const sources = import.meta.glob(["../**/*.ts", "../**/*.svelte", "!../**/*.test.ts", "!../bindings/**"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

// The component files on their own, found without reading them: each must be among the guarded sources.
const components = Object.keys(import.meta.glob("./components/**/*.svelte")).map((f) => f.replace(/^\.\//, "./lib/"));

/** Imports Tauri's API, or reaches for its globals or `invoke` directly: only ipc.ts may. */
function talksToTauri(text: string): boolean {
  return /@tauri-apps\/api|__TAURI|\binvoke\s*\(/.test(text);
}

/** Renders a string as HTML: user text must always be rendered as text. */
function rendersHtml(text: string): boolean {
  return /\{@html|innerHTML|outerHTML|insertAdjacentHTML/.test(text);
}

// import.meta.glob names files relative to this one ("./ipc.ts", "../App.svelte"); say them from src/.
const named = Object.fromEntries(
  Object.entries(sources).map(([file, text]) => [file.replace(/^\.\//, "./lib/").replace(/^\.\.\//, "./"), text]),
);

describe("the webview boundary", () => {
  it("reads the sources it guards, in every component folder", () => {
    const files = Object.keys(named);
    expect(files).toContain("./lib/ipc.ts");
    expect(files).toContain("./App.svelte");
    expect(files).toContain("./lib/components/detail/DetailPanel.svelte");
    expect(components.length).toBeGreaterThan(30);
    for (const component of components) expect(files).toContain(component);
    const folders = new Set(components.map((f) => f.split("/").slice(0, -1).join("/")));
    expect([...folders].sort()).toEqual(
      ["audit", "common", "detail", "import", "keys", "scan", "settings", "sharing", "shell", "team", "unlock"].map((d) => `./lib/components/${d}`),
    );
  });

  it("only ipc.ts talks to Tauri", () => {
    const callers = Object.entries(named)
      .filter(([, text]) => talksToTauri(text))
      .map(([file]) => file);
    expect(callers).toEqual(["./lib/ipc.ts"]);
  });

  it("no component renders user text as HTML", () => {
    const offenders = Object.entries(named)
      .filter(([, text]) => rendersHtml(text))
      .map(([file]) => file);
    expect(offenders).toEqual([]);
  });

  it("the checks catch what they are for", () => {
    // The shapes a nested component could take to break the rules; if a check stops matching one, the
    // guards above would pass on a component that does it.
    expect(talksToTauri(`<script lang="ts">import { invoke } from "@tauri-apps/api/core";</script>`)).toBe(true);
    expect(talksToTauri(`<script lang="ts">const r = await invoke("reveal_secret", { id });</script>`)).toBe(true);
    expect(talksToTauri(`<script lang="ts">window.__TAURI_INTERNALS__.invoke("lock");</script>`)).toBe(true);
    expect(talksToTauri(`<script lang="ts">import * as ipc from "../../ipc"; ipc.lock();</script>`)).toBe(false);
    expect(rendersHtml(`<p>{@html detail.notes}</p>`)).toBe(true);
    expect(rendersHtml(`<script>el.innerHTML = name;</script>`)).toBe(true);
    expect(rendersHtml(`<p>{detail.notes}</p>`)).toBe(false);
  });
});
