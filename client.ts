/**
 * The threaded group chat client: the report's chat_client.py, in Deno.
 *
 * Like the report's two threads, two tasks run side by side: one prints what
 * the server sends, one sends what you type. The client sends its ID first.
 *
 * On a terminal (stdin and stdout both terminals) it chats the way irssi does:
 * the line you type stays on the bottom line, with editing keys and history,
 * and what arrives is printed above it, names colored, your own lines marked.
 * Piped, it reads and prints plain lines, as the report did.
 *
 * ```sh
 * deno run -A client.ts 127.0.0.1 1234 bob
 * deno run -A client.ts --reconnect --timestamps 127.0.0.1 1234 bob
 * echo hi | deno run -A client.ts 127.0.0.1 1234 bot
 * ```
 *
 * @module
 */

import {
  type ChatCommand,
  isBlank,
  messageText,
  parseChatCommand,
  withoutOwnPrefix,
} from "./lib/chat_command.ts";
import {
  type CommandSpec,
  FatalError,
  parseCommand,
  parseRemotePort,
  printLine,
  runMain,
  UsageError,
} from "./lib/cli.ts";
import { clientOptionsFrom, CONNECT_OPTION_SPECS } from "./lib/client_options.ts";
import { connectTo } from "./lib/connect.ts";
import { within } from "./lib/deadlines.ts";
import { LEAVE_TIMEOUT_MS, RESET_LEAVE, UNCONFIRMED_LEAVE } from "./lib/leaving.ts";
import { ignoringDisconnect } from "./lib/errors.ts";
import { encodeLine } from "./lib/member.ts";
import { idError } from "./lib/member_id.ts";
import { sanitize } from "./lib/sanitize.ts";
import { STOP_SIGNALS, StopSignals, TERMINAL_STOP_SIGNALS } from "./lib/signals.ts";
import { type LineReader, typedInput } from "./lib/terminal_input.ts";
import {
  DISPLAY_OPTION_SPECS,
  type DisplayStyle,
  formatReceived,
  PLAIN_STYLE,
} from "./lib/terminal_style.ts";
import { type TerminalUi } from "./lib/terminal_ui.ts";
import { INPUT_LINE_TOO_LONG, SERVER_LINE_TOO_LONG, textLines } from "./lib/text_lines.ts";
import { SerialWriter } from "./lib/write_all.ts";

/** The pause before the first attempt to reconnect, in ms; it doubles after each failure. */
const RECONNECT_DELAY_MS = 1000;
/** The longest pause between attempts to reconnect, in ms. */
const MAX_RECONNECT_DELAY_MS = 30_000;
/** The server's answer to a successful `/nick NEW`. */
const RENAMED = /^Server: you are now (\S+)$/;
/** The server's first line to a member it let in. */
const WELCOME = /^Server: welcome /;

/**
 * Options for {@linkcode runClient}.
 *
 * @example Usage
 * ```ts ignore
 * import { type ClientOptions, runClient } from "./client.ts";
 *
 * const lines: string[] = [];
 * const options: ClientOptions = {
 *   host: "127.0.0.1",
 *   port: 1234,
 *   id: "bot",
 *   input: { read: () => Promise.resolve(null) },
 *   output: (line) => lines.push(line),
 * };
 * await runClient(options);
 * ```
 */
export interface ClientOptions {
  /** The server's host name or address. */
  host: string;
  /** The server's port. */
  port: number;
  /** The ID to join as. */
  id: string;
  /** How long a connect may take, in ms. */
  connectTimeoutMs?: number;
  /** Where typed lines come from, without a terminal UI (default: stdin). */
  input?: LineReader;
  /** Where lines for the user go, without a terminal UI (default: standard output). */
  output?: (line: string) => void;
  /**
   * Chat in this raw-mode terminal UI instead of `input` and `output`. It is started once
   * connected, and always restored before `runClient` returns or throws.
   */
  terminal?: TerminalUi;
  /** How received lines are shown (default: plain, as received). */
  style?: Readonly<DisplayStyle>;
  /**
   * When the server goes away, connect again and rejoin under the same ID, pausing 1 s, then
   * twice as long after each failure (at most 30 s), until it works or you leave. Not after the
   * server refused the first join with an `Error:` line (a taken ID, say: pick another). A
   * refused rejoin counts as one more failure: the ID is most likely held by our own old
   * connection, which the server has not yet seen die (a laptop that lost its Wi-Fi sends no
   * FIN). An `Error:` line answering a command or a too-long line is no reason to stay away.
   */
  reconnect?: boolean;
}

/** Why the chat ended. */
type Outcome = "server closed" | "quit" | "end of input" | "interrupted";

/**
 * Runs the client until you quit (exit status 0) or the server goes away (1).
 *
 * You leave with `quit` (any case) or `/quit [reason]`, which are sent first, with Ctrl-D or the
 * end of piped input, with Ctrl-C, SIGINT or SIGTERM; then the client closes its side and waits
 * for the server to close, so nothing typed is lost: 2 s at most in all, even when the server has
 * stopped reading (then the client says so, and leaving is 1: the last lines may not have reached
 * it), and 1 likewise when the server resets the connection instead of closing it. A second
 * SIGINT or SIGTERM meanwhile exits at once (see `StopSignals`).
 * Leaving is 1 too when the server never let us in: it refused the ID (an `Error:` line), or sent
 * no welcome before it closed. Piped input may well end before the server has answered the ID;
 * its answer decides.
 *
 * @example Usage
 * ```ts ignore
 * import { runClient } from "./client.ts";
 *
 * const status = await runClient({ host: "127.0.0.1", port: 1234, id: "bob" });
 * Deno.exit(status);
 * ```
 */
export async function runClient(options: ClientOptions): Promise<number> {
  const { terminal, reconnect = false } = options;
  const join = () =>
    connectTo({ host: options.host, port: options.port, timeoutMs: options.connectTimeoutMs });
  let conn = await join();
  using stop = new StopSignals(terminal ? TERMINAL_STOP_SIGNALS : STOP_SIGNALS);
  const interrupted = stop.received.then(() => "interrupted" as const);
  const output = options.output ?? printLine;
  const print = terminal ? (text: string) => terminal.print(text) : output;
  const style = options.style ?? PLAIN_STYLE;
  /** Our ID: the one we joined as, until `/nick` changes it. */
  let id = options.id;
  /** Whether the server let us in on this connection: it sent its welcome. */
  let joined = false;
  /** Whether it ever let us in, on any connection. */
  let welcomed = false;
  /**
   * Whether it refused our first join: an `Error:` line before any welcome.
   * Then we do not come back.
   */
  let refused = false;
  /** The pause before the next attempt to reconnect: it doubles after each failure. */
  let delay = RECONNECT_DELAY_MS;
  /** Once leaving, the typing task sends nothing more. */
  let leaving = false;
  /** Whether this connection ended in a reset (or our own close), not the server's close. */
  let cut = false;
  const show = (line: string) => print(formatReceived(line, style, id));
  /** Our lines to the server, each written whole before the next: quit never splits a line. */
  let writer = new SerialWriter(conn);
  const send = (text: string) => ignoringDisconnect(() => writer.write(encodeLine(text)));
  /** The server does not send us our own lines: show them as the others see them. */
  const echo = (line: string, command: ChatCommand | undefined) => {
    // Blank as the server sees it, sanitized: U+2028 is white space to trim(), not to the room.
    const message = messageText(line);
    if (command === undefined && !isBlank(sanitize(message))) show(`[${id}]${message}`);
    if (command?.name === "me" && command.argument !== "") show(`* ${id} ${command.argument}`);
  };

  try {
    terminal?.start(); // in the try: restored even if starting fails half-way
    print("Host connected");
    await send(id);

    /** The task that prints what the server sends, until it closes. */
    const receive = async (): Promise<Outcome> => {
      cut = false;
      const onTooLong = () => print(SERVER_LINE_TOO_LONG);
      for await (const line of textLines(conn, { onTooLong, onCut: () => cut = true })) {
        show(line);
        if (WELCOME.test(line)) {
          joined = welcomed = true;
          delay = RECONNECT_DELAY_MS;
        } else if (!welcomed && line.startsWith("Error:")) {
          // Refused: final, even where the server would let a person try another ID.
          refused = true;
          break;
        }
        const renamed = RENAMED.exec(line)?.[1];
        // Only a valid ID: it is printed, unsanitized, when we rejoin under it.
        if (renamed !== undefined && idError(renamed) === undefined) id = renamed;
      }
      return "server closed";
    };
    let receiving = receive();
    /** The task that sends what you type. */
    const typing = (async (): Promise<Outcome> => {
      const input = typedInput({
        keys: terminal?.input(),
        reader: options.input ?? Deno.stdin,
        stop,
        onTooLong: () => print(INPUT_LINE_TOO_LONG),
        onDropped: print,
      });
      for await (const typed of input) {
        if (leaving || typed.type === "eof") break;
        if (typed.type === "interrupt") continue; // handled the moment it was read
        // As the server reads it: the report's own `[ID]` prefix first is not part of it.
        const text = withoutOwnPrefix(typed.line, id);
        const command = parseChatCommand(text);
        if (!await send(typed.line)) {
          // The server went away (reset the connection, say), as the receiving side will see.
          if (!reconnect) return "server closed";
          if (command?.name === "quit") return "quit"; // leaving while away: no one to tell
          print(`Not connected, not sent: ${sanitize(typed.line)}`);
          continue;
        }
        if (command?.name === "quit") return "quit";
        if (terminal) echo(text, command);
      }
      return "end of input";
    })();

    /**
     * Connects again after a pause that doubles after each failure, a refused rejoin included
     * (a welcome resets it); gives way to leaving.
     */
    const rejoin = async (): Promise<Deno.TcpConn | Outcome> => {
      for (;;) {
        const pause = delay;
        delay = Math.min(2 * delay, MAX_RECONNECT_DELAY_MS);
        print(`Disconnected; reconnecting in ${pause / 1000} s (Ctrl-C to give up)`);
        const woken = await within(Promise.race([typing, interrupted]), pause);
        if (woken !== undefined) return woken;
        const connecting = join().catch((error) => {
          if (error instanceof FatalError) return undefined; // refused, unreachable: try again
          throw error;
        });
        const joined = await Promise.race([connecting, typing, interrupted]);
        if (typeof joined === "string") {
          // Leaving: a connection that comes too late is closed unused. (connecting rejects only
          // on an error join() did not expect, and that one should surface.)
          connecting.then((late) => late?.close());
          return joined;
        }
        if (joined !== undefined) return joined;
      }
    };

    let outcome = await Promise.race([receiving, typing, interrupted]);
    /** Whether we left while away, between connections: there is no server to tell. */
    let away = false;
    while (outcome === "server closed" && reconnect && !refused) {
      closeQuietly(conn);
      joined = false; // a leave from here on is confirmed by no server
      const rejoined = await rejoin();
      if (typeof rejoined === "string") {
        outcome = rejoined;
        away = true;
        break;
      }
      conn = rejoined;
      writer = new SerialWriter(conn);
      print(`Reconnected; joining as ${id}`);
      await send(id);
      receiving = receive();
      outcome = await Promise.race([receiving, typing, interrupted]);
    }

    /**
     * Why leaving ended without the server's close, which says it has read all we sent: it did not
     * close in time, or it reset the connection (closed it with our lines unread).
     */
    let unconfirmed: string | undefined;
    if (outcome === "server closed") {
      // A failed send may tell first: show what the server sent before it went.
      await within(receiving, LEAVE_TIMEOUT_MS);
    } else if (!away) {
      // Leave politely: say quit (unless the user just did), close our side, and let the server
      // close, so nothing we sent is lost; but all of it within the one deadline. A write still
      // pending means the server stopped reading (it pauses a member on purpose, up to its
      // --slow-timeout), and Deno's closeWrite() would wait behind it: skip that. Closing the
      // connection at the deadline ends whatever is still pending.
      leaving = true;
      const polite = (async () => {
        // A write that fails here met a reset, which the reading side then may not see: the
        // kernel reports it once.
        let reset = false;
        if (outcome !== "quit" && !await send("quit")) reset = true;
        if (writer.pending === 0 && !await ignoringDisconnect(() => conn.closeWrite())) {
          reset = true;
        }
        await receiving;
        return reset || cut ? RESET_LEAVE : "closed";
      })();
      const ended = await within(polite, LEAVE_TIMEOUT_MS) ?? UNCONFIRMED_LEAVE;
      closeQuietly(conn);
      await polite;
      if (ended !== "closed") {
        unconfirmed = ended;
        print(ended);
      }
    }
    closeQuietly(conn);
    await receiving;
    print("Host Disconnected");
    return outcome === "server closed" || !joined || unconfirmed !== undefined ? 1 : 0;
  } finally {
    closeQuietly(conn); // closed already, unless something threw
    terminal?.restore();
  }
}

/** Closes `conn`, which may be closed already. */
function closeQuietly(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

const COMMAND: CommandSpec = {
  usage: "deno run -A client.ts [options] HOST PORT ID",
  summary: "The threaded group chat client. Type a line to send it; quit, /quit [REASON],\n" +
    "Ctrl-D or Ctrl-C to leave. With stdin piped, it sends each line and leaves at its end.",
  options: {
    ...CONNECT_OPTION_SPECS,
    reconnect: {
      type: "boolean",
      help: "When the server goes away, reconnect (1 s, 2 s, 4 s… apart) and rejoin",
    },
    ...DISPLAY_OPTION_SPECS,
  },
  positionals: [3, 3],
};

/**
 * The command line: parses `args`, runs the client, returns the exit status.
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./client.ts";
 *
 * Deno.exit(await main(["127.0.0.1", "1234", "bob"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, COMMAND);
  const [host, port, id] = positionals;
  // The server's own rule, checked first: an ID with a newline would send a message as well.
  const idProblem = idError(id);
  if (idProblem !== undefined) throw new UsageError(idProblem);
  return await runClient({
    host,
    port: parseRemotePort(port),
    id,
    reconnect: values.reconnect === true,
    ...clientOptionsFrom(values),
  });
}

if (import.meta.main) await runMain(main, COMMAND);
