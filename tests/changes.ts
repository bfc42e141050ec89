/**
 * Waiting for "something changed" in the test helpers: a line arrived, a
 * stream ended. Each helper calls {@linkcode Changes.notify} when it has news
 * and {@linkcode Changes.wait} to sleep until then, with a deadline.
 *
 * @module
 */

/**
 * A set of waiters, all woken by the next {@linkcode Changes.notify}.
 *
 * @example Usage
 * ```ts
 * import { Changes } from "./changes.ts";
 * import assert from "node:assert/strict";
 *
 * const changes = new Changes();
 * const woken = changes.wait(1000);
 * changes.notify();
 * assert.equal(await woken, true);
 * ```
 */
export class Changes {
  #waiters = new Set<() => void>();

  /** Resolves `true` at the next notify, or `false` once `waitMs` passed. */
  wait(waitMs: number): Promise<boolean> {
    if (waitMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        resolve(false);
      }, waitMs);
      this.#waiters.add(waiter);
    });
  }

  /** Wakes every waiter. */
  notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter();
  }
}
