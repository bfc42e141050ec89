/**
 * The threaded group chat server: the report's chat_server.py, in Deno.
 *
 * As in the report, an accept loop hands every connection to a task of its
 * own, the way chat_server.py starts one thread per client. A client first
 * sends its ID; every line after that reaches every other member as
 * `[ID]message`. Unlike the report, the server stamps the ID, so nobody can
 * speak as somebody else.
 *
 * ```sh
 * deno run -A server.ts 1234
 * ```
 *
 * @module
 */

import { acceptConnections } from "./lib/accept.ts";
import { Admission, connectionKey } from "./lib/admission.ts";
import {
  type ChatServer,
  logFault,
  memberOptions,
  MemberWords,
  serveUntilSignal,
  SHUTDOWN_NOTICE,
  SHUTDOWN_REASON,
  SHUTTING_DOWN,
} from "./lib/chat_server.ts";
import {
  type CommandSpec,
  MAX_DELAY_MS,
  parseCommand,
  parseInteger,
  parsePort,
  runMain,
} from "./lib/cli.ts";
import { Deadlines } from "./lib/deadlines.ts";
import { LINE_TOO_LONG } from "./lib/line_decoder.ts";
import { FLUSH_ON_CLOSE_MS, formatAddress, Member, SERVER_ERROR } from "./lib/member.ts";
import { idError, idKey, MAX_ID_LENGTH } from "./lib/member_id.ts";
import { memberLines, memberLinesOptions } from "./lib/member_lines.ts";
import { PresenceNotices } from "./lib/presence.ts";
import { Room } from "./lib/room.ts";
import { ThrottledLog } from "./lib/throttled_log.ts";
import { quote, sanitize } from "./lib/sanitize.ts";
import {
  helpLine,
  isBlank,
  ME_NEEDS_ACTION,
  messageText,
  parseChatCommand,
  quitReason,
  withoutOwnPrefix,
} from "./lib/chat_command.ts";
import {
  DEFAULT_SERVER_OPTIONS,
  SERVER_OPTION_SPECS,
  type ServerOptions,
  serverOptionsFrom,
} from "./lib/server_options.ts";
import { hereSummary, whoLines } from "./lib/who.ts";

/** The commands this server answers, for /help. */
const COMMANDS = ["who", "me ACTION", "nick NEW", "quit [REASON]", "help"];

/**
 * What a connection that has not sent its ID is told after {@linkcode ID_PROMPT_MS} of silence,
 * or for a line that is no ID (an empty one, a command), a few times at most: a person at nc or
 * telnet sees nothing else until then. Clients send their ID at once and never see it.
 *
 * @example Usage
 * ```ts
 * import { ID_PROMPT } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(ID_PROMPT, /^Server: type your ID/);
 * ```
 */
export const ID_PROMPT =
  `Server: type your ID (1 to ${MAX_ID_LENGTH} characters, no spaces) and press Enter`;

/**
 * How long a new connection may be silent before it is told what to send, in ms.
 *
 * @example Usage
 * ```ts
 * import { ID_PROMPT_MS } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * // Longer than any client takes to send its ID, shorter than a person's patience.
 * assert.equal(ID_PROMPT_MS, 1000);
 * ```
 */
export const ID_PROMPT_MS = 1000;

/** The most times one connection is prompted for a line that is no ID (an empty one, a command). */
const MAX_ID_PROMPTS = 3;

/** The most IDs a prompted person may have refused, told why and asked again, before the close. */
const MAX_ID_TRIES = 3;

/**
 * What a prompted person is told after the refusal that closes its connection: it has been asked
 * again after every refusal so far, and would otherwise type on into a closed connection.
 *
 * @example Usage
 * ```ts
 * import { CLOSING_AFTER_REFUSAL } from "./server.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(CLOSING_AFTER_REFUSAL, /^Server: closing/);
 * ```
 */
export const CLOSING_AFTER_REFUSAL = "Server: closing the connection";

/** Why a line too long to be any ID is refused as one. */
const ID_TOO_LONG = "ID is too long";

/** Why `id`, valid, is refused: someone here has it (compared as `idKey()` does). */
function idTaken(id: string): string {
  return `ID ${quote(id)} is already in the room`;
}

/** How long a partial line from a newline-less client may sit before it counts, in ms. */
const DEFAULT_PARTIAL_LINE_MS = 100;

/** Options for {@linkcode startServer}. */
export interface ThreadedServerOptions extends ServerOptions {
  /** A partial line idle this long is a whole message, for the report's client (0: never). */
  partialLineMs: number;
}

/**
 * Starts the threaded chat server. Throws if it cannot listen.
 *
 * @example Usage
 * ```ts ignore
 * import { startServer } from "./server.ts";
 *
 * const server = startServer({ hostname: "127.0.0.1", port: 0 });
 * console.log(`Listening on port ${server.addr.port}`);
 * await server.shutdown();
 * ```
 */
export function startServer(options: Partial<ThreadedServerOptions> = {}): ChatServer {
  const config: ThreadedServerOptions = {
    ...DEFAULT_SERVER_OPTIONS,
    partialLineMs: DEFAULT_PARTIAL_LINE_MS,
    ...options,
  };
  const { log } = config;
  /** What members say, for the console, unless --no-message-log. */
  const words = new MemberWords(config);
  /** Refusals, which a loop that connects and closes could make by the thousand a second. */
  const refusals = new ThrottledLog({ log, what: "refusals" });
  const listener = Deno.listen({ hostname: config.hostname, port: config.port });
  log(`Listening on ${formatAddress(listener.addr)}`);
  const room = new Room({
    slowTimeoutMs: config.slowTimeoutMs,
    onEvict: (member) => log(`${member.name} (${member.address}) evicted: too slow`),
    slowKey: (member) => connectionKey(member.conn),
  });
  const presence = new PresenceNotices({ room, limit: config.presenceLimit });
  const admission = new Admission(config);
  const handshakes = new Deadlines<Member>(config.handshakeTimeoutMs);
  const prompts = new Deadlines<Member>(ID_PROMPT_MS);
  /** One options object for all members, one for their lines: thousands of copies are memory. */
  const newMember = memberOptions(room, config);
  const lineOptions = memberLinesOptions(room, config);
  /** Each connection's task, which removes itself when it ends: no extra promise per connection. */
  const tasks = new Map<Deno.TcpConn, Promise<void>>();
  /** Connections let in that have not yet given their ID: a shutdown must close them too. */
  const greeting = new Set<Member>();
  let closing = false;

  async function acceptLoop(): Promise<void> {
    for await (const conn of acceptConnections(listener, log)) {
      // A fault while handling a fault (leave() failing again) must not go unhandled either.
      const fault = (error: unknown) => logFault(log, formatAddress(conn.remoteAddr), error);
      tasks.set(conn, serveConnection(conn).catch(fault));
    }
  }

  /**
   * One connection, from handshake to leave: the report's per-client thread. An error no one
   * expected is logged and closes this connection alone; it never reaches the accept loop.
   */
  async function serveConnection(conn: Deno.TcpConn): Promise<void> {
    const ip = conn.remoteAddr.hostname;
    const localIp = conn.localAddr.hostname;
    let served: Member | undefined;
    let placeTaken = false;
    /** Frees the member's place in the admission count, once; its goodbye may linger after. */
    const freePlace = () => {
      if (placeTaken) admission.release(ip, localIp);
      placeTaken = false;
    };
    try {
      // Whatever happens next, acceptLoop has recorded this task before it can end.
      await null;
      const member = served = new Member(conn, newMember);
      const refusal = closing ? SHUTTING_DOWN : admission.admit(ip, localIp);
      if (refusal) {
        refusals.write(`Refused ${member.address}: ${refusal}`);
        member.sendLine(`Error: ${refusal}`);
        return await member.closeAfterFlush(FLUSH_ON_CLOSE_MS);
      }
      placeTaken = true;
      const lines = memberLines(member, lineOptions);
      greeting.add(member);
      const refused = await handshake(member, lines).finally(() => greeting.delete(member));
      if (refused !== undefined) {
        refusals.write(`Refused ${member.address}: ${sanitize(refused.why)}`);
        member.sendLine(`Error: ${refused.why}`);
        if (refused.prompted) member.sendLine(CLOSING_AFTER_REFUSAL);
        freePlace();
        return await member.closeAfterFlush(FLUSH_ON_CLOSE_MS);
      }
      if (member.name === "") { // gone before it said who it is
        // A close with a reason is told: a quit before the ID, or silence past --idle-timeout.
        if (member.closeReason) {
          log(`Closed ${member.address} before its ID (${member.closeReason})`);
        }
        return;
      }
      for await (const line of lines) {
        if (line === LINE_TOO_LONG) {
          room.sendLineTo(
            member,
            `Error: line too long, the limit is ${config.maxLineBytes} bytes`,
          );
        } else if (!handleLine(member, line)) {
          break;
        }
      }
      leave(member);
      if (member.closed) return;
      // The peer closed its side (`echo /who | nc -N`) and may still read: its replies go first.
      freePlace();
      await member.closeWhenFlushed(FLUSH_ON_CLOSE_MS);
    } catch (error) {
      logFault(log, served?.address ?? formatAddress(conn.remoteAddr), error);
      served?.close(SERVER_ERROR);
      if (served) leave(served); // the others are told, and its ID is free again
    } finally {
      freePlace();
      if (served) served.close();
      else conn.close();
      tasks.delete(conn);
    }
  }

  /**
   * Reads the ID, the first line, and puts the member in the room under it.
   * Returns why it was refused, if it was, and whether it had been prompted; a
   * member that left first keeps its empty name.
   */
  async function handshake(
    member: Member,
    lines: AsyncIterator<string | typeof LINE_TOO_LONG>,
  ): Promise<{ why: string; prompted: boolean } | undefined> {
    let promptsSent = 0;
    let tries = 0;
    const prompt = () => {
      if (promptsSent++ < MAX_ID_PROMPTS) member.sendLine(ID_PROMPT);
    };
    /** A refusal; one who was prompted (a person at nc or telnet) is told it closes. */
    const refuse = (why: string) => ({ why, prompted: promptsSent > 0 });
    /**
     * Whether one who was prompted (a person, as clients send their ID at once) is told why an
     * ID is refused and asked again, as IRC does: for its first tries. Otherwise the refusal is
     * left to the join below, which closes.
     */
    const mayAskAgain = () => promptsSent > 0 && tries < MAX_ID_TRIES - 1;
    const askAgain = (error: string) => {
      tries++;
      member.sendLine(`Error: ${error}`);
      member.sendLine(ID_PROMPT);
    };
    /** The first line that may be an ID: a person at nc may press Enter, or type a command. */
    const firstId = async () => {
      while (true) {
        const next = await lines.next();
        if (next.done) return next;
        if (next.value === LINE_TOO_LONG) {
          if (!mayAskAgain()) return next;
          askAgain(ID_TOO_LONG);
          continue;
        }
        const text = next.value.trim();
        const command = parseChatCommand(text);
        if (command?.name === "quit") return "quit";
        if (text === "" || command !== undefined) {
          prompt();
          continue;
        }
        if (!mayAskAgain()) return next;
        const error = idError(text) ?? (room.has(idKey(text)) ? idTaken(text) : undefined);
        if (error === undefined) return next;
        askAgain(error);
      }
    };
    const timeout = handshakes.wait(member).then(() => "timeout" as const);
    prompts.wait(member).then(prompt);
    // One race, whatever the number of lines before the ID: a race per line would leave a
    // reaction on the timeout for each, held until it fires.
    const first = await Promise.race([firstId(), timeout]).finally(() => {
      handshakes.cancel(member);
      prompts.cancel(member);
    });
    if (first === "quit") {
      member.close("quit");
      return undefined;
    }
    if (first === "timeout") return refuse(`No ID received within ${config.handshakeTimeoutMs} ms`);
    if (first.done) return undefined;
    if (closing) return refuse(SHUTTING_DOWN);
    if (first.value === LINE_TOO_LONG) return refuse(ID_TOO_LONG);
    const id = first.value.trim();
    const invalid = idError(id);
    if (invalid === undefined && !room.has(idKey(id)) && !room.flowing) {
      // A join is said to the whole room, so it waits for the room to flow, as a member's line
      // does; a refusal is the newcomer's alone, and goes at once.
      await room.whenFlowing();
      if (member.closed) return undefined;
      if (closing) return refuse(SHUTTING_DOWN);
    }
    const error = invalid ?? (room.add(member, idKey(id)) ? undefined : idTaken(id));
    if (error) return refuse(error);
    member.name = id;
    // The room before the console, as for a message: what the room hears stays whole, even if
    // logging fails (then the room hears this member leave, having heard it come).
    presence.joined(id, `client${id}- enter`, member);
    log(`${id} Client connect (${member.address})`); // the address behind the ID
    const here = hereSummary(room, room.size);
    room.sendLineTo(member, `Server: welcome ${id}; ${here}; /help lists the commands`);
    return undefined;
  }

  /** Handles one line from `member`: a command or a message. Returns `false` when it quits. */
  function handleLine(member: Member, line: string): boolean {
    const prefix = `[${member.name}]`;
    const text = withoutOwnPrefix(line, member.name);
    const command = parseChatCommand(text);
    if (command === undefined) {
      const message = sanitize(messageText(text));
      if (isBlank(message)) return true;
      // The room before the console: both flush at the end of this turn, in the order they
      // were first asked, and the members should not wait for a console write.
      room.broadcastLine(prefix + message, member);
      words.log(prefix + message);
      return true;
    }
    const { name, argument } = command;
    if (name === "quit") {
      member.close(words.quitReason(member, quitReason(sanitize(argument))));
      return false;
    }
    if (name === "who") {
      for (const line of whoLines(room, room.size)) room.sendLineTo(member, line);
    } else if (name === "help") room.sendLineTo(member, helpLine(COMMANDS));
    else if (name === "me" && !argument) room.sendLineTo(member, ME_NEEDS_ACTION);
    else if (name === "me") {
      const action = `* ${member.name} ${sanitize(argument)}`;
      room.broadcastLine(action, member);
      words.log(action);
    } else if (name === "nick") rename(member, argument); // checked raw, as an ID at join is
    else {
      room.sendLineTo(
        member,
        `Error: unknown command ${quote(`/${name}`)}; /help lists the commands`,
      );
    }
    return true;
  }

  function rename(member: Member, id: string): void {
    if (id === member.name) return room.sendLineTo(member, `Server: you are already ${id}`);
    const error = idError(id) ??
      (room.rekey(member, idKey(member.name), idKey(id)) ? undefined : idTaken(id));
    if (error) return room.sendLineTo(member, `Error: ${error}`);
    const old = member.name;
    member.name = id;
    log(`${old} Client renamed to ${id}`);
    room.broadcastLine(`client${old}- is now ${id}`, member);
    room.sendLineTo(member, `Server: you are now ${id}`);
  }

  function leave(member: Member): void {
    if (!room.delete(member, idKey(member.name))) return;
    const reason = member.closeReason ? ` (${member.closeReason})` : "";
    presence.left(member.name, `client${member.name}- exit${reason}`, member);
    log(`${member.name} Client disconnect${words.leaveReason(member)}`);
  }

  const accepting = acceptLoop();

  return {
    addr: listener.addr,
    room,
    async shutdown(): Promise<void> {
      if (closing) return;
      closing = true;
      presence.close();
      handshakes.clear();
      prompts.clear();
      listener.close();
      await accepting;
      for (const member of room) room.sendLineTo(member, SHUTDOWN_NOTICE);
      for (const member of greeting) member.sendLine(SHUTDOWN_NOTICE);
      const leaving = [...room, ...greeting];
      await Promise.all(
        leaving.map((member) => member.closeAfterFlush(FLUSH_ON_CLOSE_MS, SHUTDOWN_REASON)),
      );
      await Promise.all(tasks.values());
      refusals.flush();
    },
  };
}

const COMMAND: CommandSpec = {
  usage: "deno run -A server.ts [options] PORT",
  summary: "The threaded group chat server: one task per client, as in the report.\n" +
    "Clients send their ID first, then lines; each reaches the others as [ID]line.",
  options: {
    ...SERVER_OPTION_SPECS,
    "partial-line-ms": {
      type: "string",
      arg: "N",
      help: `Ms before a newline-less partial line counts (default ${DEFAULT_PARTIAL_LINE_MS})`,
    },
  },
  positionals: [1, 1],
};

/**
 * The command line: parses `args`, runs the server until SIGINT or SIGTERM,
 * and returns the exit status.
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./server.ts";
 *
 * Deno.exit(await main(["1234"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, COMMAND);
  const options: Partial<ThreadedServerOptions> = {
    ...serverOptionsFrom(values),
    port: parsePort(positionals[0]),
  };
  if (typeof values["partial-line-ms"] === "string") {
    options.partialLineMs = parseInteger(values["partial-line-ms"], "--partial-line-ms", {
      max: MAX_DELAY_MS,
    });
  }
  return await serveUntilSignal(() => startServer(options), options);
}

if (import.meta.main) await runMain(main, COMMAND);
