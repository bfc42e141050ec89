/**
 * Deadlines: {@linkcode within} for one promise, {@linkcode Deadlines} for
 * many of one length on a single timer, and {@linkcode sleep}.
 *
 * A server that gives every new connection 10 s to say who it is would start
 * a timer per connection; each costs Deno about 1.5 KB that stays until the
 * timer would have fired, cancelled or not (7 MB for 5000 joins). Deadlines
 * of one length expire in the order they were set, so one timer for the
 * earliest is enough, as in the timeout sweep of ngIRCd or redis's `ae.c`.
 *
 * @module
 */

/**
 * `promise`'s value, or `undefined` once `ms` have passed, whichever comes
 * first (`Infinity`: `promise` itself). The timer is cleared either way; a
 * rejection of `promise` before the time is up rejects.
 *
 * @example Usage
 * ```ts
 * import { within } from "./deadlines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await within(Promise.resolve("bob"), 1000), "bob");
 * assert.equal(await within(new Promise(() => {}), 1), undefined); // gave up after 1 ms
 * ```
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms === Infinity) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves after `ms` (at once for 0 or less).
 *
 * @example Usage
 * ```ts
 * import { sleep } from "./deadlines.ts";
 * import assert from "node:assert/strict";
 *
 * const order: string[] = [];
 * await Promise.all([
 *   sleep(10).then(() => order.push("later")),
 *   sleep(1).then(() => order.push("sooner")),
 * ]);
 * assert.deepEqual(order, ["sooner", "later"]);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * Deadlines that all lie `ms` after they were set, on one timer.
 *
 * @example Usage
 * ```ts
 * import { Deadlines } from "./deadlines.ts";
 * import assert from "node:assert/strict";
 *
 * const handshakes = new Deadlines<string>(10);
 * const answered = Promise.resolve("bob");
 * assert.equal(await Promise.race([answered, handshakes.wait("conn 1")]), "bob");
 * handshakes.cancel("conn 1"); // answered in time
 * assert.equal(await handshakes.wait("conn 2"), undefined); // 10 ms later
 * ```
 */
export class Deadlines<K> {
  #ms: number;
  /** Key to [deadline, resolve], in the order set: the order they expire in. */
  #pending = new Map<K, [number, () => void]>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Every deadline lies `ms` milliseconds after it is set. */
  constructor(ms: number) {
    this.#ms = ms;
  }

  /**
   * How many deadlines are pending.
   *
   * @example Usage
   * ```ts
   * import { Deadlines } from "./deadlines.ts";
   * import assert from "node:assert/strict";
   *
   * const deadlines = new Deadlines<string>(1000);
   * deadlines.wait("conn 1");
   * assert.equal(deadlines.size, 1);
   * deadlines.clear();
   * assert.equal(deadlines.size, 0);
   * ```
   */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Resolves once `ms` passed, unless {@linkcode Deadlines.cancel} is called for `key` first.
   *
   * @example Usage
   * ```ts
   * import { Deadlines } from "./deadlines.ts";
   * import assert from "node:assert/strict";
   *
   * const deadlines = new Deadlines<number>(5);
   * const started = performance.now();
   * await deadlines.wait(1);
   * assert.ok(performance.now() - started >= 4);
   * ```
   */
  wait(key: K): Promise<void> {
    this.cancel(key);
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#pending.set(key, [performance.now() + this.#ms, resolve]);
    this.#timer ??= setTimeout(this.#expire, this.#ms);
    return promise;
  }

  /**
   * Drops the deadline of `key`; its promise never resolves.
   *
   * @example Usage
   * ```ts
   * import { Deadlines } from "./deadlines.ts";
   * import assert from "node:assert/strict";
   *
   * const deadlines = new Deadlines<string>(1000);
   * deadlines.wait("conn 1"); // never resolves once cancelled
   * deadlines.cancel("conn 1");
   * assert.equal(deadlines.size, 0); // and the timer is gone with the last deadline
   * ```
   */
  cancel(key: K): void {
    this.#pending.delete(key);
    if (this.#pending.size === 0) this.clear();
  }

  /**
   * Drops every deadline and the timer.
   *
   * @example Usage
   * ```ts
   * import { Deadlines } from "./deadlines.ts";
   * import assert from "node:assert/strict";
   *
   * const deadlines = new Deadlines<string>(1000);
   * deadlines.wait("conn 1");
   * deadlines.wait("conn 2");
   * deadlines.clear(); // on shutdown: no deadline fires, no timer keeps the process alive
   * assert.equal(deadlines.size, 0);
   * ```
   */
  clear(): void {
    this.#pending.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #expire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (const [key, [deadline, resolve]] of this.#pending) {
      if (deadline > now) {
        this.#timer = setTimeout(this.#expire, deadline - now);
        return;
      }
      this.#pending.delete(key);
      resolve();
    }
  };
}
