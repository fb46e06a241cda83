// Leak canary (issue 11, item 4): canary secrets go in through the CLI, the add form, a rotation and a share
// file made by another vault; the app reveals, copies, shares (to a passphrase), imports, rotates and
// reminds with them; then the canaries (raw, base64, base64url, hex and percent-encoded) are searched for in
// the CLI's stdout and stderr, every IPC response the window got except `reveal_secret`, the app's logs
// (tauri-driver's, which holds the app's stdout and stderr), the throw-away HOME (the webview's storage and
// caches, settings, anchors), the vault file and its WAL, this run's temporary folder, the notifications
// received, the share files and the audit export. 0 hits. The running app has core dumps off and its vault
// key locked in memory. Run with scripts/e2e.sh.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe } from "node:test";
import {
  SETTINGS,
  appPids,
  byTestId,
  click,
  poll,
  rowByName,
  screenshot,
  selectOption,
  setChecked,
  startApp,
  stepsOf,
  typeDate,
  typeInto,
  utcDate,
  waitGone,
  waitText,
  waitVisible,
} from "./helpers.mjs";

const CLI_BIN = process.env.CLI_BIN ?? "";
const LOGS = process.env.E2E_LOGS ?? "";
const PASSPHRASE = "canary test passphrase";
const SHARE_PASS = "canary share passphrase";

/** A fresh canary: unlikely anywhere by chance, printable, long enough for every encoding. */
const canary = (what) => `KSCANARY${what}${randomBytes(12).toString("hex")}`;

/** The forms a secret could leak in. */
function forms(secret) {
  const b = Buffer.from(secret);
  return [
    secret,
    b.toString("base64").replace(/=+$/, ""),
    b.toString("base64url"),
    b.toString("hex"),
    encodeURIComponent(secret),
  ];
}

/** Every regular file under `dir` (not following links), skipping what `skip` refuses. */
function filesUnder(dir, skip = () => false) {
  const out = [];
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (skip(p)) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe("no secret leaks out of the vault", () => {
  const cliKey = { name: "cli-canary", apiKey: canary("CLIAPI"), secret: canary("CLISEC") };
  const formKey = { name: "form-canary", apiKey: canary("FORMAPI"), secret: canary("FORMSEC") };
  const rotated = { apiKey: canary("ROTAPI"), secret: canary("ROTSEC") };
  const sharedIn = { name: "shared-canary", apiKey: canary("SHAREAPI"), secret: canary("SHARESEC") };
  const secrets = [cliKey.apiKey, cliKey.secret, formKey.apiKey, formKey.secret, rotated.apiKey, rotated.secret, sharedIn.apiKey, sharedIn.secret];
  let dir;
  let vault;
  let app = null;
  let driver;
  /** What the CLI printed, for the search. */
  const printed = [];
  const step = stepsOf(() => (app === null ? null : driver), 120_000);

  const cli = (args, { input = "", vaultPath = vault, pass = PASSPHRASE } = {}) => {
    const r = spawnSync(CLI_BIN, args, {
      env: { ...process.env, KEYSTEAD_VAULT: vaultPath, KEYSTEAD_PASSPHRASE: pass, KEYSTEAD_KDF_TARGET_MS: "50" },
      input,
      encoding: "utf8",
    });
    printed.push(r.stdout, r.stderr);
    assert.equal(r.status, 0, `keystead ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };

  /** Wraps the page's `fetch`, which Tauri's IPC calls for every command (ipc://localhost/<command>), so
   * every response but reveal_secret's is kept for the search. */
  const recordIpc = () =>
    driver.executeScript(`
      if (window.__canaryWrapped) return;
      const original = window.fetch.bind(window);
      window.__ipcResponses = [];
      window.fetch = async (input, init) => {
        const answer = await original(input, init);
        const url = typeof input === "string" ? input : input.url;
        if (/^(ipc:|http:\\/\\/ipc\\.localhost)/.test(url)) {
          const cmd = decodeURIComponent(url.split("/").pop().split("?")[0]);
          if (cmd !== "reveal_secret") {
            try {
              const bytes = new Uint8Array(await answer.clone().arrayBuffer());
              window.__ipcResponses.push(cmd + " " + new TextDecoder().decode(bytes));
            } catch (e) {
              window.__ipcResponses.push(cmd + " <unreadable: " + e + ">");
            }
          }
        }
        return answer;
      };
      window.__canaryWrapped = true;
    `);

  before(() => {
    assert.ok(CLI_BIN !== "" && LOGS !== "", "CLI_BIN and E2E_LOGS come from scripts/e2e.sh");
    dir = mkdtempSync(path.join(tmpdir(), "keystead-canary-"));
    vault = path.join(dir, "vault.db");
    cli(["init"]);
    cli(["add", "--name", cliKey.name, "--exchange", "binance", "--scopes", "read", "--expires", utcDate(3), "--secrets-stdin"], {
      input: JSON.stringify({ apiKey: cliKey.apiKey, secret: cliKey.secret }),
    });
    cli(["list"]);
    cli(["show", cliKey.name, "--json"]);
    // A teammate's vault shares a key with this one.
    const me = JSON.parse(cli(["whoami", "--json"]));
    const other = path.join(dir, "teammate.db");
    cli(["init"], { vaultPath: other, pass: "teammate passphrase" });
    cli(["add", "--name", sharedIn.name, "--exchange", "okx", "--scopes", "read", "--secrets-stdin"], {
      vaultPath: other,
      pass: "teammate passphrase",
      input: JSON.stringify({ apiKey: sharedIn.apiKey, secret: sharedIn.secret, password: "okx-pass-0123" }),
    });
    cli(["share", "export", "--keys", sharedIn.name, "--to", me.sharing_key, "-o", path.join(dir, "incoming.age")], {
      vaultPath: other,
      pass: "teammate passphrase",
    });
  });

  after(async () => {
    await app?.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  step("unlock, add a key through the form, reveal and copy it", async () => {
    app = await startApp({ vault, settings: { ...SETTINGS, auto_lock_minutes: 30 } });
    driver = app.driver;
    await waitVisible(driver, "unlock-passphrase", 30_000);
    await recordIpc();
    await typeInto(driver, "unlock-passphrase", PASSPHRASE);
    await click(driver, "unlock-submit");
    await waitVisible(driver, "add-key", 30_000);
    await click(driver, "add-key");
    await selectOption(driver, "form-exchange", "binance");
    await waitVisible(driver, "form-secret-apiKey");
    await typeInto(driver, "form-name", formKey.name);
    await typeInto(driver, "form-secret-apiKey", formKey.apiKey);
    await typeInto(driver, "form-secret-secret", formKey.secret);
    await setChecked(driver, "form-scope-read");
    await typeDate(driver, "form-expires", utcDate(2));
    await click(driver, "form-submit");
    await (await rowByName(driver, formKey.name)).click();
    await waitText(driver, "detail-name", formKey.name);
    await click(driver, "reveal-secret");
    await waitText(driver, "secret-value-secret", formKey.secret, 10_000);
    await click(driver, "hide-secret");
    await click(driver, "copy-apiKey");
    await waitText(driver, "copy-status", /clipboard clears in \d+ s/, 10_000);
  });

  step("rotate it, share it to a passphrase file, import the teammate's file", async () => {
    await click(driver, "rotate");
    await waitVisible(driver, "rotate-dialog");
    await typeInto(driver, "form-secret-apiKey", rotated.apiKey);
    await typeInto(driver, "form-secret-secret", rotated.secret);
    await click(driver, "dialog-submit");
    await waitGone(driver, "rotate-dialog");

    await click(driver, "share-open");
    await waitVisible(driver, "share-dialog");
    await setChecked(driver, "share-use-passphrase");
    await typeInto(driver, "share-passphrase", SHARE_PASS);
    await typeInto(driver, "share-passphrase-confirm", SHARE_PASS);
    await typeInto(driver, "share-path", path.join(dir, "outgoing.age"));
    await click(driver, "share-submit");
    await waitText(driver, "share-result", /Shared 1 key with passphrase/, 60_000);
    await click(driver, "share-done");
    await waitGone(driver, "share-dialog");

    await click(driver, "import-open");
    await click(driver, "import-kind-share");
    await typeInto(driver, "import-path", path.join(dir, "incoming.age"));
    await click(driver, "import-open-file");
    await waitVisible(driver, "import-entry", 30_000);
    await click(driver, "import-submit");
    await waitText(driver, "import-summary", /Added 1 key/, 30_000);
    await click(driver, "import-done");
    await waitGone(driver, "import-dialog");
  });

  step("the reminders come, the audit log is exported, the app is hardened", async () => {
    const log = path.join(LOGS, "notifications.jsonl");
    await poll(
      async () => existsSync(log) && readFileSync(log, "utf8").includes(formKey.name),
      { timeout: 60_000, interval: 500, message: "a reminder naming the form key" },
    );
    await click(driver, "audit-open");
    await waitVisible(driver, "audit-event", 30_000);
    await click(driver, "audit-export-json");
    const saved = await waitText(driver, "audit-export-path", /Saved to /, 30_000);
    const exported = saved.replace(/^Saved to\s*/, "").trim();
    assert.ok(existsSync(exported), `the audit export at ${exported}`);
    printed.push(`AUDIT-EXPORT:${exported}`);
    await screenshot(driver, "80-canary-audit-exported");

    const [pid] = appPids();
    const limits = readFileSync(`/proc/${pid}/limits`, "utf8");
    assert.match(limits, /^Max core file size\s+0\s+0\s/m, "core dumps are off in the app");
    const locked = Number(/^VmLck:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    assert.ok(locked > 0, "the app's vault key is locked in memory (VmLck)");
  });

  step("no canary anywhere: IPC, logs, HOME, vault and WAL, temp, notifications, share files, audit export", async () => {
    const responses = await driver.executeScript("return window.__ipcResponses ?? []");
    assert.ok(responses.length > 20, `${responses.length} IPC responses recorded`);
    await app.quit();
    app = null;
    const needles = secrets.flatMap((s) => forms(s).map((f) => ({ f, of: s.slice(0, 14) })));
    const hits = [];
    const search = (where, buf) => {
      for (const { f, of } of needles) if (buf.includes(Buffer.from(f))) hits.push(`${where}: ${of}…`);
    };
    printed.forEach((text, i) => search(`CLI output ${i}`, Buffer.from(text ?? "")));
    responses.forEach((r) => search(`IPC ${r.split(" ")[0]}`, Buffer.from(r)));
    const scanned = new Set();
    const scan = (file) => {
      if (scanned.has(file)) return;
      scanned.add(file);
      try {
        if (statSync(file).size < 256 * 1024 * 1024) search(file, readFileSync(file));
      } catch {
        // Gone between listing and reading (a socket, a lock file): nothing to read.
      }
    };
    for (const f of filesUnder(LOGS)) scan(f);
    for (const f of filesUnder(homedir(), (p) => p.includes(`${path.sep}.rustup`) || p.includes(`${path.sep}.cargo`))) scan(f);
    for (const f of filesUnder(dir)) scan(f);
    // Other files this run left in the temporary folder.
    for (const f of filesUnder(tmpdir(), (p) => p.startsWith(dir) || !p.includes("keystead"))) scan(f);
    const exported = printed.find((t) => t?.startsWith("AUDIT-EXPORT:"))?.slice("AUDIT-EXPORT:".length);
    if (exported) scan(exported);
    for (const must of [vault, path.join(dir, "outgoing.age"), path.join(dir, "incoming.age"), path.join(LOGS, "notifications.jsonl")]) {
      assert.ok(scanned.has(must), `${must} was searched`);
    }
    assert.ok(exported && scanned.has(exported), "the audit export was searched");
    assert.deepEqual(hits, [], `canaries found (${scanned.size} files searched)`);
  });
});
