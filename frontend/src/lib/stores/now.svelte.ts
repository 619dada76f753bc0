// One shared clock for every countdown in the UI. It ticks every `period`
// milliseconds while the page is visible and stops while hidden, so a
// minimised widget does no per-second work.
export class Now {
  value = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | undefined;
  #period: number;
  #doc: Document | undefined;

  constructor(period = 15_000, doc: Document | undefined = typeof document === 'undefined' ? undefined : document) {
    this.#period = period;
    this.#doc = doc;
    this.#doc?.addEventListener('visibilitychange', this.#onVisibility);
    this.#start();
  }

  #onVisibility = () => {
    if (this.#doc?.visibilityState === 'hidden') this.#stop();
    else this.#start();
  };

  #start() {
    if (this.#timer) return;
    this.value = Date.now();
    this.#timer = setInterval(() => (this.value = Date.now()), this.#period);
  }

  #stop() {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  destroy() {
    this.#stop();
    this.#doc?.removeEventListener('visibilitychange', this.#onVisibility);
  }
}
