// The first run (issue 17, item 9) through the real app: the welcome offers "Create a new vault" and "Open an
// existing vault", each with a file field and the native chooser (the path is typed where the chooser would
// put it: WebDriver cannot drive the GTK chooser); a relative path is refused; the confirm field says live
// whether the passphrases match and Create waits for that and the length rule; the vault is made at the
// chosen file; the checklist (import, tray and login, the CLI on a server, a backup) follows; a backup from it
// says where it went and how to restore, opens with the CLI and lists the key, and an existing file asks
// before it is replaced; the checklist stays dismissed; Settings has a Backup section; the header marks the
// active screen; "Open an existing vault" opens the backup; the key's API-key page is a link that wraps only
// at its separators. Run with scripts/e2e.sh.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe } from "node:test";
import {
  byTestId,
  click,
  poll,
  rowByName,
  screenshot,
  startApp,
  stepsOf,
  textOf,
  typeInto,
  waitGone,
  waitText,
  waitVisible,
} from "./helpers.mjs";

const PASSPHRASE = "first run vault passphrase";
const CLI_BIN = process.env.CLI_BIN ?? "";
const KEY = "binance-first";

describe("Keystead first run", () => {
  let app;
  let driver;
  let chosen;
  let backup;
  const step = stepsOf(() => driver, 90_000);

  const cli = (vault, args, input) =>
    execFileSync(CLI_BIN, args, {
      env: { ...process.env, KEYSTEAD_VAULT: vault, KEYSTEAD_PASSPHRASE: PASSPHRASE, KEYSTEAD_KDF_TARGET_MS: "50" },
      input,
      encoding: "utf8",
    });
  const pressed = async (id) => (await (await waitVisible(driver, byTestId(id))).getAttribute("aria-pressed"));

  before(async () => {
    assert.ok(CLI_BIN !== "", "CLI_BIN comes from scripts/e2e.sh");
    app = await startApp();
    driver = app.driver;
    chosen = path.join(path.dirname(app.vault), "chosen.db");
    backup = path.join(path.dirname(app.vault), "keystead-backup.db");
  });

  after(async () => {
    await app?.quit();
  });

  step("the welcome offers two choices, and opening refuses a relative path", async () => {
    await waitVisible(driver, "welcome", 20_000);
    assert.equal(await pressed("choice-create"), "true");
    assert.equal(await pressed("choice-open"), "false");
    assert.equal(await (await driver.findElement(byTestId("create-path"))).getAttribute("value"), app.vault);
    await screenshot(driver, "50-welcome");
    await click(driver, "choice-open");
    assert.equal(await pressed("choice-open"), "true");
    await typeInto(driver, "vault-file-path", "keys/vault.db");
    await click(driver, "vault-file-submit");
    await waitText(driver, byTestId("vault-file-error"), /full path/);
    await click(driver, "choice-create");
    await waitVisible(driver, "create-form");
  });

  step("the confirm field says whether the passphrases match; Create waits for it", async () => {
    await typeInto(driver, "create-path", chosen);
    await typeInto(driver, "create-passphrase", PASSPHRASE);
    const match = await driver.findElement(byTestId("passphrase-match"));
    assert.equal(await match.getAttribute("aria-live"), "polite");
    const submit = await driver.findElement(byTestId("create-submit"));
    assert.equal(await submit.isEnabled(), false, "nothing to confirm yet");
    await typeInto(driver, "create-confirm", "first run vault");
    await waitText(driver, byTestId("passphrase-match"), "Passphrases do not match");
    assert.equal(await submit.isEnabled(), false);
    await typeInto(driver, "create-confirm", PASSPHRASE);
    await waitText(driver, byTestId("passphrase-match"), "✓ Passphrases match");
    assert.equal(await submit.isEnabled(), true);
    await screenshot(driver, "51-create-passphrases-match");
    // Matching but too short: still waits, and says why.
    await typeInto(driver, "create-passphrase", "short");
    await typeInto(driver, "create-confirm", "short");
    await waitText(driver, byTestId("passphrase-match"), "✓ Passphrases match");
    assert.match(await textOf(driver, "create-length"), /At least \d+ characters$/);
    assert.equal(await submit.isEnabled(), false);
    await typeInto(driver, "create-passphrase", PASSPHRASE);
    await typeInto(driver, "create-confirm", PASSPHRASE);
    await click(driver, "create-submit");
    await waitText(driver, "keys-empty", /No keys yet/, 20_000);
    assert.ok(existsSync(chosen), "the vault was created at the chosen file");
    assert.ok(!existsSync(app.vault), "nothing was written at the default path");
  });

  step("the checklist follows, and a backup from it says where it went and how to restore", async () => {
    await waitVisible(driver, "first-run-checklist");
    assert.match(await textOf(driver, "checklist-cli"), /^keystead init\n.*keystead run --key /s);
    await waitVisible(driver, "checklist-import");
    await waitVisible(driver, "checklist-close-to-tray");
    await waitVisible(driver, "checklist-start-at-login");
    await screenshot(driver, "52-first-run-checklist");
    // A key from the terminal, as a trader adds one on the side; the backup is of the file, so it holds it.
    cli(chosen, ["add", "--name", KEY, "--exchange", "binance", "--scopes", "read", "--secrets-stdin"],
      JSON.stringify({ apiKey: "firstRUNapiKEY0123456789abcdef", secret: "firstRUNsecret0123456789abcdef" }));

    await click(driver, "checklist-backup");
    await poll(async () => (await (await driver.findElement(byTestId("backup-path"))).getAttribute("value")) !== "",
      { message: "a backup path offered" });
    assert.match(await (await driver.findElement(byTestId("backup-path"))).getAttribute("value"),
      /keystead-backup-\d{4}-\d\d-\d\d\.db$/);
    await typeInto(driver, "backup-path", backup);
    await click(driver, "backup-submit");
    await waitVisible(driver, "backup-result", 20_000);
    assert.equal(await textOf(driver, "backup-written"), backup);
    const howTo = await textOf(driver, "backup-result");
    assert.match(howTo, /Open an existing vault/);
    assert.ok(howTo.includes(`KEYSTEAD_VAULT=${backup} keystead list`), howTo);
    assert.match(howTo, /reported as an older file \(a restored backup\)/);
    await waitVisible(driver, "checklist-backup-done");
    await screenshot(driver, "53-backup-result");

    const listed = JSON.parse(cli(backup, ["list", "--json"]));
    assert.deepEqual(listed.map((k) => k.name), [KEY], "the copy opens with the CLI and lists the key");
    const audit = JSON.parse(cli(chosen, ["audit", "--json"]));
    assert.ok(audit.some((e) => e.action === "vault_backed_up" && e.detail === `vault backed up to ${backup}`));

    // The same file again: asked before it is replaced.
    await click(driver, "backup-submit");
    await waitText(driver, byTestId("backup-error"), /already exists/);
    await click(driver, "backup-replace");
    await waitVisible(driver, "backup-result", 20_000);
  });

  step("dismissed, the checklist stays away; Settings has the Backup section; the header marks the screen", async () => {
    await click(driver, "checklist-dismiss");
    await waitGone(driver, "first-run-checklist");
    await click(driver, "settings-open");
    assert.equal(await (await driver.findElement(byTestId("settings-open"))).getAttribute("aria-current"), "page");
    assert.equal(await (await driver.findElement(byTestId("keys-open"))).getAttribute("aria-current"), null);
    assert.equal(await textOf(driver, "active-screen"), "· Settings");
    await click(driver, "settings-section-backup");
    await waitVisible(driver, "settings-backup");
    await screenshot(driver, "54-settings-backup");
    await click(driver, "keys-open");
    assert.equal(await (await driver.findElement(byTestId("keys-open"))).getAttribute("aria-current"), "page");
    assert.equal(await textOf(driver, "active-screen"), "· Keys");
    assert.equal((await driver.findElements(byTestId("first-run-checklist"))).length, 0);
  });

  step("\"Open an existing vault\" opens the backup, and its API-key page is a link that wraps at separators", async () => {
    await click(driver, "lock");
    await waitVisible(driver, "unlock-passphrase");
    assert.equal(await textOf(driver, "vault-path"), chosen);
    await click(driver, "vault-file-open");
    assert.equal(await pressed("choice-open"), "true");
    await typeInto(driver, "vault-file-path", backup);
    await click(driver, "vault-file-submit");
    await waitText(driver, byTestId("vault-path"), (t) => t === backup);
    await typeInto(driver, "unlock-passphrase", PASSPHRASE);
    await click(driver, "unlock-submit");
    const row = await rowByName(driver, KEY, 20_000);
    await (await row.findElement({ css: ".col-name" })).click();
    await waitText(driver, "detail-name", KEY, 10_000);
    const link = await waitVisible(driver, byTestId("api-key-page"));
    assert.equal(await link.getTagName(), "a");
    assert.equal(await link.getAttribute("href"), "https://www.binance.com/en/my/settings/api-management");
    // Every piece between separators stays on one line (the link may wrap only at a <wbr>).
    const split = await driver.executeScript(`
      const a = document.querySelector('[data-testid="api-key-page"]');
      const out = [];
      for (const node of a.childNodes) {
        if (node.nodeType !== Node.TEXT_NODE) continue;
        const r = document.createRange();
        r.selectNodeContents(node);
        const lines = new Set([...r.getClientRects()].map((c) => Math.round(c.top)));
        if (lines.size > 1) out.push(node.textContent);
      }
      return out;`);
    assert.deepEqual(split, [], "no piece of the address is broken across lines");
    await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", link);
    await screenshot(driver, "55-opened-backup-detail");
  });
});
