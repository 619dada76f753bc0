// Test doubles for the Go side: an Api whose methods are vi.fn()s and an
// event bus the test can emit on, matching the real wrapper's shapes.
import { vi } from 'vitest';
import type { Api } from '../lib/api';
import type { EventName } from '../lib/events';
import type { Account, AddProgress, AppState, AuditEntry, HistoryPoint, SettingField, Status, SwitchProgress } from '../lib/types';
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
      field({ key: 'notify.crit_pct', value: 95, default: 95, min: 1, max: 100 }),
    ],
    accounts: [],
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
    quit: vi.fn(async () => undefined),
    switchLog: vi.fn(async (_limit?: number): Promise<AuditEntry[]> => []),
    usageHistory: vi.fn(async (_label: string, _hours: number): Promise<HistoryPoint[]> => []),
  } satisfies Api;
}

export function account(label: string, over: Partial<Account> = {}): Account {
  return {
    id: label.length * 7 + label.charCodeAt(0),
    label,
    email: `${label}@example.com`,
    organization: `${label}'s org`,
    subscription: 'max',
    active: false,
    needs_relogin: false,
    usage: {
      five_hour: { utilization: 42, resets_at: '2026-11-28T12:00:00Z' },
      seven_day: { utilization: 20, resets_at: null },
      fetched_at: '2026-11-28T10:00:00Z',
    },
    ...over,
  };
}

export function makeStatus(accounts: Account[] = [account('alice', { active: true }), account('bob')], over: Partial<Status> = {}): Status {
  return { accounts, pending_swap: null, next_poll_at: null, last_error: null, poller: 'widget', heartbeat: null, ...over };
}

export function fakeAccounts(status: Status | null = makeStatus()) {
  const api = {
    getStatus: vi.fn(async () => {
      if (!status) throw new Error('no status');
      return structuredClone(status);
    }),
    switchAccount: vi.fn(async () => {}),
    adoptCurrent: vi.fn(async (l: string) => account(l)),
    startCapture: vi.fn(async () => {}),
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
