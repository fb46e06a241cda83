// Tells Rust the user is still there (keyboard, mouse) so its auto-lock timer restarts, at most once per
// interval however much the user types.

export const TOUCH_INTERVAL_MS = 20_000;

/** Wraps `send` so it runs at most once per `intervalMs`; the first call always runs. */
export function throttle(send: () => void, intervalMs: number, now: () => number = Date.now): () => void {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    send();
  };
}

const EVENTS = ["keydown", "pointerdown", "pointermove", "wheel"] as const;

/** Listens for activity on `target` and calls `send` (throttled). Returns the function that stops it. */
export function watchActivity(target: Window, send: () => void, intervalMs = TOUCH_INTERVAL_MS): () => void {
  const onActivity = throttle(send, intervalMs);
  for (const e of EVENTS) target.addEventListener(e, onActivity, { passive: true, capture: true });
  return () => {
    for (const e of EVENTS) target.removeEventListener(e, onActivity, { capture: true });
  };
}
