// Scheduled checks on the exchange (issue 16), against the loopback fake of Binance's key-information
// endpoint that scripts/e2e.sh points the app at (KEYSTEAD_BASE_URL_BINANCE on E2E_FAKE_BINANCE_PORT) and
// the recording notification server on the private D-Bus session (tests/e2e/notification-recorder.py):
//   the schedule on, the vault locked → no request reaches the exchange;
//   unlocked → the key is checked once, the drift raises one notification naming the key and the difference,
//   and the table's Verified cell shows the drift badge.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe } from "node:test";
import { hmacSignedBy, startFakeBinance } from "./fake-binance.mjs";
import { SETTINGS, click, poll, rowByName, screenshot, sleep, startApp, stepsOf, typeInto, waitText, waitVisible } from "./helpers.mjs";

const CLI_BIN = process.env.CLI_BIN ?? "";
const LOG = process.env.NOTIFICATIONS_LOG ?? "";
const PORT = Number(process.env.E2E_FAKE_BINANCE_PORT ?? "0");
const PASSPHRASE = "scheduled check passphrase";
const API_KEY = "e2e-scheduled-api-key-0123456789";
const SECRET = "e2e-scheduled-secret-0123456789abcdef";

function notifications() {
  if (!existsSync(LOG)) return [];
  return readFileSync(LOG, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
}

describe("scheduled exchange checks", () => {
  let dir;
  let vault;
  let app = null;
  let driver;
  let fake = null;
  const step = stepsOf(() => (app === null ? null : driver), 90_000);

  before(async () => {
    assert.ok(CLI_BIN !== "" && LOG !== "" && PORT > 0, "CLI_BIN, NOTIFICATIONS_LOG and E2E_FAKE_BINANCE_PORT come from scripts/e2e.sh");
    fake = await startFakeBinance(PORT, {
      apiKey: API_KEY,
      signedBy: hmacSignedBy(SECRET),
      answer: () => ({
        ipRestrict: false,
        createTime: 1767225600000,
        enableReading: true,
        enableWithdrawals: true,
        enableSpotAndMarginTrading: false,
      }),
    });
    dir = mkdtempSync(path.join(tmpdir(), "keystead-scheduled-"));
    vault = path.join(dir, "vault.db");
    const cli = (args, input) =>
      execFileSync(CLI_BIN, args, {
        env: { ...process.env, KEYSTEAD_VAULT: vault, KEYSTEAD_PASSPHRASE: PASSPHRASE, KEYSTEAD_KDF_TARGET_MS: "50" },
        input,
        encoding: "utf8",
      });
    cli(["init"]);
    cli(
      ["add", "--name", "sched-bot", "--exchange", "binance", "--scopes", "enable_reading", "--secrets-stdin"],
      JSON.stringify({ apiKey: API_KEY, secret: SECRET }),
    );
    // A second key, left out of the schedule: no request for it until it is turned on in the app.
    cli(
      ["add", "--name", "sched-quiet", "--exchange", "binance", "--scopes", "enable_reading", "--secrets-stdin"],
      JSON.stringify({ apiKey: "e2e-quiet-api-key-0123456789", secret: "e2e-quiet-secret-0123456789abcdef" }),
    );
    cli(["edit", "sched-quiet", "--scheduled-check", "off"]);
  });

  after(async () => {
    await app?.quit();
    fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  step("with the schedule on, nothing is sent while the vault is locked", async () => {
    app = await startApp({ vault, settings: { ...SETTINGS, auto_lock_minutes: 30, exchange_check_hours: 1 } });
    driver = app.driver;
    await waitVisible(driver, "unlock-passphrase", 20_000);
    // The task looks at start and every 10 s: two looks while locked.
    await sleep(12_000);
    assert.deepEqual(fake.seen, [], "no request while locked");
  });

  step("unlocked, the due key is checked once and its drift is notified by name", async () => {
    const mark = notifications().length;
    await typeInto(driver, "unlock-passphrase", PASSPHRASE);
    await click(driver, "unlock-submit");
    await rowByName(driver, "sched-bot", 20_000);
    const [n] = await poll(
      async () => {
        const fresh = notifications().slice(mark);
        return fresh.length > 0 ? fresh : null;
      },
      { timeout: 40_000, interval: 250, message: "the drift notification" },
    );
    assert.equal(n.summary, "sched-bot (Binance) differs from the exchange");
    assert.equal(n.body, "Withdrawals are enabled on Binance but not recorded here.");
    assert.doesNotMatch(JSON.stringify(n), new RegExp(`${SECRET}|${API_KEY}`), "no secret in a notification");
    assert.deepEqual(fake.seen, [true], "one request, signed as Binance documents");
    await poll(
      async () => {
        const row = await rowByName(driver, "sched-bot");
        const cell = await row.findElement({ css: "[data-testid=key-verified]" });
        return (await cell.getText()) === "drift";
      },
      { timeout: 15_000, message: "the drift badge in the table" },
    );
    await screenshot(driver, "scheduled-check-drift");
    // The detail says what the scheduled check found.
    await (await (await rowByName(driver, "sched-bot")).findElement({ css: ".col-name" })).click();
    await waitText(driver, "exchange-check-last", (t) => t.includes("Last checked") && t.includes("drift"));
    // Checked just now, due again in an hour: nothing more is sent.
    await sleep(12_000);
    assert.deepEqual(fake.seen, [true], "no second request within the period");
    assert.equal(notifications().length - mark, 1, "exactly one notification");
  });

  step("a key turned off is left alone until its box is ticked, then it is checked", async () => {
    await (await (await rowByName(driver, "sched-quiet")).findElement({ css: ".col-name" })).click();
    await waitText(driver, "exchange-check-last", (t) => t.includes("Never checked"));
    const box = await waitVisible(driver, "scheduled-check");
    assert.equal(await box.isSelected(), false, "the CLI's --scheduled-check off shows as an unticked box");
    assert.deepEqual(fake.seen, [true], "nothing was sent for the key turned off");
    await screenshot(driver, "scheduled-check-off");
    await box.click();
    await poll(async () => (await (await waitVisible(driver, "scheduled-check")).isSelected()) || null, {
      timeout: 10_000,
      message: "the box ticked",
    });
    // The task plans again after the change: the key is due (never checked) and asked about within a tick.
    await poll(async () => (fake.seen.length === 2 ? true : null), {
      timeout: 30_000,
      interval: 250,
      message: "the check of the key turned on",
    });
    assert.deepEqual(fake.seen, [true, false], "its request carried its own key (the fake knows only sched-bot's)");
    await waitText(driver, "exchange-check-last", (t) => t.includes("Last checked"), 15_000);
  });
});
