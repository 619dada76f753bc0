// TokenScanStore follows a large transcript scan (the first one over a long
// Claude Code history) so the Tokens view can show how far it is. It asks
// once at start (a scan may already be running) and then only listens to
// the backend's progress events, which come at most once per percent.
import type { TokensScan } from '../contract.gen';

export interface TokenScanApi {
  tokensProgress(): Promise<TokensScan>;
}

export interface TokenScanEvents {
  onProgress(handler: (p: TokensScan) => void): () => void;
}

export class TokenScanStore {
  progress = $state<TokensScan | null>(null);
  /** True while a large scan runs. */
  running = $derived(this.progress?.running ?? false);

  #api: TokenScanApi;
  #off: () => void;
  #heard = false;

  constructor(api: TokenScanApi, events: TokenScanEvents) {
    this.#api = api;
    this.#off = events.onProgress((p) => {
      this.#heard = true;
      this.progress = p;
    });
  }

  async load(): Promise<void> {
    try {
      const p = await this.#api.tokensProgress();
      // An event that came while the call was out is newer.
      if (!this.#heard) this.progress = p;
    } catch {
      // Progress is a nicety; the view still loads its figures.
    }
  }

  destroy(): void {
    this.#off();
  }
}
