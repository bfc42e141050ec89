/**
 * Flood control: a token bucket of messages per second with a burst.
 *
 * @module
 */

/** Options for {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  rate: number;
  /** The most tokens the bucket holds: how many messages may come at once. */
  burst: number;
}

/**
 * A token bucket that reserves: {@linkcode TokenBucket.take} always takes a
 * token and says how long the caller must wait before using it, so a flooder
 * is slowed to `rate` (its reading pauses) and none of its messages is lost.
 *
 * @example Usage
 * ```ts
 * import { TokenBucket } from "./token_bucket.ts";
 * import assert from "node:assert/strict";
 *
 * const bucket = new TokenBucket({ rate: 10, burst: 2 }, 0);
 * assert.equal(bucket.take(0), 0);
 * assert.equal(bucket.take(0), 0);
 * assert.equal(bucket.take(0), 100); // the third waits a tenth of a second
 * ```
 */
export class TokenBucket {
  #rate: number;
  #burst: number;
  #tokens: number;
  #updated: number;

  /** Makes a full bucket; `now` is in milliseconds, as `performance.now()`. */
  constructor(options: TokenBucketOptions, now: number = performance.now()) {
    if (!(options.rate > 0) || !(options.burst >= 1)) {
      throw new RangeError(
        `Cannot make a token bucket of rate ${options.rate} and burst ${options.burst}`,
      );
    }
    this.#rate = options.rate;
    this.#burst = options.burst;
    this.#tokens = options.burst;
    this.#updated = now;
  }

  /**
   * Takes one token; returns how many milliseconds to wait before it may be used (0: now).
   *
   * @example Usage
   * ```ts
   * import { TokenBucket } from "./token_bucket.ts";
   * import assert from "node:assert/strict";
   *
   * const bucket = new TokenBucket({ rate: 2, burst: 1 }, 0);
   * assert.equal(bucket.take(0), 0); // the burst
   * assert.equal(bucket.take(0), 500); // half a second for the next token
   * assert.equal(bucket.take(2000), 0); // refilled meanwhile
   * ```
   */
  take(now: number = performance.now()): number {
    const refill = ((now - this.#updated) / 1000) * this.#rate;
    this.#tokens = Math.min(this.#burst, this.#tokens + refill) - 1;
    this.#updated = now;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#rate) * 1000;
  }
}
