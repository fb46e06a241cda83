// One clock for every countdown on screen: a single timer ticking on the second, read by any component
// through `clock.now`. Rows do not own timers, so 10,000 keys cost one timer.

class Clock {
  now = $state(Date.now());
  #timer: ReturnType<typeof setTimeout> | null = null;

  start(): void {
    if (this.#timer !== null) return;
    const tick = () => {
      this.now = Date.now();
      // Wake just after the next whole second so every countdown changes at once.
      this.#timer = setTimeout(tick, 1000 - (this.now % 1000) + 5);
    };
    tick();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

export const clock = new Clock();
