/**
 * The select group chat server: the report's select_server.py, in Deno.
 *
 * Everything happens in one visible loop, as in the report's
 * `while True: select.select(CONNECTION_LIST, [], [])`. Its events come from
 * one merged iterator (lib/select.ts) fed by the listener and by one I/O pump
 * per connection, and each kind is handled in one place:
 *
 * | report (select_server.py)               | here                       |
 * | --------------------------------------- | -------------------------- |
 * | `select.select(CONNECTION_LIST, …)`     | `for await (… of events)`  |
 * | `if SOCK == SERVER_SOCKET: accept()`    | `case "accepted"`          |
 * | `DATA = SOCK.recv(RECV_BUFFER)`         | `case "line"`              |
 * | `except: … is offline`, `remove(SOCK)`  | `case "closed"`            |
 *
 * Unlike the report, members are named by address, every line is stamped
 * once (not once per read), a closed socket leaves the loop at once (the
 * report spun at 100% CPU on it), a slow member never blocks the loop, and
 * there is no limit of 1024 sockets.
 *
 * ```sh
 * deno run -A select_server.ts 1234
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
  parseCommand,
  parseInteger,
  parsePort,
  runMain,
  UsageError,
} from "./lib/cli.ts";
import { type Frame, LINE_TOO_LONG } from "./lib/line_decoder.ts";
import { FLUSH_ON_CLOSE_MS, formatAddress, Member, SERVER_ERROR } from "./lib/member.ts";
import { memberLines, memberLinesOptions } from "./lib/member_lines.ts";
import { PresenceNotices } from "./lib/presence.ts";
import { Room } from "./lib/room.ts";
import { textLines } from "./lib/text_lines.ts";
import { ThrottledLog } from "./lib/throttled_log.ts";
import { quote, sanitize } from "./lib/sanitize.ts";
import {
  type ChatCommand,
  helpLine,
  isBlank,
  ME_NEEDS_ACTION,
  messageText,
  parseChatCommand,
  quitReason,
} from "./lib/chat_command.ts";
import { once, Selector } from "./lib/select.ts";
import {
  DEFAULT_SERVER_OPTIONS,
  SERVER_OPTION_SPECS,
  type ServerOptions,
  serverOptionsFrom,
} from "./lib/server_options.ts";
import { whoLines } from "./lib/who.ts";

/** The commands this server answers, for /help. */
const COMMANDS = ["who", "me ACTION", "quit [REASON]", "help"];

/**
 * The report's fixed port.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_PORT } from "./select_server.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_PORT, 1234); // select_server.ts with no PORT listens here
 * ```
 */
export const DEFAULT_PORT = 1234;

/** What the loop handles: the report's three cases, and a request to stop. */
export type ChatEvent =
  | { type: "accepted"; conn: Deno.TcpConn }
  | { type: "line"; member: Member; line: Frame }
  | { type: "closed"; member: Member }
  | { type: "stop" };

/** `ip, port`, as the report's console wrote it (the name is `ip:port`, `[ip]:port` for IPv6). */
function pair(member: Member): string {
  const { hostname, port } = member.conn.remoteAddr;
  return `${hostname}, ${port}`;
}

/**
 * Starts the select chat server. Throws if it cannot listen.
 *
 * @example Usage
 * ```ts ignore
 * import { startSelectServer } from "./select_server.ts";
 *
 * const server = startSelectServer({ hostname: "127.0.0.1", port: 0 });
 * await server.shutdown();
 * ```
 */
export function startSelectServer(options: Partial<ServerOptions> = {}): ChatServer {
  const config: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, port: DEFAULT_PORT, ...options };
  const { log } = config;
  /** What members say, for the console, unless --no-message-log. */
  const words = new MemberWords(config);
  /** Refusals, which a loop that connects and closes could make by the thousand a second. */
  const refusals = new ThrottledLog({ log, what: "refusals" });
  const listener = Deno.listen({ hostname: config.hostname, port: config.port });
  // The report's two lines, both after the bind, the first with the address (port 0 picks
  // one): the first log starts Deno's Node layer (see lib/room.ts), which a start-up need not
  // wait for.
  log(`Listening on ${formatAddress(listener.addr)}...`);
  log("Server started!");
  const room = new Room({
    slowTimeoutMs: config.slowTimeoutMs,
    onEvict: (member) => log(`Client (${pair(member)}) evicted: too slow`),
    slowKey: (member) => connectionKey(member.conn),
  });
  const presence = new PresenceNotices({ room, limit: config.presenceLimit });
  const admission = new Admission(config);
  const stop = Promise.withResolvers<ChatEvent>();
  const events = new Selector<ChatEvent>({ endWhenEmpty: true });
  events.add(accepted(listener, log));
  events.add(once(stop.promise));
  let stopping = false;
  /** One options object for all members, one for their lines: thousands of copies are memory. */
  const newMember = memberOptions(room, config);
  const lineOptions = memberLinesOptions(room, config);

  /** The I/O pump of one connection: its lines, then its end. */
  async function* pump(member: Member): AsyncGenerator<ChatEvent> {
    try {
      for await (const line of memberLines(member, lineOptions)) {
        yield { type: "line", member, line };
      }
    } catch (error) {
      // A bug in reading one member costs that member alone, as one in handling its line
      // does: thrown on, it would end the loop, and the server with it.
      logFault(log, member.address, error);
      member.close(SERVER_ERROR);
    }
    yield { type: "closed", member };
  }

  /** The commands other than quit: each answers the sender, or the room for /me. */
  function answer(member: Member, { name, argument }: ChatCommand): void {
    if (name === "who") {
      for (const line of whoLines(room, room.size)) room.sendLineTo(member, line);
    } else if (name === "help") {
      room.sendLineTo(member, helpLine(COMMANDS));
    } else if (name === "me" && !argument) {
      room.sendLineTo(member, ME_NEEDS_ACTION);
    } else if (name === "me") {
      const action = `* ${member.name} ${sanitize(argument)}`;
      room.echoLine(action, member);
      words.log(action);
    } else if (name === "nick") {
      room.sendLineTo(member, "Error: /nick is not available here: members are named by address");
    } else {
      room.sendLineTo(
        member,
        `Error: unknown command ${quote(`/${name}`)}; /help lists the commands`,
      );
    }
  }

  /** Closes that wait for a member's last lines, off the loop; shutdown waits for these. */
  const closing = new Set<Promise<void>>();
  function closeOffLoop(member: Member, closed: Promise<void>): void {
    const done = closed
      .catch((error) => {
        logFault(log, member.address, error);
        member.close(SERVER_ERROR);
      })
      .finally(() => closing.delete(done));
    closing.add(done);
  }
  function closeGracefully(member: Member, reason?: string): void {
    closeOffLoop(member, member.closeAfterFlush(FLUSH_ON_CLOSE_MS, reason));
  }
  function refuse(member: Member, refusal: string): void {
    refusals.write(`Refused (${pair(member)}): ${refusal}`);
    member.sendLine(`Error: ${refusal}`);
    closeGracefully(member);
  }
  /** Members that said /quit: what they send after it is not read. */
  const quitting = new WeakSet<Member>();

  async function loop(): Promise<void> {
    for await (const event of events) {
      try {
        switch (event.type) {
          case "accepted": {
            const ip = event.conn.remoteAddr.hostname;
            const localIp = event.conn.localAddr.hostname;
            const member = new Member(event.conn, newMember);
            member.name = member.address; // ip:port, [ip]:port for IPv6
            const refusal = stopping ? SHUTTING_DOWN : admission.admit(ip, localIp);
            if (refusal) {
              refuse(member, refusal);
              break;
            }
            if (!room.add(member)) {
              // Its address is still a member's: a connection whose end the loop has not read
              // yet (its reads wait on the room, the rate limit or its own backlog). The port is
              // free again, so that one is gone, but until its end is read the name is taken.
              admission.release(ip, localIp);
              refuse(
                member,
                `Address ${member.name} is still in the room: its last connection has not closed yet`,
              );
              break;
            }
            events.add(pump(member));
            log(`Client (${pair(member)}) connected`);
            const entered = `Client (${member.name}) entered room`;
            // In a big room the others get a summary; the newcomer still learns its name.
            if (!presence.joined(member.name, entered)) room.sendLineTo(member, entered);
            break;
          }
          case "line": {
            const { member, line } = event;
            if (quitting.has(member)) break;
            if (line === LINE_TOO_LONG) {
              room.sendLineTo(
                member,
                `Error: line too long, the limit is ${config.maxLineBytes} bytes`,
              );
              break;
            }
            // A command is read from what the member sent, as server.ts reads it; what the
            // room is shown of it is sanitized.
            const command = parseChatCommand(line);
            if (command === undefined) {
              const text = sanitize(messageText(line));
              if (isBlank(text)) break; // Enter on an empty line: nothing to say
              const message = `[${member.name}] : ${text}`;
              // The room before the console, as in server.ts: the write goes out first.
              room.echoLine(message, member);
              words.log(message);
            } else if (command.name === "quit") {
              // It still gets what it was sent: its own copy of a line just before, which in a
              // big room waits in the room's batch, and in a small one a millisecond.
              quitting.add(member);
              room.flush();
              closeGracefully(
                member,
                words.quitReason(member, quitReason(sanitize(command.argument))),
              );
            } else {
              answer(member, command);
            }
            break;
          }
          case "closed": {
            const { member } = event;
            room.delete(member);
            // A peer may close its side right after its last line and still read: its own copy
            // of that line (sent a millisecond later) and the rest of its queue go out first.
            closeOffLoop(member, member.closeWhenFlushed(FLUSH_ON_CLOSE_MS));
            const { remoteAddr, localAddr } = member.conn;
            admission.release(remoteAddr.hostname, localAddr.hostname);
            const reason = member.closeReason ? ` (${member.closeReason})` : "";
            if (!stopping) {
              presence.left(member.name, `Client (${pair(member)}) is offline${reason}`);
            }
            log(`Client (${pair(member)}) disconnected.${words.leaveReason(member)}`);
            break;
          }
          case "stop": {
            stopping = true;
            presence.close();
            listener.close();
            for (const member of room) {
              room.sendLineTo(member, SHUTDOWN_NOTICE);
              closeGracefully(member, SHUTDOWN_REASON);
            }
            break;
          }
        }
      } catch (error) {
        // An error no one expected, on a member's line or its leaving, costs that member alone:
        // its reads end with the close, and its "closed" event tells the room (or it has told
        // it). On an accept or the stop, the loop's own state may be torn: it ends the loop.
        if (event.type !== "line" && event.type !== "closed") throw error;
        logFault(log, event.member.address, error);
        event.member.close(SERVER_ERROR);
      }
    }
  }

  const running = loop();

  return {
    addr: listener.addr,
    room,
    async shutdown(): Promise<void> {
      stop.resolve({ type: "stop" });
      await running;
      await Promise.all(closing);
      refusals.flush();
    },
  };
}

/** The listener as a source of events. */
async function* accepted(
  listener: Deno.TcpListener,
  log: (line: string) => void,
): AsyncGenerator<ChatEvent> {
  for await (const conn of acceptConnections(listener, log)) yield { type: "accepted", conn };
}

const COMMAND: CommandSpec = {
  usage: "deno run -A select_server.ts [options] [PORT]",
  summary: `The select group chat server: one event loop, as in the report.\n` +
    `Members are named by address; every line reaches everyone as [ip:port] : line.\n` +
    `PORT defaults to ${DEFAULT_PORT}. Without --max-clients, a terminal is asked for it.`,
  options: Object.fromEntries(
    // No handshake here: a member is named by its address the moment it connects.
    Object.entries(SERVER_OPTION_SPECS).filter(([flag]) => flag !== "handshake-timeout"),
  ),
  positionals: [0, 1],
};

/** The report's prompt for the number of clients. */
const MAX_CLIENTS_PROMPT = "연결 가능한 client 개수 : ";

/**
 * Asks the terminal for the number of clients, as the report did: only when
 * stdin and stdout are both a terminal, so that no one waits on a prompt that
 * went to a log file. A blank answer, or the end of input, keeps the default;
 * a wrong one is told why and asked again.
 */
async function askMaxClients(): Promise<number | undefined> {
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) return undefined;
  const prompt = () => Deno.stdout.writeSync(new TextEncoder().encode(MAX_CLIENTS_PROMPT));
  const wrong = (message: string) => {
    console.error(`Error: ${message}`);
    prompt();
  };
  prompt();
  // Whole lines, however long: a long answer is one wrong answer, not several.
  const onTooLong = () => wrong("Invalid number of clients: that line is too long");
  for await (const line of textLines(Deno.stdin, { maxLineBytes: 64, onTooLong })) {
    const answer = line.trim();
    if (answer === "") return undefined;
    try {
      return parseInteger(answer, "number of clients", { min: 1 });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      wrong(error.message);
    }
  }
  return undefined; // the end of input: the default
}

/**
 * The command line: parses `args`, runs the server until SIGINT or SIGTERM,
 * and returns the exit status.
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./select_server.ts";
 *
 * Deno.exit(await main(["1234", "--max-clients", "5"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, COMMAND);
  const options: Partial<ServerOptions> = serverOptionsFrom(values);
  options.port = positionals[0] === undefined ? DEFAULT_PORT : parsePort(positionals[0]);
  if (options.maxClients === undefined) options.maxClients = await askMaxClients();
  if (options.maxClients === undefined) delete options.maxClients;
  return await serveUntilSignal(() => startSelectServer(options), options);
}

if (import.meta.main) await runMain(main, COMMAND);
