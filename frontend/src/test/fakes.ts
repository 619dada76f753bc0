// Test doubles for the Go side: an Api whose methods are vi.fn()s and an
// event bus the test can emit on, matching the real wrapper's shapes.
import { vi } from 'vitest';
import type { Api } from '../lib/api';
import type { EventName } from '../lib/events';
import type { AppState, SettingField } from '../lib/types';

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
  } satisfies Api;
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
