// Team sharing through the real app's UI (issue 5, "Tests (in CI)"): vault B shows its sharing key in
// Settings; vault A adds a key and a contact "bob" with B's key, and exports the key for bob to a share file
// (encrypted: the secret is not in it); vault B imports the file through the preview (unknown sender, the key
// "new"), and the revealed API key is the original; a second import of the same file shows it "identical".
// Run with scripts/e2e.sh.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe } from "node:test";
import {
  Key,
  SETTINGS,
  By,
  byTestId,
  click,
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

const PASS_A = "alice vault passphrase";
const PASS_B = "bob vault passphrase";
const SHARE_PASS = "team share passphrase";

const KEY = {
  name: "binance-shared",
  apiKey: "Zs4QmT8vNc2LpX6rWb1YdH7kFj3Ge9Ua5Io0Py2Rt8Eq4Wn6Mx1Cz7Vl3Bs9Ak5Dh",
  secret: "shared-secret-7f3e9a1c5b2d8e4f6a0c3b7d9e1f5a2c4b6d8e0f1a3c5e7b9d2f4a6c8e0b1d3",
};

const WITHDRAW = {
  name: "binance-withdraw",
  apiKey: "Wd7Hq2Lx9Kc4Vb1Nm6Zt3Rp8Ys5Gf0Ja2Ue7Io4Ph9Tk1Dl6Sx3Cw8Qv5Bn0Mr2Ez",
  secret: "withdraw-secret-1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819",
};

/** PIDs of running keystead-app processes. */
function appPids() {
  try {
    return execFileSync("pgrep", ["-x", "keystead-app"], { encoding: "utf8" }).trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

describe("Keystead team sharing", () => {
  let dir;
  let vaultA;
  let vaultB;
  let shareFile;
  let passFile;
  let bobKey;
  let bobFingerprint;
  let app = null;
  let driver = null;
  const step = stepsOf(() => driver, 90_000);

  const start = async (vault) => {
    app = await startApp({ vault, settings: { ...SETTINGS, auto_lock_minutes: 30 } });
    driver = app.driver;
  };

  const stop = async () => {
    const running = app;
    app = null;
    driver = null;
    await running?.quit();
    await poll(async () => appPids().length === 0, { timeout: 10_000, message: "the app to exit after quit" });
  };

  const create = async (passphrase) => {
    await waitVisible(driver, "create-passphrase", 20_000);
    await typeInto(driver, "create-passphrase", passphrase);
    await typeInto(driver, "create-confirm", passphrase);
    await click(driver, "create-submit");
    await waitText(driver, "keys-empty", /No keys yet/, 20_000);
  };

  const byData = (testid, attr, value) => By.css(`[data-testid="${testid}"][data-${attr}="${value}"]`);

  /** Checks (or unchecks) a checkbox found by a locator. */
  const check = async (locator, on = true) => {
    const box = await waitVisible(driver, locator);
    if ((await box.isSelected()) !== on) await box.click();
    await poll(async () => (await box.isSelected()) === on, { timeout: 3000, message: `checkbox checked=${on}` });
  };

  /** Scrolls an element to the middle of the window first: the footer bar covers the last lines. */
  const clickCentered = async (testid) => {
    const el = await waitVisible(driver, testid);
    await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", el);
    await click(driver, testid);
  };

  /** Import… → path → Open → the preview. */
  const openImport = async () => {
    await click(driver, "import-open");
    await click(driver, "import-kind-share");
    await waitVisible(driver, "import-dialog");
    await typeInto(driver, "import-path", shareFile);
    await click(driver, "import-open-file");
    await waitVisible(driver, "import-entry", 20_000);
  };

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "keystead-sharing-"));
    vaultA = path.join(dir, "alice.db");
    vaultB = path.join(dir, "bob.db");
    shareFile = path.join(dir, "for-bob.age");
    passFile = path.join(dir, "for-team.age.txt");
  });

  after(async () => {
    await app?.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  step("vault B: Settings shows my sharing key with its fingerprint", async () => {
    await start(vaultB);
    await create(PASS_B);
    await click(driver, "settings-open");
    await waitVisible(driver, "sharing-card");
    bobKey = await textOf(driver, "sharing-key");
    assert.match(bobKey, /^keystead-share1:age1[0-9a-z]+:[A-Za-z0-9_-]+$/, bobKey);
    bobFingerprint = await textOf(driver, "sharing-fingerprint");
    assert.match(bobFingerprint, /^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
    await waitVisible(driver, "contacts-empty");
    await click(driver, "sharing-copy");
    await waitText(driver, "sharing-copy-status", "Copied");
    await stop();
  });

  step("vault A: add a key and the contact bob with B's key", async () => {
    await start(vaultA);
    await create(PASS_A);
    await click(driver, "add-key");
    await waitVisible(driver, "key-form");
    await selectOption(driver, "form-exchange", "binance");
    await waitVisible(driver, "form-secret-apiKey");
    await typeInto(driver, "form-name", KEY.name);
    await typeInto(driver, "form-secret-apiKey", KEY.apiKey);
    await typeInto(driver, "form-secret-secret", KEY.secret);
    await setChecked(driver, "form-scope-read");
    await setChecked(driver, "form-scope-trade");
    await typeInto(driver, "form-used-by", "freqtrade@vps-1, grid");
    await click(driver, "form-submit");
    await waitGone(driver, "key-form");
    await rowByName(driver, KEY.name);

    await click(driver, "settings-open");
    await waitVisible(driver, "sharing-card");
    // A word that is no key is refused before Rust is asked.
    await typeInto(driver, "contact-add-name", "bob");
    await typeInto(driver, "contact-add-key", "not-a-key");
    await clickCentered("contact-add-submit");
    await waitText(driver, "contact-add-error", /Paste their sharing key/);
    await typeInto(driver, "contact-add-key", bobKey);
    // Enter in the name field submits the form.
    await (await waitVisible(driver, "contact-add-name")).sendKeys(Key.ENTER);
    const row = await waitVisible(driver, byData("contact-row", "contact-name", "bob"));
    assert.equal(await (await row.findElement(byTestId("contact-fingerprint"))).getText(), bobFingerprint);
    assert.equal((await row.findElements(byTestId("contact-unverified"))).length, 0, "a full sharing key can verify");
    await waitText(driver, "contact-added", new RegExp(`Added bob \\(${bobFingerprint}\\)`));
    await screenshot(driver, "42-sharing-settings");
  });

  step("vault A: Share… the key with bob to a file in the temp folder", async () => {
    await click(driver, "keys-open");
    await click(driver, "share-open");
    await waitVisible(driver, "share-dialog");
    // The key selected in the table (the one just added) is preselected.
    const box = await waitVisible(driver, byData("share-key", "key-name", KEY.name));
    assert.equal(await box.isSelected(), true, "the selected key is preselected");
    await click(driver, "share-clear");
    await waitText(driver, "share-reason", /Choose at least one key/);
    assert.equal(await (await driver.findElement(byTestId("share-submit"))).isEnabled(), false);
    await check(byData("share-key", "key-name", KEY.name));
    await waitText(driver, "share-reason", /Choose who can open the file/);
    await check(byData("share-contact", "contact-name", "bob"));
    await typeInto(driver, "share-sender-name", "alice");
    await typeInto(driver, "share-path", shareFile);
    await poll(async () => (await driver.findElements(byTestId("share-reason"))).length === 0, {
      message: "no reason left not to export",
    });
    await screenshot(driver, "40-share-dialog");
    await click(driver, "share-submit");
    const result = await waitText(driver, "share-result", /Shared 1 key with contact bob/, 30_000);
    assert.ok(result.includes(shareFile), result);
    assert.ok(result.includes(bobFingerprint), result);
    await screenshot(driver, "43-share-result");
    await click(driver, "share-done");
    await waitGone(driver, "share-dialog");

    assert.ok(existsSync(shareFile), "the share file was written");
    const bytes = readFileSync(shareFile);
    assert.ok(bytes.subarray(0, 22).toString("latin1").startsWith("age-encryption.org/v1"), "an age file");
    for (const secret of [KEY.apiKey, KEY.secret, KEY.name]) {
      assert.equal(bytes.includes(Buffer.from(secret)), false, `${secret.slice(0, 12)}… is not in the file in plaintext`);
    }
  });

  step("vault A: a passphrase instead of recipients, in ASCII armor", async () => {
    await click(driver, "share-open");
    await waitVisible(driver, "share-dialog");
    const suggested = await (await waitVisible(driver, "share-path")).getAttribute("value");
    assert.match(suggested, /keystead-share-\d{8}-\d{4}\.age$/, suggested);
    await setChecked(driver, "share-armor");
    await poll(async () => (await (await driver.findElement(byTestId("share-path"))).getAttribute("value")).endsWith(".age.txt"), {
      message: "the suggested name to follow the armor choice",
    });
    await check(byData("share-contact", "contact-name", "bob"));
    await setChecked(driver, "share-use-passphrase");
    const bob = await driver.findElement(byData("share-contact", "contact-name", "bob"));
    assert.equal(await bob.isEnabled(), false, "contacts are disabled with a passphrase");
    await typeInto(driver, "share-passphrase", "short");
    await typeInto(driver, "share-passphrase-confirm", "short");
    await waitText(driver, "share-reason", /too short/);
    await typeInto(driver, "share-passphrase", SHARE_PASS);
    await typeInto(driver, "share-passphrase-confirm", SHARE_PASS);
    await typeInto(driver, "share-path", passFile);
    await screenshot(driver, "46-share-passphrase");
    await click(driver, "share-submit");
    await waitText(driver, "share-result", /Shared 1 key with passphrase/, 30_000);
    // The typed passphrase is gone from the page once sent.
    assert.equal((await driver.findElements(byTestId("share-passphrase"))).length, 0);
    await click(driver, "share-done");
    await waitGone(driver, "share-dialog");
    assert.match(readFileSync(passFile, "latin1"), /^-----BEGIN AGE ENCRYPTED FILE-----/);
  });

  step("vault A: exporting to the same path asks before replacing the file", async () => {
    await click(driver, "share-open");
    await waitVisible(driver, "share-dialog");
    await check(byData("share-contact", "contact-name", "bob"));
    // The name the last share was signed with is offered again.
    assert.equal(await (await driver.findElement(byTestId("share-sender-name"))).getAttribute("value"), "alice");
    await typeInto(driver, "share-path", shareFile);
    await click(driver, "share-submit");
    await waitText(driver, "share-error", /already exists/);
    await waitVisible(driver, "share-replace");
    await screenshot(driver, "44-share-file-exists");
    await click(driver, "share-replace");
    await waitText(driver, "share-result", /Shared 1 key/, 30_000);
    await click(driver, "share-done");
    await waitGone(driver, "share-dialog");
  });

  step("vault A: a withdraw-enabled key is shared only once confirmed by name", async () => {
    await click(driver, "add-key");
    await waitVisible(driver, "key-form");
    await selectOption(driver, "form-exchange", "binance");
    await waitVisible(driver, "form-secret-apiKey");
    await typeInto(driver, "form-name", WITHDRAW.name);
    await typeInto(driver, "form-secret-apiKey", WITHDRAW.apiKey);
    await typeInto(driver, "form-secret-secret", WITHDRAW.secret);
    await setChecked(driver, "form-scope-read");
    await setChecked(driver, "form-scope-withdraw");
    await click(driver, "form-submit");
    await waitGone(driver, "key-form");

    await click(driver, "share-open");
    await waitVisible(driver, "share-dialog");
    await typeInto(driver, "share-filter", "binance");
    await click(driver, "share-select-all");
    assert.equal(await (await driver.findElement(byData("share-key", "key-name", KEY.name))).isSelected(), true);
    await check(byData("share-contact", "contact-name", "bob"));
    await typeInto(driver, "share-path", path.join(dir, "withdraw.age"));
    await waitText(driver, "share-reason", `Confirm that you mean to send ${WITHDRAW.name}: it can withdraw or transfer funds.`);
    assert.equal(await (await driver.findElement(byTestId("share-submit"))).isEnabled(), false);
    const confirm = byData("share-confirm-withdraw", "key-name", WITHDRAW.name);
    assert.match(await (await waitVisible(driver, confirm)).findElement(By.xpath("..")).getText(), /WITHDRAW or TRANSFER funds/);
    await screenshot(driver, "48-share-withdraw-confirm");
    await check(confirm);
    await poll(async () => (await driver.findElements(byTestId("share-reason"))).length === 0, {
      message: "the confirmation to clear the last reason",
    });
    await click(driver, "share-submit");
    // Confirmed by name, and the vault passphrase again (step-up): a wrong one sends nothing.
    await waitVisible(driver, "stepup-dialog");
    assert.match(await textOf(driver, "stepup-dialog"), new RegExp(`${WITHDRAW.name}'s secret can withdraw`));
    await typeInto(driver, "stepup-passphrase", "not alice's passphrase");
    await click(driver, "stepup-submit");
    await waitText(driver, "stepup-error", /wrong passphrase/i, 10_000);
    assert.equal(existsSync(path.join(dir, "withdraw.age")), false, "nothing written after a wrong passphrase");
    await typeInto(driver, "stepup-passphrase", PASS_A);
    await click(driver, "stepup-submit");
    await waitGone(driver, "stepup-dialog");
    await waitText(driver, "share-result", /Shared 2 keys with contact bob/, 30_000);
    await click(driver, "share-done");
    await waitGone(driver, "share-dialog");
  });

  step("vault A: Deploy to a server shares only the keys its bot uses", async () => {
    // The bot filter keeps the keys freqtrade uses; the search finds a bot's host too.
    await selectOption(driver, "filter-bot", "freqtrade");
    await poll(async () => (await driver.findElements(By.css("[data-testid=key-row]"))).length === 1, {
      message: "one key used by freqtrade",
    });
    await rowByName(driver, KEY.name);
    await click(driver, "clear-filters");
    await typeInto(driver, "search", "vps-1");
    await poll(async () => (await driver.findElements(By.css("[data-testid=key-row]"))).length === 1, {
      message: "the search to find the bot's host",
    });
    await click(driver, "clear-filters");
    await (await (await rowByName(driver, KEY.name)).findElement({ css: ".col-name" })).click();
    await waitText(driver, "detail-used-by", (t) => t.includes("freqtrade@vps-1") && t.includes("grid"));
    await click(driver, byData("deploy-bot", "bot", "freqtrade"));
    await waitVisible(driver, "share-dialog");
    assert.match(await textOf(driver, "share-dialog"), /Deploy freqtrade to a server/);
    await waitText(driver, "share-deploy-note", /Only the 1 key freqtrade uses/);
    assert.equal(await (await driver.findElement(byData("share-key", "key-name", KEY.name))).isSelected(), true);
    assert.equal(
      await (await driver.findElement(byData("share-key", "key-name", WITHDRAW.name))).isSelected(),
      false,
      "a key the bot does not use is left out",
    );
    await check(byData("share-contact", "contact-name", "bob"));
    const deployFile = path.join(dir, "vps-1.age");
    await typeInto(driver, "share-path", deployFile);
    await screenshot(driver, "49-deploy-to-server");
    await click(driver, "share-submit");
    await waitText(driver, "share-result", /Shared 1 key with contact bob/, 30_000);
    await click(driver, "share-done");
    await waitGone(driver, "share-dialog");
    assert.ok(existsSync(deployFile), "the server's share file was written");
    await stop();
  });

  step("vault B: Import… previews an unknown sender and the key as new, then imports it", async () => {
    await start(vaultB);
    await waitVisible(driver, "unlock-passphrase", 20_000);
    await typeInto(driver, "unlock-passphrase", PASS_B);
    await click(driver, "unlock-submit");
    await waitVisible(driver, "keys-empty", 20_000);

    await openImport();
    const sender = await waitVisible(driver, "import-sender");
    assert.equal(await sender.getAttribute("data-kind"), "unknown_sender");
    assert.match(await sender.getText(), /Unknown sender.*claims to be alice/s);
    const entry = await waitVisible(driver, byData("import-entry", "key-name", KEY.name));
    assert.equal(await entry.getAttribute("data-status"), "new");
    assert.equal(await (await entry.findElement(byTestId("import-status"))).getText(), "new");
    assert.equal(await (await driver.findElement(byTestId("import-choice-0"))).getAttribute("value"), "add");
    await screenshot(driver, "41-import-preview");
    await click(driver, "import-submit");
    await waitText(driver, "import-summary", `Added 1 key: ${KEY.name}.`, 20_000);
    await click(driver, "import-done");
    await waitGone(driver, "import-dialog");

    await rowByName(driver, KEY.name);
    await waitText(driver, "detail-name", KEY.name);
    await click(driver, "reveal-apiKey");
    await waitText(driver, "secret-value-apiKey", KEY.apiKey, 5000);
    await click(driver, "hide-apiKey");
  });

  step("vault B: a passphrase file asks for it; a wrong one imports nothing", async () => {
    await click(driver, "import-open");
    await click(driver, "import-kind-share");
    await waitVisible(driver, "import-dialog");
    await typeInto(driver, "import-path", passFile);
    await click(driver, "import-open-file");
    await typeInto(driver, "import-passphrase", "not the passphrase");
    await (await waitVisible(driver, "import-passphrase")).sendKeys(Key.ENTER);
    await waitText(driver, "import-error", /Nothing was imported\.$/, 20_000);
    assert.equal(await (await driver.findElement(byTestId("import-passphrase"))).getAttribute("value"), "");
    await screenshot(driver, "47-import-wrong-passphrase");
    await typeInto(driver, "import-passphrase", SHARE_PASS);
    await click(driver, "import-open-file");
    const entry = await waitVisible(driver, byData("import-entry", "key-name", KEY.name), 20_000);
    assert.equal(await entry.getAttribute("data-status"), "identical");
    await click(driver, "import-cancel");
    await waitGone(driver, "import-dialog");
  });

  step("vault B: the same file again shows the key as identical; the sender can become a contact", async () => {
    await openImport();
    const entry = await waitVisible(driver, byData("import-entry", "key-name", KEY.name));
    assert.equal(await entry.getAttribute("data-status"), "identical");
    assert.equal(await (await driver.findElement(byTestId("import-choice-0"))).getAttribute("value"), "skip");
    await waitText(driver, "import-reason", /nothing to import/);
    assert.equal(await (await driver.findElement(byTestId("import-submit"))).isEnabled(), false);
    await screenshot(driver, "45-import-identical");

    // After comparing the fingerprint, the sender becomes a contact; the file then shows as from them.
    await click(driver, "import-trust");
    assert.equal(await (await waitVisible(driver, "import-trust-name")).getAttribute("value"), "alice");
    await screenshot(driver, "49-import-trust");
    await click(driver, "import-trust-submit");
    await waitText(driver, "import-trusted", /Added alice as a contact/);
    await click(driver, "import-another");
    await click(driver, "import-open-file");
    const sender = await waitVisible(driver, "import-sender", 20_000);
    assert.equal(await sender.getAttribute("data-kind"), "contact");
    assert.match(await sender.getText(), /^From alice \([0-9A-F-]{19}\)/);
    await screenshot(driver, "50-import-from-contact");
    await driver.actions().sendKeys(Key.ESCAPE).perform();
    await waitGone(driver, "import-dialog");
  });

  step("vault B: a contact is renamed inline and removed after a confirmation; the audit shows it all", async () => {
    await click(driver, "settings-open");
    await waitVisible(driver, byData("contact-row", "contact-name", "alice"));
    await clickCentered("contact-rename");
    const input = await waitVisible(driver, "contact-rename-input");
    await input.clear();
    await input.sendKeys("alice (desk 2)", Key.ENTER);
    const row = await waitVisible(driver, byData("contact-row", "contact-name", "alice (desk 2)"));
    assert.equal(await (await row.findElement(byTestId("contact-name"))).getText(), "alice (desk 2)");
    await clickCentered("contact-remove");
    await waitVisible(driver, "contact-remove-confirm");
    await screenshot(driver, "51-contact-remove-confirm");
    await click(driver, "contact-remove-confirm");
    await waitVisible(driver, "contacts-empty");

    // The audit timeline tells the story: imported from alice's file, alice added, renamed, removed.
    await click(driver, "audit-open");
    for (const action of ["share_imported", "contact_added", "contact_renamed", "contact_removed"]) {
      await waitVisible(driver, byData("audit-event", "action", action));
    }
    await waitText(driver, "audit-integrity", /chain intact/i);
    await screenshot(driver, "52-audit-sharing");
    await stop();
  });
});
