/**
 * The threaded group chat client: the report's chat_client.py, in Deno.
 *
 * Like the report's two threads, two tasks run side by side: one prints what
 * the server sends, one sends what you type. The client sends its ID first.
 *
 * ```sh
 * deno run -A client.ts 127.0.0.1 1234 bob
 * echo hi | deno run -A client.ts 127.0.0.1 1234 bot
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
import { ignoringDisconnect } from "./lib/errors.ts";
import { encodeLine } from "./lib/member.ts";
import { sanitize } from "./lib/sanitize.ts";
import { untilSignal } from "./lib/signals.ts";
import { textLines } from "./lib/text_lines.ts";
import { writeAll } from "./lib/write_all.ts";

/** How long to wait for the server to close after we said quit, in ms. */
const LEAVE_TIMEOUT_MS = 2000;

/** Options for {@linkcode runClient}. */
export interface ClientOptions {
  /** The server's host name or address. */
  host: string;
  /** The server's port. */
  port: number;
  /** The ID to join as. */
  id: string;
  /** How long a connect may take, in ms. */
  connectTimeoutMs?: number;
  /** Where typed lines come from. */
  input?: { read(p: Uint8Array): Promise<number | null> };
  /** Where received lines go. */
  output?: (line: string) => void;
}

/**
 * Runs the client until you quit (exit status 0) or the server goes away (1).
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
  const { input = Deno.stdin, output = (line: string) => console.log(line) } = options;
  const conn = await connectTo({
    host: options.host,
    port: options.port,
    timeoutMs: options.connectTimeoutMs,
  });
  const interrupted = untilSignal();
  output("Host connected");
  const send = (text: string) => ignoringDisconnect(() => writeAll(conn, encodeLine(text)));
  await send(options.id);

  const receiving = (async () => {
    for await (const line of textLines(conn)) output(sanitize(line));
    return "server closed" as const;
  })();
  const typing = (async () => {
    for await (const line of textLines(input)) {
      if (line.trim().toLowerCase() === "quit") return "quit" as const;
      if (!await send(line)) break;
    }
    return "end of input" as const;
  })();
  const outcome = await Promise.race([receiving, typing, interrupted]);

  if (outcome !== "server closed") {
    // Leave politely: say quit, then let the server close, so nothing we sent is lost.
    await send("quit");
    await ignoringDisconnect(() => conn.closeWrite());
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      receiving,
      new Promise((resolve) => timer = setTimeout(resolve, LEAVE_TIMEOUT_MS)),
    ]);
    clearTimeout(timer);
  }
  conn.close();
  await receiving;
  output("Host Disconnected");
  return outcome === "server closed" ? 1 : 0;
}

const COMMAND: CommandSpec = {
  usage: "deno run -A client.ts [options] HOST PORT ID",
  summary: "The threaded group chat client. Type a line to send it; quit, Ctrl-D or\n" +
    "Ctrl-C to leave. With stdin piped, it sends each line and leaves at its end.",
  options: {
    "connect-timeout": {
      type: "string",
      arg: "MS",
      help: `Give up connecting after MS ms (default ${DEFAULT_CONNECT_TIMEOUT_MS})`,
    },
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
  const { values, positionals, help } = parseCommand(args, COMMAND);
  if (help) {
    console.log(helpText(COMMAND));
    return 0;
  }
  const [host, port, id] = positionals;
  const timeout = values["connect-timeout"];
  return await runClient({
    host,
    port: parsePort(port),
    id,
    connectTimeoutMs: typeof timeout === "string"
      ? parseInteger(timeout, "--connect-timeout", { min: 1 })
      : undefined,
  });
}

if (import.meta.main) runMain(main, COMMAND);
