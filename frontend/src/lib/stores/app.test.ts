import { describe, expect, it } from 'vitest';
import { flushSync } from 'svelte';
import { AppStore } from './app.svelte';
import { Events } from '../events';
import { fakeApi, fakeBus, makeState } from '../../test/fakes';

describe('AppStore', () => {
  it('loads state once and clears loading', async () => {
    const api = fakeApi();
    const bus = fakeBus();
    const s = new AppStore(api, bus.subscribe);
    expect(s.loading).toBe(true);
    await s.load();
    expect(s.loading).toBe(false);
    expect(s.state?.version).toBe('v1.2.3');
    expect(api.getState).toHaveBeenCalledTimes(1);
  });

  it('is opaque only where the screen is not composited', async () => {
    const see = new AppStore(fakeApi(), fakeBus().subscribe);
    expect(see.opaque).toBe(false); // nothing loaded yet: no flash of opaque
    await see.load();
    expect(see.opaque).toBe(false);
    const plain = new AppStore(fakeApi(makeState({ translucent: false })), fakeBus().subscribe);
    await plain.load();
    expect(plain.opaque).toBe(true);
  });

  it('shows a load failure as an error, not a blank', async () => {
    const api = fakeApi();
    api.getState.mockRejectedValueOnce(new Error('database is busy'));
    const s = new AppStore(api, fakeBus().subscribe);
    await s.load();
    expect(s.error).toBe('database is busy');
    expect(s.loading).toBe(false);
  });

  it('puts a rejected setting next to its field and clears it on success', async () => {
    const api = fakeApi();
    const s = new AppStore(api, fakeBus().subscribe);
    await s.load();
    api.setSetting.mockRejectedValueOnce(new Error('auto_swap.threshold_pct: 150 is out of range; use a whole number from 1 to 100'));
    expect(await s.setSetting('auto_swap.threshold_pct', '150')).toBe(false);
    expect(s.fieldErrors['auto_swap.threshold_pct']).toBe('150 is out of range; use a whole number from 1 to 100');
    expect(s.setting('auto_swap.threshold_pct')?.value).toBe(80);
    expect(await s.setSetting('auto_swap.threshold_pct', '70')).toBe(true);
    expect(s.fieldErrors['auto_swap.threshold_pct']).toBeUndefined();
    expect(s.setting('auto_swap.threshold_pct')?.value).toBe(70);
  });

  it('follows config changes made elsewhere (the CLI) through events', async () => {
    const bus = fakeBus();
    const s = new AppStore(fakeApi(), bus.subscribe);
    await s.load();
    const changed = makeState().settings.map((f) => (f.key === 'auto_swap.enabled' ? { ...f, value: false } : f));
    bus.emit(Events.ConfigChanged, changed);
    flushSync();
    expect(s.setting('auto_swap.enabled')?.value).toBe(false);
    bus.emit(Events.WindowMode, 'panel');
    expect(s.mode).toBe('panel');
  });

  it('unsubscribes every event on destroy', () => {
    const bus = fakeBus();
    const s = new AppStore(fakeApi(), bus.subscribe);
    expect(bus.count()).toBe(3);
    s.destroy();
    expect(bus.count()).toBe(0);
  });
});
