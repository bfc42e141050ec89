/**
 * How a chat client shows the lines it receives: names colored or plain, the user's own messages
 * marked or not, the time stamped or not; and the command-line switches that choose.
 *
 * Decoration is for people: lines are colored and marked only when stdout is a terminal, so a
 * client whose output is piped prints the server's lines exactly as they came (sanitized).
 *
 * @module
 */

import { formatIncoming } from "./chat_format.ts";
import { type OptionSpec } from "./cli.ts";

/**
 * How received lines are shown.
 *
 * @example Usage
 * ```ts
 * import { type DisplayStyle, formatReceived } from "./terminal_style.ts";
 * import { equal } from "node:assert/strict";
 *
 * const style: DisplayStyle = { color: false, markSelf: true, timestamps: false };
 * equal(formatReceived("[bob]hi", style, "bob"), "» [bob]hi");
 * ```
 */
export interface DisplayStyle {
  /** Whether to color names and dim notices with SGR escape sequences. */
  color: boolean;
  /** Whether to mark the user's own messages and actions (`» `). */
  markSelf: boolean;
  /** Whether to prefix each line with the local time as `HH:MM `. */
  timestamps: boolean;
}

/**
 * Lines exactly as received (sanitized): for a pipe, and the default of the clients' APIs.
 *
 * @example Usage
 * ```ts
 * import { formatReceived, PLAIN_STYLE } from "./terminal_style.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(formatReceived("[bob]hi \x1b[31m", PLAIN_STYLE, "bob"), "[bob]hi ^[[31m");
 * ```
 */
export const PLAIN_STYLE: Readonly<DisplayStyle> = Object.freeze({
  color: false,
  markSelf: false,
  timestamps: false,
});

/**
 * The clients' switches for the display: `--no-color` and `--timestamps`, for
 * {@linkcode CommandSpec.options} in cli.ts.
 *
 * @example Usage
 * ```ts
 * import { DISPLAY_OPTION_SPECS } from "./terminal_style.ts";
 * import { parseCommand } from "./cli.ts";
 * import { equal } from "node:assert/strict";
 *
 * const spec = {
 *   usage: "client.ts [options] HOST",
 *   summary: "A client.",
 *   options: DISPLAY_OPTION_SPECS,
 *   positionals: [1, 1] as [number, number],
 * };
 * equal(parseCommand(["--no-color", "localhost"], spec).values["no-color"], true);
 * ```
 */
export const DISPLAY_OPTION_SPECS: Readonly<Record<string, OptionSpec>> = Object.freeze({
  "no-color": {
    type: "boolean",
    help: "Do not color names (the NO_COLOR environment variable does the same)",
  },
  timestamps: { type: "boolean", help: "Prefix each received line with the time as HH:MM" },
});

/** The `TERM` of a terminal that understands no escape codes: Emacs's `M-x shell`, say. */
const DUMB_TERMINAL = "dumb";

/**
 * The terminal type in `TERM`, when the program may read it (`-A`, or `--allow-env=TERM`), and
 * `undefined` otherwise: a client never stops to ask for the permission.
 *
 * @example Usage
 * ```ts
 * import { terminalType } from "./terminal_style.ts";
 * import assert from "node:assert/strict";
 *
 * const type = terminalType(); // "xterm-256color", "dumb" (Emacs's shell)…
 * assert.ok(type === undefined || typeof type === "string");
 * ```
 *
 * @returns `TERM`, if it is set and may be read.
 */
export function terminalType(): string | undefined {
  const { state } = Deno.permissions.querySync({ name: "env", variable: "TERM" });
  return state === "granted" ? Deno.env.get("TERM") : undefined;
}

/**
 * Whether `stream` is a terminal that takes escape codes: a terminal whose type, `term`, is not
 * `dumb`. Where it is not, the clients print plain lines, as to a pipe.
 *
 * @example Usage
 * ```ts
 * import { takesEscapes } from "./terminal_style.ts";
 * import { equal } from "node:assert/strict";
 *
 * const terminal = { isTerminal: () => true };
 * equal(takesEscapes(terminal, "xterm-256color"), true);
 * equal(takesEscapes(terminal, undefined), true); // TERM unknown
 * equal(takesEscapes(terminal, "dumb"), false); // Emacs's M-x shell
 * equal(takesEscapes({ isTerminal: () => false }, "xterm-256color"), false); // a pipe
 * ```
 *
 * @param stream The stream drawn on, or typed into.
 * @param term The terminal type: `terminalType()`, or `undefined` if unknown.
 * @returns `true` for a terminal that is not a dumb one.
 */
export function takesEscapes(stream: { isTerminal(): boolean }, term: string | undefined): boolean {
  return stream.isTerminal() && term !== DUMB_TERMINAL;
}

/**
 * Options for {@linkcode displayStyle}.
 *
 * @example Usage
 * ```ts
 * import { displayStyle, type DisplayStyleOptions } from "./terminal_style.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: DisplayStyleOptions = { noColor: true, stdout: { isTerminal: () => true } };
 * equal(displayStyle(options).color, false);
 * ```
 */
export interface DisplayStyleOptions {
  /** `--no-color` was given. */
  noColor?: boolean;
  /** `--timestamps` was given. */
  timestamps?: boolean;
  /**
   * Whether the environment asks for no color: `NO_COLOR` set and not empty.
   *
   * @default {Deno.noColor}
   */
  noColorEnv?: boolean;
  /**
   * Where the lines go.
   *
   * @default {Deno.stdout}
   */
  stdout?: { isTerminal(): boolean };
  /**
   * The terminal type; `dumb` understands no escape codes.
   *
   * @default {terminalType()}
   */
  term?: string;
}

/**
 * Chooses how to show received lines: colored and marked when stdout is a terminal (and `TERM`
 * is not `dumb`), unless `--no-color` or `NO_COLOR` turns the color off; stamped with
 * `--timestamps`, wherever they go.
 *
 * @example Usage
 * ```ts
 * import { displayStyle } from "./terminal_style.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const terminal = { isTerminal: () => true };
 * const pipe = { isTerminal: () => false };
 * deepEqual(displayStyle({ stdout: terminal, term: "xterm", noColorEnv: false }), {
 *   color: true,
 *   markSelf: true,
 *   timestamps: false,
 * });
 * deepEqual(displayStyle({ stdout: terminal, noColorEnv: true }).color, false);
 * deepEqual(displayStyle({ stdout: pipe, timestamps: true }), {
 *   color: false,
 *   markSelf: false,
 *   timestamps: true,
 * });
 * ```
 *
 * @param options The switches given, and the environment.
 * @returns The style to show received lines in.
 */
export function displayStyle(options: DisplayStyleOptions = {}): DisplayStyle {
  const { noColor = false, timestamps = false, noColorEnv = Deno.noColor, stdout = Deno.stdout } =
    options;
  const terminal = takesEscapes(stdout, "term" in options ? options.term : terminalType());
  return { color: terminal && !noColor && !noColorEnv, markSelf: terminal, timestamps };
}

/**
 * Formats one received line for the user in `style`, with `formatIncoming()` of chat_format.ts.
 *
 * @example Usage
 * ```ts
 * import { formatReceived } from "./terminal_style.ts";
 * import { equal } from "node:assert/strict";
 *
 * const style = { color: false, markSelf: false, timestamps: true };
 * const at = new Date(2024, 0, 1, 9, 5);
 * equal(formatReceived("clientbob- enter", style, "alice", at), "09:05 clientbob- enter");
 * ```
 *
 * @param line The line as received, without its line ending.
 * @param style How to show it.
 * @param self The user's own name: an ID, or `ip:port` on the select server.
 * @param now The time to stamp, when `style.timestamps` is set.
 * @returns The line to print.
 */
export function formatReceived(
  line: string,
  style: Readonly<DisplayStyle>,
  self?: string,
  now: Date = new Date(),
): string {
  return formatIncoming(line, {
    color: style.color,
    self: style.markSelf ? self : undefined,
    time: style.timestamps ? now : undefined,
  });
}
