/**
 * Connecting a client: host names, IPv6 in brackets, a timeout for a connect
 * that hangs, and one clear line when it fails.
 *
 * @module
 */

import { describeNetworkError, FatalError, invalidHost } from "./cli.ts";
import { formatAddress } from "./member.ts";

/**
 * The report's socket timeout, in ms: 200 s.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_CONNECT_TIMEOUT_MS } from "./connect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_CONNECT_TIMEOUT_MS / 1000, 200); // the report's settimeout(200)
 * ```
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 200_000;

/** Options for {@linkcode connectTo}. */
export interface ConnectOptions {
  /** A host name, an IPv4 address, or an IPv6 address with or without brackets. */
  host: string;
  /** The port. */
  port: number;
  /** How long to wait for the connection, in ms. */
  timeoutMs?: number;
}

/**
 * Connects over TCP with Nagle off. Throws a {@linkcode FatalError} saying
 * what went wrong, in one line, when it cannot, and a {@linkcode UsageError}
 * quoting the host when it is not a host at all (empty, `[::1` without its
 * closing bracket, `a b`).
 *
 * @example Usage
 * ```ts ignore
 * import { connectTo } from "./connect.ts";
 *
 * const conn = await connectTo({ host: "localhost", port: 1234 });
 * conn.close();
 * ```
 */
export async function connectTo(options: ConnectOptions): Promise<Deno.TcpConn> {
  const hostname = options.host.replace(/^\[(.*)\]$/, "$1");
  const target = formatAddress({ transport: "tcp", hostname, port: options.port });
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname, port: options.port, signal });
  } catch (error) {
    if (signal.aborted) {
      throw new FatalError(`Timed out after ${timeoutMs} ms connecting to ${target}`);
    }
    const invalid = invalidHost(error, "host", options.host);
    if (invalid) throw invalid;
    const message = describeNetworkError(error, target);
    if (message) throw new FatalError(message, { cause: error });
    throw error;
  }
  conn.setNoDelay(true);
  return conn;
}
