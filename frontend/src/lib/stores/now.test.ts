import { afterEach, describe, expect, it, vi } from 'vitest';
import { Now } from './now.svelte';

afterEach(() => vi.useRealTimers());

describe('Now', () => {
  it('ticks while visible and stops while hidden', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1000);
    let state: DocumentVisibilityState = 'visible';
    const doc = document;
    Object.defineProperty(doc, 'visibilityState', { configurable: true, get: () => state });
    const now = new Now(1000, doc);
    expect(now.running).toBe(true);
    vi.advanceTimersByTime(3000);
    expect(now.value).toBe(4000);
    state = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(now.running).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(now.value).toBe(4000);
    state = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(now.running).toBe(true);
    expect(now.value).toBe(14_000);
    now.destroy();
    expect(now.running).toBe(false);
  });
});
