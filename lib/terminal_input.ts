/**
 * What a chat client's user types, as a stream of events: a line, Ctrl-C, or the end of input.
 * The same events come from a raw-mode terminal (`TerminalUi.input()` in terminal_ui.ts) and,
 * through {@linkcode lineInput}, from a pipe or a terminal in line mode, so a client handles both
 * alike.
 *
 * @module
 */

import { DEFAULT_MAX_READ_AHEAD, readAhead } from "./read_ahead.ts";
import { quote } from "./sanitize.ts";
import { textLines } from "./text_lines.ts";

/**
 * One thing the user did:
 *
 * - `line`: a line was entered (Enter in raw mode, a newline in line mode).
 * - `interrupt`: Ctrl-C was pressed in raw mode, where it does not raise SIGINT.
 * - `eof`: Ctrl-D on an empty line in raw mode, or the end of piped input.
 *
 * @example Usage
 * ```ts
 * import { type TypedInput } from "./terminal_input.ts";
 * import { equal } from "node:assert/strict";
 *
 * const typed: TypedInput = { type: "line", line: "hello" };
 * equal(typed.type, "line");
 * ```
 */
export type TypedInput =
  | { type: "line"; line: string }
  | { type: "interrupt" }
  | { type: "eof" };

/**
 * Where {@linkcode lineInput} reads from: `Deno.stdin`, or anything with its `read`.
 *
 * @example Usage
 * ```ts
 * import { type LineReader } from "./terminal_input.ts";
 *
 * const reader: LineReader = Deno.stdin;
 * ```
 */
export interface LineReader {
  /** Reads into `p`; resolves with the number of bytes read, or `null` at the end. */
  read(p: Uint8Array): Promise<number | null>;
}

/**
 * The lines read from `reader` as {@linkcode TypedInput}s, then one `eof` when it ends: the
 * input of a client whose stdin is a pipe, or a terminal left in line mode.
 *
 * @example Usage
 * ```ts
 * import { lineInput } from "./terminal_input.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("one\ntwo\n");
 * let done = false;
 * const reader = {
 *   read(p: Uint8Array) {
 *     if (done) return Promise.resolve(null);
 *     done = true;
 *     p.set(bytes);
 *     return Promise.resolve(bytes.length);
 *   },
 * };
 * deepEqual(await Array.fromAsync(lineInput(reader)), [
 *   { type: "line", line: "one" },
 *   { type: "line", line: "two" },
 *   { type: "eof" },
 * ]);
 * ```
 *
 * @param reader Where the lines come from.
 * @param onTooLong Called for each line skipped for being over 64 KiB.
 * @returns The lines, then `eof`.
 */
export async function* lineInput(
  reader: LineReader,
  onTooLong?: () => void,
): AsyncGenerator<TypedInput, void, void> {
  for await (const line of textLines(reader, { onTooLong })) yield { type: "line", line };
  yield { type: "eof" };
}

/** Options for {@linkcode typedInput}. */
export interface TypedInputOptions {
  /** A raw-mode terminal's keys (`TerminalUi.input()`), when stdin is a terminal. */
  keys?: AsyncIterable<TypedInput>;
  /** Where lines are read from otherwise: a pipe, or a terminal left in line mode. */
  reader: LineReader;
  /** What takes Ctrl-C, a key in raw mode, as the SIGINT it stands for: the client's `StopSignals`. */
  stop: { deliver(signal: Deno.Signal): void };
  /** Called for each line of `reader` skipped for being over 64 KiB. */
  onTooLong?: () => void;
  /**
   * Called with a notice for each line typed while {@linkcode DEFAULT_MAX_READ_AHEAD} lines are
   * queued behind one waiting for a server that stopped reading: it is dropped, so that the keys
   * are still read and Ctrl-C still leaves.
   */
  onDropped?: (notice: string) => void;
}

/**
 * What a client's user types, from the terminal's keys when there are any, else
 * from the lines of `reader`. The keys are read ahead: Ctrl-C goes to `stop` the
 * moment it is pressed, even while the client waits to send an earlier line, and
 * is not passed on; a line typed with 64 queued is dropped (see `onDropped`).
 *
 * @example Usage
 * ```ts
 * import { typedInput, type TypedInput } from "./terminal_input.ts";
 * import assert from "node:assert/strict";
 *
 * async function* keys(): AsyncGenerator<TypedInput> {
 *   yield { type: "interrupt" };
 *   yield { type: "line", line: "hi" };
 * }
 * const delivered: Deno.Signal[] = [];
 * const stop = { deliver: (signal: Deno.Signal) => delivered.push(signal) };
 * const typed = await Array.fromAsync(typedInput({ keys: keys(), reader: Deno.stdin, stop }));
 * assert.deepEqual(typed, [{ type: "line", line: "hi" }]);
 * assert.deepEqual(delivered, ["SIGINT"]);
 * ```
 *
 * @param options Where the input comes from, and who takes Ctrl-C.
 * @returns The lines typed, then `eof`.
 */
export function typedInput(options: TypedInputOptions): AsyncIterable<TypedInput> {
  const { keys, reader, stop, onTooLong, onDropped } = options;
  if (keys === undefined) return lineInput(reader, onTooLong);
  return readAhead(keys, {
    handle: (typed) => {
      if (typed.type !== "interrupt") return false;
      stop.deliver("SIGINT"); // a second one, while leaving, exits at once
      return true;
    },
    overflow: (typed) => {
      if (typed.type !== "line") return false; // the end of input goes through
      onDropped?.(
        `Not sent: ${DEFAULT_MAX_READ_AHEAD} lines are queued for the server already: ${
          quote(typed.line)
        }`,
      );
      return true;
    },
  });
}
