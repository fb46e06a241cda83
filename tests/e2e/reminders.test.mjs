// Reminders as desktop notifications (issue 4, "Tests (in CI)"), against the recording notification server
// that scripts/e2e.sh puts on the private D-Bus session (tests/e2e/notification-recorder.py):
//   a key due in 2 days → exactly one notification, generic while locked (no key name);
//   restarting the app → no duplicate;
//   unlocked, a new key due in 2 days → one notification naming the key and its exchange; clicking it opens
//   that key;
//   closed to the tray while unlocked → the WebKit web process is gone; clicking the reminder again creates
//   the window anew, still unlocked, on that key;
//   the window closed → the app keeps running in the tray and still notifies;
//   "Send test notification" and "start at login" from Settings.
// Keys are added with the `keystead` CLI where a user would use a terminal, and through the form otherwise.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe } from "node:test";
import {
  Key,
  SETTINGS,
  appPids,
  attachToWindow,
  byTestId,
  click,
  closeToTray,
  poll,
  rowByName,
  screenshot,
  selectOption,
  setChecked,
  sleep,
  startApp,
  stepsOf,
  typeDate,
  typeInto,
  utcDate,
  visibleWindows,
  waitText,
  waitVisible,
  webProcessesOf,
} from "./helpers.mjs";

const CLI_BIN = process.env.CLI_BIN ?? "";
const LOG = process.env.NOTIFICATIONS_LOG ?? "";
const PASSPHRASE = "reminder test passphrase";
const LOCKED_SUMMARY = "1 API key needs rotation";
const LOCKED_BODY = "Unlock Keystead to see which.";

/** Every notification the server received so far, in order. */
function notifications() {
  if (!existsSync(LOG)) return [];
  return readFileSync(LOG, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
}

/** Waits until `count` notifications arrived after `start` (an index into the log); returns them. */
async function waitNotifications(start, count, message, timeout = 30_000) {
  return poll(
    async () => {
      const fresh = notifications().slice(start);
      return fresh.length >= count ? fresh : null;
    },
    { timeout, interval: 200, message },
  );
}

/** Clicks a notification on the recording server, as the user clicks it on the desktop. */
function clickNotification(id) {
  execFileSync("dbus-send", [
    "--session",
    "--type=method_call",
    "--dest=org.freedesktop.Notifications",
    "/org/freedesktop/Notifications",
    "org.keystead.TestNotifications.Click",
    `uint32:${id}`,
  ]);
}

describe("reminders", () => {
  let dir;
  let vault;
  let app = null;
  let driver;
  const step = stepsOf(() => (app === null ? null : driver), 90_000);

  const cli = (args, input) =>
    execFileSync(CLI_BIN, args, {
      env: { ...process.env, KEYSTEAD_VAULT: vault, KEYSTEAD_PASSPHRASE: PASSPHRASE, KEYSTEAD_KDF_TARGET_MS: "50" },
      input,
      encoding: "utf8",
    });

  const addWithCli = (name, exchange, expires) =>
    cli(
      ["add", "--name", name, "--exchange", exchange, "--scopes", "read", "--expires", expires, "--secrets-stdin"],
      JSON.stringify({ apiKey: `${name}-api-key-0123456789`, secret: `${name}-secret-0123456789abcdef` }),
    );

  const start = async () => {
    app = await startApp({ vault, settings: { ...SETTINGS, auto_lock_minutes: 30 } });
    driver = app.driver;
    await waitVisible(driver, "unlock-passphrase", 20_000);
  };

  const stop = async () => {
    const running = app;
    app = null;
    await running?.quit();
    await poll(async () => appPids().length === 0, { timeout: 10_000, message: "the app to exit after quit" });
  };

  /** Adds a key through the form, as a user does; waits for its row. */
  const addThroughForm = async (name, exchange, expires) => {
    // The keys view shows the new row; its button is there only away from it.
    if ((await driver.findElements(byTestId("keys-open"))).length > 0) await click(driver, "keys-open");
    await click(driver, "add-key");
    await selectOption(driver, "form-exchange", exchange);
    await waitVisible(driver, "form-secret-apiKey");
    await typeInto(driver, "form-name", name);
    await typeInto(driver, "form-secret-apiKey", `${name}-api-key-0123456789`);
    await typeInto(driver, "form-secret-secret", `${name}-secret-0123456789abcdef`);
    await setChecked(driver, "form-scope-read");
    await typeDate(driver, "form-expires", expires);
    await click(driver, "form-submit");
    await rowByName(driver, name);
  };

  const unlock = async () => {
    await typeInto(driver, "unlock-passphrase", PASSPHRASE);
    await click(driver, "unlock-submit");
    await waitVisible(driver, "add-key", 20_000);
  };

  before(() => {
    assert.ok(CLI_BIN !== "" && LOG !== "", "CLI_BIN and NOTIFICATIONS_LOG come from scripts/e2e.sh");
    dir = mkdtempSync(path.join(tmpdir(), "keystead-reminders-"));
    vault = path.join(dir, "vault.db");
    cli(["init"]);
    // Due at midnight UTC three days from now: 2 whole days left, past the 3-day threshold.
    addWithCli("eth-bot", "binance", utcDate(3));
  });

  after(async () => {
    await app?.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  step("a key due in 2 days gives exactly one generic notification while locked", async () => {
    const mark = notifications().length;
    await start();
    const [n] = await waitNotifications(mark, 1, "the locked reminder");
    assert.equal(n.summary, LOCKED_SUMMARY);
    assert.equal(n.body, LOCKED_BODY);
    assert.doesNotMatch(JSON.stringify(n), /eth-bot|Binance/, "a locked reminder names no key");
    // The task looked once at start and recorded what it sent: nothing more comes.
    await sleep(3000);
    assert.equal(notifications().length - mark, 1, "exactly one notification");
  });

  step("restarting the app sends no duplicate", async () => {
    const mark = notifications().length;
    await stop();
    await start();
    await sleep(5000);
    assert.deepEqual(notifications().slice(mark), [], "no notification after a restart");
  });

  step("unlocked, a key due in 2 days is named with its exchange; clicking opens it", async () => {
    await unlock();
    const mark = notifications().length;
    await addThroughForm("sol-grid", "bybit", utcDate(3));
    const [n] = await waitNotifications(mark, 1, "the named reminder");
    assert.equal(n.summary, "sol-grid (Bybit) expires in 2 days");
    assert.equal(n.body, `Due ${utcDate(3)} 00:00 UTC.`);
    assert.ok(n.actions.includes("default"), "the notification can be clicked");
    await sleep(2000);
    assert.equal(notifications().length - mark, 1, "exactly one notification");

    // Away from the key, then a click on the notification brings it back.
    await click(driver, "settings-open");
    await waitVisible(driver, "settings-reminders");
    clickNotification(n.id);
    await waitText(driver, "detail-name", "sol-grid");
    await screenshot(driver, "30-reminder-opened-key");
  });

  step("settings send a test notification and save thresholds", async () => {
    await click(driver, "settings-open");
    const input = await waitVisible(driver, "settings-thresholds");
    assert.equal(await input.getAttribute("value"), "14, 7, 3, 1, 0");
    await typeInto(driver, "settings-thresholds", "30, 7, soon");
    await waitText(driver, "thresholds-error", /"soon" is not a whole number/);
    await typeInto(driver, "settings-thresholds", "1 30 7");
    const mark = notifications().length;
    // Leaving the field (here for the test button) saves it: settings save as they change.
    await click(driver, "settings-test-notification");
    const [n] = await waitNotifications(mark, 1, "the test notification");
    assert.equal(n.summary, "Keystead notifications work");
    await waitText(driver, "reminders-saved", "Saved.");
    assert.equal(await input.getAttribute("value"), "30, 7, 1");
    await screenshot(driver, "31-settings-reminders");
    const saved = JSON.parse(
      readFileSync(path.join(process.env.XDG_CONFIG_HOME || path.join(homedir(), ".config"), "app.keystead.desktop", "settings.json"), "utf8"),
    );
    assert.deepEqual(saved.reminder_thresholds_days, [30, 7, 1]);
  });

  step("start at login writes and removes the desktop's autostart entry", async () => {
    const autostart = path.join(process.env.XDG_CONFIG_HOME || path.join(homedir(), ".config"), "autostart");
    const entries = () => (existsSync(autostart) ? readdirSync(autostart).filter((f) => /keystead/i.test(f)) : []);
    assert.deepEqual(entries(), []);
    await setChecked(driver, "settings-start-at-login", true);
    await poll(async () => entries().length === 1, { timeout: 5000, message: "an autostart entry" });
    const entry = readFileSync(path.join(autostart, entries()[0]), "utf8");
    assert.match(entry, /--minimized/, "started at login, Keystead stays in the tray");
    await setChecked(driver, "settings-start-at-login", false);
    await poll(async () => entries().length === 0, { timeout: 5000, message: "the autostart entry removed" });
  });

  step("closed to the tray the web process is gone; a reminder's click brings a new window, unlocked, on its key", async () => {
    // A fresh named reminder (a clicked one is closed by the server and clicks no more).
    const mark = notifications().length;
    await addThroughForm("ada-swing", "bybit", utcDate(3));
    const [n] = await waitNotifications(mark, 1, "the reminder naming ada-swing");
    assert.equal(n.summary, "ada-swing (Bybit) expires in 2 days");
    const [pid] = appPids();
    assert.equal(webProcessesOf(pid), 1, "the open window has its WebKit web process");
    await click(driver, "settings-open");
    await waitVisible(driver, "settings-reminders");
    await closeToTray();
    assert.deepEqual(appPids(), [pid], "Keystead still runs, in the tray");
    // The window is destroyed, not hidden: its WebKit web process goes with it.
    await poll(async () => webProcessesOf(pid) === 0, { timeout: 10_000, message: "the web process to exit" });

    // A page that does not exist yet cannot hear the click: it asks for the key when it starts.
    clickNotification(n.id);
    await poll(async () => visibleWindows().length > 0, { timeout: 10_000, message: "the window to come back" });
    await attachToWindow(driver);
    assert.equal(webProcessesOf(pid), 1, "the web process is back");
    await waitText(driver, "detail-name", "ada-swing");
    // Still unlocked (the vault lives in Rust), with the same keys.
    await rowByName(driver, "eth-bot");
    await rowByName(driver, "sol-grid");
    await rowByName(driver, "ada-swing");
    await screenshot(driver, "32-reopened-from-tray-on-key");
  });

  step("with the window closed the app stays in the tray and still notifies, generically when locked", async () => {
    await driver.actions().keyDown(Key.CONTROL).sendKeys("l").keyUp(Key.CONTROL).perform();
    await waitVisible(driver, "unlock-passphrase");
    await closeToTray();
    assert.ok(appPids().length > 0, "Keystead still runs, in the tray");

    // A key added from a terminal while the window is closed: due tomorrow, so the 1-day threshold fires.
    const mark = notifications().length;
    addWithCli("kraken-tax", "kraken", utcDate(2));
    const [n] = await waitNotifications(mark, 1, "a reminder from the tray", 45_000);
    assert.equal(n.summary, LOCKED_SUMMARY);
    assert.equal(n.body, LOCKED_BODY);
    assert.doesNotMatch(JSON.stringify(n), /kraken-tax|Kraken/);
    assert.ok(appPids().length > 0, "still running");
  });
});
