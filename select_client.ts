/**
 * The select group chat client: the report's select_client.py, in Deno.
 *
 * One loop over one merged stream of events, as the report's
 * `select.select([sys.stdin, MASTER_SOCKET], [], [])`: a line typed, a line
 * received, the server gone, input ended, Ctrl-C.
 *
 * ```sh
 * deno run -A select_client.ts 127.0.0.1 1234
 * ```
 *
 * @module
 */

import {
  type CommandSpec,
  helpText,
  parseCommand,
  parseInteger,
  parsePort,
  runMain,
} from "./lib/cli.ts";
import { connectTo, DEFAULT_CONNECT_TIMEOUT_MS } from "./lib/connect.ts";
import { Member } from "./lib/member.ts";
import { sanitize } from "./lib/sanitize.ts";
import { Selector } from "./lib/select.ts";
import { untilSignal } from "./lib/signals.ts";
import { textLines } from "./lib/text_lines.ts";
import { writeAllSync } from "./lib/write_all.ts";

/** Erases the line just typed (cursor up one line, clear it), as the report did. */
export const ERASE_TYPED_LINE = "\x1b[1A\x1b[2K";
const LEAVE_TIMEOUT_MS = 2000;

/** What the client's loop handles. */
export type ClientEvent =
  | { type: "typed"; line: string }
  | { type: "input ended" }
  | { type: "received"; line: string }
  | { type: "disconnected" }
  | { type: "interrupted" }
  | { type: "gave up waiting" };

/** Options for {@linkcode runSelectClient}. */
export interface SelectClientOptions {
  /** The server's host name or address. */
  host: string;
  /** The server's port. */
  port: number;
  /** How long a connect may take, in ms. */
  connectTimeoutMs?: number;
  /** Where typed lines come from. */
  input?: { read(p: Uint8Array): Promise<number | null> };
  /** Where lines for the user go. */
  output?: (text: string) => void;
  /** Whether to erase each typed line once sent (default: when stdin is a terminal). */
  erase?: boolean;
}

/**
 * Runs the client until input ends or Ctrl-C (exit status 0) or the server
 * goes away (1).
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
    input = Deno.stdin,
    output = (text: string) => console.log(text),
    erase = Deno.stdin.isTerminal(),
  } = options;
  const conn = await connectTo({
    host: options.host,
    port: options.port,
    timeoutMs: options.connectTimeoutMs,
  });
  const server = new Member(conn, { name: "server" });
  const events = new Selector<ClientEvent>();
  events.add(once(untilSignal().then(() => ({ type: "interrupted" }))));
  output("Connected to remote host. Start sending message");

  /** Typed lines, read no faster than the server takes them. */
  async function* typed(): AsyncGenerator<ClientEvent> {
    for await (const line of textLines(input)) {
      await server.whenWritable();
      yield { type: "typed", line };
    }
    yield { type: "input ended" };
  }
  async function* received(): AsyncGenerator<ClientEvent> {
    for await (const line of textLines(conn)) yield { type: "received", line };
    yield { type: "disconnected" };
  }
  events.add(typed());
  events.add(received());

  let leaving = false;
  while (true) {
    const { value: event } = await events.next();
    switch (event?.type) {
      case "typed":
        if (erase) writeAllSync(Deno.stdout, ERASE_TYPED_LINE);
        server.sendLine(event.line);
        break;
      case "received":
        output(sanitize(event.line));
        break;
      case "input ended":
      case "interrupted":
        if (leaving) break;
        // Leave politely: let what was typed go out, then let the server close.
        leaving = true;
        events.add(once(leave(server).then(() => ({ type: "gave up waiting" }))));
        break;
      case "disconnected":
        server.close();
        if (leaving) return 0;
        output("Disconnected from chat server");
        return 1;
      case "gave up waiting":
        server.close();
        return 0;
    }
  }
}

/** Sends what is queued, closes our side, and waits a while for the server to close. */
async function leave(server: Member): Promise<void> {
  await server.flush(LEAVE_TIMEOUT_MS);
  try {
    await server.conn.closeWrite();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotConnected || error instanceof Deno.errors.BadResource)) {
      throw error;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, LEAVE_TIMEOUT_MS));
}

async function* once<T>(promise: Promise<T>): AsyncGenerator<T> {
  yield await promise;
}

const COMMAND: CommandSpec = {
  usage: "deno run -A select_client.ts [options] HOST PORT",
  summary: "The select group chat client: one loop over stdin and the socket.\n" +
    "Type a line to send it; Ctrl-D or Ctrl-C to leave.",
  options: {
    "connect-timeout": {
      type: "string",
      arg: "MS",
      help: `Give up connecting after MS ms (default ${DEFAULT_CONNECT_TIMEOUT_MS}, the report's)`,
    },
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
  const { values, positionals, help } = parseCommand(args, COMMAND);
  if (help) {
    console.log(helpText(COMMAND));
    return 0;
  }
  const timeout = values["connect-timeout"];
  return await runSelectClient({
    host: positionals[0],
    port: parsePort(positionals[1]),
    connectTimeoutMs: typeof timeout === "string"
      ? parseInteger(timeout, "--connect-timeout", { min: 1 })
      : undefined,
  });
}

if (import.meta.main) runMain(main, COMMAND);
