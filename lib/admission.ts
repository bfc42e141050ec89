/**
 * Admission: how many connections the server holds, in all and per address.
 *
 * @module
 */

/** Options for {@linkcode Admission}. */
export interface AdmissionOptions {
  /** The most connections at once. */
  maxClients: number;
  /** The most connections from one IP address; loopback addresses are exempt. 0: no limit. */
  maxPerIp: number;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * The key under which a limit per address holds a connection from `ip`: the
 * address itself, or `undefined` for a loopback address, which is exempt. Local
 * tests and benchmarks connect thousands of members from there, and so do people
 * who come through an SSH tunnel.
 *
 * @example Usage
 * ```ts
 * import { addressKey } from "./admission.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(addressKey("203.0.113.7"), "203.0.113.7");
 * assert.equal(addressKey("127.0.0.1"), undefined);
 * assert.equal(addressKey("::ffff:127.0.0.1"), undefined);
 * ```
 */
export function addressKey(ip: string): string | undefined {
  return LOOPBACK.test(ip) ? undefined : ip;
}

/**
 * Counts connections and refuses those over the limits. Loopback addresses
 * are exempt from the per-address limit, so local tests and benchmarks with
 * thousands of members work while a remote host is held to a handful.
 *
 * @example Usage
 * ```ts
 * import { Admission } from "./admission.ts";
 * import assert from "node:assert/strict";
 *
 * const admission = new Admission({ maxClients: 1, maxPerIp: 5 });
 * assert.equal(admission.admit("10.0.0.1"), undefined);
 * assert.match(admission.admit("10.0.0.2") ?? "", /full/);
 * admission.release("10.0.0.1");
 * assert.equal(admission.admit("10.0.0.2"), undefined);
 * ```
 */
export class Admission {
  #options: AdmissionOptions;
  #total = 0;
  #perIp = new Map<string, number>();

  /** Makes an empty admission count. */
  constructor(options: AdmissionOptions) {
    this.#options = options;
  }

  /**
   * Connections admitted and not yet released.
   *
   * @example Usage
   * ```ts
   * import { Admission } from "./admission.ts";
   * import assert from "node:assert/strict";
   *
   * const admission = new Admission({ maxClients: 10, maxPerIp: 2 });
   * admission.admit("10.0.0.1");
   * admission.admit("127.0.0.1");
   * assert.equal(admission.size, 2);
   * ```
   */
  get size(): number {
    return this.#total;
  }

  /**
   * Admits a connection from `ip`, or returns why it is refused.
   *
   * @example Usage
   * ```ts
   * import { Admission } from "./admission.ts";
   * import assert from "node:assert/strict";
   *
   * const admission = new Admission({ maxClients: 10, maxPerIp: 1 });
   * assert.equal(admission.admit("10.0.0.1"), undefined);
   * assert.match(admission.admit("10.0.0.1") ?? "", /Too many connections from 10\.0\.0\.1/);
   * assert.equal(admission.admit("127.0.0.1"), undefined); // loopback is exempt
   * assert.equal(admission.admit("127.0.0.1"), undefined);
   * ```
   */
  admit(ip: string): string | undefined {
    const { maxClients, maxPerIp } = this.#options;
    if (this.#total >= maxClients) {
      return `Server is full: ${maxClients} of ${maxClients} places are taken`;
    }
    const count = this.#perIp.get(ip) ?? 0;
    if (maxPerIp > 0 && count >= maxPerIp && addressKey(ip) !== undefined) {
      return `Too many connections from ${ip}: the limit is ${maxPerIp}`;
    }
    this.#total++;
    this.#perIp.set(ip, count + 1);
    return undefined;
  }

  /**
   * Releases a connection that {@linkcode Admission.admit} admitted.
   *
   * @example Usage
   * ```ts
   * import { Admission } from "./admission.ts";
   * import assert from "node:assert/strict";
   *
   * const admission = new Admission({ maxClients: 10, maxPerIp: 1 });
   * admission.admit("10.0.0.1");
   * admission.release("10.0.0.1"); // it left: its place is free again
   * assert.equal(admission.admit("10.0.0.1"), undefined);
   * ```
   */
  release(ip: string): void {
    const count = this.#perIp.get(ip) ?? 0;
    if (count === 0) return;
    this.#total--;
    if (count === 1) this.#perIp.delete(ip);
    else this.#perIp.set(ip, count - 1);
  }
}
