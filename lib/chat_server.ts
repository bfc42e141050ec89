/**
 * What both servers are to their callers: a running server that can be shut
 * down, and the command-line life around it.
 *
 * @module
 */

import { describeNetworkError, FatalError, invalidHost } from "./cli.ts";
import { consoleLog } from "./console_log.ts";
import { FLUSH_ON_CLOSE_MS, formatAddress, type Member, type MemberOptions } from "./member.ts";
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

/**
 * The one options object a server gives every {@linkcode Member} it makes (each
 * then takes its own name): its queue's high-water mark, the room's backlog
 * accounting, and a write fault logged with {@linkcode logFault}, which closes
 * that member alone.
 *
 * @example Usage
 * ```ts
 * import { memberOptions } from "./chat_server.ts";
 * import { Room } from "./room.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const room = new Room();
 * const options = memberOptions(room, { highWaterBytes: 4096, log: (line) => lines.push(line) });
 * assert.equal(options.onBacklog, room.onBacklog);
 * assert.equal(Object.isFrozen(options), true);
 * ```
 *
 * @param room The room whose flow control counts the members' backlogs.
 * @param config The server's queue size and log.
 * @returns The options, frozen.
 */
export function memberOptions(
  room: Room,
  config: Pick<ServerOptions, "highWaterBytes" | "log">,
): Readonly<MemberOptions> {
  const { log } = config;
  return Object.freeze({
    name: "",
    highWaterBytes: config.highWaterBytes,
    onBacklog: room.onBacklog,
    onFault: (member: Member, error: unknown) => logFault(log, member.address, error),
  });
}

/**
 * What members say, for the server's console: their messages and their own
 * `/quit` reasons, both left out with `--no-message-log` (a reason then reads
 * `(quit)`); the room hears them either way.
 *
 * @example Usage
 * ```ts
 * import { MemberWords } from "./chat_server.ts";
 * import { Member } from "./member.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const words = new MemberWords({ log: (line) => lines.push(line), logMessages: false });
 * words.log("[bob]hello"); // left out
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * using peer = await Deno.connect({ port: listener.addr.port });
 * const bob = new Member(await listener.accept(), { name: "bob" });
 * bob.close(words.quitReason(bob, "my secret"));
 * assert.equal(words.leaveReason(bob), " (quit)");
 * assert.deepEqual(lines, []);
 * ```
 */
export class MemberWords {
  /**
   * Logs a message or `/me` action, unless `--no-message-log`.
   *
   * @example Usage
   * ```ts
   * import { MemberWords } from "./chat_server.ts";
   * import assert from "node:assert/strict";
   *
   * const lines: string[] = [];
   * new MemberWords({ log: (line) => lines.push(line), logMessages: true }).log("[bob]hi");
   * assert.deepEqual(lines, ["[bob]hi"]);
   * ```
   */
  readonly log: (line: string) => void;
  #logMessages: boolean;
  /** Members who left with a reason in their own words. */
  #saidWhy = new WeakSet<Member>();

  /** Takes the server's `log` and `logMessages` options. */
  constructor(options: Pick<ServerOptions, "log" | "logMessages">) {
    this.#logMessages = options.logMessages;
    this.log = options.logMessages ? options.log : () => {};
  }

  /**
   * Notes that `member` leaves for `reason`, in its own words (if any), and returns it.
   *
   * @example Usage
   * ```ts
   * import { MemberWords } from "./chat_server.ts";
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * const words = new MemberWords({ log: () => {}, logMessages: true });
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * bob.close(words.quitReason(bob, "bye"));
   * assert.equal(words.leaveReason(bob), " (bye)");
   * ```
   *
   * @param member The member that quits.
   * @param reason Its reason, if it gave one.
   * @returns `reason`.
   */
  quitReason(member: Member, reason: string | undefined): string | undefined {
    if (reason !== undefined) this.#saidWhy.add(member);
    return reason;
  }

  /**
   * The ` (reason)` a leave's log line ends in, or `""`: the member's own words only where
   * messages are logged.
   *
   * @example Usage
   * ```ts
   * import { MemberWords } from "./chat_server.ts";
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * const words = new MemberWords({ log: () => {}, logMessages: false });
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * bob.close("too slow"); // the server's words, not bob's
   * assert.equal(words.leaveReason(bob), " (too slow)");
   * ```
   *
   * @param member The member that left.
   * @returns The text to append to the log line.
   */
  leaveReason(member: Member): string {
    if (!member.closeReason) return "";
    if (!this.#logMessages && this.#saidWhy.has(member)) return " (quit)";
    return ` (${member.closeReason})`;
  }
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
 * `Shutting down on SIGTERM` (say), shuts it down and returns exit status 0.
 * A second signal during the shutdown exits at once (see
 * {@linkcode StopSignals}). A failure to listen becomes one line
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
