// AccountsStore: the accounts, their usage and everything done to them
// (switch with undo, add by adopting or capturing a login, rename, remove).
// It is fed by the backend's `status` event — pushed only on change — and
// by progress events of long actions; it never polls.
import type { Account, AddProgress, SavedAccount, Status, SwitchProgress } from '../contract.gen';

export interface AccountsApi {
  getStatus(): Promise<Status>;
  switchAccount(label: string): Promise<void>;
  adoptCurrent(label: string): Promise<SavedAccount>;
  startCapture(label: string, timeoutSec: number): Promise<void>;
  startRelogin(label: string, timeoutSec: number): Promise<void>;
  cancelCapture(): Promise<void>;
  renameAccount(oldLabel: string, newLabel: string): Promise<void>;
  removeAccount(label: string, purge: boolean): Promise<void>;
  refreshUsage(label: string): Promise<void>;
  cancelPendingSwap(): Promise<void>;
}

export interface AccountsEvents {
  onStatus(h: (s: Status) => void): () => void;
  onSwitchProgress(h: (p: SwitchProgress) => void): () => void;
  onAddProgress(h: (p: AddProgress) => void): () => void;
}

/** How long the undo offer stays after a switch. */
export const UNDO_MS = 6000;

export class AccountsStore {
  // Raw, not deeply reactive: a status is replaced whole on every event, and
  // rows compare account objects by identity (see reuseUnchanged). Deep
  // proxies would add a signal per field of every account for nothing.
  status = $state.raw<Status | null>(null);
  loading = $state(true);
  error = $state<string | null>(null);
  /** The label being switched to, while a switch runs. */
  switching = $state<string | null>(null);
  switchStep = $state('');
  /** After a successful manual switch: where we came from, for undo. */
  undo = $state<{ from: string; to: string } | null>(null);
  // The capture in progress: the last event, or what the store says before one arrives.
  capture = $state<Omit<AddProgress, 'deadline'> | null>(null);
  refreshing = $state(false);

  accounts = $derived<Account[]>(this.status?.accounts ?? []);
  active = $derived<Account | undefined>(this.accounts.find((a) => a.active));

  #api: AccountsApi;
  #off: Array<() => void> = [];
  #undoTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(api: AccountsApi, events: AccountsEvents) {
    this.#api = api;
    this.#off.push(
      events.onStatus((s) => {
        this.status = reuseUnchanged(this.status, s);
        this.loading = false;
      }),
      events.onSwitchProgress((p) => {
        if (p.label === this.switching) this.switchStep = p.step;
      }),
      events.onAddProgress((p) => {
        // Events can arrive out of order (wails dev sends each on its own
        // goroutine): a finished capture does not go back to an earlier step.
        const c = this.capture;
        if (c && c.label === p.label && isFinal(c.state) && !isFinal(p.state)) return;
        this.capture = p;
      }),
    );
  }

  async load(): Promise<void> {
    try {
      this.status = await this.#api.getStatus();
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  async switchTo(label: string, offerUndo = true): Promise<boolean> {
    if (this.switching) return false;
    const from = this.active?.label;
    this.switching = label;
    this.switchStep = 'starting';
    this.undo = null;
    try {
      await this.#api.switchAccount(label);
      this.error = null;
      this.#markActive(label);
      if (offerUndo && from && from !== label) {
        this.undo = { from, to: label };
        clearTimeout(this.#undoTimer);
        this.#undoTimer = setTimeout(() => (this.undo = null), UNDO_MS);
      }
      return true;
    } catch (e) {
      this.error = `Could not switch to ${label}: ${(e as Error).message}`;
      return false;
    } finally {
      this.switching = null;
      this.switchStep = '';
    }
  }

  async undoSwitch(): Promise<void> {
    const u = this.undo;
    if (!u) return;
    this.undo = null;
    clearTimeout(this.#undoTimer);
    await this.switchTo(u.from, false);
  }

  async adopt(label: string): Promise<boolean> {
    return this.#run(() => this.#api.adoptCurrent(label));
  }

  async startCapture(label: string, timeoutSec = 300): Promise<boolean> {
    this.capture = { label, state: 'waiting', message: 'Waiting for a new login in Claude Code…' };
    try {
      await this.#api.startCapture(label, timeoutSec);
      return true;
    } catch (e) {
      this.capture = { label, state: 'failed', message: (e as Error).message };
      return false;
    }
  }

  /** Renews the login of the saved account label (same progress as a capture). */
  async startRelogin(label: string, timeoutSec = 300): Promise<boolean> {
    this.capture = { label, state: 'waiting', message: `Waiting for a new login of ${label} in Claude Code…` };
    try {
      await this.#api.startRelogin(label, timeoutSec);
      return true;
    } catch (e) {
      this.capture = { label, state: 'failed', message: (e as Error).message };
      return false;
    }
  }

  async cancelCapture(): Promise<void> {
    await this.#api.cancelCapture().catch((e: Error) => (this.error = e.message));
  }

  dismissCapture(): void {
    this.capture = null;
  }

  rename(oldLabel: string, newLabel: string): Promise<boolean> {
    return this.#run(() => this.#api.renameAccount(oldLabel, newLabel));
  }

  remove(label: string, purge: boolean): Promise<boolean> {
    return this.#run(() => this.#api.removeAccount(label, purge));
  }

  async refresh(label = ''): Promise<void> {
    this.refreshing = true;
    try {
      await this.#api.refreshUsage(label);
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.refreshing = false;
    }
  }

  cancelPendingSwap(): Promise<boolean> {
    return this.#run(() => this.#api.cancelPendingSwap());
  }

  dismissError(): void {
    this.error = null;
  }

  destroy(): void {
    clearTimeout(this.#undoTimer);
    for (const off of this.#off.splice(0)) off();
  }

  async #run(fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      this.error = null;
      return true;
    } catch (e) {
      this.error = (e as Error).message;
      return false;
    }
  }

  // The status event confirms a switch a moment later; show it at once.
  #markActive(label: string): void {
    if (!this.status) return;
    const accounts = this.status.accounts.map((a) => (a.active === (a.label === label) ? a : { ...a, active: !a.active }));
    this.status = { ...this.status, accounts };
  }
}

/**
 * Keeps the previous object for every account whose content did not change,
 * so a status event re-renders only the rows that moved.
 */
export function reuseUnchanged(prev: Status | null, next: Status): Status {
  if (!prev) return next;
  const old = new Map(prev.accounts.map((a) => [a.id, a]));
  next.accounts = next.accounts.map((a) => {
    const o = old.get(a.id);
    return o && JSON.stringify(o) === JSON.stringify(a) ? o : a;
  });
  return next;
}

function isFinal(state: AddProgress['state']): boolean {
  return state === 'done' || state === 'failed';
}
