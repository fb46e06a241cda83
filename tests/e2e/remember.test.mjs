// Settings → Remember on this device, against gnome-keyring on the test session's bus: turning it on asks the
// passphrase (a wrong one is refused), the unlock screen then offers "Unlock with this device", which opens
// the vault without typing; turning it off takes the button away. Run with scripts/e2e.sh.
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { By, byTestId, click, screenshot, startApp, stepsOf, typeInto, waitGone, waitText, waitVisible } from "./helpers.mjs";

const PASSPHRASE = "remember this vault here please";
const NEW = "a new passphrase forgets every device";

describe("Keystead remembers the vault on this device", () => {
  let app = null;
  const step = stepsOf(() => app?.driver ?? null, 90_000);

  before(async () => {
    app = await startApp();
  });

  after(async () => {
    await app?.quit();
  });

  const openRememberCard = async () => {
    const { driver } = app;
    await click(driver, "settings-open");
    const card = await waitVisible(driver, "remember-card", 15_000);
    await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", card);
    await waitText(driver, byTestId("remember-state"), /./, 15_000);
  };

  /** On the unlock screen once it has asked Rust whether this device is remembered: is the button there? */
  const deviceButtonShown = async () => {
    const { driver } = app;
    await waitVisible(driver, By.css('form[data-device-checked="true"]'), 15_000);
    return (await driver.findElements(byTestId("unlock-device"))).length > 0;
  };

  const rememberWith = async (passphrase) => {
    const { driver } = app;
    await click(driver, "remember-toggle");
    await waitVisible(driver, "remember-dialog");
    await typeInto(driver, "remember-passphrase", passphrase);
    await click(driver, "remember-submit");
  };

  step("a new vault is not remembered, and the unlock screen offers no device button", async () => {
    const { driver } = app;
    await waitVisible(driver, "create-passphrase", 20_000);
    await typeInto(driver, "create-passphrase", PASSPHRASE);
    await typeInto(driver, "create-confirm", PASSPHRASE);
    await click(driver, "create-submit");
    await waitText(driver, byTestId("keys-empty"), /No keys yet/, 20_000);
    await openRememberCard();
    const toggle = await driver.findElement(byTestId("remember-toggle"));
    assert.equal(await toggle.isSelected(), false, "off by default");
    assert.ok(await toggle.isEnabled(), "gnome-keyring answers, so it can be turned on");
    assert.equal((await driver.findElements(byTestId("remember-unavailable"))).length, 0);
  });

  step("turning it on asks the passphrase and refuses a wrong one", async () => {
    const { driver } = app;
    await rememberWith("not the passphrase at all");
    await waitText(driver, byTestId("remember-dialog-error"), /wrong passphrase/i, 20_000);
    assert.equal(await (await driver.findElement(byTestId("remember-toggle"))).isSelected(), false);
    await typeInto(driver, "remember-passphrase", PASSPHRASE);
    await click(driver, "remember-submit");
    await waitGone(driver, byTestId("remember-dialog"), 20_000);
    await waitText(driver, byTestId("remember-state"), /^On/, 10_000);
    assert.equal(await (await driver.findElement(byTestId("remember-toggle"))).isSelected(), true);
    await screenshot(driver, "70-remember-settings");
  });

  step("locked, the device button unlocks without the passphrase", async () => {
    const { driver } = app;
    await click(driver, "lock");
    assert.ok(await deviceButtonShown());
    await screenshot(driver, "71-remember-unlock");
    await click(driver, "unlock-device");
    await waitText(driver, byTestId("keys-empty"), /No keys yet/, 20_000);
  });

  step("turning it off forgets the device: the button is gone and the passphrase still unlocks", async () => {
    const { driver } = app;
    await openRememberCard();
    await waitText(driver, byTestId("remember-state"), /^On/, 10_000);
    await click(driver, "remember-toggle");
    await waitText(driver, byTestId("remember-state"), /^Off/, 10_000);
    await click(driver, "lock");
    assert.equal(await deviceButtonShown(), false);
    await typeInto(driver, "unlock-passphrase", PASSPHRASE);
    await click(driver, "unlock-submit");
    await waitText(driver, byTestId("keys-empty"), /No keys yet/, 20_000);
  });

  step("a passphrase change forgets the device, and the card says so", async () => {
    const { driver } = app;
    await openRememberCard();
    await rememberWith(PASSPHRASE);
    await waitText(driver, byTestId("remember-state"), /^On/, 20_000);
    await typeInto(driver, "settings-current", PASSPHRASE);
    await typeInto(driver, "settings-new", NEW);
    await typeInto(driver, "settings-confirm", NEW);
    await click(driver, "settings-change-passphrase");
    await waitText(driver, byTestId("settings-passphrase-done"), /sealed again/, 30_000);
    await waitText(driver, byTestId("remember-state"), /^Off/, 10_000);
    await click(driver, "lock");
    assert.equal(await deviceButtonShown(), false, "the keyring entry went with the old passphrase");
    await typeInto(driver, "unlock-passphrase", NEW);
    await click(driver, "unlock-submit");
    await waitText(driver, byTestId("keys-empty"), /No keys yet/, 20_000);
  });
});
