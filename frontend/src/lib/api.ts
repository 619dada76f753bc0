// The only door from the UI to Go. Wails rejects a bound method's promise with
// a plain string; every call here turns that into an ApiError so callers can
// rely on `err instanceof Error` and `err.message`.
import * as App from '../../wailsjs/go/main/App';
import type { AppState, SettingField, WindowMode } from './types';

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
  quit: () => call<void>(() => App.Quit()),
};

export type Api = typeof api;
