// The only door from the UI to Go: the typed calls generated from the Go side
// (contract.gen.ts). Wails rejects a bound method's promise with a plain
// string; every call here turns that into an ApiError so callers can rely on
// `err instanceof Error` and `err.message`.
import { App } from './contract.gen';
import type { AccountsApi } from './stores/accounts.svelte';
import type { TokensReport, WindowMode } from './contract.gen';

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

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toError(e);
  }
}

export const api = {
  getState: () => call(() => App.GetState()),
  listSettings: () => call(() => App.ListSettings()),
  setSetting: (key: string, value: string) => call(() => App.SetSetting(key, value)),
  setMode: (mode: WindowMode) => call(() => App.SetMode(mode)),
  hide: () => call(() => App.Hide()),
  fitHeight: (px: number) => call(() => App.FitHeight(px)),
  quit: () => call(() => App.Quit()),
  switchLog: (limit = 200) => call(() => App.SwitchLog(limit)),
  usageHistory: (label: string, hours: number) => call(() => App.UsageHistory(label, hours)),
  updateStatus: () => call(() => App.UpdateStatus()),
  checkForUpdate: () => call(() => App.CheckForUpdate()),
  tokensReport: (since: string, until: string, by: TokensReport['by']) =>
    call(() => App.TokensReport(since, until, by)),
  tokensSummary: () => call(() => App.TokensSummary()),
  tokensProgress: () => call(() => App.TokensProgress()),
  exportBackup: (passphrase: string) => call(() => App.ExportBackup(passphrase)),
  importBackup: (passphrase: string) => call(() => App.ImportBackup(passphrase)),
  statusLineState: () => call(() => App.StatusLineState()),
  setStatusLine: (on: boolean, force: boolean) => call(() => App.SetStatusLine(on, force)),
};

export const accountsApi: AccountsApi = {
  getStatus: () => call(() => App.GetStatus()),
  switchAccount: (label) => call(() => App.SwitchAccount(label)),
  adoptCurrent: (label) => call(() => App.AdoptCurrent(label)),
  startCapture: (label, timeoutSec) => call(() => App.StartCapture(label, timeoutSec)),
  startRelogin: (label, timeoutSec) => call(() => App.StartRelogin(label, timeoutSec)),
  cancelCapture: () => call(() => App.CancelCapture()),
  renameAccount: (o, n) => call(() => App.RenameAccount(o, n)),
  removeAccount: (label, purge) => call(() => App.RemoveAccount(label, purge)),
  refreshUsage: (label) => call(() => App.RefreshUsage(label)),
  cancelPendingSwap: () => call(() => App.CancelPendingSwap()),
};

export type Api = typeof api;
