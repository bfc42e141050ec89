/**
 * The servers' console: one line per event, written in batches, never in the
 * room's way.
 *
 * A busy room relays tens of thousands of lines a second, and the console
 * shows each one, as the report's server did. Writing them one `console.log`
 * at a time costs a system call and a formatting pass per line; here the
 * lines of one turn of the event loop go out in one write, at the end of the
 * turn (the global `setImmediate`; see lib/room.ts for why not `node:timers`).
 *
 * The write is asynchronous, so a console that stops reading (a terminal
 * paused with Ctrl-S, `| less` left alone, a stuck log shipper) never stops
 * the event loop, and with it the room. While a write waits, the lines after
 * it gather up to a bound; past that they are dropped, and the log says how
 * many. A console that goes away (`| head`) ends the log, not the server; one
 * whose writes fail otherwise (a full disk, a hung-up terminal) loses those
 * lines, and the next write tries again and says how many.
 *
 * @module
 */

import { within } from "./deadlines.ts";
import { isDisconnect } from "./errors.ts";
import { writeAll } from "./write_all.ts";

/** Start writing at once past this many gathered characters, rather than at the end of the turn. */
const BATCH_CHARS = 64 * 1024;

/** How far the console may fall behind, in characters, before lines are dropped. */
const DEFAULT_MAX_BEHIND_CHARS = 1024 * 1024;

const encoder = new TextEncoder();

/** Options for {@linkcode LineLog}. */
export interface LineLogOptions {
  /** Where the lines go. @default {Deno.stdout} */
  writer?: { write(p: Uint8Array): Promise<number> };
  /**
   * How many characters may wait behind a write that has not finished; later
   * lines are dropped and counted. @default {1048576}
   */
  maxBehindChars?: number;
}

/**
 * A line log that batches its writes to a writer (stdout by default) and never
 * waits for it.
 *
 * @example Usage
 * ```ts
 * import { LineLog } from "./console_log.ts";
 *
 * const log = new LineLog();
 * log.write("Server started!");
 * await log.flushed(1000);
 * ```
 */
export class LineLog {
  #writer: { write(p: Uint8Array): Promise<number> };
  #maxBehindChars: number;
  #pending: string[] = [];
  #chars = 0;
  #dropped = 0;
  /** Lines lost to failed writes, before those pending, and the last failure's message. */
  #failed = 0;
  #failure = "";
  #scheduled = false;
  /** The write in flight, if any: it starts the next one when it ends. */
  #writing: Promise<void> | undefined;
  /** The writer failed as a closed pipe does: nothing more is written. */
  #gone = false;

  /** Makes a log; see {@linkcode LineLogOptions}. */
  constructor(options: LineLogOptions = {}) {
    this.#writer = options.writer ?? Deno.stdout;
    this.#maxBehindChars = options.maxBehindChars ?? DEFAULT_MAX_BEHIND_CHARS;
  }

  /**
   * Adds a line; it is written from the end of this turn of the event loop,
   * or dropped (and counted) if the console is too far behind.
   *
   * @example Usage
   * ```ts
   * import { LineLog } from "./console_log.ts";
   * import assert from "node:assert/strict";
   *
   * const written: string[] = [];
   * const log = new LineLog({
   *   writer: {
   *     write(bytes) {
   *       written.push(new TextDecoder().decode(bytes));
   *       return Promise.resolve(bytes.length);
   *     },
   *   },
   * });
   * log.write("one");
   * log.write("two");
   * await new Promise((resolve) => setTimeout(resolve, 0)); // the turn ends
   * assert.deepEqual(written, ["one\ntwo\n"]); // one write for both
   * ```
   */
  readonly write = (line: string): void => {
    if (this.#gone) return;
    if (this.#chars >= this.#maxBehindChars) {
      this.#dropped++;
      return;
    }
    this.#pending.push(line);
    this.#chars += line.length + 1;
    if (this.#writing !== undefined) return; // its end starts the next write
    if (this.#chars >= BATCH_CHARS) this.#startWrite();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushScheduled);
    }
  };

  /**
   * Writes every pending line and resolves once all is written, or after
   * `timeoutMs` (a console that is not reading): for a server about to exit.
   *
   * @example Usage
   * ```ts
   * import { LineLog } from "./console_log.ts";
   * import assert from "node:assert/strict";
   *
   * const written: string[] = [];
   * const log = new LineLog({
   *   writer: {
   *     write(bytes) {
   *       written.push(new TextDecoder().decode(bytes));
   *       return Promise.resolve(bytes.length);
   *     },
   *   },
   * });
   * log.write("Server started!");
   * await log.flushed(1000); // before exiting, say
   * assert.deepEqual(written, ["Server started!\n"]);
   * ```
   */
  async flushed(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    if (this.#writing === undefined) this.#startWrite();
    while (this.#writing !== undefined) {
      const left = deadline - performance.now();
      if (left <= 0 || await within(this.#writing.then(() => true), left) === undefined) return;
    }
  }

  #flushScheduled = (): void => {
    this.#scheduled = false;
    if (this.#writing === undefined) this.#startWrite();
  };

  /** Writes what is pending, then, when that is done, whatever came meanwhile. */
  #startWrite(): void {
    const lost = this.#pending.length + this.#failed + this.#dropped; // if this write fails
    if (this.#gone || lost === 0) return;
    // The lines a failure lost came before the pending ones; the dropped ones, after.
    if (this.#failed > 0) {
      this.#pending.unshift(
        `(${lines(this.#failed)} not logged: the console failed: ${this.#failure})`,
      );
    }
    if (this.#dropped > 0) {
      this.#pending.push(`(${lines(this.#dropped)} not logged: the console fell behind)`);
    }
    const text = this.#pending.join("\n") + "\n";
    this.#pending = [];
    this.#chars = 0;
    this.#dropped = 0;
    this.#failed = 0;
    this.#writing = writeAll(this.#writer, encoder.encode(text)).then(
      () => {
        this.#writing = undefined;
        this.#startWrite();
      },
      (error) => {
        this.#writing = undefined;
        if (isDisconnect(error)) {
          this.#gone = true; // the console went away: the server goes on without it
          this.#pending = [];
          this.#chars = 0;
          return;
        }
        // A bug of ours, a TypeError say, is no failure of the console's: it surfaces.
        if (error instanceof TypeError || error instanceof RangeError) throw error;
        // Any other failure of the console (a full disk, a terminal hung up: EIO, a non-blocking
        // pipe that is full) costs these lines, never the chat. They are counted, and the next
        // line logged tries again, and says how many were lost.
        this.#failed = lost;
        this.#failure = error instanceof Error ? error.message : String(error);
        // Lines that came meanwhile try at once (a flush at shutdown waits for them); with none,
        // the count waits for the next line, so a console that keeps failing is no busy loop.
        if (this.#pending.length > 0) this.#startWrite();
      },
    );
  }
}

/**
 * The log of the server scripts: standard output, batched.
 *
 * @example Usage
 * ```ts ignore
 * import { consoleLog } from "./console_log.ts";
 *
 * consoleLog.write("Server started!"); // on stdout from the end of this turn
 * ```
 */
export const consoleLog: LineLog = new LineLog();

/** `1 line`, `2 lines`. */
function lines(count: number): string {
  return `${count} line${count === 1 ? "" : "s"}`;
}
