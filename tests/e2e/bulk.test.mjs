// Bulk work in the key table (issue 17, item 6): Ctrl+click two keys → tag them → both show the tag in the
// optional Tags column; Shift range → revoke with a reason → their statuses change, nothing else does; a batch
// with a key revoked already changes nothing and names that key; group by exchange shows headers with counts
// and the arrows still walk the keys; group by bot (the keys' "used by"). Keys are added with the `keystead` CLI; the rest goes through the UI.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe } from "node:test";
import {
  Key,
  SETTINGS,
  byTestId,
  click,
  keyRows,
  poll,
  rowByName,
  screenshot,
  selectOption,
  setChecked,
  startApp,
  stepsOf,
  textOf,
  typeInto,
  waitGone,
  waitText,
  waitVisible,
} from "./helpers.mjs";

const PASSPHRASE = "bulk e2e passphrase 42";
const CLI_BIN = process.env.CLI_BIN ?? "";

/** name, exchange, account: sorted by name the table reads alpha, bravo, charlie, delta. */
const KEYS = [
  ["alpha", "binance", "main"],
  ["bravo", "kraken", null],
  ["charlie", "binance", "tax"],
  ["delta", "kraken", "main"],
];

describe("bulk work in the key table", () => {
  let dir;
  let vault;
  let app;
  let driver;
  const step = stepsOf(() => driver, 90_000);

  const cli = (args, input) =>
    execFileSync(CLI_BIN, args, {
      env: { ...process.env, KEYSTEAD_VAULT: vault, KEYSTEAD_PASSPHRASE: PASSPHRASE, KEYSTEAD_KDF_TARGET_MS: "50" },
      input,
      encoding: "utf8",
    });

  const statusOf = async (name) =>
    (await (await (await rowByName(driver, name)).findElement(byTestId("key-status"))).getText()).toLowerCase();
  // The text of a row's cell as the DOM holds it (the cells are plain divs; their text is what is drawn).
  const cellText = async (name, id) =>
    ((await (await (await rowByName(driver, name)).findElement(byTestId(id))).getAttribute("textContent")) ?? "").trim();
  const tagsOf = (name) => cellText(name, "key-tags");
  const selectedNames = async () => {
    const out = [];
    for (const r of await keyRows(driver)) if ((await r.el.getAttribute("aria-selected")) === "true") out.push(r.name);
    return out.sort();
  };
  const modClick = async (name, key) => {
    const row = await rowByName(driver, name);
    await driver.actions().keyDown(key).click(row).keyUp(key).perform();
  };

  before(() => {
    assert.ok(CLI_BIN !== "", "CLI_BIN comes from scripts/e2e.sh");
    dir = mkdtempSync(path.join(tmpdir(), "keystead-bulk-"));
    vault = path.join(dir, "vault.db");
    cli(["init"]);
    for (const [name, exchange, account] of KEYS) {
      const args = ["add", "--name", name, "--exchange", exchange, "--scopes", "read", "--secrets-stdin"];
      if (account !== null) args.push("--account", account);
      if (name === "alpha" || name === "delta") args.push("--used-by", "freqtrade@vps-1");
      cli(args, JSON.stringify({ apiKey: `${name}-api-key-0123456789`, secret: `${name}-secret-0123456789abcdef` }));
    }
  });

  after(async () => {
    await app?.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  step("unlock; the table is sorted by name and the Tags and Account columns are off", async () => {
    app = await startApp({ vault, settings: { ...SETTINGS, auto_lock_minutes: 30 } });
    driver = app.driver;
    await waitVisible(driver, "unlock-passphrase", 20_000);
    await typeInto(driver, "unlock-passphrase", PASSPHRASE);
    await click(driver, "unlock-submit");
    await waitVisible(driver, "add-key", 20_000);
    await rowByName(driver, "delta");
    await click(driver, "sort-name");
    assert.deepEqual((await keyRows(driver)).map((r) => r.name), ["alpha", "bravo", "charlie", "delta"]);
    assert.equal((await driver.findElements(byTestId("key-tags"))).length, 0);
    // The Columns menu turns the optional columns on (remembered in the settings).
    await click(driver, "columns-open");
    await setChecked(driver, "column-tags");
    await setChecked(driver, "column-account");
    await setChecked(driver, "column-used_by");
    await click(driver, "columns-open");
    await poll(async () => (await driver.findElements(byTestId("key-tags"))).length === 4, { message: "a Tags cell per row" });
    await poll(
      async () => (await cellText("alpha", "key-account")) === "main",
      { message: "alpha's Account cell reads main" },
    );
    await poll(
      async () => (await cellText("delta", "key-used-by")) === "freqtrade@vps-1" && (await cellText("bravo", "key-used-by")) === "",
      { message: "the Used by column names delta's bot and nothing for bravo" },
    );
    await screenshot(driver, "bulk-00-optional-columns");
  });

  step("Ctrl+click two keys, tag them: both show the tag, the others do not", async () => {
    // A plain click selects one key and opens it; Ctrl+click adds another, and the bulk bar takes over.
    await (await rowByName(driver, "alpha")).click();
    await waitVisible(driver, "detail-panel");
    await modClick("charlie", Key.CONTROL);
    await waitText(driver, byTestId("bulk-count"), /^2 keys selected$/);
    await waitGone(driver, "detail-panel");
    assert.deepEqual(await selectedNames(), ["alpha", "charlie"]);
    await screenshot(driver, "bulk-01-two-selected");

    await click(driver, "bulk-tag");
    await waitVisible(driver, "bulk-tag-dialog");
    await typeInto(driver, "bulk-tag-text", "grid-bots");
    await click(driver, "bulk-tag-submit");
    await waitGone(driver, "bulk-tag-dialog");
    await poll(async () => (await tagsOf("alpha")) === "grid-bots" && (await tagsOf("charlie")) === "grid-bots", {
      message: "alpha and charlie tagged",
    });
    assert.equal(await tagsOf("bravo"), "");
    assert.equal(await tagsOf("delta"), "");
    await screenshot(driver, "bulk-02-tagged");
  });

  step("Shift range from bravo to delta, revoke with a reason: their statuses change", async () => {
    await (await rowByName(driver, "bravo")).click();
    await modClick("delta", Key.SHIFT);
    await waitText(driver, byTestId("bulk-count"), /^3 keys selected$/);
    assert.deepEqual(await selectedNames(), ["bravo", "charlie", "delta"]);
    await click(driver, "bulk-revoke");
    await waitVisible(driver, "reason-dialog");
    assert.match(await textOf(driver, "bulk-revoke-names"), /^bravo, charlie, delta$/);
    await typeInto(driver, "dialog-reason", "desk closed");
    await screenshot(driver, "bulk-03-revoke-confirm");
    await click(driver, "dialog-submit");
    await waitGone(driver, "reason-dialog");
    await poll(async () => (await statusOf("delta")) === "revoked", { message: "delta revoked" });
    assert.equal(await statusOf("bravo"), "revoked");
    assert.equal(await statusOf("charlie"), "revoked");
    assert.equal(await statusOf("alpha"), "active");
    assert.match(await textOf(driver, "bulk-done"), /3 keys revoked/);
  });

  step("a batch with a key revoked already changes nothing and names that key", async () => {
    await (await rowByName(driver, "alpha")).click();
    await modClick("bravo", Key.CONTROL);
    await waitText(driver, byTestId("bulk-count"), /^2 keys selected$/);
    await click(driver, "bulk-revoke");
    await waitVisible(driver, "reason-dialog");
    await click(driver, "dialog-submit");
    await waitText(driver, byTestId("dialog-error"), /No key was changed.*bravo/);
    await driver.actions().sendKeys(Key.ESCAPE).perform();
    await waitGone(driver, "reason-dialog");
    assert.equal(await statusOf("alpha"), "active", "alpha, first in the batch, stays active");
  });

  step("Ctrl+A selects every shown key, Esc clears; group by exchange shows headers and the arrows walk keys", async () => {
    const alpha = await rowByName(driver, "alpha");
    await alpha.click();
    await waitVisible(driver, "detail-panel");
    // The open panel has focus; Esc closes it and gives focus back to alpha's row, where Ctrl+A works.
    await driver.actions().sendKeys(Key.ESCAPE).perform();
    await waitGone(driver, "detail-panel");
    await driver.actions().keyDown(Key.CONTROL).sendKeys("a").keyUp(Key.CONTROL).perform();
    await waitText(driver, byTestId("bulk-count"), /^4 keys selected$/);
    await driver.actions().sendKeys(Key.ESCAPE).perform();
    await waitGone(driver, "bulk-bar");

    await selectOption(driver, "group-by", "exchange");
    const headers = await driver.findElements(byTestId("group-row"));
    const labels = await Promise.all(headers.map((h) => h.getText()));
    assert.deepEqual(
      labels.map((l) => l.replace(/\s+/g, " ")),
      ["Binance 2 keys", "Kraken 2 keys"],
    );
    assert.deepEqual((await keyRows(driver)).map((r) => r.name), ["alpha", "charlie", "bravo", "delta"]);
    // From the second Binance key, ArrowDown skips the Kraken header to bravo; Shift+ArrowDown extends to delta.
    await (await rowByName(driver, "charlie")).click();
    await waitVisible(driver, "detail-panel");
    await driver.actions().sendKeys(Key.ESCAPE).perform();
    await waitGone(driver, "detail-panel");
    await driver.actions().sendKeys(Key.ARROW_DOWN).perform();
    await poll(async () => (await driver.switchTo().activeElement().getAttribute("data-key-name")) === "bravo", {
      message: "focus on bravo",
    });
    await driver.actions().keyDown(Key.SHIFT).sendKeys(Key.ARROW_DOWN).keyUp(Key.SHIFT).perform();
    await waitText(driver, byTestId("bulk-count"), /^2 keys selected$/);
    assert.deepEqual(await selectedNames(), ["bravo", "delta"]);
    await screenshot(driver, "bulk-04-grouped");
    // Group by bot: the keys freqtrade uses, then the rest.
    await selectOption(driver, "group-by", "bot");
    await poll(async () => (await driver.findElements(byTestId("group-row"))).length === 2, { message: "two bot groups" });
    const botLabels = await Promise.all((await driver.findElements(byTestId("group-row"))).map((h) => h.getText()));
    assert.deepEqual(botLabels.map((l) => l.replace(/\s+/g, " ")), ["freqtrade 2 keys", "Used by no bot 2 keys"]);
    assert.deepEqual((await keyRows(driver)).map((r) => r.name), ["alpha", "delta", "bravo", "charlie"]);
    await screenshot(driver, "bulk-05-by-bot");
    await (await rowByName(driver, "alpha")).click();
    await waitVisible(driver, "detail-panel");
    await driver.actions().sendKeys(Key.ESCAPE).perform();
    await waitGone(driver, "detail-panel");
    // The help overlay lists the selection keys.
    await driver.actions().sendKeys("?").perform();
    const help = await waitVisible(driver, "shortcut-help");
    for (const keys of ["Ctrl A", "Shift click", "Ctrl click"]) assert.match(await help.getText(), new RegExp(keys));
    await driver.actions().sendKeys(Key.ESCAPE).perform();
    await waitGone(driver, "shortcut-help");
  });
});
