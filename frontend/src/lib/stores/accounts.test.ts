import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccountsStore, UNDO_MS, type AccountsApi } from './accounts.svelte';
import type { Account, AddProgress, Status, SwitchProgress } from '../contract.gen';
import { account, savedAccount, usage } from '../../test/fakes';

function acct(label: string, active = false): Account {
  return account(label, { id: label.length, email: `${label}@x.dev`, organization: '', active, usage: null });
}

function status(active = 'alice'): Status {
  return {
    accounts: [acct('alice', active === 'alice'), acct('bob', active === 'bob')],
    unsaved_login: null,
    pending_swap: null,
    next_poll_at: null,
    last_error: '',
    poller: 'widget',
    heartbeat: null,
  };
}

function setup() {
  const api = {
    getStatus: vi.fn(async () => status()),
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
  const h: { status?: (s: Status) => void; sw?: (p: SwitchProgress) => void; add?: (p: AddProgress) => void; offs: number } = { offs: 0 };
  const events = {
    onStatus: (f: (s: Status) => void) => ((h.status = f), () => h.offs++),
    onSwitchProgress: (f: (p: SwitchProgress) => void) => ((h.sw = f), () => h.offs++),
    onAddProgress: (f: (p: AddProgress) => void) => ((h.add = f), () => h.offs++),
  };
  return { api, h, store: new AccountsStore(api, events) };
}

afterEach(() => vi.useRealTimers());

describe('AccountsStore', () => {
  it('loads, then follows status events', async () => {
    const { store, h } = setup();
    await store.load();
    expect(store.active?.label).toBe('alice');
    h.status!(status('bob'));
    expect(store.active?.label).toBe('bob');
  });

  it('switches with progress and offers undo for a few seconds', async () => {
    vi.useFakeTimers();
    const { store, api, h } = setup();
    await store.load();
    let resolve!: () => void;
    api.switchAccount.mockImplementationOnce(() => new Promise<void>((r) => (resolve = r)));
    const p = store.switchTo('bob');
    expect(store.switching).toBe('bob');
    h.sw!({ label: 'bob', step: 'writing the credentials', done: false });
    expect(store.switchStep).toBe('writing the credentials');
    expect(await store.switchTo('alice')).toBe(false); // one at a time
    resolve();
    await p;
    expect(store.switching).toBeNull();
    expect(store.active?.label).toBe('bob');
    expect(store.undo).toEqual({ from: 'alice', to: 'bob' });
    await store.undoSwitch();
    expect(api.switchAccount).toHaveBeenLastCalledWith('alice');
    expect(store.undo).toBeNull();
    await store.switchTo('bob');
    vi.advanceTimersByTime(UNDO_MS + 1);
    expect(store.undo).toBeNull();
  });

  it('keeps the old active account and says why when a switch fails', async () => {
    const { store, api } = setup();
    await store.load();
    api.switchAccount.mockRejectedValueOnce(new Error('the keyring is locked; unlock it and try again'));
    expect(await store.switchTo('bob')).toBe(false);
    expect(store.active?.label).toBe('alice');
    expect(store.error).toBe('Could not switch to bob: the keyring is locked; unlock it and try again');
    expect(store.undo).toBeNull();
  });

  it('tracks a capture from waiting to saved, and failures', async () => {
    const { store, api, h } = setup();
    await store.startCapture('carol', 60);
    expect(api.startCapture).toHaveBeenCalledWith('carol', 60);
    expect(store.capture?.state).toBe('waiting');
    h.add!({ label: 'carol', state: 'found', message: 'New login: carol@x.dev', deadline: '2026-11-28T10:05:00Z' });
    h.add!({ label: 'carol', state: 'done', message: 'Saved', deadline: '2026-11-28T10:05:00Z' });
    expect(store.capture?.state).toBe('done');
    api.startCapture.mockRejectedValueOnce(new Error('an account labelled carol already exists'));
    await store.startCapture('carol');
    expect(store.capture).toMatchObject({ state: 'failed', message: 'an account labelled carol already exists' });
  });

  it('does not let a late progress event reopen a finished capture', async () => {
    const { store, h } = setup();
    await store.startRelogin('bob');
    const at = '2026-11-28T10:05:00Z';
    h.add!({ label: 'bob', state: 'done', message: 'renewed the login of "bob"', deadline: at });
    h.add!({ label: 'bob', state: 'restoring', message: 'putting the previous login back', deadline: at });
    expect(store.capture).toMatchObject({ state: 'done', message: 'renewed the login of "bob"' });
    await store.startRelogin('bob'); // a new attempt follows its own events again
    h.add!({ label: 'bob', state: 'checking', message: 'checking', deadline: at });
    expect(store.capture?.state).toBe('checking');
  });

  it('keeps unchanged accounts as they were so their rows do not re-render', async () => {
    const { store, h } = setup();
    await store.load();
    const alice = store.accounts[0];
    const next = status();
    next.accounts[1].usage = usage({ five_hour: { utilization: 50, resets_at: null } });
    h.status!(next);
    expect(store.accounts[0]).toBe(alice);
    expect(store.accounts[1].usage?.five_hour?.utilization).toBe(50);
  });

  it('unsubscribes everything on destroy', () => {
    const { store, h } = setup();
    store.destroy();
    expect(h.offs).toBe(3);
  });
});
