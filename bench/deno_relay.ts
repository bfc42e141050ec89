/**
 * The least a Deno chat server can do per line: every chunk read from one
 * connection is written as it is to every other, with no framing, names,
 * queues or log. It is not a chat server; the benchmark runs it beside ours
 * in the light cross-check, so that the runtime's own cost of a socket-to-
 * JavaScript-to-socket round shows next to what our servers add to it.
 *
 * Each write is started and left to run, its count unread: a short write
 * would lose the rest of its chunk, and a member that stops reading would
 * hold writes without bound. Not a pattern to follow (see lib/member.ts for
 * one), but the least work: at the light rate no socket buffer fills, and
 * chatbench counts any line that does not arrive.
 *
 * Usage: `deno run --allow-net bench/deno_relay.ts PORT`
 *
 * @module
 */

import { isDisconnect } from "../lib/errors.ts";

const READ_BYTES = 64 * 1024;
const LOOPBACK = "127.0.0.1";

/** Options for {@linkcode startDenoRelay}. */
export interface DenoRelayOptions {
  /** The port to listen on, 0 for any free one. */
  port: number;
  /** The address to listen on. @default {"127.0.0.1"} */
  hostname?: string;
}

/** A running relay. */
export interface DenoRelay {
  /** Where it listens. */
  addr: Deno.NetAddr;
  /** Stops listening, closes every connection and resolves once all is done. */
  close(): Promise<void>;
}

/**
 * Starts a relay: each read goes, unframed, to every other connection.
 *
 * @example Usage
 * ```ts
 * import { startDenoRelay } from "./deno_relay.ts";
 * import assert from "node:assert/strict";
 *
 * const relay = startDenoRelay({ port: 0 });
 * assert.ok(relay.addr.port > 0);
 * await relay.close();
 * ```
 */
export function startDenoRelay(options: DenoRelayOptions): DenoRelay {
  const listener = Deno.listen({ hostname: options.hostname ?? LOOPBACK, port: options.port });
  const conns = new Set<Deno.TcpConn>();
  const tasks = new Set<Promise<void>>();

  async function relay(conn: Deno.TcpConn): Promise<void> {
    conn.setNoDelay(true);
    conns.add(conn);
    const buffer = new Uint8Array(READ_BYTES);
    try {
      for (let count = await conn.read(buffer); count !== null; count = await conn.read(buffer)) {
        const chunk = buffer.slice(0, count);
        for (const other of conns) {
          if (other !== conn) other.write(chunk).catch(dropIfGone);
        }
      }
    } catch (error) {
      dropIfGone(error);
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch (error) {
        dropIfGone(error);
      }
    }
  }

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = relay(conn).finally(() => tasks.delete(task));
        tasks.add(task);
      }
    } catch (error) {
      dropIfGone(error);
    }
  })();

  return {
    addr: listener.addr,
    async close() {
      listener.close();
      for (const conn of conns) conn.close();
      await accepting;
      await Promise.all(tasks);
    },
  };
}

/** A write or read on a connection that is gone is no news to a relay; anything else is. */
function dropIfGone(error: unknown): void {
  if (!isDisconnect(error)) throw error;
}

if (import.meta.main) {
  const port = Number(Deno.args[0]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`Invalid port "${Deno.args[0] ?? ""}": usage: deno_relay.ts PORT`);
    Deno.exit(2);
  }
  startDenoRelay({ port });
}
