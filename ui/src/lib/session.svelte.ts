// What the webview holds while the vault is open. `clear()` forgets all of it: on Lock, Ctrl+L and Rust's
// `vault-locked` event. Revealed secret values never live here; they stay in the detail panel, which is
// unmounted on lock.
import * as ipc from "./ipc";
import type { ExchangeInfo, ListFacets, Settings, VaultStatus } from "./ipc";
import { DEFAULT_SORT, NO_FILTERS, listQuery } from "./keys";
import { applyTheme } from "./theme";

export type Phase = "loading" | "locked" | "unlocked";
export type View = "keys" | "scan" | "audit" | "team" | "settings";

class Session {
  phase = $state<Phase>("loading");
  status = $state<VaultStatus | null>(null);
  /** Problems Rust reported on open (e.g. an older vault file), until dismissed. */
  warnings = $state<string[]>([]);
  view = $state<View>("keys");
  /** The vault's counts and what the filters offer; the rows stay in Rust, and the table asks for the window it
   *  shows. Null until read. */
  facets = $state.raw<ListFacets | null>(null);
  /** Bumped when the keys changed (a write, an import, a sync, a scheduled check): the table asks again. */
  listVersion = $state(0);
  keysLoaded = $state(false);
  catalog = $state.raw<ExchangeInfo[]>([]);
  settings = $state<Settings | null>(null);
  selectedId = $state<string | null>(null);
  /** Counts the rounds of scheduled checks that recorded verdicts while this page shows the vault. */
  checkRounds = $state(0);
  /** Counts the automatic team syncs Rust reported while this page shows the vault (the Team screen
   *  loads again). */
  teamRounds = $state(0);
  /** Bumped by Ctrl+F; the keys view focuses its search box when it changes. */
  searchRequests = $state(0);
  /** "Deploy to a server…" asked for this bot's keys: the main screen opens Share… with them. */
  deployBot = $state<string | null>(null);
  /** Bumped by Ctrl+N: the main screen opens the add form. */
  addRequests = $state(0);
  /** Bumped by "?": the main screen shows the keyboard help. */
  helpRequests = $state(0);
  /** A message for the whole window (e.g. a failed lock), or null. */
  notice = $state<string | null>(null);
  /** A key a clicked reminder asked for while locked (or the keys still loading): opened then. Only an id. */
  private pendingKey: string | null = null;

  exchange(id: string): ExchangeInfo | undefined {
    return this.catalog.find((e) => e.id === id);
  }

  /** At start: Rust may already hold an open vault (the webview was reloaded). */
  async start(): Promise<void> {
    // Settings live outside the vault, so the theme is known before unlock.
    ipc.getSettings().then((s) => applyTheme(s.theme), () => undefined);
    const status = await ipc.vaultStatus();
    this.status = status;
    if (status.unlocked) await this.opened();
    else this.phase = "locked";
  }

  /** Re-reads the vault status (path, retry delay) without changing the phase. */
  async refreshStatus(): Promise<VaultStatus> {
    const status = await ipc.vaultStatus();
    this.status = status;
    return status;
  }

  /** After unlock or create: load what every screen needs. */
  async opened(): Promise<void> {
    this.clear();
    const status = await ipc.vaultStatus();
    this.status = status;
    this.warnings = [...status.warnings];
    this.phase = "unlocked";
    try {
      const [facets, catalog, settings] = await Promise.all([this.readFacets(), ipc.catalog(), ipc.getSettings()]);
      this.facets = facets;
      this.keysLoaded = true;
      this.catalog = catalog;
      this.settings = settings;
      applyTheme(settings.theme);
      const wanted = this.pendingKey;
      this.pendingKey = null;
      if (wanted !== null) this.openKey(wanted);
    } catch (e) {
      // The unlock screen is gone by now: say it on the main screen.
      if (this.phase === "unlocked") this.notice = `Could not load the keys: ${ipc.toIpcError(e).message}`;
    }
  }

  /** A clicked reminder: show that key (after unlock when locked), or the keys list for several keys. */
  openKey(id: string | null): void {
    if (this.phase !== "unlocked" || !this.keysLoaded) {
      this.pendingKey = id;
      return;
    }
    this.view = "keys";
    if (id !== null) this.selectedId = id;
  }

  /** "Show keys" after an import: the keys view, with the key of that name open when there is one. */
  async showKeyNamed(name: string | undefined): Promise<void> {
    this.view = "keys";
    if (name === undefined) return;
    const id = await ipc.keyIdByName(name).catch(() => null);
    if (id !== null && this.phase === "unlocked") this.selectedId = id;
  }

  /** Saves the saved settings with `patch` applied, so each settings field saves only itself. Saves run one
   *  after another, each over the result of the one before (two quick changes both stay). */
  saveSettings(patch: Partial<Settings>): Promise<void> {
    const run = async () => {
      const base = this.settings ?? (await ipc.getSettings());
      const result = await ipc.setSettings({ ...base, ...patch });
      this.settings = result;
      applyTheme(result.theme);
    };
    const next = this.#settingsQueue.then(run, run);
    this.#settingsQueue = next.catch(() => undefined);
    return next;
  }
  #settingsQueue: Promise<void> = Promise.resolve();

  /** "I restored this backup on purpose": Rust accepts the older vault file (audited); its warning goes. */
  async acceptRestoredBackup(): Promise<void> {
    const status = await ipc.acceptRestoredBackup();
    this.status = status;
    this.warnings = [...status.warnings];
    await this.reloadKeys();
  }

  /** The keys changed: the table reads its rows again, and the counts are read again here. */
  async reloadKeys(): Promise<void> {
    this.listVersion += 1;
    this.facets = await this.readFacets();
    this.keysLoaded = true;
  }

  /** The table's own answers carry the counts too (each window it reads). */
  setFacets(facets: ListFacets): void {
    this.facets = facets;
    this.keysLoaded = true;
  }

  private async readFacets(): Promise<ListFacets> {
    const page = await ipc.keyRows(listQuery(NO_FILTERS, DEFAULT_SORT, "none"), 0, 0);
    return page.facets;
  }

  /** Scheduled checks on the exchange recorded verdicts: the rows, and an open key's detail, read them. */
  keysChecked(): void {
    this.checkRounds += 1;
    void this.reloadKeys().catch(() => undefined);
  }

  /** An automatic team sync ran: the rows and the Team screen read again. */
  teamsSynced(): void {
    this.teamRounds += 1;
    void this.reloadKeys().catch(() => undefined);
  }

  /** Forgets everything the open vault showed. */
  clear(): void {
    this.facets = null;
    this.keysLoaded = false;
    this.catalog = [];
    this.settings = null;
    this.selectedId = null;
    this.warnings = [];
    this.view = "keys";
    this.searchRequests = 0;
    this.checkRounds = 0;
    this.teamRounds = 0;
    this.addRequests = 0;
    this.helpRequests = 0;
    this.notice = null;
  }

  /** Rust locked (or we asked it to): drop all state and show the unlock screen. */
  locked(): void {
    this.clear();
    this.phase = "locked";
    void this.refreshStatus().catch(() => undefined);
  }

  async lock(): Promise<void> {
    // Clear first: whatever Rust answers, the webview forgets.
    this.clear();
    this.phase = "locked";
    try {
      await ipc.lock();
    } catch (e) {
      this.notice = `Locking failed: ${ipc.toIpcError(e).message} Close Keystead to be sure the vault is locked.`;
    }
    await this.refreshStatus().catch(() => undefined);
  }
}

export const session = new Session();
