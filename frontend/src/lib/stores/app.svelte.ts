// AppStore holds what the window shows. It is fed by one call at start-up and
// then only by backend events (no polling timers); components read its
// fields, which are Svelte 5 runes, and call its methods.
import { api as defaultApi, type Api } from '../api';
import { Events, on as defaultOn, type EventName } from '../events';
import type { AppState, SettingField, UpdateInfo, WindowMode } from '../contract.gen';

type Subscribe = <T>(name: EventName, handler: (payload: T) => void) => () => void;

export class AppStore {
  state = $state<AppState | null>(null);
  loading = $state(true);
  error = $state<string | null>(null);
  /** Validation messages from the backend, keyed by setting key. */
  fieldErrors = $state<Record<string, string>>({});
  /** Keys currently being saved. */
  saving = $state<Record<string, boolean>>({});

  update = $state<UpdateInfo | null>(null);
  checkingUpdate = $state(false);
  updateError = $state<string | null>(null);

  mode = $derived<WindowMode>(this.state?.mode ?? 'mini');
  /** No compositor draws the screen: paint opaque, square-cornered. */
  opaque = $derived(this.state?.translucent === false);
  settings = $derived<SettingField[]>(this.state?.settings ?? []);

  #api: Api;
  #unsubscribe: Array<() => void> = [];

  constructor(api: Api = defaultApi, subscribe: Subscribe = defaultOn) {
    this.#api = api;
    this.#unsubscribe.push(
      subscribe<SettingField[]>(Events.ConfigChanged, (fields) => this.#applySettings(fields)),
      subscribe<WindowMode>(Events.WindowMode, (mode) => {
        if (this.state) this.state.mode = mode;
      }),
      subscribe<UpdateInfo>(Events.Update, (u) => (this.update = u)),
    );
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      this.state = await this.#api.getState();
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
    // The remembered release check: no request is made for it.
    this.update = await this.#api.updateStatus().catch(() => null);
  }

  /** "Check now": asks GitHub (never installs anything). */
  async checkUpdate(): Promise<void> {
    this.checkingUpdate = true;
    try {
      this.update = await this.#api.checkForUpdate();
      this.updateError = null;
    } catch (e) {
      this.updateError = (e as Error).message;
    } finally {
      this.checkingUpdate = false;
    }
  }

  setting(key: string): SettingField | undefined {
    return this.settings.find((f) => f.key === key);
  }

  /** Saves one setting; a rejection is shown next to its field. */
  async setSetting(key: string, value: string): Promise<boolean> {
    this.saving[key] = true;
    try {
      const fields = await this.#api.setSetting(key, value);
      delete this.fieldErrors[key];
      this.#applySettings(fields);
      return true;
    } catch (e) {
      this.fieldErrors[key] = stripKey(key, (e as Error).message);
      return false;
    } finally {
      delete this.saving[key];
    }
  }

  async setMode(mode: WindowMode): Promise<void> {
    try {
      const m = await this.#api.setMode(mode);
      if (this.state) this.state.mode = m;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async hide(): Promise<void> {
    await this.#api.hide().catch((e: Error) => (this.error = e.message));
  }

  dismissError(): void {
    this.error = null;
  }

  destroy(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  #applySettings(fields: SettingField[]): void {
    if (this.state) this.state.settings = fields;
  }
}

/** "auto_swap.threshold_pct: 150 is out of range…" → "150 is out of range…" */
function stripKey(key: string, msg: string): string {
  const prefix = `${key}: `;
  const i = msg.indexOf(prefix);
  return i >= 0 ? msg.slice(i + prefix.length) : msg;
}
