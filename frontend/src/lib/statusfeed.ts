// The backend's `status` event carries no payload: it says "the status
// changed", and the document is read from STATUS_PATH (app_statusfeed.go
// explains why). Reads are coalesced: while one is in flight, further events
// only mark it stale, and one more read follows, so a burst of events costs
// at most two reads and answers never arrive out of order.
import type { Status } from './contract.gen';

/** Mirrors StatusPath in app_statusfeed.go. */
export const STATUS_PATH = '/aimonitor/status.json';

export type Fetcher = (path: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export class StatusFeed {
  #fetch: Fetcher;
  #deliver: (s: Status) => void;
  #onError: (e: Error) => void;
  #busy = false;
  #stale = false;

  constructor(deliver: (s: Status) => void, onError: (e: Error) => void, fetcher: Fetcher = (p) => fetch(p, { cache: 'no-store' })) {
    this.#deliver = deliver;
    this.#onError = onError;
    this.#fetch = fetcher;
  }

  /** Called on every `status` event. */
  changed(): void {
    if (this.#busy) {
      this.#stale = true;
      return;
    }
    void this.#read();
  }

  async #read(): Promise<void> {
    this.#busy = true;
    do {
      this.#stale = false;
      try {
        const res = await this.#fetch(STATUS_PATH);
        if (!res.ok) throw new Error(`reading the status failed (HTTP ${res.status})`);
        this.#deliver((await res.json()) as Status);
      } catch (e) {
        this.#onError(e instanceof Error ? e : new Error(String(e)));
      }
    } while (this.#stale);
    this.#busy = false;
  }
}
