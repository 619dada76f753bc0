// The only door from the UI to Go. Wails rejects a bound method's promise with
// a plain string; every call here turns that into an ApiError so callers can
// rely on `err instanceof Error` and `err.message`.
import * as App from '../../wailsjs/go/main/App';
import type { AccountsApi } from './stores/accounts.svelte';
import type {
  Account,
  AppState,
  AuditEntry,
  BackupResult,
  HistoryPoint,
  SettingField,
  Status,
  TokensReport,
  TokensSummary,
  UpdateInfo,
  WindowMode,
} from './types';

export class ApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export function toError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'string') return new ApiError(e);
  return new ApiError(JSON.stringify(e) ?? 'unknown error');
}

async function call<T>(fn: () => Promise<unknown>): Promise<T> {
  try {
    return (await fn()) as T;
  } catch (e) {
    throw toError(e);
  }
}

export const api = {
  getState: () => call<AppState>(() => App.GetState()),
  listSettings: () => call<SettingField[]>(() => App.ListSettings()),
  setSetting: (key: string, value: string) => call<SettingField[]>(() => App.SetSetting(key, value)),
  setMode: (mode: WindowMode) => call<WindowMode>(() => App.SetMode(mode)),
  hide: () => call<void>(() => App.Hide()),
  fitHeight: (px: number) => call<void>(() => App.FitHeight(px)),
  quit: () => call<void>(() => App.Quit()),
  switchLog: (limit = 200) => call<AuditEntry[]>(() => App.SwitchLog(limit)),
  usageHistory: (label: string, hours: number) => call<HistoryPoint[]>(() => App.UsageHistory(label, hours)),
  updateStatus: () => call<UpdateInfo>(() => App.UpdateStatus()),
  checkForUpdate: () => call<UpdateInfo>(() => App.CheckForUpdate()),
  tokensReport: (since: string, until: string, by: TokensReport['by']) =>
    call<TokensReport>(() => App.TokensReport(since, until, by)),
  tokensSummary: () => call<TokensSummary>(() => App.TokensSummary()),
  exportBackup: (passphrase: string) => call<BackupResult>(() => App.ExportBackup(passphrase)),
  importBackup: (passphrase: string) => call<BackupResult>(() => App.ImportBackup(passphrase)),
};

export const accountsApi: AccountsApi = {
  getStatus: () => call<Status>(() => App.GetStatus()),
  switchAccount: (label) => call<void>(() => App.SwitchAccount(label)),
  adoptCurrent: (label) => call<Account>(() => App.AdoptCurrent(label)),
  startCapture: (label, timeoutSec) => call<void>(() => App.StartCapture(label, timeoutSec)),
  cancelCapture: () => call<void>(() => App.CancelCapture()),
  renameAccount: (o, n) => call<void>(() => App.RenameAccount(o, n)),
  removeAccount: (label, purge) => call<void>(() => App.RemoveAccount(label, purge)),
  refreshUsage: (label) => call<void>(() => App.RefreshUsage(label)),
  cancelPendingSwap: () => call<void>(() => App.CancelPendingSwap()),
};

export type Api = typeof api;
