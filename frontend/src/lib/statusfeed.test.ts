import { describe, expect, it } from 'vitest';
import { STATUS_PATH, StatusFeed, type Fetcher } from './statusfeed';
import type { Status } from './contract.gen';

// A fetcher whose answers the test releases one by one.
function controlled() {
  const pending: Array<(body: unknown) => void> = [];
  let n = 0;
  const paths: string[] = [];
  const fetcher: Fetcher = (path) => {
    paths.push(path);
    const i = ++n;
    return new Promise((resolve) =>
      pending.push((body) => resolve({ ok: true, status: 200, json: async () => ({ ...(body as object), read: i }) })),
    );
  };
  return { fetcher, pending, paths };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('StatusFeed', () => {
  it('reads the document on an event and delivers it', async () => {
    const { fetcher, pending, paths } = controlled();
    const got: Status[] = [];
    const feed = new StatusFeed((s) => got.push(s), () => {}, fetcher);
    feed.changed();
    expect(paths).toEqual([STATUS_PATH]);
    pending.shift()!({ accounts: [] });
    await tick();
    expect(got).toHaveLength(1);
  });

  it('turns a burst of events into one more read, in order', async () => {
    const { fetcher, pending, paths } = controlled();
    const got: Array<Status & { read?: number }> = [];
    const feed = new StatusFeed((s) => got.push(s), () => {}, fetcher);
    feed.changed();
    for (let i = 0; i < 50; i++) feed.changed(); // arrive while the first read is out
    expect(paths).toHaveLength(1);
    pending.shift()!({ accounts: [] });
    await tick();
    expect(paths).toHaveLength(2); // one catch-up read for the whole burst
    pending.shift()!({ accounts: [] });
    await tick();
    expect(got.map((s) => s.read)).toEqual([1, 2]);
    feed.changed(); // idle again: the next event reads at once
    expect(paths).toHaveLength(3);
  });

  it('reports a failed read and keeps working', async () => {
    const errors: string[] = [];
    const got: Status[] = [];
    let fail = true;
    const feed = new StatusFeed(
      (s) => got.push(s),
      (e) => errors.push(e.message),
      async () => (fail ? { ok: false, status: 503, json: async () => ({}) } : { ok: true, status: 200, json: async () => ({ accounts: [] }) }),
    );
    feed.changed();
    await tick();
    expect(errors).toEqual(['reading the status failed (HTTP 503)']);
    fail = false;
    feed.changed();
    await tick();
    expect(got).toHaveLength(1);
  });
});
