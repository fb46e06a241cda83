// "Check on exchange" (issue 16) in the app, against a loopback fake of Binance's
// GET /sapi/v1/account/apiRestrictions that scripts/e2e.sh points the app at (KEYSTEAD_BASE_URL_BINANCE,
// on E2E_FAKE_BINANCE_PORT). The fake checks the HMAC-SHA256 signature as Binance documents it (hex of the
// query string before `signature`, keyed by the secret) and reports withdrawals enabled, which the
// record does not say: the detail names that, "Accept exchange's view" writes it, a second check agrees.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe } from "node:test";
import { hmacSignedBy, startFakeBinance } from "./fake-binance.mjs";
import { SETTINGS, click, rowByName, screenshot, startApp, stepsOf, typeInto, waitText, waitVisible } from "./helpers.mjs";

const CLI_BIN = process.env.CLI_BIN ?? "";
const PORT = Number(process.env.E2E_FAKE_BINANCE_PORT ?? "0");
const PASSPHRASE = "exchange check passphrase";
const API_KEY = "e2e-binance-api-key-0123456789";
const SECRET = "e2e-binance-secret-0123456789abcdef";

describe("exchange check", () => {
  let dir;
  let vault;
  let app = null;
  let driver;
  let fake = null;
  /** From the last step on, the fake answers as Binance does for a deleted key. */
  let deleted = false;
  const step = stepsOf(() => (app === null ? null : driver), 90_000);

  before(async () => {
    assert.ok(CLI_BIN !== "" && PORT > 0, "CLI_BIN and E2E_FAKE_BINANCE_PORT come from scripts/e2e.sh");
    fake = await startFakeBinance(PORT, {
      apiKey: API_KEY,
      signedBy: hmacSignedBy(SECRET),
      answer: () =>
        deleted
          ? { status: 401, json: { code: -2015, msg: "Invalid API-key, IP, or permissions for action." } }
          : {
              ipRestrict: true,
              createTime: 1767225600000,
              enableReading: true,
              enableWithdrawals: true,
              enableSpotAndMarginTrading: true,
              enableFutures: false,
              enableMargin: false,
              permitsUniversalTransfer: false,
              enableVanillaOptions: false,
            },
    });
    dir = mkdtempSync(path.join(tmpdir(), "keystead-exchange-"));
    vault = path.join(dir, "vault.db");
    const cli = (args, input) =>
      execFileSync(CLI_BIN, args, {
        env: { ...process.env, KEYSTEAD_VAULT: vault, KEYSTEAD_PASSPHRASE: PASSPHRASE, KEYSTEAD_KDF_TARGET_MS: "50" },
        input,
        encoding: "utf8",
      });
    cli(["init"]);
    cli(
      ["add", "--name", "binance-bot", "--exchange", "binance", "--scopes", "enable_reading,enable_spot_margin_trading",
        "--ip", "203.0.113.7", "--secrets-stdin"],
      JSON.stringify({ apiKey: API_KEY, secret: SECRET }),
    );
  });

  after(async () => {
    await app?.quit();
    fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  step("the detail checks the key on Binance and names the drift", async () => {
    app = await startApp({ vault, settings: { ...SETTINGS, auto_lock_minutes: 30 } });
    driver = app.driver;
    await waitVisible(driver, "unlock-passphrase", 20_000);
    await typeInto(driver, "unlock-passphrase", PASSPHRASE);
    await click(driver, "unlock-submit");
    const row = await rowByName(driver, "binance-bot", 20_000);
    await (await row.findElement({ css: ".col-name" })).click();
    await waitText(driver, "detail-name", (t) => t === "binance-bot");
    await click(driver, "check-on-exchange");
    await waitText(driver, "exchange-check-drift", (t) => t.includes("withdrawals are enabled on Binance but not recorded here"), 20_000);
    assert.deepEqual(fake.seen, [true], "one request, signed as Binance documents");
    await waitText(driver, "exchange-check-table", (t) => t.includes("enable_withdrawals") && t.includes("203.0.113.7"));
    await driver.executeScript('document.querySelector("[data-testid=exchange-check]").scrollIntoView()');
    await screenshot(driver, "exchange-check-drift");
  });

  step("accepting the exchange's view writes it, and a second check agrees", async () => {
    await click(driver, "accept-exchange-view");
    await waitText(driver, "exchange-check-last", (t) => t.includes("drift"));
    await click(driver, "check-on-exchange");
    await waitText(driver, "exchange-check-outcome", (t) => t.includes("Binance agrees with the record."), 20_000);
    assert.deepEqual(fake.seen, [true, true]);
    await driver.executeScript('document.querySelector("[data-testid=exchange-check]").scrollIntoView()');
    await screenshot(driver, "exchange-check-agrees");
  });

  step("a key the exchange rejects opens the incident checklist from the check", async () => {
    deleted = true;
    await click(driver, "check-on-exchange");
    await waitText(driver, "exchange-check-drift", (t) => t.includes("the exchange rejected this key"), 20_000);
    await click(driver, "exchange-check-incident");
    await waitText(driver, "reason-dialog", (t) => t.includes("If you did not delete this key on Binance") && t.includes("opens the incident checklist"));
    await screenshot(driver, "exchange-check-incident");
    await click(driver, "dialog-submit");
    await waitText(driver, "detail-status", (t) => /compromised/i.test(t), 10_000);
    await waitVisible(driver, "incident-checklist");
  });
});
