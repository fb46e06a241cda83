// Helpers for the end-to-end tests: start the real Keystead app through tauri-driver (WebDriver), find
// elements by their data-testid, wait with timeouts, save screenshots, read the X11 clipboard, close the
// window to the tray and find it again.
// Run through scripts/e2e.sh, which builds the app and starts Xvfb, D-Bus, gnome-keyring and tauri-driver.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, homedir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { Builder, By, Key, until } from "selenium-webdriver";

export { By, Key, until };

export const APP_BIN = process.env.APP_BIN ?? "";
export const WEBDRIVER_URL = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4444/";
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? path.resolve("target/e2e-screenshots");

/** Timers in the pre-written settings: short, so the tests wait seconds, not minutes. */
export const SETTINGS = {
  auto_lock_minutes: 5,
  clipboard_clear_seconds: 5,
  reveal_seconds: 5,
  theme: "dark",
};

export const MASK = "••••••••";

/** The app's settings file ($XDG_CONFIG_HOME/app.keystead.desktop/settings.json), written before start. */
export function writeSettings(settings = SETTINGS) {
  const config = process.env.XDG_CONFIG_HOME || path.join(homedir(), ".config");
  const dir = path.join(config, "app.keystead.desktop");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "settings.json"), JSON.stringify(settings, null, 2));
}

/**
 * Starts the app on a fresh vault file in its own temporary folder (or on `vault`, an existing file).
 * Returns the driver and a `quit` that ends the session (tauri-driver then stops the app) and removes the
 * folder.
 */
export async function startApp({ vault: existing = null, settings = SETTINGS } = {}) {
  if (APP_BIN === "") throw new Error("APP_BIN is not set: run the tests through scripts/e2e.sh");
  writeSettings(settings);
  // An existing vault file belongs to the caller, who removes it.
  const dir = existing === null ? mkdtempSync(path.join(tmpdir(), "keystead-e2e-")) : null;
  const vault = existing ?? path.join(dir, "vault.db");
  const driver = await new Builder()
    .usingServer(WEBDRIVER_URL)
    .withCapabilities({
      browserName: "wry",
      "tauri:options": { application: APP_BIN, args: ["--vault", vault] },
    })
    .build();
  const quit = async () => {
    try {
      // WebDriver may wait forever on a window hidden in the tray: then end the app as the OS would.
      const ended = await Promise.race([driver.quit().then(() => true, () => false), sleep(20_000).then(() => false)]);
      if (!ended) signalApp("TERM");
      // The app holds its single-instance name on the session bus until its process is gone: wait for that,
      // so the next start is a first instance and not a second launch handed to the dying one.
      const gone = async () => poll(async () => appPids().length === 0, { timeout: 10_000, message: "the app to exit" });
      await gone().catch(async () => {
        signalApp("KILL");
        await gone();
      });
    } finally {
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    }
  };
  return { driver, vault, quit };
}

/** PIDs of the running app processes started from APP_BIN (this run's binary, not another run's). */
export function appPids() {
  try {
    return execFileSync("pgrep", ["-f", `^${APP_BIN}( |$)`], { encoding: "utf8" }).trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** The X11 ids of the visible windows titled Keystead (empty when none). */
export function visibleWindows() {
  try {
    return execFileSync("xdotool", ["search", "--onlyvisible", "--name", "^Keystead$"], { encoding: "utf8" })
      .trim()
      .split(/\s+/)
      .filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Closes the window as its title bar's close button does (WM_DELETE_WINDOW, tests/e2e/close-window.py), again
 * every 5 s while it shows (under Xvfb, without a window manager, GTK has been seen to drop the first one), and
 * waits until no Keystead window is visible.
 */
export async function closeToTray() {
  const close = (ids) => {
    for (const id of ids) {
      execFileSync(process.env.E2E_PYTHON ?? "python3", [path.join(import.meta.dirname, "close-window.py"), id], {
        timeout: 10_000,
      });
    }
  };
  close(await poll(async () => (visibleWindows().length > 0 ? visibleWindows() : null), { message: "the Keystead window" }));
  let sent = Date.now();
  await poll(
    async () => {
      const still = visibleWindows();
      if (still.length > 0 && Date.now() - sent > 5000) {
        close(still);
        sent = Date.now();
      }
      return still.length === 0;
    },
    { timeout: 30_000, interval: 250, message: "the window to close to the tray" },
  );
}

/** The names (comm) of every process below `pid`, children of children included. */
function descendantNames(pid) {
  let children = [];
  try {
    children = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).trim().split(/\s+/).filter(Boolean);
  } catch {
    // No children.
  }
  return children.flatMap((child) => {
    let name = "";
    try {
      name = readFileSync(`/proc/${child}/comm`, "utf8").trim();
    } catch {
      // Gone meanwhile.
    }
    return [name, ...descendantNames(child)];
  });
}

/**
 * How many WebKit web processes (the page's renderer: "WebKitWebProcess", cut to 15 characters in comm) run
 * below the app process `pid`: only this run's, whatever other runs do.
 */
export function webProcessesOf(pid) {
  return descendantNames(pid).filter((name) => name.startsWith("WebKitWebProces")).length;
}

/**
 * After the window was closed to the tray and opened again, it is a new webview: points the WebDriver session
 * at it (the old one's handle is gone) and waits until its page has loaded.
 */
export async function attachToWindow(driver, timeout = 15_000) {
  await poll(
    async () => {
      const handles = await driver.getAllWindowHandles();
      for (const handle of handles.reverse()) {
        try {
          await driver.switchTo().window(handle);
          if ((await driver.executeScript("return document.readyState")) === "complete") return true;
        } catch {
          // A closed webview's handle: try the next.
        }
      }
      return false;
    },
    { timeout, interval: 250, message: "the reopened window's page" },
  );
}

function signalApp(signal) {
  try {
    execFileSync("pkill", [`-${signal}`, "-f", `^${APP_BIN}( |$)`]);
  } catch {
    // Already gone.
  }
}

export const byTestId = (id) => By.css(`[data-testid="${id}"]`);

/** Waits until an element is in the DOM and displayed; returns it. */
export async function waitVisible(driver, locator, timeout = 10_000) {
  const by = typeof locator === "string" ? byTestId(locator) : locator;
  const el = await driver.wait(until.elementLocated(by), timeout, `element ${describe(by)} never appeared`);
  await driver.wait(until.elementIsVisible(el), timeout, `element ${describe(by)} never became visible`);
  return el;
}

/** Waits until no element matches (e.g. a dialog closed). */
export async function waitGone(driver, locator, timeout = 10_000) {
  const by = typeof locator === "string" ? byTestId(locator) : locator;
  await poll(async () => (await driver.findElements(by)).length === 0, {
    timeout,
    message: `element ${describe(by)} is still there`,
  });
}

function describe(by) {
  return by.value ?? String(by);
}

/**
 * Calls `fn` until it returns a truthy value (which is returned) or the timeout passes. Errors thrown by
 * `fn` count as "not yet" (stale elements while Svelte re-renders), the last one is reported.
 */
export async function poll(fn, { timeout = 10_000, interval = 100, message = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : ` (last value: ${JSON.stringify(last)})`;
      throw new Error(`timed out after ${timeout} ms waiting for ${message}${why}`);
    }
    await sleep(interval);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Text of the element with that test id (waits until it is visible). */
export async function textOf(driver, id, timeout) {
  return (await waitVisible(driver, id, timeout)).getText();
}

/** Waits until the element's text satisfies `test` (a string for equality, a RegExp, or a function). */
export async function waitText(driver, locator, test, timeout = 10_000) {
  const by = typeof locator === "string" ? byTestId(locator) : locator;
  const ok = (t) => (typeof test === "string" ? t === test : test instanceof RegExp ? test.test(t) : test(t));
  let seen;
  await poll(
    async () => {
      const el = await driver.findElement(by);
      seen = await el.getText();
      return ok(seen);
    },
    { timeout, message: `text of ${describe(by)} to match ${test} (saw ${JSON.stringify(seen)})` },
  );
  return seen;
}

/** Clears a field and types into it. */
/** Clears the field and types `text` ("" only clears it). */
export async function typeInto(driver, locator, text) {
  const el = await waitVisible(driver, locator);
  await el.clear();
  // clear() fires no input event: an emptied field is emptied by keys, as a user empties it.
  if (text === "") await el.sendKeys(Key.chord(Key.CONTROL, "a"), Key.BACK_SPACE);
  else await el.sendKeys(text);
  return el;
}

export async function click(driver, locator) {
  const el = await waitVisible(driver, locator);
  await driver.wait(until.elementIsEnabled(el), 10_000, `${describe(typeof locator === "string" ? byTestId(locator) : locator)} stays disabled`);
  // Into the middle of its scroll box first, as a user scrolls to it: scrolled only to an edge, a dialog's
  // sticky footer can sit over it.
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' })", el);
  await el.click();
  return el;
}

/** Picks an option of a <select> by its value, as a user would (click the select, then the option). */
export async function selectOption(driver, testId, value) {
  const select = await waitVisible(driver, testId);
  const option = await select.findElement(By.css(`option[value="${value}"]`));
  await option.click();
  await poll(async () => (await select.getAttribute("value")) === value, {
    timeout: 3000,
    message: `select ${testId} to hold ${value}`,
  });
}

/** Checks (or unchecks) a checkbox by clicking it when its state differs. */
export async function setChecked(driver, testId, on = true) {
  const box = await waitVisible(driver, testId);
  if ((await box.isSelected()) !== on) await box.click();
  await poll(async () => (await box.isSelected()) === on, { timeout: 3000, message: `${testId} checked=${on}` });
}

/** Saves a PNG of the window under SCREENSHOT_DIR as `NN-name.png`; returns the path. */
export async function screenshot(driver, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // The snapshot is the last painted frame: let what was just typed or rendered reach the screen first.
  await driver
    .executeAsyncScript("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));")
    .catch(() => undefined);
  const data = await driver.takeScreenshot();
  writeFileSync(file, data, "base64");
  return file;
}

/**
 * The X11 clipboard as `xclip -selection clipboard -o` prints it: `{ ok: true, text }`, or `{ ok: false }`
 * when nothing (or no text) is on it. A timeout keeps a stuck selection owner from hanging the test.
 */
export function readClipboard() {
  return new Promise((resolve) => {
    execFile("xclip", ["-selection", "clipboard", "-o"], { timeout: 3000, encoding: "utf8" }, (err, stdout) => {
      if (err) resolve({ ok: false, text: "", error: err.message.trim() });
      else resolve({ ok: true, text: stdout });
    });
  });
}

/** Date `days` from now as YYYY-MM-DD in UTC (the form's dates are UTC days). */
export function utcDate(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/**
 * Types a YYYY-MM-DD date into a date field (a text field that shows and takes ISO dates, whatever the
 * locale), replacing what it held; the value the page sees is then checked.
 */
export async function typeDate(driver, testId, isoDate) {
  const input = await waitVisible(driver, testId);
  if ((await input.getAttribute("type")) !== "text") throw new Error(`the date field ${testId} is not a text field`);
  if ((await input.getAttribute("placeholder")) !== "YYYY-MM-DD") throw new Error(`the date field ${testId} has no YYYY-MM-DD placeholder`);
  await input.clear();
  await input.sendKeys(isoDate);
  const value = await input.getAttribute("value");
  if (value !== isoDate) throw new Error(`the date field ${testId} took ${JSON.stringify(value)}, not ${isoDate}`);
}

/** All rows of the key table as { name, el }. */
export async function keyRows(driver) {
  const rows = await driver.findElements(byTestId("key-row"));
  return Promise.all(rows.map(async (el) => ({ name: await el.getAttribute("data-key-name"), el })));
}

export async function rowByName(driver, name, timeout = 10_000) {
  return poll(
    async () => (await keyRows(driver)).find((r) => r.name === name)?.el,
    { timeout, message: `a key-row named ${JSON.stringify(name)}` },
  );
}

/** Asserts no JavaScript dialog (alert/confirm/prompt) is open. */
export async function assertNoAlert(driver) {
  let text = null;
  try {
    const alert = await driver.switchTo().alert();
    text = await alert.getText();
  } catch {
    return;
  }
  throw new Error(`a JavaScript alert is open: ${JSON.stringify(text)}`);
}

/**
 * Steps that share one app and build on each other: after a failure the rest are skipped, and the failing
 * screen is saved. `getDriver` answers the current driver (or null when no app runs).
 */
export function stepsOf(getDriver, defaultTimeout = 60_000) {
  let failed = null;
  return (name, fn, timeout = defaultTimeout) =>
    test(name, { timeout }, async (t) => {
      if (failed !== null) {
        t.skip(`an earlier step failed: ${failed}`);
        return;
      }
      try {
        await fn(t);
      } catch (e) {
        failed = name;
        const driver = getDriver();
        if (driver) {
          // A window hidden in the tray may never answer a screenshot: do not let that hide the failure.
          const shot = screenshot(driver, `failed-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)}`);
          await Promise.race([shot.catch(() => undefined), sleep(5000)]);
        }
        throw e;
      }
    });
}
