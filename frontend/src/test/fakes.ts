// Test doubles for the Go side: an Api whose methods are vi.fn()s and an
// event bus the test can emit on, matching the real wrapper's shapes.
import { vi } from 'vitest';
import type { Api } from '../lib/api';
import type { EventName } from '../lib/events';
import type {
  Account,
  AddProgress,
  AppState,
  AuditEntry,
  BackupResult,
  StatusLineState,
  HistoryPoint,
  SavedAccount,
  SettingField,
  Status,
  SwitchProgress,
  TokenTotals,
  TokensReport,
  TokensScan,
  TokensSummary,
  UpdateInfo,
  Usage,
} from '../lib/contract.gen';

export function tokenTotals(n: number, cost: number | null = n / 1000): TokenTotals {
  return { input_tokens: n, output_tokens: n / 2, cache_creation_input_tokens: n * 2, cache_read_input_tokens: n * 10, cost_usd: cost, messages: n / 10 };
}
import { AccountsStore, type AccountsApi, type AccountsEvents } from '../lib/stores/accounts.svelte';

export function field(over: Partial<SettingField> & { key: string }): SettingField {
  return { type: 'int', value: 80, default: 80, source: 'default', env: 'AIMONITOR_X', help: 'help text', ...over };
}

export function makeState(over: Partial<AppState> = {}): AppState {
  return {
    version: 'v1.2.3',
    mode: 'mini',
    demo: false,
    paths: { ConfigFile: '/c/config.yaml', DataDir: '/d', DBFile: '/d/aimonitor.db', LogDir: '/l', LogFile: '/l/a.log' },
    settings: [
      field({ key: 'auto_swap.enabled', type: 'bool', value: true, default: true }),
      field({ key: 'auto_swap.threshold_pct', min: 1, max: 100 }),
      field({ key: 'widget.theme', type: 'string', value: 'system', default: 'system', choices: ['system', 'light', 'dark'] }),
      field({ key: 'notify.warn_pct', min: 1, max: 100 }),
      field({ key: 'auto_update.enabled', type: 'bool', value: true, default: true }),
      field({ key: 'notify.crit_pct', value: 95, default: 95, min: 1, max: 100 }),
    ],
    accounts: [],
    translucent: true,
    ...over,
  };
}

export function fakeApi(state: AppState = makeState()) {
  return {
    getState: vi.fn(async () => structuredClone(state)),
    listSettings: vi.fn(async () => state.settings),
    setSetting: vi.fn(async (key: string, value: string) =>
      state.settings.map((f) => (f.key === key ? { ...f, value: f.type === 'int' ? Number(value) : value === 'true' ? true : value === 'false' ? false : value, source: 'file' as const } : f)),
    ),
    setMode: vi.fn(async (m: 'mini' | 'panel') => m),
    hide: vi.fn(async () => undefined),
    fitHeight: vi.fn(async (_px: number) => undefined),
    quit: vi.fn(async () => undefined),
    switchLog: vi.fn(async (_limit?: number): Promise<AuditEntry[]> => []),
    usageHistory: vi.fn(async (_label: string, _hours: number): Promise<HistoryPoint[]> => []),
    updateStatus: vi.fn(async (): Promise<UpdateInfo> => ({ current: 'v1.2.3', latest: '', update_available: false, not_modified: false, enabled: true })),
    checkForUpdate: vi.fn(
      async (): Promise<UpdateInfo> => ({
        current: 'v1.2.3',
        latest: 'v1.3.0',
        update_available: true,
        url: 'https://github.com/aimonitor/aimonitor/releases/tag/v1.3.0',
        not_modified: false,
        enabled: true,
      }),
    ),
    tokensReport: vi.fn(async (_s: string, _u: string, by: TokensReport['by']): Promise<TokensReport> => ({
      by,
      time_zone: 'UTC',
      totals: tokenTotals(1000),
      rows: [],
      pricing_date: '2026-11-28',
    })),
    exportBackup: vi.fn(async (_p: string): Promise<BackupResult> => ({ path: '/tmp/backup.json' })),
    importBackup: vi.fn(async (_p: string): Promise<BackupResult> => ({ path: '/tmp/backup.json' })),
    statusLineState: vi.fn(async (): Promise<StatusLineState> => ({ settings: '/h/.claude/settings.json', installed: false, command: '', foreign: false })),
    setStatusLine: vi.fn(
      async (on: boolean, _force: boolean): Promise<StatusLineState> => ({
        settings: '/h/.claude/settings.json',
        installed: on,
        command: on ? '/usr/bin/aimonitor statusline' : '',
        foreign: false,
      }),
    ),
    tokensSummary: vi.fn(async (): Promise<TokensSummary> => ({
      today: tokenTotals(100),
      block: { active: true, start: '2026-11-28T10:00:00Z', end: '2026-11-28T15:00:00Z', totals: tokenTotals(50) },
      week: tokenTotals(1000),
      week_start: '2026-11-23T00:00:00Z',
    })),
    tokensProgress: vi.fn(async (): Promise<TokensScan> => ({ running: false, files_done: 0, files_total: 0, bytes_done: 0, bytes_total: 0 })),
  } satisfies Api;
}

/** A saved account as the Go side sends it (accounts.Account). */
export function savedAccount(label: string, over: Partial<SavedAccount> = {}): SavedAccount {
  return {
    id: label.length * 7 + label.charCodeAt(0),
    label,
    account_uuid: `uuid-${label}`,
    email: `${label}@example.com`,
    display_name: label,
    organization_uuid: `org-${label}`,
    organization: `${label}'s org`,
    organization_type: 'claude_max',
    subscription: 'max',
    rate_limit_tier: '',
    keyring_ref: `aimonitor-uuid-${label}`,
    created_at: '2026-11-01T10:00:00Z',
    needs_relogin: false,
    ...over,
  };
}

/** Usage as the status document carries it; windows not given are null. */
export function usage(over: Partial<Usage> = {}): Usage {
  return {
    five_hour: null,
    seven_day: null,
    seven_day_opus: null,
    seven_day_sonnet: null,
    extra_usage: null,
    fetched_at: '2026-11-28T10:00:00Z',
    predicted_exhausted_at: null,
    ...over,
  };
}

/** One row of the status document (view.Account). */
export function account(label: string, over: Partial<Account> = {}): Account {
  return {
    ...savedAccount(label),
    active: false,
    stale: false,
    usage: usage({
      five_hour: { utilization: 42, resets_at: '2026-11-28T12:00:00Z' },
      seven_day: { utilization: 20, resets_at: null },
    }),
    ...over,
  };
}

export function makeStatus(accounts: Account[] = [account('alice', { active: true }), account('bob')], over: Partial<Status> = {}): Status {
  return { accounts, unsaved_login: null, pending_swap: null, next_poll_at: null, last_error: '', poller: 'widget', heartbeat: null, ...over };
}

export function fakeAccounts(status: Status | null = makeStatus()) {
  const api = {
    getStatus: vi.fn(async () => {
      if (!status) throw new Error('no status');
      return structuredClone(status);
    }),
    switchAccount: vi.fn(async () => {}),
    adoptCurrent: vi.fn(async (l: string) => savedAccount(l)),
    startCapture: vi.fn(async () => {}),
    startRelogin: vi.fn(async () => {}),
    cancelCapture: vi.fn(async () => {}),
    renameAccount: vi.fn(async () => {}),
    removeAccount: vi.fn(async () => {}),
    refreshUsage: vi.fn(async () => {}),
    cancelPendingSwap: vi.fn(async () => {}),
  } satisfies AccountsApi;
  const handlers: { status?: (s: Status) => void; sw?: (p: SwitchProgress) => void; add?: (p: AddProgress) => void } = {};
  const events: AccountsEvents = {
    onStatus: (f) => ((handlers.status = f), () => {}),
    onSwitchProgress: (f) => ((handlers.sw = f), () => {}),
    onAddProgress: (f) => ((handlers.add = f), () => {}),
  };
  return { api, handlers, store: new AccountsStore(api, events) };
}

export function fakeBus() {
  const handlers = new Map<string, Set<(p: unknown) => void>>();
  const subscribe = <T,>(name: EventName, h: (p: T) => void) => {
    const set = handlers.get(name) ?? new Set();
    set.add(h as (p: unknown) => void);
    handlers.set(name, set);
    return () => set.delete(h as (p: unknown) => void);
  };
  const emit = (name: EventName, payload: unknown) => handlers.get(name)?.forEach((h) => h(payload));
  const count = () => [...handlers.values()].reduce((n, s) => n + s.size, 0);
  return { subscribe, emit, count };
}
