import { describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/svelte';
import AccountRow from './AccountRow.svelte';
import type { Account } from '../contract.gen';
import { account as fakeAccount, usage } from '../../test/fakes';

const now = Date.parse('2026-11-28T10:00:00Z');

function account(over: Partial<Account> = {}): Account {
  return fakeAccount('bob', {
    id: 1,
    email: 'bob@example.com',
    organization: 'Bob Org',
    usage: usage({
      five_hour: { utilization: 83.4, resets_at: '2026-11-28T11:12:00Z' },
      seven_day: { utilization: 40, resets_at: null },
      fetched_at: '2026-11-28T09:59:00Z',
    }),
    ...over,
  });
}

describe('AccountRow', () => {
  it('shows both windows, percentages, countdown and the email on hover', () => {
    render(AccountRow, { account: account(), now, onswitch: () => {} });
    const bars = screen.getAllByRole('meter');
    expect(bars).toHaveLength(2);
    expect(bars[0]).toHaveAttribute('aria-valuenow', '83.4');
    expect(bars[0].className).toContain('warn');
    expect(bars[1].className).toContain('ok');
    expect(screen.getByText('83 %')).toBeInTheDocument();
    expect(screen.getByTitle('resets in 1 h 12 m')).toHaveTextContent('1 h 12 m');
    expect(screen.getByRole('button', { name: 'bob, switch to this account' })).toHaveAttribute('title', 'bob@example.com');
  });

  it('switches on click and on Enter, but not when active', async () => {
    const onswitch = vi.fn();
    const { rerender } = render(AccountRow, { account: account(), now, onswitch });
    const row = screen.getByRole('button', { name: /switch to this account/ });
    await fireEvent.click(row);
    await fireEvent.keyDown(row, { key: 'Enter' });
    expect(onswitch).toHaveBeenCalledTimes(2);
    expect(onswitch).toHaveBeenCalledWith('bob');
    await rerender({ account: account({ active: true }), now, onswitch });
    await fireEvent.click(screen.getByRole('group', { name: 'bob (active)' }));
    expect(onswitch).toHaveBeenCalledTimes(2);
  });

  it('shows switching progress and ignores clicks meanwhile', async () => {
    const onswitch = vi.fn();
    render(AccountRow, { account: account(), now, onswitch, switching: true });
    expect(screen.getByText('switching…')).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('group'));
    expect(onswitch).not.toHaveBeenCalled();
  });

  it('offers re-login when the login is dead, without switching', async () => {
    const onswitch = vi.fn();
    const onrelogin = vi.fn();
    render(AccountRow, {
      account: account({ needs_relogin: true, relogin_reason: 'refresh token revoked', usage: null }),
      now,
      onswitch,
      onrelogin,
    });
    const btn = screen.getByRole('button', { name: 're-login' });
    expect(btn).toHaveAttribute('title', 'refresh token revoked');
    await fireEvent.click(btn);
    expect(onrelogin).toHaveBeenCalledWith('bob');
    expect(onswitch).not.toHaveBeenCalled();
  });

  it('shows a cooldown after a 429 and stale data', () => {
    const { unmount } = render(AccountRow, { account: account({ cooldown_until: '2026-11-28T10:02:00Z' }), now });
    expect(screen.getByText('paused 2 m')).toBeInTheDocument();
    unmount();
    render(AccountRow, { account: account({ stale: true, usage: { ...account().usage!, fetched_at: '2026-11-28T09:40:00Z' } }), now });
    expect(screen.getByText('20 m old')).toBeInTheDocument();
  });

  it('shows the predicted exhaustion with a rising arrow', () => {
    render(AccountRow, {
      account: account({ usage: { ...account().usage!, predicted_exhausted_at: '2026-11-28T10:40:00Z', burn_rate_5h: 12 } }),
      now,
    });
    expect(screen.getByTitle(/At the current pace this window fills at/)).toHaveTextContent('↗');
  });

  it('shows placeholders, not blanks, before the first check', () => {
    render(AccountRow, { account: account({ usage: null }), now });
    expect(screen.getByLabelText('No usage yet')).toBeInTheDocument();
  });
});
