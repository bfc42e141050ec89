/**
 * What both servers are to their callers: a running server that can be shut
 * down, and the command-line life around it.
 *
 * @module
 */

import { describeNetworkError, FatalError, invalidHost } from "./cli.ts";
import { consoleLog } from "./console_log.ts";
import { formatAddress } from "./member.ts";
import { type Room } from "./room.ts";
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from "./server_options.ts";
import { StopSignals } from "./signals.ts";

/**
 * The line every member gets when the server shuts down.
 *
 * @example Usage
 * ```ts
 * import { SHUTDOWN_NOTICE } from "./chat_server.ts";
 * import assert from "node:assert/strict";
 *
 * // A client that reads this line knows the close that follows is not an error.
 * assert.match(SHUTDOWN_NOTICE, /^Server: /);
 * ```
 */
export const SHUTDOWN_NOTICE = "Server: shutting down";

/**
 * Why a connection is refused once the server has begun to shut down.
 *
 * @example Usage
 * ```ts
 * import { SHUTTING_DOWN } from "./chat_server.ts";
 * import assert from "node:assert/strict";
 *
 * // A latecomer reads "Error: Server is shutting down", then the close.
 * assert.equal(`Error: ${SHUTTING_DOWN}`, "Error: Server is shutting down");
 * ```
 */
export const SHUTTING_DOWN = "Server is shutting down";

/**
 * The reason a member's connection was closed, when the server shut down.
 *
 * @example Usage
 * ```ts
 * import { SHUTDOWN_REASON } from "./chat_server.ts";
 * import assert from "node:assert/strict";
 *
 * // The log reads "bob Client disconnect (server shutdown)".
 * assert.equal(SHUTDOWN_REASON, "server shutdown");
 * ```
 */
export const SHUTDOWN_REASON = "server shutdown";

/**
 * How long a last line (a refusal, the shutdown notice) may take to drain before the close, in ms.
 *
 * @example Usage
 * ```ts
 * import { FLUSH_ON_CLOSE_MS } from "./chat_server.ts";
 * import assert from "node:assert/strict";
 *
 * // member.closeAfterFlush(FLUSH_ON_CLOSE_MS) sends a last line, then closes.
 * assert.ok(FLUSH_ON_CLOSE_MS >= 1000);
 * ```
 */
export const FLUSH_ON_CLOSE_MS = 1000;

/**
 * The close reason of a member whose serving failed with an error no one expected.
 *
 * @example Usage
 * ```ts
 * import { SERVER_ERROR } from "./chat_server.ts";
 * import assert from "node:assert/strict";
 *
 * // The others read "clientbob- exit (server error)".
 * assert.equal(SERVER_ERROR, "server error");
 * ```
 */
export const SERVER_ERROR = "server error";

/**
 * Logs an error no one expected (a bug) in serving the member at `address`,
 * stack and all. The caller then closes that member and goes on: one
 * connection's fault costs that connection, not the room, as in tokio's chat
 * example. The errors a network brings (resets, broken pipes) are expected,
 * and handled where they happen; they never come here.
 *
 * @example Usage
 * ```ts
 * import { logFault } from "./chat_server.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * logFault((line) => lines.push(line), "127.0.0.1:5000", new TypeError("Oops"));
 * assert.match(lines[0], /^Error: serving 127\.0\.0\.1:5000 failed, closing it: TypeError: Oops/);
 * ```
 */
export function logFault(log: (line: string) => void, address: string, error: unknown): void {
  const detail = error instanceof Error ? error.stack ?? String(error) : String(error);
  log(`Error: serving ${address} failed, closing it: ${detail}`);
}

/** A running chat server. */
export interface ChatServer {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** The members. */
  readonly room: Room;
  /** Tells every member the server is going away, closes every socket, and resolves when done. */
  shutdown(): Promise<void>;
}

/**
 * Starts a server with `start`, runs it until SIGINT or SIGTERM, logs
 * `Shutting down on SIGTERM` (say), shuts it down and returns exit status 0. A second signal during the shutdown exits
 * at once (see {@linkcode StopSignals}). A failure to listen becomes one line
 * (a {@linkcode FatalError}) naming the address in `options`.
 *
 * @example Usage
 * ```ts ignore
 * import { serveUntilSignal } from "./chat_server.ts";
 * import { startServer } from "../server.ts";
 *
 * const options = { port: 1234 };
 * Deno.exit(await serveUntilSignal(() => startServer(options), options));
 * ```
 */
export async function serveUntilSignal(
  start: () => ChatServer,
  options: Partial<Pick<ServerOptions, "hostname" | "port" | "log">>,
): Promise<number> {
  // Listen for signals first: one that comes as soon as the server says it is up must count.
  using stop = new StopSignals();
  let server: ChatServer;
  try {
    server = start();
  } catch (error) {
    const hostname = options.hostname ?? DEFAULT_SERVER_OPTIONS.hostname;
    const invalid = invalidHost(error, "--host", hostname);
    if (invalid) throw invalid;
    const target = formatAddress({
      transport: "tcp",
      hostname,
      port: options.port ?? DEFAULT_SERVER_OPTIONS.port,
    });
    const message = describeNetworkError(error, target);
    if (message) throw new FatalError(message, { cause: error });
    throw error;
  }
  const signal = await stop.received;
  (options.log ?? DEFAULT_SERVER_OPTIONS.log)(`Shutting down on ${signal}`);
  await server.shutdown();
  await consoleLog.flushed(FLUSH_ON_CLOSE_MS); // a console that is not reading is left behind
  return 0;
}
