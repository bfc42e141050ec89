/**
 * The select group chat client: the report's select_client.py, in Deno.
 *
 * One loop over one merged stream of events, as the report's
 * `select.select([sys.stdin, MASTER_SOCKET], [], [])`: a line typed, a line
 * received, the server gone, input ended, Ctrl-C.
 *
 * On a terminal (stdin and stdout both terminals) the stdin source is a raw-mode
 * terminal UI (lib/terminal_ui.ts): keys edit the bottom line, and Enter,
 * Ctrl-C and Ctrl-D come to the loop as the same events as from a pipe, while
 * what arrives is printed above the line being typed, names colored and our
 * own lines (the server echoes them) marked. Piped, it reads and prints plain
 * lines, as the report did.
 *
 * ```sh
 * deno run -A select_client.ts 127.0.0.1 1234
 * ```
 *
 * @module
 */

import { parseChatCommand } from "./lib/chat_command.ts";
import { type CommandSpec, parseCommand, parseRemotePort, printLine, runMain } from "./lib/cli.ts";
import { clientOptionsFrom, CONNECT_OPTION_SPECS } from "./lib/client_options.ts";
import { connectTo } from "./lib/connect.ts";
import { sleep } from "./lib/deadlines.ts";
import { wrappedRows } from "./lib/display_width.ts";
import { LEAVE_TIMEOUT_MS, RESET_LEAVE, UNCONFIRMED_LEAVE } from "./lib/leaving.ts";
import { formatAddress, Member } from "./lib/member.ts";
import { ignoringDisconnect } from "./lib/errors.ts";
import { once, Selector } from "./lib/select.ts";
import { STOP_SIGNALS, StopSignals, TERMINAL_STOP_SIGNALS } from "./lib/signals.ts";
import { type LineReader, typedInput } from "./lib/terminal_input.ts";
import {
  DISPLAY_OPTION_SPECS,
  type DisplayStyle,
  formatReceived,
  PLAIN_STYLE,
  takesEscapes,
  terminalType,
} from "./lib/terminal_style.ts";
import { type TerminalUi } from "./lib/terminal_ui.ts";
import { INPUT_LINE_TOO_LONG, SERVER_LINE_TOO_LONG, textLines } from "./lib/text_lines.ts";
import { writeAllSync } from "./lib/write_all.ts";

/**
 * Erases the line just typed (cursor up one line, clear it), as the report did: without a
 * terminal UI, so that the server's echo of the line takes its place.
 *
 * @example Usage
 * ```ts
 * import { ERASE_TYPED_LINE } from "./select_client.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(ERASE_TYPED_LINE, "\x1b[1A\x1b[2K");
 * ```
 */
export const ERASE_TYPED_LINE = "\x1b[1A\x1b[2K";
/** `Client (name) entered room`: a member joined. The newcomer gets its own. */
const ENTERED = /^Client \((.+)\) entered room$/;
/** A member's name on the select server: `ip:port`, or `[ip]:port` for IPv6. */
const MEMBER_NAME = /^(?:\[(.+)\]|([^:]+)):(\d+)$/;
/** An IPv4 address as a server listening on `::` sees it: `::ffff:a.b.c.d`. */
const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * Whether `name`, a member's name on the select server (`ip:port`, `[ip]:port` for IPv6), is
 * the address `local`: the same port and the same host, an IPv4 host also as a server on `::`
 * writes it (`::ffff:127.0.0.1`). How the client knows which `entered room` line is its own.
 *
 * @example Usage
 * ```ts
 * import { isOwnName } from "./select_client.ts";
 * import { equal } from "node:assert/strict";
 *
 * const local = { transport: "tcp" as const, hostname: "127.0.0.1", port: 5000 };
 * equal(isOwnName("127.0.0.1:5000", local), true);
 * equal(isOwnName("[::ffff:127.0.0.1]:5000", local), true); // on a dual-stack server
 * equal(isOwnName("127.0.0.1:5001", local), false);
 * ```
 *
 * @param name The name, as in `Client (name) entered room`.
 * @param local The local address of the client's connection.
 * @returns `true` when the name is that address.
 */
export function isOwnName(name: string, local: Deno.NetAddr): boolean {
  const match = MEMBER_NAME.exec(name);
  if (match === null) return false;
  const host = match[1] ?? match[2];
  return Number(match[3]) === local.port && unmapped(host) === unmapped(local.hostname);
}

/** `host` without the `::ffff:` of an IPv4-mapped address, in lower case. */
function unmapped(host: string): string {
  return (MAPPED_IPV4.exec(host)?.[1] ?? host).toLowerCase();
}

/**
 * What the client's loop handles.
 *
 * @example Usage
 * ```ts
 * import { type ClientEvent } from "./select_client.ts";
 * import { equal } from "node:assert/strict";
 *
 * const event: ClientEvent = { type: "received", line: "[127.0.0.1:5000] : hi" };
 * equal(event.type, "received");
 * ```
 */
export type ClientEvent =
  | { type: "typed"; line: string }
  | { type: "input ended" }
  | { type: "received"; line: string }
  | { type: "disconnected"; reset: boolean } // reset: not the server's close, which confirms
  | { type: "interrupted" }
  | { type: "gave up waiting" };

/**
 * Options for {@linkcode runSelectClient}.
 *
 * @example Usage
 * ```ts ignore
 * import { runSelectClient, type SelectClientOptions } from "./select_client.ts";
 *
 * const options: SelectClientOptions = { host: "127.0.0.1", port: 1234, erase: false };
 * await runSelectClient(options);
 * ```
 */
export interface SelectClientOptions {
  /** The server's host name or address. */
  host: string;
  /** The server's port. */
  port: number;
  /** How long a connect may take, in ms. */
  connectTimeoutMs?: number;
  /** Where typed lines come from, without a terminal UI (default: stdin). */
  input?: LineReader;
  /** Where lines for the user go, without a terminal UI (default: standard output). */
  output?: (text: string) => void;
  /**
   * Whether to erase each typed line once sent, without a terminal UI (default: when stdin is
   * a terminal, and not a dumb one). The erase goes to stdout when it is a terminal, else to
   * stderr when that is one, and never into a pipe.
   */
  erase?: boolean;
  /**
   * Chat in this raw-mode terminal UI instead of `input` and `output`. It is started once
   * connected, and always restored before `runSelectClient` returns or throws.
   */
  terminal?: TerminalUi;
  /** How received lines are shown (default: plain, as received). */
  style?: Readonly<DisplayStyle>;
}

/**
 * Runs the client until input ends, `quit` or `/quit [reason]`, Ctrl-C or SIGTERM (exit status
 * 0) or the server goes away (1). Leaving is 1 too when the server refused the connection: its
 * first line was an `Error:` (`Error: Server is full…`), which piped input may well end before.
 * Leaving lets the server take what was typed and close, 2 s at most in all, even when it has
 * stopped reading (then the client says so, and leaving is 1: the last lines may not have reached
 * it), and 1 likewise when the server resets the connection instead of closing it; a second
 * SIGINT or SIGTERM meanwhile exits at once (see `StopSignals`).
 *
 * @example Usage
 * ```ts ignore
 * import { runSelectClient } from "./select_client.ts";
 *
 * Deno.exit(await runSelectClient({ host: "127.0.0.1", port: 1234 }));
 * ```
 */
export async function runSelectClient(options: SelectClientOptions): Promise<number> {
  const {
    terminal,
    input = Deno.stdin,
    output = printLine,
    style = PLAIN_STYLE,
  } = options;
  const erase = terminal === undefined &&
    (options.erase ?? takesEscapes(Deno.stdin, terminalType()));
  const conn = await connectTo({
    host: options.host,
    port: options.port,
    timeoutMs: options.connectTimeoutMs,
  });
  /**
   * Our name in the room: the server names members by their address. It is our local address
   * until our `entered room` line says how the server writes it (`[::ffff:127.0.0.1]:5000` on a
   * server listening on `::`).
   */
  let self = formatAddress(conn.localAddr);
  const print = terminal ? (text: string) => terminal.print(text) : output;
  const server = new Member(conn, { name: "server" });
  const events = new Selector<ClientEvent>();
  using stop = new StopSignals(terminal ? TERMINAL_STOP_SIGNALS : STOP_SIGNALS);
  events.add(once(stop.received.then(() => ({ type: "interrupted" }))));

  /** What is typed: lines passed on no faster than the server takes them, Ctrl-C at once. */
  async function* typed(): AsyncGenerator<ClientEvent> {
    const onTooLong = () => print(INPUT_LINE_TOO_LONG);
    const keys = terminal?.input();
    for await (
      const action of typedInput({ keys, reader: input, stop, onTooLong, onDropped: print })
    ) {
      switch (action.type) {
        case "line":
          await server.whenWritable();
          yield { type: "typed", line: action.line };
          break;
        case "eof":
          yield { type: "input ended" };
          break;
      }
    }
  }
  async function* received(): AsyncGenerator<ClientEvent> {
    const onTooLong = () => print(SERVER_LINE_TOO_LONG);
    let reset = false;
    const onCut = () => reset = true;
    for await (const line of textLines(conn, { onTooLong, onCut })) {
      yield { type: "received", line };
    }
    yield { type: "disconnected", reset };
  }

  try {
    terminal?.start(); // in the try: restored even if starting fails half-way
    print("Connected to remote host. Start sending message");
    events.add(typed());
    events.add(received());

    let leaving = false;
    /** Whether the server turned us away: its first line is an `Error:`, not a room's line. */
    let refused: boolean | undefined;
    /** Leave politely: let what was typed go out, then let the server close. */
    const startLeaving = () => {
      if (leaving) return;
      leaving = true;
      events.add(once(leave(server).then(() => ({ type: "gave up waiting" }))));
    };
    while (true) {
      const { value: event } = await events.next();
      switch (event?.type) {
        case "typed":
          if (leaving) break;
          if (erase) eraseTypedLine(event.line);
          server.sendLine(event.line);
          if (parseChatCommand(event.line)?.name === "quit") startLeaving();
          break;
        case "received": {
          const entered = ENTERED.exec(event.line)?.[1];
          if (entered !== undefined && isOwnName(entered, conn.localAddr)) self = entered;
          refused ??= event.line.startsWith("Error:");
          print(formatReceived(event.line, style, self));
          break;
        }
        case "input ended":
        case "interrupted":
          startLeaving();
          break;
        case "disconnected":
          server.close();
          // A reset, which a failed write may have been the one to see: the kernel of the
          // server threw away what it had not read.
          if (leaving && (event.reset || server.broken)) {
            print(RESET_LEAVE);
            return 1;
          }
          if (leaving) return refused ? 1 : 0;
          print("Disconnected from chat server");
          return 1;
        case "gave up waiting":
          server.close();
          print(UNCONFIRMED_LEAVE);
          return 1;
      }
    }
  } finally {
    server.close(); // closed already, unless something threw
    terminal?.restore();
  }
}

/**
 * Writes {@linkcode ERASE_TYPED_LINE} to the terminal, if stdout or stderr is one, once for each
 * row that the terminal's echo of `line` took: a line wider than the terminal wrapped.
 */
function eraseTypedLine(line: string): void {
  const terminal = [Deno.stdout, Deno.stderr].find((stream) => stream.isTerminal());
  if (terminal === undefined) return;
  writeAllSync(terminal, ERASE_TYPED_LINE.repeat(wrappedRows(line, Deno.consoleSize().columns)));
}

/**
 * Sends what is queued and closes our side, then waits out {@linkcode LEAVE_TIMEOUT_MS} from
 * the start: the loop's own `disconnected` event, when the server closes, ends the leave
 * sooner; this one, when it comes first, gives up.
 */
async function leave(server: Member): Promise<void> {
  const deadline = performance.now() + LEAVE_TIMEOUT_MS;
  await server.flush(LEAVE_TIMEOUT_MS, LEAVE_TIMEOUT_MS);
  // A write still pending means the server stopped reading (it pauses a member on purpose, up to
  // its --slow-timeout), and Deno's closeWrite() would wait behind it: skip that. The close at
  // the deadline ends the write.
  if (server.queuedBytes === 0) await ignoringDisconnect(() => server.conn.closeWrite());
  await sleep(deadline - performance.now());
}

const COMMAND: CommandSpec = {
  usage: "deno run -A select_client.ts [options] HOST PORT",
  summary: "The select group chat client: one loop over stdin and the socket.\n" +
    "Type a line to send it; quit, /quit [REASON], Ctrl-D or Ctrl-C to leave.",
  options: {
    ...CONNECT_OPTION_SPECS,
    ...DISPLAY_OPTION_SPECS,
  },
  positionals: [2, 2],
};

/**
 * The command line: parses `args`, runs the client, returns the exit status.
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./select_client.ts";
 *
 * Deno.exit(await main(["127.0.0.1", "1234"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, COMMAND);
  return await runSelectClient({
    host: positionals[0],
    port: parseRemotePort(positionals[1]),
    ...clientOptionsFrom(values),
  });
}

if (import.meta.main) await runMain(main, COMMAND);
