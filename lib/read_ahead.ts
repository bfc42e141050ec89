/**
 * Reading ahead of a consumer that may wait: the clients' keys keep being read
 * while a line waits for a server that stopped reading, so that Ctrl-C, which
 * in raw mode is only a key, still gets through.
 *
 * @module
 */

/**
 * How many items are read ahead at most, by default.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_MAX_READ_AHEAD } from "./read_ahead.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_READ_AHEAD, 64); // lines typed or pasted while a send waits
 * ```
 */
export const DEFAULT_MAX_READ_AHEAD = 64;

/** Options for {@linkcode readAhead}. */
export interface ReadAheadOptions<T> {
  /**
   * Called for each item as soon as it is read, before the consumer asks for it;
   * `true` when it was handled there, and is not passed on.
   */
  handle?: (item: T) => boolean;
  /**
   * Items passed on but not yet taken, at most, as `weigh` counts them: past that,
   * reading waits for the consumer, or `overflow` decides, so that a paste into a
   * stuck client does not grow without bound. Defaults to
   * {@linkcode DEFAULT_MAX_READ_AHEAD}.
   */
  maxQueued?: number;
  /** How much an item counts toward `maxQueued`: 1 each by default. */
  weigh?: (item: T) => number;
  /**
   * Called, instead of waiting, for an item read while `maxQueued` items wait:
   * `true` when it was dealt with there (dropped, and the user told), `false`
   * to queue it all the same. Reading then never stops, so that whatever
   * `handle` takes (Ctrl-C) gets through however long the consumer is stuck.
   * Without it, reading waits for the consumer.
   */
  overflow?: (item: T) => boolean;
}

/**
 * The items of `source`, read ahead of the consumer: each is first offered to
 * `handle`, at once, then queued for the consumer unless handled. An error of
 * `source` reaches the consumer after the items read before it.
 *
 * @example Usage
 * ```ts
 * import { readAhead } from "./read_ahead.ts";
 * import assert from "node:assert/strict";
 *
 * async function* keys() {
 *   yield "h";
 *   yield "^C";
 *   yield "i";
 * }
 * const interrupts: string[] = [];
 * const handle = (key: string) => key === "^C" && interrupts.push(key) > 0;
 * const ahead = readAhead(keys(), { handle });
 * assert.deepEqual(await ahead.next(), { done: false, value: "h" });
 * assert.deepEqual(interrupts, ["^C"]); // handled while "h" was being dealt with
 * assert.deepEqual(await Array.fromAsync(ahead), ["i"]);
 * ```
 *
 * @param source Where the items come from.
 * @param options How they are handled and how far ahead they are read.
 * @returns The items not handled, in order.
 */
export async function* readAhead<T>(
  source: AsyncIterable<T>,
  options: ReadAheadOptions<T> = {},
): AsyncGenerator<T, void, void> {
  const { handle = () => false, maxQueued = DEFAULT_MAX_READ_AHEAD, weigh = () => 1 } = options;
  const { overflow } = options;
  const queue: T[] = [];
  let queued = 0; // the queue's weight
  let ended = false;
  let failure: { error: unknown } | undefined;
  let consumerGone = false;
  let change = Promise.withResolvers<void>();
  const changed = () => {
    change.resolve();
    change = Promise.withResolvers();
  };
  // Never rejects: an error is kept for the consumer, who may have gone by then.
  const reading = (async () => {
    try {
      const full = () => queued >= maxQueued;
      for await (const item of source) {
        if (!handle(item) && !(full() && overflow?.(item))) {
          queue.push(item);
          queued += weigh(item);
          changed();
        }
        while (overflow === undefined && full() && !consumerGone) await change.promise;
        if (consumerGone) break;
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      changed();
    }
  })();
  try {
    while (true) {
      if (queue.length > 0) {
        const item = queue.shift()!;
        queued -= weigh(item);
        changed();
        yield item;
      } else if (failure !== undefined) throw failure.error;
      else if (ended) return await reading;
      else await change.promise;
    }
  } finally {
    consumerGone = true;
    changed();
  }
}
