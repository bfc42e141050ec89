/**
 * A merged async iterator over many sources, for a single `select()`-style event loop.
 *
 * @module
 */

/** Options for {@linkcode Selector}. */
export interface SelectorOptions {
  /**
   * When `true`, `next()` resolves `done` whenever no sources remain and no value is buffered,
   * so a `for await` loop ends once every source has finished. When `false`, `next()` waits
   * until a source is added (and keeps the loop alive only if something else does). Either way,
   * adding a source after a `done` makes `next()` yield again.
   *
   * @default {false}
   */
  endWhenEmpty?: boolean;
}

interface Entry<T> {
  source: AsyncIterable<T>;
  iterator: AsyncIterator<T>;
}

type Ready<T> =
  | { entry: Entry<T>; ok: true; value: T }
  | { entry: Entry<T>; ok: false; error: unknown };

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: unknown): void;
}

/**
 * Merges many async iterables into one, like `select()` over file descriptors.
 *
 * - **Pull semantics**: each source has at most one pending `next()`. A source whose value was
 *   delivered is pulled again only on the consumer's following `next()` call (for `for await`,
 *   after the loop body for that value has finished), so a fast source is paused while its value
 *   is handled.
 * - **Fairness**: values are delivered in the order they became ready, across all sources.
 * - **Errors**: if a source's `next()` rejects, that source is removed and the error is queued
 *   like a value: values that became ready before it are delivered first, then `next()` rejects
 *   with it. Other sources keep running; the consumer may catch and keep iterating (a rejected
 *   `next()` ends `for await` without calling `return()`, so a new `for await` over the same
 *   selector carries on).
 * - **Cancellation**: `return()` (e.g. `break` out of `for await`) calls `return()` on every
 *   remaining source and resolves once all of them have. An async generator's `return()` only
 *   takes effect after its pending `next()` settles, so the owner of the I/O under a source must
 *   close it (e.g. `conn.close()`) for `return()` and `remove()` to finish.
 * - **Removal**: once a source is removed (or the selector closed), its buffered value and
 *   anything its pending `next()` later yields or throws are discarded.
 * - **No sources**: see {@linkcode SelectorOptions.endWhenEmpty}.
 *
 * @typeParam T The type of the values yielded by every source.
 *
 * @example Usage
 * ```ts
 * import { Selector } from "./select.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * async function* from(values: string[]) {
 *   yield* values;
 * }
 * const selector = new Selector<string>({ endWhenEmpty: true });
 * selector.add(from(["a1", "a2"]));
 * const seen: string[] = [];
 * for await (const value of selector) {
 *   if (value === "a1") selector.add(from(["b1"]));
 *   seen.push(value);
 * }
 * deepEqual(seen.sort(), ["a1", "a2", "b1"]);
 * ```
 */
export class Selector<T> implements AsyncIterableIterator<T> {
  #entries = new Map<AsyncIterable<T>, Entry<T>>();
  #ready: Ready<T>[] = [];
  #waiters: Waiter<T>[] = [];
  #taken: Entry<T>[] = [];
  #endWhenEmpty: boolean;
  #closing: Promise<void> | undefined;

  /**
   * Creates an empty selector.
   *
   * @param options Options, see {@linkcode SelectorOptions}.
   *
   * @example Usage
   * ```ts
   * import { Selector } from "./select.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * const selector = new Selector<string>({ endWhenEmpty: true });
   * deepEqual(await selector.next(), { done: true, value: undefined });
   * ```
   */
  constructor(options: SelectorOptions = {}) {
    this.#endWhenEmpty = options.endWhenEmpty ?? false;
  }

  /**
   * The number of active sources: added, and neither finished, failed nor removed.
   *
   * @example Usage
   * ```ts
   * import { Selector } from "./select.ts";
   * import { equal } from "node:assert/strict";
   *
   * const selector = new Selector<number>();
   * selector.add((async function* () {
   *   yield 1;
   * })());
   * equal(selector.size, 1);
   * await selector.return();
   * equal(selector.size, 0);
   * ```
   */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts listening to a source; allowed at any time, including from inside the loop body.
   * The source is removed automatically when it finishes or fails.
   *
   * @param source The async iterable to listen to.
   * @throws {Error} If the selector was closed by `return()`, or the source is already added.
   *
   * @example Usage
   * ```ts
   * import { Selector } from "./select.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * const selector = new Selector<string>();
   * selector.add((async function* () {
   *   yield "hello";
   * })());
   * deepEqual(await selector.next(), { done: false, value: "hello" });
   * await selector.return();
   * ```
   */
  add(source: AsyncIterable<T>): void {
    if (this.#closing) throw new Error("Cannot add a source: the selector is closed");
    if (this.#entries.has(source)) throw new Error("Cannot add a source: it is already added");
    const entry = { source, iterator: source[Symbol.asyncIterator]() };
    this.#entries.set(source, entry);
    this.#pull(entry);
  }

  /**
   * Stops listening to a source, drops its buffered value (if any) and calls its iterator's
   * `return()`. Settles as that `return()` does; does nothing for an unknown source.
   *
   * @param source A source previously passed to `add()`.
   *
   * @example Usage
   * ```ts
   * import { Selector } from "./select.ts";
   * import { equal } from "node:assert/strict";
   *
   * const selector = new Selector<number>();
   * const source = (async function* () {
   *   yield 1;
   * })();
   * selector.add(source);
   * await selector.remove(source);
   * equal(selector.size, 0);
   * ```
   */
  async remove(source: AsyncIterable<T>): Promise<void> {
    const entry = this.#entries.get(source);
    if (entry === undefined) return;
    this.#entries.delete(source);
    this.#ready = this.#ready.filter((ready) => ready.entry !== entry);
    this.#settleIfEmpty();
    await entry.iterator.return?.();
  }

  /**
   * Resolves with the next value that became ready, or rejects with a source's error.
   *
   * @returns The next iterator result.
   *
   * @example Usage
   * ```ts
   * import { Selector } from "./select.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * const selector = new Selector<number>({ endWhenEmpty: true });
   * selector.add((async function* () {
   *   yield 1;
   * })());
   * deepEqual(await selector.next(), { done: false, value: 1 });
   * deepEqual(await selector.next(), { done: true, value: undefined });
   * ```
   */
  next(): Promise<IteratorResult<T>> {
    for (const entry of this.#taken.splice(0)) {
      if (this.#entries.get(entry.source) === entry) this.#pull(entry);
    }
    return new Promise((resolve, reject) => {
      const ready = this.#ready.shift();
      if (ready !== undefined) this.#deliver(ready, { resolve, reject });
      else if (this.#closing || this.#isEmpty()) resolve({ done: true, value: undefined });
      else this.#waiters.push({ resolve, reject });
    });
  }

  /**
   * Closes the selector: pending and later `next()` calls resolve `done`, and `return()` is
   * called on every remaining source. Resolves when all of those have settled; rejects with the
   * first error any of them threw.
   *
   * @param value The value to return.
   * @returns A `done` result carrying `value`.
   *
   * @example Usage
   * ```ts
   * import { Selector } from "./select.ts";
   * import { equal } from "node:assert/strict";
   *
   * const selector = new Selector<number>();
   * let finished = false;
   * selector.add((async function* () {
   *   try {
   *     while (true) yield 1;
   *   } finally {
   *     finished = true;
   *   }
   * })());
   * for await (const _ of selector) break;
   * equal(finished, true);
   * ```
   */
  return(value?: unknown): Promise<IteratorResult<T>> {
    if (this.#closing === undefined) {
      const iterators = [...this.#entries.values()].map((entry) => entry.iterator);
      this.#entries.clear();
      this.#ready = [];
      this.#taken = [];
      for (const waiter of this.#waiters.splice(0)) {
        waiter.resolve({ done: true, value: undefined });
      }
      this.#closing = Promise.allSettled(iterators.map(async (it) => await it.return?.()))
        .then((results) => {
          const failure = results.find((result) => result.status === "rejected");
          if (failure !== undefined) throw failure.reason;
        });
    }
    return this.#closing.then(() => ({ done: true, value }));
  }

  /**
   * Returns this selector, so it can be used with `for await`.
   *
   * @returns This selector.
   *
   * @example Usage
   * ```ts
   * import { Selector } from "./select.ts";
   * import { equal } from "node:assert/strict";
   *
   * const selector = new Selector<number>();
   * equal(selector[Symbol.asyncIterator](), selector);
   * ```
   */
  [Symbol.asyncIterator](): this {
    return this;
  }

  #isEmpty(): boolean {
    return this.#endWhenEmpty && this.#entries.size === 0 && this.#ready.length === 0;
  }

  #settleIfEmpty(): void {
    if (!this.#isEmpty()) return;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
  }

  #pull(entry: Entry<T>): void {
    const active = () => this.#entries.get(entry.source) === entry;
    let pending: Promise<IteratorResult<T>>;
    try {
      pending = Promise.resolve(entry.iterator.next()); // a native promise is used as is
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (result) => {
        if (!active()) return;
        if (!result.done) return this.#push({ entry, ok: true, value: result.value });
        this.#entries.delete(entry.source);
        this.#settleIfEmpty();
      },
      (error: unknown) => {
        if (!active()) return;
        this.#entries.delete(entry.source);
        this.#push({ entry, ok: false, error });
      },
    );
  }

  #push(ready: Ready<T>): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#ready.push(ready);
    else this.#deliver(ready, waiter);
    this.#settleIfEmpty();
  }

  #deliver(ready: Ready<T>, waiter: Waiter<T>): void {
    if (!ready.ok) return waiter.reject(ready.error);
    this.#taken.push(ready.entry);
    waiter.resolve({ done: false, value: ready.value });
  }
}

/**
 * A source of one value: what `promise` resolves to. For adding a single
 * future event, like a stop request or a signal, to a {@linkcode Selector}.
 *
 * @example Usage
 * ```ts
 * import { once, Selector } from "./select.ts";
 * import assert from "node:assert/strict";
 *
 * const events = new Selector<string>({ endWhenEmpty: true });
 * events.add(once(Promise.resolve("stop")));
 * for await (const event of events) assert.equal(event, "stop");
 * ```
 */
export async function* once<T>(promise: Promise<T>): AsyncGenerator<T, void, void> {
  yield await promise;
}
