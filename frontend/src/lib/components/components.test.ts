import { describe, expect, it } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/svelte';
import { tick } from 'svelte';
import Widget from './Widget.svelte';
import Panel from './Panel.svelte';
import { AppStore } from '../stores/app.svelte';
import { fakeApi, fakeBus } from '../../test/fakes';

function store(api = fakeApi()) {
  return new AppStore(api, fakeBus().subscribe);
}

describe('Widget', () => {
  it('shows skeletons while loading, never a blank', () => {
    render(Widget, { store: store() });
    expect(screen.getByText('Loading…')).toBeInTheDocument();
  });

  it('offers to add an account when there are none', async () => {
    const api = fakeApi();
    const s = store(api);
    await s.load();
    render(Widget, { store: s });
    expect(screen.getByText('No accounts yet')).toBeInTheDocument();
    expect(screen.getByText('Auto-swap on at 80%')).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Add an account…' }));
    expect(api.setMode).toHaveBeenCalledWith('panel');
  });

  it('shows what went wrong in an error strip', async () => {
    const api = fakeApi();
    api.getState.mockRejectedValueOnce(new Error('config: config.yaml is not valid YAML'));
    const s = store(api);
    await s.load();
    render(Widget, { store: s });
    expect(screen.getByRole('alert')).toHaveTextContent('not valid YAML');
    await fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('has a drag region and labelled buttons', async () => {
    const s = store();
    await s.load();
    const { container } = render(Widget, { store: s });
    expect(container.querySelector('header')?.getAttribute('style')).toContain('--wails-draggable: drag');
    expect(screen.getByRole('button', { name: 'Open the full panel' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Hide' })).toBeInTheDocument();
  });
});

describe('Panel settings', () => {
  async function openSettings(api = fakeApi()) {
    const s = store(api);
    await s.load();
    render(Panel, { store: s });
    await fireEvent.click(screen.getByRole('button', { name: 'Settings' }));
    return s;
  }

  it('saves a valid number and shows a rejection at the field', async () => {
    const api = fakeApi();
    await openSettings(api);
    const input = screen.getByLabelText('5-hour threshold (%)') as HTMLInputElement;
    api.setSetting.mockRejectedValueOnce(new Error('auto_swap.threshold_pct: 150 is out of range; use a whole number from 1 to 100'));
    await fireEvent.input(input, { target: { value: '150' } });
    await fireEvent.change(input);
    await tick();
    await tick();
    expect(api.setSetting).toHaveBeenCalledWith('auto_swap.threshold_pct', '150');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('150 is out of range; use a whole number from 1 to 100');
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
    await openSettings(api);
    await fireEvent.click(screen.getByRole('switch', { name: 'Swap automatically' }));
    expect(api.setSetting).toHaveBeenCalledWith('auto_swap.enabled', 'false');
    await fireEvent.change(screen.getByLabelText('Theme'), { target: { value: 'dark' } });
    expect(api.setSetting).toHaveBeenCalledWith('widget.theme', 'dark');
  });

  it('marks the current section for screen readers', async () => {
    await openSettings();
    expect(screen.getByRole('button', { name: 'Settings' })).toHaveAttribute('aria-current', 'page');
  });
});
