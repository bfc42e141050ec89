/**
 * A log for lines that anyone on the network can cause, such as refused
 * connections: a loop that connects and closes could otherwise write the
 * server's log at hundreds of kilobytes a second, and fill its disk.
 *
 * @module
 */

/**
 * How many lines a {@linkcode ThrottledLog} lets through a second, by default.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_LINES_PER_SECOND } from "./throttled_log.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_LINES_PER_SECOND, 10); // at most some 70 MB of refusals a day
 * ```
 */
export const DEFAULT_LINES_PER_SECOND = 10;

/** Options for {@linkcode ThrottledLog}. */
export interface ThrottledLogOptions {
  /** Where the lines let through go. */
  log: (line: string) => void;
  /** What the lines are, for the count of those left out: `"refusals"`, say. */
  what: string;
  /**
   * The most lines let through in a second.
   *
   * @default {10}
   */
  perSecond?: number;
  /** The clock, in ms; for tests. @default {performance.now} */
  now?: () => number;
}

/**
 * Lets at most `perSecond` lines a second through to a log; the rest are
 * counted, and the count is logged when that second is over (or before the
 * next line let through, or by {@linkcode ThrottledLog.flush}, which a server
 * calls as it shuts down).
 *
 * @example Usage
 * ```ts
 * import { ThrottledLog } from "./throttled_log.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const refusals = new ThrottledLog({ log: (line) => lines.push(line), what: "refusals", perSecond: 2 });
 * for (let i = 1; i <= 5; i++) refusals.write(`Refused ${i}`);
 * refusals.flush();
 * assert.deepEqual(lines, [
 *   "Refused 1",
 *   "Refused 2",
 *   "(3 more refusals not logged: over 2 a second)",
 * ]);
 * ```
 */
export class ThrottledLog {
  #log: (line: string) => void;
  #what: string;
  #perSecond: number;
  #now: () => number;
  /** When the current second began, as `performance.now()`, and the lines let through since. */
  #secondStart = -Infinity;
  #written = 0;
  #skipped = 0;
  /** Logs the count when the second in which lines were left out is over. */
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Makes a throttled log; see {@linkcode ThrottledLogOptions}. */
  constructor(options: ThrottledLogOptions) {
    const { perSecond = DEFAULT_LINES_PER_SECOND, now = () => performance.now() } = options;
    if (!Number.isInteger(perSecond) || perSecond < 1) {
      throw new RangeError(
        `Cannot throttle a log to ${perSecond} lines a second: it must be a positive integer`,
      );
    }
    this.#log = options.log;
    this.#what = options.what;
    this.#perSecond = perSecond;
    this.#now = now;
  }

  /**
   * Logs `line`, unless this second's lines are used up: then counts it.
   *
   * @example Usage
   * ```ts
   * import { ThrottledLog } from "./throttled_log.ts";
   * import assert from "node:assert/strict";
   *
   * const lines: string[] = [];
   * const log = new ThrottledLog({ log: (line) => lines.push(line), what: "refusals" });
   * log.write("Refused 127.0.0.2:5000: Too many connections");
   * assert.equal(lines.length, 1);
   * ```
   *
   * @param line The line to log.
   */
  readonly write = (line: string): void => {
    const now = this.#now();
    if (now - this.#secondStart >= 1000) {
      this.#secondStart = now;
      this.#written = 0;
    }
    if (this.#written >= this.#perSecond) {
      this.#skipped++;
      this.#timer ??= setTimeout(() => this.flush(), this.#secondStart + 1000 - now);
      return;
    }
    this.#written++;
    this.flush();
    this.#log(line);
  };

  /**
   * Logs the count of the lines left out since the last line let through, if any, at once: for
   * a server about to exit, which leaves no timer behind.
   *
   * @example Usage
   * ```ts
   * import { ThrottledLog } from "./throttled_log.ts";
   * import assert from "node:assert/strict";
   *
   * const lines: string[] = [];
   * const log = new ThrottledLog({ log: (line) => lines.push(line), what: "refusals" });
   * log.flush(); // nothing left out: nothing to say
   * assert.deepEqual(lines, []);
   * ```
   */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#skipped === 0) return;
    const skipped = this.#skipped;
    this.#skipped = 0;
    this.#log(`(${skipped} more ${this.#what} not logged: over ${this.#perSecond} a second)`);
  }
}
