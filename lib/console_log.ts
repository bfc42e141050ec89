/**
 * The servers' console: one line per event, written in batches.
 *
 * A busy room relays tens of thousands of lines a second, and the console
 * shows each one, as the report's server did. Writing them one `console.log`
 * at a time costs a system call and a formatting pass per line; here the
 * lines of one turn of the event loop go out in one write, at the end of the
 * turn (the global `setImmediate`; see lib/room.ts for why not `node:timers`).
 *
 * @module
 */

import { writeAllSync } from "./write_all.ts";

/** Flush at once past this many buffered bytes, so the buffer stays small. */
const MAX_BUFFERED_CHARS = 64 * 1024;

/**
 * A line log that batches its writes to `writer` (stdout by default).
 *
 * @example Usage
 * ```ts
 * import { LineLog } from "./console_log.ts";
 *
 * const log = new LineLog();
 * log.write("Server started!");
 * log.flush();
 * ```
 */
export class LineLog {
  #writer: { writeSync(p: Uint8Array): number };
  #pending: string[] = [];
  #chars = 0;
  #scheduled = false;

  /** Makes a log that writes to `writer`. */
  constructor(writer: { writeSync(p: Uint8Array): number } = Deno.stdout) {
    this.#writer = writer;
  }

  /**
   * Adds a line; it is written by the end of this turn of the event loop.
   *
   * @example Usage
   * ```ts
   * import { LineLog } from "./console_log.ts";
   * import assert from "node:assert/strict";
   *
   * const written: string[] = [];
   * const log = new LineLog({
   *   writeSync(bytes) {
   *     written.push(new TextDecoder().decode(bytes));
   *     return bytes.length;
   *   },
   * });
   * log.write("one");
   * log.write("two");
   * await new Promise((resolve) => setTimeout(resolve, 0)); // the turn ends
   * assert.deepEqual(written, ["one\ntwo\n"]); // one write for both
   * ```
   */
  readonly write = (line: string): void => {
    this.#pending.push(line);
    this.#chars += line.length + 1;
    if (this.#chars >= MAX_BUFFERED_CHARS) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushScheduled);
    }
  };

  /**
   * Writes every pending line now.
   *
   * @example Usage
   * ```ts
   * import { LineLog } from "./console_log.ts";
   * import assert from "node:assert/strict";
   *
   * const written: string[] = [];
   * const log = new LineLog({
   *   writeSync(bytes) {
   *     written.push(new TextDecoder().decode(bytes));
   *     return bytes.length;
   *   },
   * });
   * log.write("Server started!");
   * log.flush(); // before exiting, say
   * assert.deepEqual(written, ["Server started!\n"]);
   * ```
   */
  flush(): void {
    if (this.#pending.length === 0) return;
    const text = this.#pending.join("\n") + "\n";
    this.#pending = [];
    this.#chars = 0;
    writeAllSync(this.#writer, text);
  }

  #flushScheduled = (): void => {
    this.#scheduled = false;
    this.flush();
  };
}

/**
 * The log of the server scripts: standard output, batched.
 *
 * @example Usage
 * ```ts ignore
 * import { consoleLog } from "./console_log.ts";
 *
 * consoleLog.write("Server started!"); // on stdout by the end of this turn
 * ```
 */
export const consoleLog: LineLog = new LineLog();
