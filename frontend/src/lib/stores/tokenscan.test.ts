import { describe, expect, it, vi } from 'vitest';
import { TokenScanStore } from './tokenscan.svelte';
import type { TokensScan } from '../contract.gen';

function scan(over: Partial<TokensScan> = {}): TokensScan {
  return { running: true, files_done: 10, files_total: 600, bytes_done: 20 << 20, bytes_total: 1 << 30, ...over };
}

function bus() {
  let handler: ((p: TokensScan) => void) | null = null;
  const off = vi.fn(() => (handler = null));
  return {
    events: { onProgress: (h: (p: TokensScan) => void) => ((handler = h), off) },
    emit: (p: TokensScan) => handler?.(p),
    off,
  };
}

describe('TokenScanStore', () => {
  it('picks up a scan already running, then follows its events to the end', async () => {
    const b = bus();
    const s = new TokenScanStore({ tokensProgress: vi.fn(async () => scan()) }, b.events);
    expect(s.running).toBe(false);
    await s.load();
    expect(s.running).toBe(true);
    expect(s.progress?.files_done).toBe(10);
    b.emit(scan({ files_done: 300, bytes_done: 512 << 20 }));
    expect(s.progress?.bytes_done).toBe(512 << 20);
    b.emit(scan({ running: false, files_done: 600, bytes_done: 1 << 30 }));
    expect(s.running).toBe(false);
    s.destroy();
    expect(b.off).toHaveBeenCalled();
  });

  it('keeps an event that arrived while the first call was out', async () => {
    const b = bus();
    let answer: (p: TokensScan) => void = () => {};
    const s = new TokenScanStore({ tokensProgress: () => new Promise<TokensScan>((r) => (answer = r)) }, b.events);
    const loading = s.load();
    b.emit(scan({ files_done: 50 }));
    answer(scan({ files_done: 10 }));
    await loading;
    expect(s.progress?.files_done).toBe(50);
  });

  it('shrugs off a failed call', async () => {
    const s = new TokenScanStore({ tokensProgress: vi.fn(async () => Promise.reject(new Error('starting'))) }, bus().events);
    await s.load();
    expect(s.progress).toBeNull();
  });
});
