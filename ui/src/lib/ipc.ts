// The one module that talks to Rust. Every command is a typed function here; components import these
// functions and the re-exported types, never @tauri-apps/api. Errors arrive as `{ code, message }` and are
// rethrown as IpcError so callers can branch on `code`.
import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type { AddKeyInput } from "../bindings/AddKeyInput";
import type { AppError } from "../bindings/AppError";
import type { AuditAction } from "../bindings/AuditAction";
import type { AuditExportFormat } from "../bindings/AuditExportFormat";
import type { AuditRecord } from "../bindings/AuditRecord";
import type { AuditStatus } from "../bindings/AuditStatus";
import type { BulkEdit } from "../bindings/BulkEdit";
import type { Contact } from "../bindings/Contact";
import type { CopyResult } from "../bindings/CopyResult";
import type { CredentialField } from "../bindings/CredentialField";
import type { DueKind } from "../bindings/DueKind";
import type { DueState } from "../bindings/DueState";
import type { EditKeyInput } from "../bindings/EditKeyInput";
import type { Environment } from "../bindings/Environment";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { ExchangeInfo } from "../bindings/ExchangeInfo";
import type { ExchangeKeyReport } from "../bindings/ExchangeKeyReport";
import type { ImportChoice } from "../bindings/ImportChoice";
import type { CheckSummary } from "../bindings/CheckSummary";
import type { KeyVerification } from "../bindings/KeyVerification";
import type { RecordedView } from "../bindings/RecordedView";
import type { Verification } from "../bindings/Verification";
import type { VerifyOutcome } from "../bindings/VerifyOutcome";
import type { ImportEntryChoice } from "../bindings/ImportEntryChoice";
import type { ImportFileInfo } from "../bindings/ImportFileInfo";
import type { ImportPreview } from "../bindings/ImportPreview";
import type { ImportPreviewEntry } from "../bindings/ImportPreviewEntry";
import type { ImportSource } from "../bindings/ImportSource";
import type { ImportSummary } from "../bindings/ImportSummary";
import type { PlaintextLeft } from "../bindings/PlaintextLeft";
import type { SourceFormat } from "../bindings/SourceFormat";
import type { Finding } from "../bindings/Finding";
import type { FindingKind } from "../bindings/FindingKind";
import type { Confidence } from "../bindings/Confidence";
import type { ScanProgress } from "../bindings/ScanProgress";
import type { ScanReport } from "../bindings/ScanReport";
import type { IgnoredFinding } from "../bindings/IgnoredFinding";
import type { ScanStats } from "../bindings/ScanStats";
import type { FoundInPlaintext } from "../bindings/FoundInPlaintext";
import type { IncidentStep } from "../bindings/IncidentStep";
import type { KeyDetail } from "../bindings/KeyDetail";
import type { KeyStatus } from "../bindings/KeyStatus";
import type { KeySummary } from "../bindings/KeySummary";
import type { DueFilter } from "../bindings/DueFilter";
import type { GroupBy } from "../bindings/GroupBy";
import type { ListCounts } from "../bindings/ListCounts";
import type { ListFacets } from "../bindings/ListFacets";
import type { ListGroup } from "../bindings/ListGroup";
import type { ListPage } from "../bindings/ListPage";
import type { ListQuery } from "../bindings/ListQuery";
import type { SelectedKeys } from "../bindings/SelectedKeys";
import type { ListRow } from "../bindings/ListRow";
import type { SortColumn } from "../bindings/SortColumn";
import type { SortDirection } from "../bindings/SortDirection";
import type { SortOrder } from "../bindings/SortOrder";
import type { OptionalColumn } from "../bindings/OptionalColumn";
import type { PermissionInfo } from "../bindings/PermissionInfo";
import type { RekeyProgress } from "../bindings/RekeyProgress";
import type { RememberStatus } from "../bindings/RememberStatus";
import type { RevealedSecret } from "../bindings/RevealedSecret";
import type { ScheduleScope } from "../bindings/ScheduleScope";
import type { RiskFlag } from "../bindings/RiskFlag";
import type { Scope } from "../bindings/Scope";
import type { SecretInput } from "../bindings/SecretInput";
import type { SecretVersionInfo } from "../bindings/SecretVersionInfo";
import type { Settings } from "../bindings/Settings";
import type { ShareEntryStatus } from "../bindings/ShareEntryStatus";
import type { ShareExportInput } from "../bindings/ShareExportInput";
import type { ShareExportResult } from "../bindings/ShareExportResult";
import type { ShareExportSummary } from "../bindings/ShareExportSummary";
import type { ShareImportSummary } from "../bindings/ShareImportSummary";
import type { SharePreview } from "../bindings/SharePreview";
import type { SharePreviewEntry } from "../bindings/SharePreviewEntry";
import type { ShareSender } from "../bindings/ShareSender";
import type { SharingKeyInfo } from "../bindings/SharingKeyInfo";
import type { Theme } from "../bindings/Theme";
import type { VaultStatus } from "../bindings/VaultStatus";
import type { VaultFilePurpose } from "../bindings/VaultFilePurpose";
import type { BackupResult } from "../bindings/BackupResult";
import type { KeepSide } from "../bindings/KeepSide";
import type { Role } from "../bindings/Role";
import type { TeamAutoSync } from "../bindings/TeamAutoSync";
import type { TeamEntryPreview } from "../bindings/TeamEntryPreview";
import type { TeamEntryStatus } from "../bindings/TeamEntryStatus";
import type { TeamInfo } from "../bindings/TeamInfo";
import type { TeamMemberInfo } from "../bindings/TeamMemberInfo";
import type { TeamOverview } from "../bindings/TeamOverview";
import type { TeamSyncPreview } from "../bindings/TeamSyncPreview";
import type { TeamSyncSummary } from "../bindings/TeamSyncSummary";

export type {
  DueFilter,
  GroupBy,
  ListCounts,
  ListFacets,
  ListGroup,
  ListPage,
  ListQuery,
  SelectedKeys,
  ListRow,
  SortColumn,
  SortDirection,
  SortOrder,
  AddKeyInput,
  AppError,
  AuditAction,
  AuditRecord,
  AuditStatus,
  BulkEdit,
  Contact,
  CopyResult,
  CredentialField,
  DueKind,
  DueState,
  EditKeyInput,
  Environment,
  ErrorCode,
  ExchangeInfo,
  ExchangeKeyReport,
  RecordedView,
  CheckSummary,
  Verification,
  VerifyOutcome,
  KeyVerification,
  AuditExportFormat,
  ImportChoice,
  ImportEntryChoice,
  ImportFileInfo,
  ImportPreview,
  ImportPreviewEntry,
  ImportSource,
  ImportSummary,
  PlaintextLeft,
  SourceFormat,
  IncidentStep,
  Finding,
  FindingKind,
  Confidence,
  ScanProgress,
  ScanReport,
  ScanStats,
  IgnoredFinding,
  FoundInPlaintext,
  KeyDetail,
  KeyStatus,
  KeySummary,
  PermissionInfo,
  RekeyProgress,
  RememberStatus,
  RevealedSecret,
  ScheduleScope,
  RiskFlag,
  Scope,
  SecretInput,
  SecretVersionInfo,
  OptionalColumn,
  Settings,
  ShareEntryStatus,
  ShareExportInput,
  ShareExportResult,
  ShareExportSummary,
  ShareImportSummary,
  SharePreview,
  SharePreviewEntry,
  ShareSender,
  SharingKeyInfo,
  Theme,
  VaultStatus,
  VaultFilePurpose,
  BackupResult,
  KeepSide,
  Role,
  TeamAutoSync,
  TeamEntryPreview,
  TeamEntryStatus,
  TeamInfo,
  TeamMemberInfo,
  TeamOverview,
  TeamSyncPreview,
  TeamSyncSummary,
};

/** The event Rust emits when it locks the vault on its own (idle timer, tray). Payload: null. */
export const VAULT_LOCKED_EVENT = "vault-locked";
/** The event Rust emits after scheduled checks on the exchange recorded verdicts. Payload: null. */
export const KEYS_CHECKED_EVENT = "keys-checked";
/** The event Rust emits after an automatic team sync (keys may have come in). Payload: null. */
export const TEAMS_SYNCED_EVENT = "teams-synced";
/** The event Rust emits when the user clicks a reminder. Payload: the key's id, or null for several keys. */
export const OPEN_KEY_EVENT = "open-key";

/** A command failed. `unexpected` is the UI's own code for a rejection that was not `{ code, message }`. */
export class IpcError extends Error {
  readonly code: ErrorCode | "unexpected";

  constructor(code: ErrorCode | "unexpected", message: string) {
    super(message);
    this.name = "IpcError";
    this.code = code;
  }
}

function isAppError(value: unknown): value is AppError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && typeof v.message === "string";
}

/** Turns whatever a rejected invoke carries into an IpcError. */
export function toIpcError(reason: unknown): IpcError {
  if (reason instanceof IpcError) return reason;
  if (isAppError(reason)) return new IpcError(reason.code, reason.message);
  if (typeof reason === "string") return new IpcError("unexpected", reason);
  if (reason instanceof Error) return new IpcError("unexpected", reason.message);
  return new IpcError("unexpected", "The app did not answer as expected. Try again, or restart Keystead.");
}

let lockedHandler: (() => void) | null = null;

/**
 * Called when any command answers `locked`: Rust locked the vault (idle timer) and the webview missed the
 * event, so the screen must go back to unlock.
 */
export function onLockedError(handler: (() => void) | null): void {
  lockedHandler = handler;
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    const error = toIpcError(reason);
    if (error.code === "locked") lockedHandler?.();
    throw error;
  }
}

// Argument keys are camelCase: Tauri maps them to the snake_case parameter names of the Rust commands.
// Objects passed as one argument (input, settings) keep their serde field names.

export const vaultStatus = () => call<VaultStatus>("vault_status");
/** Creates a vault; at `path` (a file that does not exist yet) when given, else at the current vault path. */
export const createVault = (passphrase: string, path: string | null = null) =>
  call<void>("create_vault", { passphrase, path });
export const unlock = (passphrase: string) => call<void>("unlock", { passphrase });
export const useVaultFile = (path: string) => call<VaultStatus>("use_vault_file", { path });
/** The native chooser for a vault file (to create, to open, or for a backup); `null` when cancelled. */
export const chooseVaultFile = (purpose: VaultFilePurpose, current: string | null) =>
  call<string | null>("choose_vault_file", { purpose, current });
/** A dated backup file in the home folder, offered before the user picks a place. */
export const defaultBackupPath = () => call<string>("default_backup_path");
/** Writes a backup of the open vault (a copy, already encrypted; audited). `file_exists` unless `replace`. */
export const backupVault = (path: string, replace: boolean) => call<BackupResult>("backup_vault", { path, replace });
export const lock = () => call<void>("lock");
export const touch = () => call<void>("touch");
export const acceptRestoredBackup = () => call<VaultStatus>("accept_restored_backup");
/** Whether this device unlocks the vault without the passphrase ("remember on this device"), and why not. */
export const rememberStatus = () => call<RememberStatus>("remember_status");
/** Turns remembering on; the passphrase is checked again in Rust. */
export const rememberDevice = (passphrase: string) => call<RememberStatus>("remember_device", { passphrase });
export const forgetDevice = () => call<RememberStatus>("forget_device");
export const unlockWithDevice = () => call<void>("unlock_with_device");

/** One window of the key table (rows `start..start + len` of the view `query` asks for); sort, filters and search
 *  run in Rust. */
export const keyRows = (query: ListQuery, start: number, len: number) =>
  call<ListPage>("key_rows", { query, start, len });
/** The shown keys' ids in the order shown: from `from` to `to` (a Shift range), or all of them (both null). */
export const keyIds = (query: ListQuery, from: string | null, to: string | null) =>
  call<string[]>("key_ids", { query, from, to });
/** Those of `ids` the view shows, in the order shown (the selection after a search or a change), as the bulk bar
 *  shows them: ids, the active ones, the first names, their tags. */
export const selectedKeys = (query: ListQuery, ids: readonly string[]) =>
  call<SelectedKeys>("selected_keys", { query, ids });
export const keyIdByName = (name: string) => call<string | null>("key_id_by_name", { name });
/** The active keys by name (the share dialog's choice). */
export const activeKeys = () => call<KeySummary[]>("active_keys");
export const keyDetail = (id: string) => call<KeyDetail>("key_detail", { id });
export const catalog = () => call<ExchangeInfo[]>("catalog");
/** Opens the exchange's API-key page (from the catalog in Rust, https only) in the system browser. */
export const openApiKeyPage = (exchange: string) => call<void>("open_api_key_page", { exchange });
export const addKey = (input: AddKeyInput) => call<KeyDetail>("add_key", { input });
/** `passphrase`: given again when the edit removes the withdraw or transfer scope (Rust asks: step_up_required). */
export const editKey = (id: string, input: EditKeyInput, passphrase: string | null = null) =>
  call<KeyDetail>("edit_key", { id, input, passphrase });
/** `keyPair`: rotate to the pair `newKeyPair` made (`secrets` then holds only the new API key). */
export const rotateKey = (id: string, secrets: SecretInput[], reason: string | null, keyPair = false) =>
  call<KeyDetail>("rotate_key", { id, secrets, reason, keyPair });
export const revokeKey = (id: string, reason: string | null) => call<KeyDetail>("revoke_key", { id, reason });
/** The bulk bar: one change to every key in `ids`, all or nothing; answers the names covered. `passphrase` when
 *  Rust asks (step_up_required). */
export const bulkEditKeys = (ids: string[], change: BulkEdit, passphrase: string | null = null) =>
  call<string[]>("bulk_edit_keys", { ids, change, passphrase });
/** The bulk bar: revokes every key in `ids` with one reason, all or nothing. */
export const revokeKeys = (ids: string[], reason: string | null) => call<string[]>("revoke_keys", { ids, reason });
export const markCompromised = (id: string, reason: string | null) =>
  call<KeyDetail>("mark_compromised", { id, reason });
export const incidentStep = (id: string, step: IncidentStep, done: boolean) =>
  call<void>("incident_step", { id, step, done });
/** Asks the key's exchange what the key may do (Rust sends the request; audited). */
export const verifyKey = (id: string) => call<KeyVerification>("verify_key", { id });
/** "New key pair": Rust makes and keeps the pair; the answer is its public key (SubjectPublicKeyInfo PEM). */
export const newKeyPair = (exchange: string) => call<string>("new_key_pair", { exchange });
/** The public key of a stored key pair (not a secret). */
export const publicKey = (id: string) => call<string>("public_key", { id });
/** Copies a public key: of key `id`, or of the pair waiting for the add form (`null`). */
export const copyPublicKey = (id: string | null) => call<void>("copy_public_key", { id });
/** Writes the last check's report into the record; `passphrase` when Rust asks (step_up_required). */
export const acceptExchangeView = (id: string, passphrase: string | null = null) =>
  call<KeyDetail>("accept_exchange_view", { id, passphrase });
/** Scheduled checks for one key: `true` always, `false` never, `null` as the setting says. */
export const setScheduledCheck = (id: string, on: boolean | null) =>
  call<KeyDetail>("set_scheduled_check", { id, on });

export const revealSecret = (
  id: string,
  field: CredentialField,
  version: number | null,
  passphrase: string | null,
) => call<RevealedSecret>("reveal_secret", { id, field, version, passphrase });

export const copySecret = (
  id: string,
  field: CredentialField,
  version: number | null,
  passphrase: string | null,
) => call<CopyResult>("copy_secret", { id, field, version, passphrase });

export const auditLog = () => call<AuditRecord[]>("audit_log");
/** One key's events, oldest first (core selects them; the whole log never crosses for one key). */
export const keyAudit = (id: string) => call<AuditRecord[]>("key_audit", { id });
export const verifyAudit = () => call<AuditStatus>("verify_audit");
export const exportAudit = (format: AuditExportFormat) => call<string>("export_audit", { format });

export const getSettings = () => call<Settings>("get_settings");
export const setSettings = (settings: Settings) => call<Settings>("set_settings", { settings });
/**
 * Changes the passphrase: Rust makes a new vault key and seals every record again under it. `onProgress`
 * hears how far that is (throttled by Rust; the first report comes after the new key is derived).
 */
export function changePassphrase(
  current: string,
  newPassphrase: string,
  onProgress: (progress: RekeyProgress) => void,
): Promise<void> {
  const channel = new Channel<RekeyProgress>(onProgress);
  return call<void>("change_passphrase", { current, newPassphrase, onProgress: channel });
}
export const sendTestNotification = () => call<void>("send_test_notification");
/** The key a reminder clicked before this page listened asks to open (once), or null. */
export const takeOpenKey = () => call<string | null>("take_open_key");

// Sharing. An opened share file stays in Rust between `sharePreview` and `shareApply` / `shareCancel`.
export const sharingKey = () => call<SharingKeyInfo>("sharing_key");
export const copySharingKey = () => call<void>("copy_sharing_key");
export const listContacts = () => call<Contact[]>("list_contacts");
export const addContact = (name: string, key: string) => call<Contact>("add_contact", { name, key });
export const renameContact = (name: string, newName: string) =>
  call<Contact>("rename_contact", { name, newName });
export const removeContact = (name: string) => call<Contact>("remove_contact", { name });
export const defaultSharePath = (armor: boolean) => call<string>("default_share_path", { armor });
/** The desktop's file chooser (shown by Rust); null when the user cancels. */
export const chooseShareFile = (save: boolean, current: string | null) =>
  call<string | null>("choose_share_file", { save, current });
export const shareExport = (input: ShareExportInput) => call<ShareExportResult>("share_export", { input });
export const shareFileNeedsPassphrase = (path: string) => call<boolean>("share_file_needs_passphrase", { path });
export const sharePreview = (path: string, passphrase: string | null) =>
  call<SharePreview>("share_preview", { path, passphrase });
/** One choice per preview entry, in the preview's order. */
export const shareApply = (choices: ImportChoice[]) => call<ShareImportSummary>("share_apply", { choices });
export const shareCancel = () => call<void>("share_cancel");

// Imports from other tools' files. The files read stay in Rust between `importPreview` and
// `importApply` / `importCancel`; the webview sees names, field names and statuses only.
/** The desktop's file chooser (several files); an empty list when the user cancels. */
export const chooseImportFiles = () => call<string[]>("choose_import_files");
export const importInspect = (paths: string[]) => call<ImportFileInfo[]>("import_inspect", { paths });
export const importPreview = (paths: string[], format: SourceFormat | null, password: string | null) =>
  call<ImportPreview>("import_preview", { paths, format, password });
/** One choice per preview entry, in the preview's order. */
export const importApply = (choices: ImportEntryChoice[]) => call<ImportSummary>("import_apply", { choices });
export const importCancel = () => call<void>("import_cancel");

// Team vaults (made, joined and changed with `keystead team …`). A previewed sync holds the incoming
// keys' secrets in Rust until apply or cancel; the webview sees the preview and the summary.
/** The teams this vault is in, with members and remotes, and what the automatic sync last did. */
export const teamOverview = () => call<TeamOverview>("team_overview");
/** Fetches and checks team `team`; applies nothing. */
export const teamSyncPreview = (team: string) => call<TeamSyncPreview>("team_sync_preview", { team });
/** Keeps one side of a conflict whole (`key`: its name here); answers the preview as it now is. */
export const teamSyncResolve = (key: string, keep: KeepSide) =>
  call<TeamSyncPreview>("team_sync_resolve", { key, keep });
/** Applies the previewed sync in one transaction and pushes this member's changes. */
export const teamSyncApply = () => call<TeamSyncSummary>("team_sync_apply");
/** Forgets the previewed sync. */
export const teamSyncCancel = () => call<void>("team_sync_cancel");

// The leak scanner. Rust scans (the vault's secrets never leave it) and keeps the last report; actions on
// a finding go by its index in that report.
/** The desktop's folder chooser (several folders); an empty list when the user cancels. */
export const chooseScanFolders = () => call<string[]>("choose_scan_folders");
export const scanUsualPlaces = () => call<string[]>("scan_usual_places");
export function scanStart(
  roots: string[],
  includeIgnored: boolean,
  history: boolean,
  onProgress: (progress: ScanProgress) => void,
): Promise<ScanReport> {
  const channel = new Channel<ScanProgress>(onProgress);
  return call<ScanReport>("scan_start", { roots, includeIgnored, history, onProgress: channel });
}
export const scanCancel = () => call<void>("scan_cancel");
export const openFindingFolder = (index: number) => call<void>("open_finding_folder", { index });
/** Ignores finding `index` of the last scan (remembered and audited); answers the last scan's report. */
export const ignoreFinding = (index: number) => call<ScanReport>("ignore_finding", { index });
export const ignoredFindings = () => call<IgnoredFinding[]>("ignored_findings");
/** Reports an ignored finding again (audited); answers the ignored findings left. */
export const unignoreFinding = (id: string) => call<IgnoredFinding[]>("unignore_finding", { id });

/** Calls `handler` whenever Rust locks the vault on its own. Returns the function that stops listening. */
export function onVaultLocked(handler: () => void): Promise<UnlistenFn> {
  return listen<null>(VAULT_LOCKED_EVENT, () => handler());
}

/** Calls `handler` after scheduled checks on the exchange recorded verdicts (the rows changed). */
export function onKeysChecked(handler: () => void): Promise<UnlistenFn> {
  return listen<null>(KEYS_CHECKED_EVENT, () => handler());
}

/** Calls `handler` after an automatic team sync (the rows and the Team screen may have changed). */
export function onTeamsSynced(handler: () => void): Promise<UnlistenFn> {
  return listen<null>(TEAMS_SYNCED_EVENT, () => handler());
}

/** Calls `handler` when the user clicked a reminder (Rust has shown the window). */
export function onOpenKey(handler: (id: string | null) => void): Promise<UnlistenFn> {
  return listen<string | null>(OPEN_KEY_EVENT, (event) => handler(event.payload));
}
