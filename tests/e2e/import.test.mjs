// Importing keys from another app's file through the real app's UI (issue 13, "Tests (in CI)"): a trader's
// freqtrade config (comments, trailing commas) is picked in Import… → "From another app or file" (the path
// typed where the native chooser would put it: WebDriver cannot drive the GTK chooser), its format is
// detected, the preview shows the key as new with no secret in the page, Import adds it, the table shows it
// with "scopes unknown", the summary gives the `keystead run` line that replaces the plaintext file, and the
// revealed secret (after the step-up an unknown key asks for) is the one in the file. Importing the same
// file again shows it identical and nothing to import. Then the leak scanner (issue 14): the key's secret,
// base64-encoded in a notebook of a scanned folder, is found from the Scan screen and named as that key,
// no whole secret reaches the page, and "Mark compromised" marks it; "Ignore" leaves it out of the next scan
// until "Stop ignoring" in the list of ignored findings. Run with scripts/e2e.sh.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe } from "node:test";
import {
  byTestId,
  click,
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

const PASSPHRASE = "import test vault passphrase";
const API_KEY = "ftKEYq8Lm2Xv7Bn4Zc1Wd6Hs3Jk9Pt5Ry0Ue8Io2Qa7Sf4Gl1Tx6Nb3Mv9Ch5Dj";
const SECRET = "ftSECRETz7Yx4Wv1Ut8Sr5Qp2On9Ml6Kj3Ih0Gf7Ed4Cb1Az8Yx5Wv2Ut9Sr6Qp3";
const NAME = "Binance scalper";

describe("Keystead import from another app's file", () => {
  let app;
  let driver;
  let dir;
  let config;
  const step = stepsOf(() => driver);

  /** Import… → From another app or file → the config's path → Open → the preview. */
  const openPreview = async () => {
    await click(driver, "import-open");
    await click(driver, "import-kind-file");
    await waitVisible(driver, "file-import-dialog");
    await typeInto(driver, "file-import-paths", config);
    await click(driver, "file-import-open");
    await waitVisible(driver, "file-import-entry", 20_000);
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "keystead-import-"));
    config = path.join(dir, "config.json");
    writeFileSync(
      config,
      `{
  // written by freqtrade new-config, then edited by hand
  "max_open_trades": 3,
  "stake_currency": "USDT",
  "dry_run": false,
  "bot_name": "scalper",
  "exchange": {
    "name": "binance",
    "key": "",
    "api_key": "${API_KEY}",
    "secret": "${SECRET}",
    "ccxt_config": {},
    "pair_whitelist": ["BTC/USDT", "ETH/USDT",],
  },
}
`,
      { mode: 0o600 },
    );
    app = await startApp();
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  step("create a vault", async () => {
    await waitVisible(driver, "create-passphrase", 20_000);
    await typeInto(driver, "create-passphrase", PASSPHRASE);
    await typeInto(driver, "create-confirm", PASSPHRASE);
    await click(driver, "create-submit");
    await waitVisible(driver, "add-key", 20_000);
  });

  step("the config's format is detected and the preview shows the key as new, with no secret in the page", async () => {
    await openPreview();
    const sources = await textOf(driver, "file-import-sources");
    assert.match(sources, /config\.json: freqtrade config, 1 key/);
    const row = await driver.findElement(byTestId("file-import-entry"));
    assert.equal(await row.getAttribute("data-key-name"), NAME);
    assert.equal(await row.getAttribute("data-status"), "new");
    assert.match(await row.getText(), /Binance/);
    assert.match(await row.getText(), /apiKey, secret/);
    assert.match(await textOf(driver, "file-import-warnings"), /scopes unknown/);
    const page = await driver.getPageSource();
    assert.ok(!page.includes(API_KEY) && !page.includes(SECRET), "no secret from the file in the page");
    await screenshot(driver, "60-file-import-preview");
  });

  step("Import adds the key; the summary names the plaintext file and the keystead run line", async () => {
    await click(driver, "file-import-submit");
    assert.match(await textOf(driver, "file-import-summary", 20_000), /Added 1 key \(“Binance scalper”\)/);
    const left = await textOf(driver, "file-import-plaintext");
    assert.ok(left.includes(config), left);
    assert.equal(
      await textOf(driver, "file-import-run-command"),
      `keystead run --profile freqtrade --key 'Binance scalper' -- freqtrade trade --config ${config}`,
    );
    const page = await driver.getPageSource();
    assert.ok(!page.includes(API_KEY) && !page.includes(SECRET), "no secret in the summary");
    await screenshot(driver, "61-file-import-summary");
    await click(driver, "file-import-done");
    await waitGone(driver, "file-import-dialog");
  });

  step("the table shows the key with scopes unknown", async () => {
    const row = await rowByName(driver, NAME);
    assert.ok((await row.findElements(byTestId("scopes-unknown"))).length === 1, "scopes unknown badge");
    await screenshot(driver, "62-imported-key-in-table");
  });

  step("its secret is the file's, after the step-up an imported key asks for", async () => {
    await (await rowByName(driver, NAME)).click();
    await click(driver, "reveal-secret");
    await waitVisible(driver, "stepup-dialog");
    await typeInto(driver, "stepup-passphrase", PASSPHRASE);
    await click(driver, "stepup-submit");
    await waitGone(driver, "stepup-dialog");
    await waitText(driver, "secret-value-secret", SECRET, 10_000);
  });

  step("importing the same file again shows it identical and leaves nothing to import", async () => {
    await openPreview();
    const row = await driver.findElement(byTestId("file-import-entry"));
    assert.equal(await row.getAttribute("data-status"), "identical");
    assert.match(await textOf(driver, "file-import-status"), /already in the vault as “Binance scalper”/);
    assert.match(await textOf(driver, "file-import-reason"), /nothing to import/);
    assert.equal(await (await driver.findElement(byTestId("file-import-submit"))).isEnabled(), false);
    await click(driver, "file-import-cancel");
    await waitGone(driver, "file-import-dialog");
  });

  step("the scanner finds the key's secret base64-encoded in a folder and marks the key compromised", async () => {
    const folder = path.join(dir, "notebooks");
    mkdirSync(folder);
    const encoded = Buffer.from(SECRET).toString("base64");
    writeFileSync(path.join(folder, "trade.ipynb"), `{"cells": [{"source": ["key = '${encoded}'\\n"]}]}\n`);
    writeFileSync(path.join(folder, "README.md"), "nothing here\n");
    await click(driver, "scan-open");
    await waitVisible(driver, "scan-view");
    await typeInto(driver, "scan-roots", folder);
    await click(driver, "scan-start");
    const summary = await textOf(driver, "scan-summary", 30_000);
    assert.match(summary, /1 of your keys found in 1 place/);
    const group = await driver.findElement(byTestId("scan-group"));
    assert.match(await group.getText(), /your key “binance scalper”/i);
    const finding = await driver.findElement(byTestId("scan-finding"));
    assert.equal(await finding.getAttribute("data-rule"), "own-secret-base64");
    // (WebKitWebDriver reads no text from this cut-to-fit cell: its place is read from the attribute the
    // cell shows.)
    const place = await driver.findElement(byTestId("scan-finding-place"));
    assert.match(await place.getAttribute("data-place"), /notebooks\/trade\.ipynb:1:\d+$/);
    const page = await driver.getPageSource();
    assert.ok(!page.includes(SECRET) && !page.includes(encoded), "no whole secret in the page");
    await screenshot(driver, "63-scan-finding");
    await click(driver, "scan-mark-compromised");
    await waitVisible(driver, "scan-marked");
    await click(driver, "scan-open-key");
    await waitVisible(driver, "found-in-plaintext");
    assert.match(await textOf(driver, "found-in-plaintext"), /trade\.ipynb:1/);
    await screenshot(driver, "64-key-found-in-plaintext");
  });

  step("a finding ignored on the scanner screen stays out of the next scan until un-ignored", async () => {
    const folder = path.join(dir, "notebooks");
    await click(driver, "scan-open");
    await waitVisible(driver, "scan-view");
    await typeInto(driver, "scan-roots", folder);
    await click(driver, "scan-start");
    assert.match(await textOf(driver, "scan-summary", 30_000), /1 of your keys found in 1 place/);
    await click(driver, "scan-ignore");
    await driver.wait(async () => /Nothing found \(1 ignored finding left out\)/.test(await textOf(driver, "scan-summary")), 10_000);
    // The next scan leaves it out too, and the list of ignored findings names it.
    await click(driver, "scan-start");
    await driver.wait(async () => /Nothing found \(1 ignored finding left out\)/.test(await textOf(driver, "scan-summary")), 30_000);
    await click(driver, "scan-ignored-toggle");
    await waitVisible(driver, "scan-ignored-item");
    assert.match(await textOf(driver, "scan-ignored-list"), /your key “Binance scalper”/i);
    await screenshot(driver, "65-scan-ignored");
    await click(driver, "scan-ignored-unignore");
    await driver.wait(async () => /Ignored findings \(0\)/i.test(await textOf(driver, "scan-ignored-list")), 10_000);
    await click(driver, "scan-start");
    await driver.wait(async () => /1 of your keys found in 1 place\./.test(await textOf(driver, "scan-summary")), 30_000);
  });
});
