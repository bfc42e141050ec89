/**
 * What a chat client's user types, as a stream of events: a line, Ctrl-C, or the end of input.
 * The same events come from a raw-mode terminal (`TerminalUi.input()` in terminal_ui.ts) and,
 * through {@linkcode lineInput}, from a pipe or a terminal in line mode, so a client handles both
 * alike.
 *
 * @module
 */

import { readAhead } from "./read_ahead.ts";
import { quote } from "./sanitize.ts";
import { textLines } from "./text_lines.ts";

/**
 * How much typed text {@linkcode typedInput} holds for a client that has not sent
 * it yet, at most, in UTF-16 code units, each line counting
 * {@linkcode TYPED_LINE_WEIGHT} more for itself. A paste comes in reads of
 * 4 KiB, far below it, which a client whose server takes its lines sends on
 * long before the next: only a server that stopped reading fills it.
 *
 * @example Usage
 * ```ts
 * import { MAX_TYPED_AHEAD, TYPED_LINE_WEIGHT } from "./terminal_input.ts";
 * import assert from "node:assert/strict";
 *
 * // A read of 4 KiB of empty lines (4096 Enter keys) fits, with room to spare.
 * assert.ok(4096 * TYPED_LINE_WEIGHT < MAX_TYPED_AHEAD / 2);
 * ```
 */
export const MAX_TYPED_AHEAD = 1 << 20;

/**
 * What a line counts for itself toward {@linkcode MAX_TYPED_AHEAD}, besides its
 * text: its share of the queue's and the string's overhead.
 *
 * @example Usage
 * ```ts
 * import { TYPED_LINE_WEIGHT } from "./terminal_input.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(TYPED_LINE_WEIGHT, 64);
 * ```
 */
export const TYPED_LINE_WEIGHT = 64;

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
   * Called with a notice for each line typed while {@linkcode MAX_TYPED_AHEAD} of text is
   * queued behind a line waiting for a server that stopped reading: it is dropped, so that the
   * keys are still read and Ctrl-C still leaves.
   */
  onDropped?: (notice: string) => void;
}

/**
 * What a client's user types, from the terminal's keys when there are any, else
 * from the lines of `reader`. The keys are read ahead: Ctrl-C goes to `stop` the
 * moment it is pressed, even while the client waits to send an earlier line, and
 * is not passed on; a line typed with {@linkcode MAX_TYPED_AHEAD} queued is
 * dropped (see `onDropped`).
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
    maxQueued: MAX_TYPED_AHEAD,
    weigh: (typed) => typed.type === "line" ? typed.line.length + TYPED_LINE_WEIGHT : 0,
    overflow: (typed) => {
      if (typed.type !== "line") return false; // the end of input goes through
      onDropped?.(`Not sent: too much is queued for the server already: ${quote(typed.line)}`);
      return true;
    },
  });
}
