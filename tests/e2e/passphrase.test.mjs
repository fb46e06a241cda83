// Settings → Change passphrase: the count of records sealed again under the new vault key arrives from Rust
// over a progress channel; afterwards only the new passphrase unlocks. Run with scripts/e2e.sh.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { byTestId, click, poll, screenshot, startApp, textOf, typeInto, waitText, waitVisible } from "./helpers.mjs";

const OLD = "the first passphrase of this vault";
const NEW = "the second passphrase of this vault";

describe("Keystead changes the passphrase", () => {
  let app;
  let driver;

  before(async () => {
    app = await startApp();
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
  });

  test("the change reports the records it sealed again, and only the new passphrase unlocks", { timeout: 120_000 }, async () => {
    await waitVisible(driver, "create-passphrase", 20_000);
    await typeInto(driver, "create-passphrase", OLD);
    await typeInto(driver, "create-confirm", OLD);
    await click(driver, "create-submit");
    await waitText(driver, "keys-empty", /No keys yet/, 20_000);

    await click(driver, "settings-open");
    await typeInto(driver, "settings-current", OLD);
    await typeInto(driver, "settings-new", NEW);
    await typeInto(driver, "settings-confirm", NEW);
    await click(driver, "settings-change-passphrase");
    // The count comes from the channel's last message: without it the line names no number.
    await waitText(driver, "settings-passphrase-done", /\d+ records? sealed again under a new vault key/, 30_000);
    assert.equal(await driver.switchTo().activeElement().getAttribute("data-testid"), "settings-passphrase-done",
      "focus moves to the outcome");
    assert.ok(await (await driver.findElement(byTestId("settings-change-passphrase"))).isEnabled());
    assert.equal((await driver.findElements(byTestId("settings-rekey-progress"))).length, 0);
    await screenshot(driver, "14-passphrase-changed");

    await click(driver, "lock");
    await typeInto(driver, "unlock-passphrase", OLD);
    await click(driver, "unlock-submit");
    await waitText(driver, "unlock-error", /wrong passphrase/i, 20_000);
    const submit = await driver.findElement(byTestId("unlock-submit"));
    await poll(async () => submit.isEnabled(), { timeout: 15_000, message: "the unlock button to be enabled" });
    await typeInto(driver, "unlock-passphrase", NEW);
    await click(driver, "unlock-submit");
    await waitText(driver, "keys-empty", /No keys yet/, 20_000);
    assert.equal(await textOf(driver, "summary-keys"), "0");
  });
});
