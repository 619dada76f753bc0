import { describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/svelte';
import StatusLineBox from './StatusLineBox.svelte';
import type { StatusLineState } from '../contract.gen';

const settings = '/home/me/.claude/settings.json';
const state = (over: Partial<StatusLineState> = {}): StatusLineState => ({ settings, installed: false, command: '', foreign: false, ...over });

describe('StatusLineBox', () => {
  it('turns the status line on and off', async () => {
    const load = vi.fn(async () => state());
    const set = vi.fn(async (on: boolean) => state({ installed: on, command: on ? '/usr/bin/aimonitor statusline' : '' }));
    render(StatusLineBox, { load, set });
    const sw = await screen.findByRole('switch', { name: "Show usage in Claude Code's status line" });
    await vi.waitFor(() => expect(sw).not.toBeDisabled());
    expect(sw).not.toBeChecked();
    expect(screen.getByText(/your other settings stay as they are/)).toBeInTheDocument();
    await fireEvent.click(sw);
    expect(set).toHaveBeenLastCalledWith(true, false);
    await vi.waitFor(() => expect(sw).toBeChecked());
    expect(screen.getByText('/usr/bin/aimonitor statusline')).toBeInTheDocument();
    await fireEvent.click(sw);
    expect(set).toHaveBeenLastCalledWith(false, false);
    await vi.waitFor(() => expect(sw).not.toBeChecked());
  });

  it('offers to replace another command, and says it will be put back', async () => {
    const load = vi.fn(async () => state({ foreign: true, command: 'npx ccusage statusline' }));
    const set = vi.fn(async () => state({ installed: true, command: '/usr/bin/aimonitor statusline', replaced: 'npx ccusage statusline' }));
    render(StatusLineBox, { load, set });
    expect(await screen.findByText('npx ccusage statusline')).toBeInTheDocument();
    expect(screen.getByRole('switch')).toBeDisabled();
    expect(screen.getByText(/puts it back when you turn this off/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Replace it' }));
    expect(set).toHaveBeenLastCalledWith(true, true);
    await vi.waitFor(() => expect(screen.getByRole('switch')).toBeChecked());
  });

  it('shows a refusal as an error and leaves the switch as it was', async () => {
    const load = vi.fn(async () => state());
    const set = vi.fn().mockRejectedValueOnce(new Error(`${settings} is not a valid JSON object; fix it first — nothing was changed`));
    render(StatusLineBox, { load, set });
    const sw = await screen.findByRole('switch');
    await vi.waitFor(() => expect(sw).not.toBeDisabled());
    await fireEvent.click(sw);
    expect(await screen.findByRole('alert')).toHaveTextContent('nothing was changed');
    expect(sw).not.toBeChecked();
  });
});
