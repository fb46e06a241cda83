// "New key pair" (issue 16) in the app: the add form asks Rust for a Binance Ed25519 key pair, shows the
// public key as Binance's form wants it (SubjectPublicKeyInfo PEM) and copies it; the user pastes the API
// key Binance answers; the private key never reaches the webview, asks for the passphrase before it is
// revealed, and signs "Check on exchange" requests that a loopback fake of Binance verifies with the
// public key the form showed (node's crypto, Ed25519 over the query string as Binance documents it).
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe } from "node:test";
import { ed25519SignedBy, startFakeBinance } from "./fake-binance.mjs";
import {
  SETTINGS,
  MASK,
  click,
  readClipboard,
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

const PORT = Number(process.env.E2E_FAKE_BINANCE_PORT ?? "0");
const PASSPHRASE = "key pair passphrase";
const API_KEY = "e2e-ed25519-api-key-binance-gave";

describe("new key pair", () => {
  let dir;
  let app = null;
  let driver;
  let fake = null;
  let publicPem = null;
  const step = stepsOf(() => (app === null ? null : driver), 90_000);

  before(async () => {
    assert.ok(PORT > 0, "E2E_FAKE_BINANCE_PORT comes from scripts/e2e.sh");
    fake = await startFakeBinance(PORT, {
      apiKey: API_KEY,
      signedBy: ed25519SignedBy(() => publicPem),
      answer: () => ({
        ipRestrict: true,
        createTime: 1767225600000,
        enableReading: true,
        enableWithdrawals: false,
        enableSpotAndMarginTrading: true,
        enableFutures: false,
        enableMargin: false,
        permitsUniversalTransfer: false,
        enableVanillaOptions: false,
      }),
    });
    dir = mkdtempSync(path.join(tmpdir(), "keystead-keypair-"));
  });

  after(async () => {
    await app?.quit();
    fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  step("the add form makes a key pair and shows and copies its public key", async () => {
    app = await startApp({ vault: path.join(dir, "vault.db"), settings: { ...SETTINGS, auto_lock_minutes: 30 } });
    driver = app.driver;
    await waitVisible(driver, "create-passphrase", 20_000);
    await typeInto(driver, "create-passphrase", PASSPHRASE);
    await typeInto(driver, "create-confirm", PASSPHRASE);
    await click(driver, "create-submit");
    await waitText(driver, "keys-empty", /No keys yet/, 20_000);
    await click(driver, "add-key");
    await waitVisible(driver, "key-form");
    await selectOption(driver, "form-exchange", "binance");
    await click(driver, "key-pair-new");
    publicPem = (await textOf(driver, "key-pair-public", 10_000)).trim() + "\n";
    assert.match(publicPem, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    assert.equal(createPublicKey(publicPem).asymmetricKeyType, "ed25519");
    await click(driver, "key-pair-copy");
    await waitVisible(driver, "key-pair-copied");
    const clip = await readClipboard();
    assert.equal(clip.text.trim(), publicPem.trim(), "the clipboard holds the public key");
    // The form now asks only for the API key: no secret, and no private key field the webview could fill.
    assert.equal((await driver.findElements({ css: '[data-testid="form-secret-secret"]' })).length, 0);
    assert.equal((await driver.findElements({ css: '[data-testid="form-secret-privateKey"]' })).length, 0);
    const html = await driver.executeScript("return document.documentElement.outerHTML");
    assert.ok(!html.includes("PRIVATE KEY"), "the private key never reaches the page");
    await typeInto(driver, "form-name", "binance-ed25519");
    await typeInto(driver, "form-secret-apiKey", API_KEY);
    await setChecked(driver, "form-scope-enable_reading");
    await setChecked(driver, "form-scope-enable_spot_margin_trading");
    await typeInto(driver, "form-ip", "203.0.113.7");
    await screenshot(driver, "key-pair-add-form");
    await click(driver, "form-submit");
    await waitGone(driver, "key-form");
    await rowByName(driver, "binance-ed25519");
  });

  step("the detail shows the same public key, and the private key asks for the passphrase", async () => {
    const row = await rowByName(driver, "binance-ed25519");
    await (await row.findElement({ css: ".col-name" })).click();
    await waitText(driver, "detail-name", (t) => t === "binance-ed25519");
    assert.match(await textOf(driver, "secrets-step-up-note"), /made in Keystead and has never left it/);
    await click(driver, "public-key-show");
    assert.equal((await textOf(driver, "public-key-pem")).trim(), publicPem.trim());
    await click(driver, "reveal-privateKey");
    await waitVisible(driver, "stepup-dialog");
    assert.equal(await textOf(driver, "secret-value-privateKey"), MASK);
    await click(driver, "stepup-cancel");
    await waitGone(driver, "stepup-dialog");
    await screenshot(driver, "key-pair-detail");
  });

  step("Check on exchange signs with the private key, and Binance's fake verifies it", async () => {
    await click(driver, "check-on-exchange");
    await waitText(driver, "exchange-check-outcome", (t) => t.includes("Binance agrees with the record."), 20_000);
    assert.deepEqual(fake.seen, [true], "one request, signed with Ed25519 as Binance documents");
  });

  step("rotating to a new key pair shows a new public key and keeps the old version", async () => {
    await click(driver, "rotate");
    await waitVisible(driver, "rotate-dialog");
    await click(driver, "key-pair-new");
    const rotatedPem = (await textOf(driver, "key-pair-public", 10_000)).trim() + "\n";
    assert.notEqual(rotatedPem, publicPem);
    assert.equal((await driver.findElements({ css: '[data-testid="form-secret-secret"]' })).length, 0);
    await typeInto(driver, "form-secret-apiKey", API_KEY);
    await typeInto(driver, "dialog-reason", "scheduled");
    await screenshot(driver, "key-pair-rotate");
    await click(driver, "dialog-submit");
    await waitGone(driver, "rotate-dialog");
    await waitText(driver, "public-key", (t) => t.includes("Public key"));
    await click(driver, "public-key-show");
    await waitText(driver, "public-key-pem", (t) => t.trim() === rotatedPem.trim());
    // The fake Binance now knows the new public key; the check signs with the new private key.
    publicPem = rotatedPem;
    await click(driver, "check-on-exchange");
    await waitText(driver, "exchange-check-outcome", (t) => t.includes("Binance agrees with the record."), 20_000);
    assert.deepEqual(fake.seen, [true, true]);
  });

  step("adding the same API key again opens a detail that names the entry already holding it", async () => {
    await click(driver, "add-key");
    await waitVisible(driver, "key-form");
    await selectOption(driver, "form-exchange", "binance");
    await typeInto(driver, "form-name", "binance-copy");
    await typeInto(driver, "form-secret-apiKey", API_KEY);
    await typeInto(driver, "form-secret-secret", "an-hmac-secret-for-the-same-key");
    await setChecked(driver, "form-scope-enable_reading");
    await click(driver, "form-submit");
    await waitGone(driver, "key-form");
    await waitText(driver, "detail-name", (t) => t === "binance-copy");
    await waitText(driver, "same-secret", (t) => t.includes("also stored as 'binance-ed25519'"));
    await screenshot(driver, "key-pair-same-secret");
  });
});
