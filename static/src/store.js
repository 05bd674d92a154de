/**
 * The page's state in one small store. Views subscribe to "change" events naming the keys that
 * changed and re-render only what depends on them; nothing else holds shared mutable state.
 */

export class Store extends EventTarget {
  constructor(initial = {}) {
    super();
    this.state = { ...initial };
  }

  get(key) {
    return this.state[key];
  }

  /** Merge `patch` into the state and announce the changed keys. */
  set(patch) {
    const changed = Object.keys(patch).filter((k) => this.state[k] !== patch[k]);
    if (!changed.length) return;
    this.state = { ...this.state, ...patch };
    this.dispatchEvent(new CustomEvent("change", { detail: { keys: changed } }));
  }

  /** Call `fn(state)` now and whenever one of `keys` changes; returns an unsubscribe function. */
  watch(keys, fn) {
    const listener = (event) => {
      if (event.detail.keys.some((k) => keys.includes(k))) fn(this.state);
    };
    this.addEventListener("change", listener);
    fn(this.state);
    return () => this.removeEventListener("change", listener);
  }

  /** Add `n` to a numeric counter (requests, attempts, throttles). */
  bump(key, n = 1) {
    this.set({ [key]: (this.state[key] ?? 0) + n });
  }
}
