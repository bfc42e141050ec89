/**
 * Accepting connections without dying when the process runs out of file
 * descriptors.
 *
 * @module
 */

import { sleep } from "./deadlines.ts";

/**
 * How long to wait before accepting again after a failed accept, in ms.
 *
 * @example Usage
 * ```ts
 * import { ACCEPT_RETRY_MS } from "./accept.ts";
 * import assert from "node:assert/strict";
 *
 * // Out of file descriptors, the accept loop pauses this long instead of spinning.
 * assert.ok(ACCEPT_RETRY_MS > 0);
 * ```
 */
export const ACCEPT_RETRY_MS = 100;

/**
 * Yields each accepted connection until the listener is closed. A failed
 * accept (EMFILE: too many open files, say) is logged and retried after
 * {@linkcode ACCEPT_RETRY_MS}, so the members already connected go on being
 * served and new ones are let in once descriptors free up.
 *
 * @example Usage
 * ```ts ignore
 * import { acceptConnections } from "./accept.ts";
 *
 * const listener = Deno.listen({ port: 1234 });
 * for await (const conn of acceptConnections(listener, console.log)) conn.close();
 * ```
 */
export async function* acceptConnections(
  listener: Deno.TcpListener,
  log: (line: string) => void,
): AsyncGenerator<Deno.TcpConn, void, void> {
  while (true) {
    let conn: Deno.TcpConn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return;
      }
      // A peer that gave up before we accepted it: nothing to do, nothing to wait for.
      if (
        error instanceof Deno.errors.NotConnected ||
        error instanceof Deno.errors.ConnectionReset ||
        error instanceof Deno.errors.ConnectionAborted
      ) {
        continue;
      }
      log(`Accept failed: ${error instanceof Error ? error.message : error}`);
      await sleep(ACCEPT_RETRY_MS);
      continue;
    }
    yield conn;
  }
}
