// User text is rendered as text, never as HTML: a key named like an HTML injection shows literally in the
// table, the detail panel and the audit timeline, and no script runs. Run with scripts/e2e.sh.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  By,
  assertNoAlert,
  byTestId,
  click,
  poll,
  rowByName,
  screenshot,
  selectOption,
  sleep,
  startApp,
  textOf,
  typeInto,
  waitGone,
  waitText,
  waitVisible,
} from "./helpers.mjs";

const PASSPHRASE = "xss test passphrase";
const NAME = "<img src=x onerror=alert(1)>";
const NOTES = '<script>alert("notes")</script><b>bold?</b>';
const ACCOUNT = '"><svg onload=alert(2)>';

describe("Keystead renders user text as text", () => {
  let app;
  let driver;

  before(async () => {
    app = await startApp();
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
  });

  test("a key named <img src=x onerror=alert(1)> shows literally and runs nothing", { timeout: 90_000 }, async () => {
    await typeInto(driver, "create-passphrase", PASSPHRASE);
    await typeInto(driver, "create-confirm", PASSPHRASE);
    await click(driver, "create-submit");
    await waitText(driver, "keys-empty", /No keys yet/, 20_000);

    await click(driver, "add-key");
    await waitVisible(driver, "key-form");
    await selectOption(driver, "form-exchange", "custom");
    await typeInto(driver, "form-name", NAME);
    await typeInto(driver, "form-account", ACCOUNT);
    await typeInto(driver, "form-secret-apiKey", "custom-api-key-value");
    await typeInto(driver, "form-notes", NOTES);
    await click(driver, "form-submit");
    await waitGone(driver, "key-form");

    // The table: the name cell holds the literal text, with no element inside it.
    const row = await rowByName(driver, NAME);
    assert.equal(await row.getAttribute("data-key-name"), NAME);
    const name = await row.findElement(By.css(".col-name .name"));
    // WebKitWebDriver's getText() returns "" for the table's first cells (its visibility heuristics and the
    // grid's overflow/containment), so read the DOM text; the screenshot shows what a person sees.
    assert.equal(await name.getProperty("textContent"), NAME);
    assert.equal((await name.findElements(By.css("*"))).length, 0, "the name cell has no child elements");
    assert.equal((await row.findElements(By.css("img"))).length, 0, "no <img> in the row");
    assert.equal((await row.findElements(By.css("svg[onload]"))).length, 0, "no injected <svg> in the row");
    const account = await row.findElement(By.css(".col-name .account"));
    assert.equal(await account.getProperty("textContent"), ACCOUNT);

    // The detail panel (opened after adding).
    await waitText(driver, "detail-name", NAME, 10_000);
    const detail = await waitVisible(driver, "detail-panel");
    assert.equal((await detail.findElements(By.css("img, script, b"))).length, 0, "no injected elements in the detail");
    const notes = await detail.findElement(By.css(".notes"));
    assert.equal(await notes.getText(), NOTES);
    // The key's own audit events quote the name as text.
    await poll(async () => (await detail.findElements(byTestId("key-audit-event"))).length > 0, {
      message: "the key's audit events",
    });
    const event = await detail.findElement(byTestId("key-audit-event"));
    assert.match(await event.getText(), new RegExp(escape(`Added “${NAME}”`)));
    await screenshot(driver, "12-xss-name-literal");

    // Nowhere in the document: no <img>, no injected script, no alert.
    assert.equal((await driver.findElements(By.css("img"))).length, 0, "no <img> anywhere");
    assert.equal((await driver.findElements(By.css("body script"))).length, 0, "no <script> in the body");
    await assertNoAlert(driver);

    // The audit timeline too.
    await click(driver, "audit-open");
    await waitVisible(driver, "audit-integrity");
    const created = await poll(async () => {
      for (const e of await driver.findElements(byTestId("audit-event"))) {
        if ((await e.getAttribute("data-action")) === "key_created") return e;
      }
      return null;
    }, { message: "the key_created event" });
    assert.match(await created.getText(), new RegExp(escape(`Added “${NAME}”`)));
    assert.equal((await driver.findElements(By.css("img"))).length, 0, "no <img> in the timeline");
    await assertNoAlert(driver);
    assert.match(await textOf(driver, "audit-integrity"), /chain intact/i);
  });

  // Defence in depth, and a check that the checks above can fail: these two use WebDriver's script
  // execution (not the app's IPC), which the page's CSP does not govern.
  test("the alert check sees a real alert, and the CSP blocks inline event handlers", { timeout: 30_000 }, async () => {
    await driver.executeScript("setTimeout(() => alert('probe'), 0)");
    const alert = await poll(async () => driver.switchTo().alert().catch(() => null), {
      timeout: 3000,
      message: "the probe alert",
    });
    assert.equal(await alert.getText(), "probe");
    await alert.accept();
    await assertNoAlert(driver);

    await driver.executeScript(
      "window.__xss = 0; const d = document.createElement('div'); d.id = 'xss-probe';" +
        "d.innerHTML = '<img src=x onerror=\"window.__xss = 1\">'; document.body.appendChild(d);",
    );
    await sleep(500);
    assert.equal(await driver.executeScript("return window.__xss"), 0, "an inline onerror handler ran despite the CSP");
    await assertNoAlert(driver);
  });
});

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
