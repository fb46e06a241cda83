// Keystead desktop app benchmark (issue 3, "10,000 keys stay smooth"). Run through scripts/bench-app.sh, which
// builds the release app, writes the vaults and starts Xvfb + D-Bus + gnome-keyring. Prints figures against
// the targets; asserts nothing.
//
// For every configuration (a set of environment variables for the app, e.g. WebKitGTK's memory knobs) it
// starts its own tauri-driver (the app inherits its environment through WebKitWebDriver) and measures, each
// run on a fresh copy of the vault:
//   launch      WebDriver new-session request -> [data-testid=unlock-passphrase] laid out (one executeScript
//               poll per round trip), with the page's navigation start and first paint
//   unlock      in the page: the form's submit event -> first [data-testid=key-row] in the DOM, then the end of
//               the next rendering update (requestAnimationFrame + a posted message) = "table painted"; every
//               IPC call (fetch of ipc://localhost/<command>) and main-thread stalls are timed on the way.
//               "KDF excluded", three ways: A = 10k run - 0-key run (the brief's; it also removes the keyring,
//               audit write and main-screen mount), B = from the `unlock` command's answer to the table
//               painted, C = 10k run - criterion's unlock/empty_vault (when scripts/bench.sh ran before)
//   memory      PSS and USS (smaps_rollup) of the app process and all its descendants (WebKit web + network
//               processes), `--settle` seconds after the table was painted; also on the unlock screen
//   search      in the page: set the search box's value + dispatch `input`; time until Svelte flushed and a
//               forced layout (work), until the next rendering update ran (next paint) and until the second
//               requestAnimationFrame (double rAF, the brief's figure: it includes up to two frame waits)
//   detail      click a row -> the detail panel painted
//   payload     size of the table's first window (key_rows, 120 rows) and its round trip, called directly
//               through __TAURI_INTERNALS__, and search round trips (Rust filters every key)
// and, without WebDriver (tests/bench/direct-run.py, screen grabs + xdotool): spawn -> window mapped,
// spawn -> unlock screen painted, Return -> table painted, PSS/USS.
import { execFile, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { Builder, By } from "selenium-webdriver";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    bin: { type: "string" },
    vault10k: { type: "string" },
    vault0: { type: "string" },
    out: { type: "string" },
    tmp: { type: "string" },
    runs: { type: "string", default: "5" },
    port: { type: "string", default: "4460" },
    settle: { type: "string", default: "5" },
    configs: { type: "string", default: "default,no-compositing,no-dmabuf,both" },
    direct: { type: "string", default: "1" },
    "tauri-driver": { type: "string", default: "tauri-driver" },
    "native-driver": { type: "string", default: "/usr/bin/WebKitWebDriver" },
    keys: { type: "string", default: "10000" }, // how many keys --vault10k holds, for the labels
    "kdf-ms": { type: "string" }, // criterion's unlock/empty_vault mean, when scripts/bench.sh ran before
  },
});
for (const k of ["bin", "vault10k", "vault0", "out"]) if (!opt[k]) throw new Error(`--${k} is required`);
const BIN = path.resolve(opt.bin);
const BIN_REAL = execFileSync("realpath", [BIN]).toString().trim();
const RUNS = Number(opt.runs);
const PORT = Number(opt.port);
const SETTLE_MS = Number(opt.settle) * 1000;
const PASSPHRASE = "bench-passphrase";
const N = Number(opt.keys);
const NK = N % 1000 === 0 ? `${N / 1000}k` : String(N);
mkdirSync(opt.out, { recursive: true });

// Named sets of environment variables for the app; "name:K=V+K=V" adds one.
const KNOWN = {
  default: {},
  "no-compositing": { WEBKIT_DISABLE_COMPOSITING_MODE: "1" },
  "no-dmabuf": { WEBKIT_DISABLE_DMABUF_RENDERER: "1" },
  both: { WEBKIT_DISABLE_COMPOSITING_MODE: "1", WEBKIT_DISABLE_DMABUF_RENDERER: "1" },
};
const CONFIGS = opt.configs.split(",").map((spec) => {
  const [name, vars] = spec.split(":");
  if (vars === undefined) {
    if (!(name in KNOWN)) throw new Error(`unknown configuration ${name}`);
    return { name, env: KNOWN[name] };
  }
  return { name, env: Object.fromEntries(vars.split("+").map((kv) => kv.split("="))) };
});

const SEARCH = [
  "b", "be", "ben", "benc", "bench", "bench-", "bench-k", "bench-ke", "bench-key", "bench-key-",
  "bench-key-0", "bench-key-00", "bench-key-001", "bench-key-0012", "bench-key-001", "bench-key-00",
  "okx", "okx 12", "kraken", "",
];

// ---------------------------------------------------------------------------------------------------------
// Processes and memory

function children() {
  const map = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!map.has(ppid)) map.set(ppid, []);
      map.get(ppid).push(Number(d));
    } catch {
      // the process ended meanwhile
    }
  }
  return map;
}

function descendants(pid, map = children()) {
  const out = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    out.push(p);
    todo.push(...(map.get(p) ?? []));
  }
  return out;
}

/** The app process started (through WebKitWebDriver) by our tauri-driver. */
function appPid(driverPid) {
  for (const p of descendants(driverPid)) {
    try {
      if (readlinkSync(`/proc/${p}/exe`) === BIN_REAL) return p;
    } catch {
      // not ours to read, or gone
    }
  }
  return null;
}

/**
 * Memory of the app's process tree from smaps_rollup: PSS (the issue's figure: shared pages divided among
 * every process that maps them) and USS (Private_Clean + Private_Dirty: pages only that process holds).
 * PSS drops when other processes (another WebKit app, an e2e run) map the same libraries; USS does not.
 */
function pssTree(pid) {
  let total = 0;
  let uss = 0;
  let rss = 0;
  const parts = {};
  for (const p of descendants(pid)) {
    try {
      const rollup = readFileSync(`/proc/${p}/smaps_rollup`, "utf8");
      const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0);
      const comm = readFileSync(`/proc/${p}/comm`, "utf8").trim();
      total += field("Pss");
      uss += field("Private_Clean") + field("Private_Dirty");
      rss += field("Rss");
      parts[comm] = (parts[comm] ?? 0) + field("Pss");
    } catch {
      // gone
    }
  }
  return { kib: total, uss, rss, parts };
}

/** Processes outside our tree that map WebKitGTK: they share its pages and so lower our PSS. */
function foreignWebKit(ourRoot) {
  const ours = new Set(descendants(ourRoot));
  const found = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || ours.has(Number(d))) continue;
    try {
      if (readFileSync(`/proc/${d}/maps`, "utf8").includes("libwebkit2gtk")) {
        found.push(`${d}:${readFileSync(`/proc/${d}/comm`, "utf8").trim()}`);
      }
    } catch {
      // gone or not readable
    }
  }
  return found;
}

async function screenshot(file) {
  await promisify(execFile)("import", ["-window", "root", file]).catch((e) => console.error(`screenshot: ${e}`));
}

// ---------------------------------------------------------------------------------------------------------
// tauri-driver

// On Ctrl+C or SIGTERM, end what we started (tauri-driver, WebKitWebDriver, the app and its WebKit processes)
// instead of leaving them to the init process.
const started = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    const map = children();
    for (const pid of started) {
      for (const p of descendants(pid, map).reverse()) {
        try {
          process.kill(p, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

async function startDriver(env) {
  const log = path.join(opt.out, `tauri-driver-${PORT}.log`);
  const child = spawn(opt["tauri-driver"], ["--port", String(PORT), "--native-port", String(PORT + 1),
    "--native-driver", opt["native-driver"]], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  started.add(child.pid);
  child.once("exit", () => started.delete(child.pid));
  const chunks = [];
  child.stdout.on("data", (d) => chunks.push(d));
  child.stderr.on("data", (d) => chunks.push(d));
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${PORT}/status`);
      if (r.ok) return { child, log: () => Buffer.concat(chunks).toString() };
    } catch {
      // not yet
    }
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  child.kill();
  throw new Error(`tauri-driver did not answer on port ${PORT}:\n${Buffer.concat(chunks)}`);
}

async function stopDriver(driver) {
  driver.child.kill("SIGTERM");
  await new Promise((r) => (driver.child.exitCode !== null ? r() : driver.child.once("exit", r)));
}

let vaultCopies = 0;
/**
 * A fresh copy of a vault for one run (the app's unlock writes an audit event into it), and no rollback
 * anchor for it in the OS keyring: every copy has the same vault id, and the anchor left by the previous run
 * would make this copy look like an older file (a warning banner, and a different screen to paint).
 */
function freshVault(src) {
  const dir = path.join(opt.tmp ?? opt.out, "vaults");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const dst = path.join(dir, `run-${++vaultCopies}.db`);
  copyFileSync(src, dst);
  for (const ext of ["-wal", "-shm"]) if (existsSync(src + ext)) copyFileSync(src + ext, dst + ext);
  try {
    execFileSync("secret-tool", ["clear", "service", "keystead"], { stdio: "ignore" });
  } catch {
    // nothing stored yet
  }
  return dst;
}

// ---------------------------------------------------------------------------------------------------------
// In-page scripts

/** Installed before the click: timestamps of the submit, every IPC call and the table's first paint. */
const INSTALL_PROBE = `
  const mode = arguments[0];
  const b = (window.__bench = { invokes: [] });
  document.addEventListener("submit", () => { if (b.submit === undefined) b.submit = performance.now(); }, true);
  // Tauri's invoke is read-only, but on Linux it fetches ipc://localhost/<command>: time those fetches.
  try {
    const origFetch = window.fetch;
    window.fetch = function (input, init) {
      const url = String((input && input.url) || input);
      const start = performance.now();
      const p = origFetch.apply(this, arguments);
      if (url.startsWith("ipc://") || url.includes("ipc.localhost")) {
        const cmd = decodeURIComponent(new URL(url).pathname.slice(1));
        p.then((res) => {
          // Resolves when the response headers arrived; Tauri then reads and parses the body.
          b.invokes.push({ cmd, start, end: performance.now(), bytes: res.headers.get("content-length") });
        }, () => b.invokes.push({ cmd, start, end: performance.now(), failed: true }));
      }
      return p;
    };
    b.wrapped = window.fetch !== origFetch;
    // Tauri reads an answer with response.json() (or text/arrayBuffer): time when the body was parsed.
    for (const method of ["json", "text", "arrayBuffer"]) {
      const orig = Response.prototype[method];
      Response.prototype[method] = function () {
        const start = performance.now();
        const p = orig.apply(this, arguments);
        if (this.url && this.url.startsWith("ipc://")) {
          const cmd = decodeURIComponent(new URL(this.url).pathname.slice(1));
          p.then(() => (b.parsed = b.parsed || []).push({ cmd, method, start, end: performance.now() }), () => undefined);
        }
        return p;
      };
    }
  } catch (e) {
    b.wrapError = String(e);
  }
  // Heartbeat: gaps of more than 25 ms between timer ticks = the page's main thread was busy (or starved).
  b.busy = [];
  let last = performance.now();
  (function beat() {
    const now = performance.now();
    if (now - last > 25) b.busy.push([last, now]);
    last = now;
    if (b.painted === undefined || performance.now() - b.painted < 200) setTimeout(beat, 1);
  })();
  const ready = () => {
    if (mode === "rows") return document.querySelector('[data-testid="key-row"]') !== null;
    const empty = document.querySelector('[data-testid="keys-empty"]');
    return empty !== null && !/Loading/i.test(empty.textContent);
  };
  const mo = new MutationObserver(() => {
    if (b.dom !== undefined || !ready()) return;
    b.dom = performance.now();
    mo.disconnect();
    requestAnimationFrame(() => {
      b.raf1 = performance.now();
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { b.painted = performance.now(); };
      ch.port2.postMessage(null);
      requestAnimationFrame(() => { b.raf2 = performance.now(); });
    });
  });
  mo.observe(document.documentElement, { childList: true, subtree: true, characterData: true });
`;

const WAIT_PROBE = `
  const done = arguments[arguments.length - 1];
  const t = performance.now();
  (function poll() {
    const b = window.__bench;
    if (b && b.painted !== undefined && b.raf2 !== undefined) return done(JSON.stringify(b));
    const err = document.querySelector('[data-testid="unlock-error"]');
    if (err && err.textContent.trim() !== "") return done(JSON.stringify({ ...b, error: err.textContent.trim() }));
    if (performance.now() - t > 60000) return done(JSON.stringify({ ...b, error: "timeout" }));
    setTimeout(poll, 10);
  })();
`;

const SEARCH_SCRIPT = `
  const [values] = arguments;
  const done = arguments[arguments.length - 1];
  const input = document.querySelector('[data-testid="search"]');
  const count = () => document.querySelector('[data-testid="shown-count"]')?.textContent.trim() ?? "";
  const first = () => document.querySelector('[data-testid="key-row"]')?.dataset.keyName ?? null;
  const rows = () => document.querySelectorAll('[data-testid="key-row"]').length;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  (async () => {
    input.focus();
    const out = [];
    for (const value of values) {
      await sleep(60 + Math.random() * 60); // keystrokes land anywhere in a frame
      const before = count();
      const t0 = performance.now();
      input.value = value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      await Promise.resolve(); // Svelte flushes in a microtask queued during the event
      await Promise.resolve();
      const tFlushed = performance.now();
      const flushedCount = count();
      void document.documentElement.offsetHeight; // style + layout now
      const tLayout = performance.now();
      const t = await new Promise((resolve) => {
        const r = {};
        requestAnimationFrame(() => {
          r.raf1 = performance.now();
          const ch = new MessageChannel();
          ch.port1.onmessage = () => { r.painted = performance.now(); if (r.raf2 !== undefined) resolve(r); };
          ch.port2.postMessage(null);
          requestAnimationFrame(() => { r.raf2 = performance.now(); if (r.painted !== undefined) resolve(r); });
        });
      });
      out.push({ value, before, after: count(), flushedCount, first: first(), rows: rows(),
        js: tFlushed - t0, work: tLayout - t0, nextPaint: t.painted - t0, doubleRaf: t.raf2 - t0 });
    }
    done(JSON.stringify(out));
  })().catch((e) => done(JSON.stringify({ error: String(e) })));
`;

/** Click a row -> the detail panel's name is in the DOM -> painted; three different rows, then close. */
const DETAIL_SCRIPT = `
  const done = arguments[arguments.length - 1];
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  (async () => {
    const out = [];
    for (let i = 0; i < 3; i++) {
      const row = document.querySelectorAll('[data-testid="key-row"]')[i * 3];
      const name = row.dataset.keyName;
      const t0 = performance.now();
      row.click();
      let t1;
      for (;;) {
        const h = document.querySelector('[data-testid="detail-name"]');
        if (h && h.textContent.includes(name)) { t1 = performance.now(); break; }
        if (performance.now() - t0 > 20000) throw new Error("detail never opened");
        await new Promise((r) => setTimeout(r, 1));
      }
      const t2 = await new Promise((r) => requestAnimationFrame(() => {
        const ch = new MessageChannel(); ch.port1.onmessage = () => r(performance.now()); ch.port2.postMessage(null); }));
      const calls = ((window.__bench && window.__bench.invokes) || []).filter((c) => c.start >= t0)
        .map((c) => ({ cmd: c.cmd, start: +(c.start - t0).toFixed(0), ms: +(c.end - c.start).toFixed(0) }));
      out.push({ name, dom: t1 - t0, painted: t2 - t0, calls });
      await sleep(300);
    }
    document.querySelector('[data-testid="detail-close"]')?.click();
    await sleep(200);
    done(JSON.stringify(out));
  })().catch((e) => done(JSON.stringify({ error: String(e) })));
`;

const PAYLOAD_SCRIPT = `
  const done = arguments[arguments.length - 1];
  (async () => {
    // The table's first window, as the keys view asks for it (sort, filters and search run in Rust).
    const query = (text) => ({ text, exchange: "", environment: null, due: null, status: null, bot: "", team: "",
      sort: { column: "due", direction: "ascending" }, group_by: "none" });
    const times = [];
    let page;
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      page = await window.__TAURI_INTERNALS__.invoke("key_rows", { query: query(""), start: 0, len: 120 });
      times.push(performance.now() - s);
    }
    const keys = page.rows.filter((r) => r.kind === "key").map((r) => r.key);
    const json = JSON.stringify(page);
    const bytes = new TextEncoder().encode(json).length;
    // A search keystroke's round trip: Rust filters every key, answers the first window.
    const searchTimes = [];
    for (const text of ["b", "be", "bench-key-0012", "bench-key-00123", ""]) {
      const s = performance.now();
      await window.__TAURI_INTERNALS__.invoke("key_rows", { query: query(text), start: 0, len: 120 });
      searchTimes.push(performance.now() - s);
    }
    const ui = { searchTimes, total: page.total };
    const a0 = performance.now();
    const audit = await window.__TAURI_INTERNALS__.invoke("audit_log");
    const auditMs = performance.now() - a0;
    const auditBytes = new TextEncoder().encode(JSON.stringify(audit)).length;
    const d0 = performance.now();
    await window.__TAURI_INTERNALS__.invoke("key_detail", { id: keys[0].id });
    const detailMs = performance.now() - d0;
    const other = { auditCount: audit.length, auditBytes, auditMs, detailMs };
    const fieldBytes = {};
    for (const k of Object.keys(keys[0] ?? {})) {
      fieldBytes[k] = keys.reduce((n, key) => n + JSON.stringify(key[k]).length + k.length + 4, 0);
    }
    done(JSON.stringify({ count: keys.length, total: page.total, bytes, times, fieldBytes, ui, other, sample: keys[0] }));
  })().catch((e) => done(JSON.stringify({ error: String(e) })));
`;

// ---------------------------------------------------------------------------------------------------------
// One WebDriver run

async function webdriverRun(driverProc, config, vaultSrc, mode, shot) {
  const vault = freshVault(vaultSrc);
  const r = { config: config.name, mode };
  const epoch0 = Date.now();
  const t0 = performance.now();
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${PORT}/`)
    .withCapabilities({ browserName: "wry", "tauri:options": { application: BIN, args: ["--vault", vault] } })
    .build();
  try {
    r.session_ms = performance.now() - t0;
    const locator = By.css('[data-testid="unlock-passphrase"]');
    // One round trip per poll: is the field there and laid out, and the page's own clock.
    let seen;
    for (;;) {
      seen = await driver.executeScript(`
        const el = document.querySelector('[data-testid="unlock-passphrase"]');
        const r = el && el.getBoundingClientRect();
        return { shown: !!(r && r.width > 0 && r.height > 0), now: performance.now(), origin: performance.timeOrigin,
          url: location.href, fcp: (performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint") || {}).startTime ?? null };`);
      if (seen.shown) break;
      if (performance.now() - t0 > 60_000) throw new Error("the unlock screen never appeared");
    }
    r.launch_ms = performance.now() - t0;
    r.page_origin_ms = seen.origin - epoch0; // session request -> navigation start (both clocks are epoch ms)
    r.page_fcp_ms = seen.fcp; // navigation start -> first contentful paint ("Opening…")
    r.page_unlock_seen_ms = seen.now; // navigation start -> the poll that saw the field
    r.page_dcl_ms = await driver.executeScript(`return (performance.getEntriesByType("navigation")[0] || {}).domContentLoadedEventEnd ?? null;`);
    await driver.manage().setTimeouts({ script: 120_000 });
    const app = appPid(driverProc.child.pid);
    if (mode === "rows") {
      await sleep(1000);
      r.pss_unlock_screen = pssTree(app);
    }

    await driver.executeScript(INSTALL_PROBE, mode);
    await driver.findElement(locator).sendKeys(PASSPHRASE);
    await driver.findElement(By.css('[data-testid="unlock-submit"]')).click();
    const b = JSON.parse(await driver.executeAsyncScript(WAIT_PROBE));
    if (b.error) throw new Error(`unlock: ${b.error}`);
    const cmd = (name) => b.invokes.find((i) => i.cmd === name);
    r.unlock_ms = b.painted - b.submit;
    r.unlock_dom_ms = b.dom - b.submit;
    r.unlock_raf2_ms = b.raf2 - b.submit;
    r.unlock_cmd_ms = cmd("unlock") ? cmd("unlock").end - cmd("unlock").start : null;
    r.after_unlock_cmd_ms = cmd("unlock") ? b.painted - cmd("unlock").end : null;
    const lk = cmd("key_rows");
    r.list_keys_ms = lk ? lk.end - lk.start : null;
    r.list_end_to_painted_ms = lk ? b.painted - lk.end : null;
    const parsed = (b.parsed ?? []).find((p) => p.cmd === "key_rows");
    r.list_parsed_ms = parsed ? parsed.end - lk.end : null; // headers -> body read + parsed
    r.list_parse_to_dom_ms = parsed ? b.dom - parsed.end : null; // Svelte: sort, filter, count, render rows
    r.dom_to_raf_ms = b.raf1 - b.dom;
    r.raf_to_painted_ms = b.painted - b.raf1; // the rendering update: style, layout, paint
    r.busy = b.busy.filter(([, e]) => e >= b.submit).map(([s0, e]) => [+(s0 - b.submit).toFixed(0), +(e - s0).toFixed(0)]);
    r.busy_ms = r.busy.reduce((n, [, d]) => n + d, 0);
    r.parsed = (b.parsed ?? []).map((p) => ({ cmd: p.cmd, method: p.method, start: +(p.start - b.submit).toFixed(1), ms: +(p.end - p.start).toFixed(1) }));
    r.invokes = b.invokes.map((i) => ({ cmd: i.cmd, start: +(i.start - b.submit).toFixed(1), ms: +(i.end - i.start).toFixed(1), bytes: i.bytes }));
    r.wrapped = b.wrapped ?? b.wrapError;

    if (mode === "rows") {
      await sleep(SETTLE_MS);
      r.pss = pssTree(app);
      r.foreign_webkit = foreignWebKit(driverProc.child.pid);
      if (shot) await screenshot(shot);
      const s = JSON.parse(await driver.executeAsyncScript(SEARCH_SCRIPT, SEARCH));
      if (s.error) throw new Error(`search: ${s.error}`);
      r.search = s;
      const d = JSON.parse(await driver.executeAsyncScript(DETAIL_SCRIPT));
      if (d.error) r.detail_error = d.error;
      else r.detail = d;
      const p = JSON.parse(await driver.executeAsyncScript(PAYLOAD_SCRIPT));
      if (p.error) r.payload_error = p.error;
      else r.payload = p;
    }
  } finally {
    await driver.quit().catch(() => undefined);
  }
  // Let WebKit's processes end before the next run (they would add to the next measurement's load).
  for (let i = 0; i < 100 && appPid(driverProc.child.pid) !== null; i++) await sleep(50);
  return r;
}

let directRuns = 0;
async function directRun(config, vaultSrc, shot) {
  const vault = freshVault(vaultSrc);
  const args = [path.join(here, "direct-run.py"), "--bin", BIN, "--vault", vault, "--passphrase", PASSPHRASE,
    "--wait", String(SETTLE_MS / 1000), "--log", path.join(opt.out, "direct-app.log"),
    "--fail-shot", path.join(opt.out, `direct-failed-${config.name}-${++directRuns}.png`)];
  for (const [k, v] of Object.entries(config.env)) args.push("--env", `${k}=${v}`);
  if (shot) args.push("--shot", shot);
  return new Promise((resolve) => {
    const child = execFile("/usr/bin/python3", args, { encoding: "utf8", maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      started.delete(child.pid);
      if (stderr) process.stderr.write(stderr);
      try {
        if (err) throw err;
        resolve({ config: config.name, ...JSON.parse(stdout.trim().split("\n").pop()) });
      } catch (e) {
        resolve({ config: config.name, error: String(e.message ?? e) });
      }
    });
    started.add(child.pid);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Statistics and printing

const sorted = (xs) => xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
function quantile(xs, q) {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const median = (xs) => {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : "n/a");
const mib = (kib) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : "n/a");
const range = (xs, f) => {
  const s = sorted(xs);
  return s.length ? `${f(median(s))} (${f(s[0])}–${f(s[s.length - 1])})` : "n/a";
};
const verdict = (v, limit) => (!Number.isFinite(v) ? "n/a" : v <= limit ? "MET" : `MISSED (${(v / limit).toFixed(1)}x)`);

function summarise(name, rows, zero, direct, directZero) {
  const ok = rows.filter((r) => !r.error);
  const okZero = zero.filter((r) => !r.error);
  const searches = ok.flatMap((r) => r.search ?? []).filter((s) => s.value !== undefined);
  const s = {
    name,
    runs: ok.length,
    launch: ok.map((r) => r.launch_ms),
    launchSession: ok.map((r) => r.session_ms),
    pageOrigin: ok.map((r) => r.page_origin_ms),
    unlock10k: ok.map((r) => r.unlock_ms),
    unlock0: okZero.map((r) => r.unlock_ms),
    unlockCmd10k: ok.map((r) => r.unlock_cmd_ms),
    unlockCmd0: okZero.map((r) => r.unlock_cmd_ms),
    afterCmd10k: ok.map((r) => r.after_unlock_cmd_ms),
    afterCmd0: okZero.map((r) => r.after_unlock_cmd_ms),
    listKeys: ok.map((r) => r.list_keys_ms),
    listToPaint: ok.map((r) => r.list_end_to_painted_ms),
    listParsed: ok.map((r) => r.list_parsed_ms),
    listParseToDom: ok.map((r) => r.list_parse_to_dom_ms),
    domToRaf: ok.map((r) => r.dom_to_raf_ms),
    rafToPainted: ok.map((r) => r.raf_to_painted_ms),
    searchWork: searches.map((x) => x.work),
    searchJs: searches.map((x) => x.js),
    searchNext: searches.map((x) => x.nextPaint),
    searchRaf2: searches.map((x) => x.doubleRaf),
    pss: ok.map((r) => r.pss?.kib),
    uss: ok.map((r) => r.pss?.uss),
    ussUnlockScreen: ok.map((r) => r.pss_unlock_screen?.uss),
    dUss: direct.filter((r) => !r.error).map((r) => r.uss_kib),
    foreign: Math.max(0, ...ok.map((r) => r.foreign_webkit?.length ?? 0)),
    pssUnlockScreen: ok.map((r) => r.pss_unlock_screen?.kib),
    pssParts: ok[0]?.pss?.parts,
    payload: ok.find((r) => r.payload)?.payload,
    detail: ok.flatMap((r) => r.detail ?? []).map((d) => d.painted),
    busy: ok.map((r) => r.busy_ms),
    pageFcp: ok.map((r) => r.page_fcp_ms),
    pageUnlockSeen: ok.map((r) => r.page_unlock_seen_ms),
    dFirstContent: direct.filter((r) => !r.error).map((r) => r.first_content_s * 1000),
    dWebProcess: direct.filter((r) => !r.error).map((r) => r.webprocess_started_s * 1000),
    dWindow: direct.filter((r) => !r.error).map((r) => r.window_s * 1000),
    dPainted: direct.filter((r) => !r.error).map((r) => r.painted_s * 1000),
    dUnlock10k: direct.filter((r) => !r.error).map((r) => r.unlock_s * 1000),
    dUnlock0: directZero.filter((r) => !r.error).map((r) => r.unlock_s * 1000),
    dPss: direct.filter((r) => !r.error).map((r) => r.pss_kib),
    dPssParts: direct.find((r) => !r.error)?.pss_parts_kib,
    errors: [...rows, ...zero, ...direct, ...directZero].filter((r) => r.error).map((r) => r.error),
  };
  s.kdfExcluded = median(s.unlock10k) - median(s.unlock0);
  s.dKdfExcluded = median(s.dUnlock10k) - median(s.dUnlock0);
  return s;
}

function printSummary(all) {
  const base = all[0];
  const line = (label, value, target = "", v = "") => console.log(`  ${label.padEnd(58)} ${value.padEnd(26)} ${target.padEnd(10)} ${v}`);
  console.log(`\n==== Keystead app benchmark: ${base.name} configuration, 10,000 keys, ${RUNS} runs ====`);
  console.log(`  (median (min–max) over runs; search: median / p95 over ${base.searchNext.length} keystrokes)`);
  line("measure", "figure", "target", "verdict");
  line("launch -> unlock screen painted (WebDriver new session)", range(base.launch, ms), "<= 500 ms", verdict(median(base.launch), 500));
  line("launch -> unlock screen painted (no WebDriver, screen grabs)", range(base.dPainted, ms), "<= 500 ms", verdict(median(base.dPainted), 500));
  line("  WebDriver: session request -> page navigation starts", range(base.pageOrigin, ms));
  line("  WebDriver: navigation -> first paint (\"Opening…\") / -> field seen", `${ms(median(base.pageFcp))} / ${ms(median(base.pageUnlockSeen))}`);
  line("  no WebDriver: spawn -> window mapped", range(base.dWindow, ms));
  line("  no WebDriver: spawn -> WebKitWebProcess started (10 ms ticks)", range(base.dWebProcess, ms));
  line("  no WebDriver: spawn -> first web content on screen", range(base.dFirstContent, ms));
  line(`unlock -> table painted, ${NK} keys, incl. KDF (in page)`, range(base.unlock10k, ms));
  line("  same path on a 0-key vault (KDF + fixed cost)", range(base.unlock0, ms));
  line(`  of which the \`unlock\` command (${NK} / 0 keys)`, `${ms(median(base.unlockCmd10k))} / ${ms(median(base.unlockCmd0))}`);
  line(`unlock (KDF excluded) -> table painted, A: ${NK} - 0-key runs`, ms(base.kdfExcluded), "<= 300 ms", verdict(base.kdfExcluded, 300));
  line("unlock (KDF excluded) -> table painted, B: unlock command done -> painted", range(base.afterCmd10k, ms), "<= 300 ms", verdict(median(base.afterCmd10k), 300));
  if (opt["kdf-ms"]) {
    const kdf = Number(opt["kdf-ms"]);
    line(`unlock (KDF excluded) -> table painted, C: 10k - criterion KDF (${ms(kdf)})`, ms(median(base.unlock10k) - kdf), "<= 300 ms", verdict(median(base.unlock10k) - kdf, 300));
  }
  line("  (A also subtracts what every unlock costs besides the KDF: keyring, audit write, main screen mount)", "");
  line("  key_rows: request -> answer headers (Rust: index at unlock + first window)", range(base.listKeys, ms));
  line("  key_rows: headers -> body read and JSON-parsed", range(base.listParsed, ms));
  line("  parsed -> first row in the DOM (sort, filter, render)", range(base.listParseToDom, ms));
  line("  row in the DOM -> next frame -> rendering done", `${ms(median(base.domToRaf))} + ${ms(median(base.rafToPainted))}`);
  line(`  page main thread busy (gaps > 25 ms) during the ${NK} unlock`, range(base.busy, ms));
  line(`  no WebDriver: Return -> table painted, ${NK} / 0 keys`, `${ms(median(base.dUnlock10k))} / ${ms(median(base.dUnlock0))}`);
  line(`  no WebDriver: KDF excluded (${NK} - 0-key)`, ms(base.dKdfExcluded));
  line("search keystroke -> next paint (rAF + message)", `${ms(median(base.searchNext))} / ${ms(quantile(base.searchNext, 0.95))}`, "<= 16 ms", verdict(quantile(base.searchNext, 0.95), 16));
  line("  work: input -> DOM updated + layout", `${ms(median(base.searchWork))} / ${ms(quantile(base.searchWork, 0.95))}`, "<= 16 ms", verdict(quantile(base.searchWork, 0.95), 16));
  line("  of which JS (filter + Svelte update)", `${ms(median(base.searchJs))} / ${ms(quantile(base.searchJs, 0.95))}`);
  line("  double rAF (includes one whole frame wait)", `${ms(median(base.searchRaf2))} / ${ms(quantile(base.searchRaf2, 0.95))}`);
  line(`open a key's detail (click -> panel painted), ${NK} keys`, `${ms(median(base.detail))} / ${ms(quantile(base.detail, 0.95))}`);
  line(`memory: PSS app + WebKit processes, ${NK} keys unlocked`, range(base.pss, mib), "min.", "KeePassXC 142 MiB");
  line("  USS (private pages only; not lowered by other WebKit processes)", range(base.uss, mib));
  line("  no WebDriver: PSS / USS", `${range(base.dPss, mib)} / ${mib(median(base.dUss))}`);
  line("  on the unlock screen (before unlock)", range(base.pssUnlockScreen, mib));
  if (base.pssParts) line("  by process (run 1)", Object.entries(base.pssParts).map(([k, v]) => `${k} ${mib(v)}`).join(", "));
  if (base.payload) {
    const p = base.payload;
    line("key_rows window (JSON)", `${(p.bytes / 1024).toFixed(1)} KiB, ${p.count} of ${p.total} keys, ${Math.round(p.bytes / Math.max(1, p.count))} B/key`);
    line("  key_rows round trip when called directly", p.times.map((t) => ms(t)).join(", "));
    line(`  search round trips over ${p.total} keys ("b", "be", "bench-key-0012", "bench-key-00123", "")`,
      p.ui.searchTimes.map((t) => ms(t)).join(", "));
    line("  the detail panel's calls alone: key_detail / audit_log (events, JSON)",
      `${ms(p.other.detailMs)} / ${ms(p.other.auditMs)} (${p.other.auditCount}, ${(p.other.auditBytes / 1048576).toFixed(2)} MiB)`);
    const top = Object.entries(p.fieldBytes).sort((a, b) => b[1] - a[1]).slice(0, 6);
    line("  largest fields (share of the payload)", top.map(([k, v]) => `${k} ${((100 * v) / p.bytes).toFixed(0)}%`).join(", "));
  }

  console.log(`\n==== Memory knobs (environment of the app process) ====`);
  const cols = ["config", "PSS 10k (WebDriver)", "USS 10k", "PSS 10k (direct)", "PSS / USS unlock screen", "launch WD/direct", "unlock A / B", "search work/paint p95"];
  const widths = [Math.max(16, ...all.map((s) => s.name.length + 2)), 27, 10, 27, 25, 20, 18, 22];
  console.log("  " + cols.map((c, i) => c.padEnd(widths[i])).join(""));
  for (const s of all) {
    const cells = [s.name, range(s.pss, mib), mib(median(s.uss)), range(s.dPss, mib),
      `${mib(median(s.pssUnlockScreen))} / ${mib(median(s.ussUnlockScreen))}`,
      `${ms(median(s.launch))} / ${ms(median(s.dPainted))}`, `${ms(s.kdfExcluded)} / ${ms(median(s.afterCmd10k))}`,
      `${ms(quantile(s.searchWork, 0.95))} / ${ms(quantile(s.searchNext, 0.95))}`];
    console.log("  " + cells.map((c, i) => c.padEnd(widths[i])).join(""));
  }
  console.log("  (page clocks in WebKit tick in whole milliseconds)");
  const foreign = Math.max(...all.map((s) => s.foreign));
  if (foreign > 0) {
    console.log(`  NOTE: up to ${foreign} other processes mapped WebKitGTK during the runs (another app, an e2e run):`);
    console.log("  they share its library pages, so PSS reads lower than for Keystead alone; compare USS across runs.");
  }
  for (const s of all) if (s.errors.length) console.log(`  ${s.name}: ${s.errors.length} failed runs: ${[...new Set(s.errors)].join("; ")}`);
}

// ---------------------------------------------------------------------------------------------------------

const results = [];
const summaries = [];
for (const config of CONFIGS) {
  console.error(`== ${config.name} ${JSON.stringify(config.env)}`);
  const driverProc = await startDriver(config.env);
  const rows = [];
  const zero = [];
  try {
    // Warm-up, not counted: the first app of a D-Bus session activates xdg-desktop-portal and a11y, and the
    // first run reads the binaries from disk; a user's desktop has both done already.
    await webdriverRun(driverProc, config, opt.vault0, "empty", null).catch((e) => console.error(`  warm-up: ${e}`));
    for (let i = 0; i < RUNS; i++) {
      const shot = i === 0 ? path.join(opt.out, `table-${config.name}.png`) : null;
      try {
        rows.push(await webdriverRun(driverProc, config, opt.vault10k, "rows", shot));
      } catch (e) {
        rows.push({ config: config.name, error: String(e.message ?? e) });
      }
      const r = rows[rows.length - 1];
      console.error(`  run ${i + 1}: launch ${ms(r.launch_ms)}, unlock 10k ${ms(r.unlock_ms)} (cmd ${ms(r.unlock_cmd_ms)}), PSS ${mib(r.pss?.kib)}${r.error ? ` ERROR ${r.error}` : ""}`);
    }
    for (let i = 0; i < RUNS; i++) {
      try {
        zero.push(await webdriverRun(driverProc, config, opt.vault0, "empty", null));
      } catch (e) {
        zero.push({ config: config.name, error: String(e.message ?? e) });
      }
      const r = zero[zero.length - 1];
      console.error(`  0-key run ${i + 1}: unlock ${ms(r.unlock_ms)} (cmd ${ms(r.unlock_cmd_ms)})${r.error ? ` ERROR ${r.error}` : ""}`);
    }
  } finally {
    writeFileSync(path.join(opt.out, `tauri-driver-${config.name}.log`), driverProc.log());
    await stopDriver(driverProc);
  }
  const direct = [];
  const directZero = [];
  if (opt.direct === "1") {
    for (let i = 0; i < RUNS; i++) {
      const shot = i === 0 ? path.join(opt.out, `direct-${config.name}.png`) : null;
      const r = await directRun(config, opt.vault10k, shot);
      direct.push(r);
      console.error(`  direct run ${i + 1}: window ${ms(r.window_s * 1000)}, painted ${ms(r.painted_s * 1000)}, unlock ${ms(r.unlock_s * 1000)}, PSS ${mib(r.pss_kib)}${r.error ? ` ERROR ${r.error}` : ""}`);
    }
    for (let i = 0; i < RUNS; i++) {
      const r = await directRun(config, opt.vault0, null);
      directZero.push(r);
      console.error(`  direct 0-key run ${i + 1}: unlock ${ms(r.unlock_s * 1000)}${r.error ? ` ERROR ${r.error}` : ""}`);
    }
  }
  results.push({ config, rows, zero, direct, directZero });
  summaries.push(summarise(config.name, rows, zero, direct, directZero));
  writeFileSync(path.join(opt.out, "results.json"), JSON.stringify(results, null, 1));
}
printSummary(summaries);
console.log(`\n  raw results: ${path.join(opt.out, "results.json")}; screenshots: ${opt.out}/table-*.png, direct-*.png`);
