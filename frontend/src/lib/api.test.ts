import { describe, expect, it, vi } from 'vitest';

vi.mock('./contract.gen', () => ({
  App: {
    GetState: vi.fn(() => Promise.reject('auto_swap.threshold_pct: 150 is out of range')),
    SetSetting: vi.fn(() => Promise.reject(new Error('already an error'))),
    ListSettings: vi.fn(() => Promise.resolve([{ key: 'a' }])),
    SetMode: vi.fn(),
    Hide: vi.fn(),
    Quit: vi.fn(),
  },
}));

import { api, ApiError, toError } from './api';

describe('api wrapper', () => {
  it('turns Wails string rejections into Errors', async () => {
    const err = await api.getState().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('auto_swap.threshold_pct: 150 is out of range');
  });
  it('keeps Error rejections as they are', async () => {
    const err = await api.setSetting('k', 'v').catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('already an error');
  });
  it('passes results through', async () => {
    await expect(api.listSettings()).resolves.toEqual([{ key: 'a' }]);
  });
  it('describes odd rejections', () => {
    expect(toError({ code: 3 }).message).toBe('{"code":3}');
  });
});
