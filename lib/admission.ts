/**
 * Admission: how many connections the server holds, in all and per address.
 *
 * @module
 */

/** Options for {@linkcode Admission}. */
export interface AdmissionOptions {
  /** The most connections at once. */
  maxClients: number;
  /**
   * The most connections from one IP address, or one remote IPv6 /64 network
   * (see {@linkcode addressKey}); loopback addresses are exempt. 0: no limit.
   */
  maxPerIp: number;
}

/** The groups of an IPv6 address that name its network: a /64, the least a site is given. */
const IPV6_NETWORK_GROUPS = 4;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The eight 16-bit groups of an IPv6 address, or `undefined` if it is not one. */
function ipv6Groups(ip: string): number[] | undefined {
  const halves = ip.replace(/%.*$/, "").split("::"); // a zone (`%eth0`) names no host
  if (halves.length > 2) return undefined;
  const parsed: number[][] = [];
  for (const [h, half] of halves.entries()) {
    const groups: number[] = [];
    const texts = half === "" ? [] : half.split(":");
    for (const [i, text] of texts.entries()) {
      // Dotted IPv4 may end the address, and only end it.
      const last = h === halves.length - 1 && i === texts.length - 1;
      const quad = last ? DOTTED_QUAD.exec(text) : null;
      if (quad) {
        const [a, b, c, d] = quad.slice(1).map(Number);
        if (Math.max(a, b, c, d) > 255) return undefined;
        groups.push((a << 8) | b, (c << 8) | d);
      } else if (HEX_GROUP.test(text)) {
        groups.push(parseInt(text, 16));
      } else {
        return undefined;
      }
    }
    parsed.push(groups);
  }
  const [head, tail] = parsed;
  if (tail === undefined) return head.length === 8 ? head : undefined;
  const gap = 8 - head.length - tail.length;
  return gap < 1 ? undefined : [...head, ...Array(gap).fill(0), ...tail];
}

/** An IPv6 address in its short form (RFC 5952): hex groups, the longest run of zeros as `::`. */
function formatIpv6(groups: number[]): string {
  let start = -1;
  let length = 1; // a single zero group is not shortened
  for (let i = 0; i < groups.length; i++) {
    let end = i;
    while (groups[end] === 0) end++;
    if (end - i > length) [start, length] = [i, end - i];
  }
  const hex = (part: number[]) => part.map((group) => group.toString(16)).join(":");
  if (start < 0) return hex(groups);
  return `${hex(groups.slice(0, start))}::${hex(groups.slice(start + length))}`;
}

/**
 * The key under which a limit per address holds a connection from `ip`, or
 * `undefined` for a loopback address, which is exempt: local tests and
 * benchmarks connect thousands of members from there, and so do people who come
 * through an SSH tunnel. An IPv4 address is its own key, and so is an IPv4
 * address mapped into IPv6 (`::ffff:a.b.c.d`, how a dual-stack listener sees
 * IPv4 peers). An IPv6 address from afar counts by its /64 network: a home or a
 * hosted machine is given a whole /64, and could otherwise take a new address
 * for every connection. A neighbour counts by its own address: a link-local
 * address, or one in the same /64 as `localIp`, the server's own address on
 * that connection, since all the hosts of one LAN share its /64.
 *
 * @example Usage
 * ```ts
 * import { addressKey } from "./admission.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(addressKey("203.0.113.7"), "203.0.113.7");
 * assert.equal(addressKey("::ffff:203.0.113.7"), "203.0.113.7");
 * assert.equal(addressKey("2001:db8:1:2:aaaa::7", "2001:db8:5::1"), "2001:db8:1:2::/64");
 * assert.equal(addressKey("2001:db8:5::7", "2001:db8:5::1"), "2001:db8:5::7"); // on our LAN
 * assert.equal(addressKey("127.0.0.1"), undefined);
 * assert.equal(addressKey("::1"), undefined);
 * ```
 */
export function addressKey(ip: string, localIp?: string): string | undefined {
  if (!ip.includes(":")) return ip.startsWith("127.") ? undefined : ip;
  const groups = ipv6Groups(ip);
  if (groups === undefined) return ip; // not an address Deno reports: its own key
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) {
    const [high, low] = groups.slice(6);
    return addressKey(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`);
  }
  if (zeros(0, 7) && groups[7] === 1) return undefined;
  if (isLinkLocal(groups) || sameNetwork(groups, localIp)) return formatIpv6(groups);
  const network = [...groups.slice(0, IPV6_NETWORK_GROUPS), 0, 0, 0, 0];
  return `${formatIpv6(network)}/64`;
}

/** A TCP connection's two ends, as {@linkcode connectionKey} reads them. */
export interface ConnectionEnds {
  /** The peer's address. */
  remoteAddr: Deno.NetAddr;
  /** The server's own address on the connection. */
  localAddr: Deno.NetAddr;
}

/**
 * The {@linkcode addressKey} of a connection's peer, seen from the server's end of it.
 *
 * @example Usage
 * ```ts
 * import { connectionKey } from "./admission.ts";
 * import assert from "node:assert/strict";
 *
 * const remoteAddr = { transport: "tcp", hostname: "2001:db8:9::5", port: 50000 } as const;
 * const localAddr = { transport: "tcp", hostname: "2001:db8:1::1", port: 1234 } as const;
 * assert.equal(connectionKey({ remoteAddr, localAddr }), "2001:db8:9::/64");
 * ```
 */
export function connectionKey(conn: ConnectionEnds): string | undefined {
  return addressKey(conn.remoteAddr.hostname, conn.localAddr.hostname);
}

/** Whether `groups` are a link-local address (fe80::/10): a neighbour's, whatever its network. */
function isLinkLocal(groups: number[]): boolean {
  return (groups[0] & 0xffc0) === 0xfe80;
}

/** Whether `groups` are in the /64 of `localIp`, the server's own address on the connection. */
function sameNetwork(groups: number[], localIp: string | undefined): boolean {
  const local = localIp === undefined ? undefined : ipv6Groups(localIp);
  if (local === undefined) return false;
  return groups.slice(0, IPV6_NETWORK_GROUPS).every((group, i) => group === local[i]);
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
   * Admits a connection from `ip` to the server's `localIp`, or returns why it
   * is refused. The limit per address holds it under {@linkcode addressKey}.
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
   * assert.equal(admission.admit("2001:db8::1"), undefined);
   * assert.match(admission.admit("2001:db8::2") ?? "", /from 2001:db8::\/64:/); // one network
   * ```
   */
  admit(ip: string, localIp?: string): string | undefined {
    const { maxClients, maxPerIp } = this.#options;
    if (this.#total >= maxClients) {
      return `Server is full: ${maxClients} of ${maxClients} places are taken`;
    }
    const key = addressKey(ip, localIp);
    const count = this.#perIp.get(key ?? ip) ?? 0;
    if (maxPerIp > 0 && count >= maxPerIp && key !== undefined) {
      return `Too many connections from ${key}: the limit is ${maxPerIp}`;
    }
    this.#total++;
    this.#perIp.set(key ?? ip, count + 1);
    return undefined;
  }

  /**
   * Releases a connection that {@linkcode Admission.admit} admitted, given the
   * same addresses.
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
  release(ip: string, localIp?: string): void {
    const key = addressKey(ip, localIp) ?? ip; // loopback is counted too, only not limited
    const count = this.#perIp.get(key) ?? 0;
    if (count === 0) return;
    this.#total--;
    if (count === 1) this.#perIp.delete(key);
    else this.#perIp.set(key, count - 1);
  }
}
