import { describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import Widget from './Widget.svelte';
import Panel from './Panel.svelte';
import AddAccount from './AddAccount.svelte';
import { AppStore } from '../stores/app.svelte';
import { Now } from '../stores/now.svelte';
import { account, fakeAccounts, fakeApi, fakeBus, field, makeState, makeStatus, tokenTotals, usage } from '../../test/fakes';
import { TokenScanStore } from '../stores/tokenscan.svelte';
import type { TokensScan } from '../contract.gen';

function appStore(api = fakeApi()) {
  return new AppStore(api, fakeBus().subscribe);
}

const now = () => new Now(60_000, undefined);

async function widget(opts: { status?: ReturnType<typeof makeStatus> | null; loadApp?: boolean; onadd?: (m: string, label?: string) => void } = {}) {
  const store = appStore();
  const acc = fakeAccounts(opts.status === undefined ? makeStatus() : opts.status);
  if (opts.loadApp !== false) {
    await store.load();
    await acc.store.load();
  }
  render(Widget, { store, accounts: acc.store, now: now(), onadd: opts.onadd });
  return { store, acc };
}

describe('Widget', () => {
  it('shows skeletons while loading, never a blank', async () => {
    await widget({ loadApp: false });
    expect(screen.getByText('Loading…')).toBeInTheDocument();
  });

  it('offers adopt and add when there are no accounts', async () => {
    const onadd = vi.fn();
    await widget({ status: makeStatus([]), onadd });
    expect(screen.getByText('No accounts yet')).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Adopt my current Claude Code login' }));
    expect(onadd).toHaveBeenCalledWith('adopt');
    await fireEvent.click(screen.getByRole('button', { name: 'Add another account…' }));
    expect(onadd).toHaveBeenCalledWith('capture');
  });

  it('lists accounts with the active one in the header and switches on click with undo', async () => {
    const { acc } = await widget();
    expect(screen.getByRole('banner')).toHaveTextContent('alice');
    expect(screen.getByText('Auto-swap at 80 %')).toBeInTheDocument();
    const rows = within(screen.getByRole('list', { name: 'Accounts' })).getAllByRole('listitem');
    expect(rows).toHaveLength(2);
    await fireEvent.click(screen.getByRole('button', { name: 'bob, switch to this account' }));
    await tick();
    expect(acc.api.switchAccount).toHaveBeenCalledWith('bob');
    const undo = await screen.findByRole('button', { name: 'Undo' });
    await fireEvent.click(undo);
    expect(acc.api.switchAccount).toHaveBeenLastCalledWith('alice');
  });

  it('offers to save a login Claude Code uses that aimonitor does not know', async () => {
    const onadd = vi.fn();
    await widget({ status: makeStatus(undefined, { unsaved_login: { email: 'new@example.com', organization: 'New' } }), onadd });
    expect(screen.getByRole('status')).toHaveTextContent('Claude Code uses new@example.com, not saved yet.');
    await fireEvent.click(screen.getByRole('button', { name: 'Save it' }));
    expect(onadd).toHaveBeenCalledWith('adopt');
  });

  it('shows a pending swap with a countdown and a cancel', async () => {
    const fires = new Date(Date.now() + 42_000).toISOString();
    const { acc } = await widget({ status: makeStatus(undefined, { pending_swap: { from: 'alice', to: 'bob', fires_at: fires, reason: '5h at 81 %' } }) });
    expect(screen.getByText(/Swap to/)).toHaveTextContent(/Swap to bob in 4\d s/);
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(acc.api.cancelPendingSwap).toHaveBeenCalled();
  });

  it('shows re-login and cooldown badges', async () => {
    const later = new Date(Date.now() + 120_000).toISOString();
    await widget({
      status: makeStatus([
        account('alice', { active: true, cooldown_until: later }),
        account('bob', { needs_relogin: true, usage: null }),
      ]),
    });
    expect(screen.getByRole('button', { name: 're-login' })).toBeInTheDocument();
    expect(screen.getByText(/paused 2 m|paused 1\d\d s/)).toBeInTheDocument();
  });

  it("re-login renews that account's login, not a new account", async () => {
    const onadd = vi.fn();
    await widget({ status: makeStatus([account('alice', { active: true }), account('bob', { needs_relogin: true, usage: null })]), onadd });
    await fireEvent.click(screen.getByRole('button', { name: 're-login' }));
    expect(onadd).toHaveBeenCalledWith('relogin', 'bob');
  });

  it('shows what went wrong in an error strip', async () => {
    const { acc } = await widget();
    acc.api.refreshUsage.mockRejectedValueOnce(new Error('the usage endpoint asked us to wait 2 minutes'));
    await fireEvent.click(screen.getByRole('button', { name: 'Check usage now' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('asked us to wait');
    await fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('has a drag region and labelled buttons', async () => {
    await widget();
    expect(screen.getByRole('banner').getAttribute('style')).toContain('--wails-draggable: drag');
    for (const name of ['Check usage now', 'Open the full panel', 'Minimise']) {
      expect(screen.getByRole('button', { name })).toBeInTheDocument();
    }
  });
});

describe('Panel', () => {
  async function panel(view?: string, api = fakeApi(), status = makeStatus()) {
    const store = appStore(api);
    await store.load();
    const acc = fakeAccounts(status);
    await acc.store.load();
    render(Panel, {
      store,
      accounts: acc.store,
      now: now(),
      loadHistory: api.usageHistory,
      loadLog: () => api.switchLog(200),
      loadTokens: api.tokensReport,
      loadTokensSummary: api.tokensSummary,
      statusLineState: api.statusLineState,
      setStatusLine: api.setStatusLine,
      onadd: vi.fn(),
    });
    if (view) await fireEvent.click(screen.getByRole('button', { name: view }));
    return { store, acc, api };
  }

  it('saves a valid number and shows a rejection at the field', async () => {
    const api = fakeApi();
    await panel('Settings', api);
    const input = screen.getByLabelText('5-hour threshold (%)') as HTMLInputElement;
    api.setSetting.mockRejectedValueOnce(new Error('auto_swap.threshold_pct: 150 is out of range; use a whole number from 1 to 100'));
    await fireEvent.input(input, { target: { value: '150' } });
    await fireEvent.change(input);
    await tick();
    await tick();
    expect(api.setSetting).toHaveBeenCalledWith('auto_swap.threshold_pct', '150');
    expect(await screen.findByRole('alert')).toHaveTextContent('150 is out of range; use a whole number from 1 to 100');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    await fireEvent.input(input, { target: { value: '70' } });
    await fireEvent.change(input);
    await tick();
    await tick();
    expect(api.setSetting).toHaveBeenLastCalledWith('auto_swap.threshold_pct', '70');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('toggles a switch and picks a choice', async () => {
    const api = fakeApi();
    await panel('Settings', api);
    await fireEvent.click(screen.getByRole('switch', { name: 'Swap automatically' }));
    expect(api.setSetting).toHaveBeenCalledWith('auto_swap.enabled', 'false');
    await fireEvent.change(screen.getByLabelText('Theme'), { target: { value: 'dark' } });
    expect(api.setSetting).toHaveBeenCalledWith('widget.theme', 'dark');
  });

  it("edits the status line's format as text, hides its bookkeeping and has the install switch", async () => {
    const state = makeState();
    state.settings.push(
      field({ key: 'statusline.format', type: 'string', value: '{account} · {5h}', default: '{account} · {5h}' }),
      field({ key: 'statusline.color', type: 'bool', value: true, default: true }),
      field({ key: 'statusline.replaced', type: 'string', value: '', default: '' }),
    );
    const api = fakeApi(state);
    await panel('Settings', api);
    expect(screen.getByRole('heading', { name: "Claude Code's status line" })).toBeInTheDocument();
    expect(screen.queryByLabelText('statusline.replaced')).toBeNull();
    const format = screen.getByLabelText('Format') as HTMLInputElement;
    expect(format.type).toBe('text');
    await fireEvent.input(format, { target: { value: '{account} {7d}' } });
    await fireEvent.change(format);
    expect(api.setSetting).toHaveBeenLastCalledWith('statusline.format', '{account} {7d}');
    const sw = await screen.findByRole('switch', { name: "Show usage in Claude Code's status line" });
    await vi.waitFor(() => expect(sw).not.toBeDisabled());
    await fireEvent.click(sw);
    expect(api.setStatusLine).toHaveBeenLastCalledWith(true, false);
  });

  it('shows the active account in detail with its windows and actions', async () => {
    const { acc } = await panel();
    expect(screen.getByRole('heading', { name: /alice/ })).toBeInTheDocument();
    expect(screen.getAllByRole('meter').length).toBeGreaterThanOrEqual(2);
    await fireEvent.click(screen.getByRole('button', { name: /^bob / }));
    await fireEvent.click(screen.getByRole('button', { name: 'Switch' }));
    expect(acc.api.switchAccount).toHaveBeenCalledWith('bob');
  });

  it('spells out the per-model windows', async () => {
    const u = usage({
      five_hour: { utilization: 42, resets_at: null },
      seven_day: { utilization: 20, resets_at: null },
      seven_day_opus: { utilization: 15, resets_at: null },
      seven_day_sonnet: { utilization: 9, resets_at: null },
    });
    await panel(undefined, fakeApi(), makeStatus([account('alice', { active: true, usage: u })]));
    expect(screen.getByRole('meter', { name: 'Opus usage' })).toBeInTheDocument();
    expect(screen.getByRole('meter', { name: 'Sonnet usage' })).toBeInTheDocument();
    expect(screen.queryByRole('meter', { name: 'Op usage' })).toBeNull();
  });

  it('spells out what removing does and can purge the saved login', async () => {
    const { acc } = await panel();
    await fireEvent.click(screen.getByRole('button', { name: 'Remove' }));
    const purge = screen.getByLabelText(/Also delete the saved login from the keyring/);
    await fireEvent.click(purge);
    await fireEvent.click(screen.getByRole('button', { name: 'Remove and delete login' }));
    expect(acc.api.removeAccount).toHaveBeenCalledWith('alice', true);
  });

  it('lists the switch audit, filterable', async () => {
    const api = fakeApi();
    api.switchLog.mockResolvedValue([
      { id: 2, at: '2026-11-28T10:00:00Z', from: 'alice', to: 'bob', trigger: 'auto', reason: '5h at 81 %', ok: true },
      { id: 1, at: '2026-11-28T09:00:00Z', from: 'bob', to: 'alice', trigger: 'manual', reason: 'chosen in the widget', ok: true },
    ]);
    await panel('Activity', api);
    expect(await screen.findByText('5h at 81 %')).toBeInTheDocument();
    // Times and triggers stay on one line at the panel's default size.
    for (const row of screen.getAllByRole('row').slice(1)) {
      const cells = within(row).getAllByRole('cell');
      expect(cells[0]).toHaveClass('nowrap');
      expect(cells[2]).toHaveClass('nowrap');
    }
    await fireEvent.change(screen.getByLabelText('Who'), { target: { value: 'manual' } });
    expect(screen.queryByText('5h at 81 %')).toBeNull();
    expect(screen.getByText('chosen in the widget')).toBeInTheDocument();
  });

  it('checks for a release on demand and links to it, never installing', async () => {
    const api = fakeApi();
    await panel('Settings', api);
    expect(screen.getByText('Not checked yet.')).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Check now' }));
    expect(api.checkForUpdate).toHaveBeenCalled();
    expect(await screen.findByText('aimonitor v1.3.0 is available')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Open the release page' })).toBeInTheDocument();
    expect(screen.getByText(/never downloads or installs/)).toBeInTheDocument();
  });

  it('shows token totals, a daily chart by model and tables', async () => {
    const api = fakeApi();
    const today = new Date();
    const iso = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
    api.tokensReport.mockImplementation(async (_s, _u, by) => ({
      by,
      time_zone: 'UTC',
      totals: tokenTotals(1000),
      pricing_date: '2026-11-28',
      rows:
        by === 'day'
          ? [{ date: iso, ...tokenTotals(1000), models: [{ model: 'claude-opus-4', ...tokenTotals(600) }, { model: 'claude-sonnet-4', ...tokenTotals(400) }] }]
          : by === 'project'
            ? [{ project: '/home/me/app', ...tokenTotals(900) }]
            : [{ account: 'alice', ...tokenTotals(800, null) }],
    }));
    await panel('Tokens', api);
    expect(await screen.findByRole('img', { name: /Tokens per day by model/ })).toBeInTheDocument();
    expect(screen.getByText('claude-opus-4')).toBeInTheDocument();
    expect(screen.getByText('/home/me/app')).toBeInTheDocument();
    expect(screen.getByText('unpriced')).toBeInTheDocument();
    expect(screen.getByText('Today')).toBeInTheDocument();
  });

  it('shows a first scan of a long history as it goes, and switching accounts works meanwhile', async () => {
    const api = fakeApi();
    const gb = 2 ** 30;
    api.tokensProgress.mockResolvedValue({ running: true, files_done: 120, files_total: 600, bytes_done: 0.3 * gb, bytes_total: gb });
    let emit: (p: TokensScan) => void = () => {};
    const scan = new TokenScanStore(api, { onProgress: (h) => ((emit = h), () => {}) });
    await scan.load();
    const store = appStore(api);
    await store.load();
    const acc = fakeAccounts();
    await acc.store.load();
    render(Panel, {
      store,
      accounts: acc.store,
      now: now(),
      loadHistory: api.usageHistory,
      loadLog: () => api.switchLog(200),
      loadTokens: api.tokensReport,
      loadTokensSummary: api.tokensSummary,
      tokenScan: scan,
      onadd: vi.fn(),
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Tokens' }));
    expect(screen.getByRole('status')).toHaveTextContent('120 of 600 files, 307 MB of 1.0 GB');
    expect(screen.getByRole('progressbar', { name: 'Claude Code history read' })).toHaveAttribute('value', String(0.3 * gb));
    // The scan goes on while the user switches accounts.
    await fireEvent.click(screen.getByRole('button', { name: 'Accounts' }));
    await fireEvent.click(screen.getByRole('button', { name: /^bob / }));
    await fireEvent.click(screen.getByRole('button', { name: 'Switch' }));
    expect(acc.api.switchAccount).toHaveBeenCalledWith('bob');
    emit({ running: true, files_done: 450, files_total: 600, bytes_done: 0.8 * gb, bytes_total: gb });
    await fireEvent.click(screen.getByRole('button', { name: 'Tokens' }));
    expect(screen.getByRole('status')).toHaveTextContent('450 of 600 files, 819 MB of 1.0 GB');
    emit({ running: false, files_done: 600, files_total: 600, bytes_done: gb, bytes_total: gb });
    await tick();
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('marks the current section for screen readers', async () => {
    await panel('Settings');
    expect(screen.getByRole('button', { name: 'Settings' })).toHaveAttribute('aria-current', 'page');
  });
});

describe('AddAccount', () => {
  it('renews the login of the account it was opened for', async () => {
    const acc = fakeAccounts(makeStatus([account('alice', { active: true }), account('bob', { needs_relogin: true, email: 'bob@example.com' })]));
    await acc.store.load();
    render(AddAccount, { accounts: acc.store, mode: 'relogin', relogin: 'bob' });
    expect(screen.queryByRole('textbox')).toBeNull(); // no label to type: the account is known
    expect(screen.getByText(/bob@example.com/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    expect(acc.api.startRelogin).toHaveBeenCalledWith('bob', 300);
    expect(acc.api.startCapture).not.toHaveBeenCalled();
    acc.handlers.add?.({ label: 'bob', state: 'done', message: 'renewed the login of "bob"', deadline: '' });
    await tick();
    expect(screen.getByRole('status')).toHaveTextContent('renewed the login of "bob"');
  });
});
