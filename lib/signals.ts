/**
 * Waiting for the signals that ask a program to stop.
 *
 * @module
 */

/**
 * The signals that end a server or a client cleanly.
 *
 * @example Usage
 * ```ts ignore
 * import { STOP_SIGNALS } from "./signals.ts";
 *
 * for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, () => Deno.exit(0));
 * ```
 */
export const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/**
 * The stop signals of a client that chats in a terminal: SIGHUP too, which comes when the
 * terminal goes away (its window closed, an ssh session lost) or with `kill -HUP`; the client
 * leaves as for SIGTERM, and gives the terminal back. Only there: a piped client or a server
 * keeps SIGHUP's default, which `nohup` can turn off.
 *
 * @example Usage
 * ```ts
 * import { STOP_SIGNALS, TERMINAL_STOP_SIGNALS } from "./signals.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(TERMINAL_STOP_SIGNALS, [...STOP_SIGNALS, "SIGHUP"]);
 * ```
 */
export const TERMINAL_STOP_SIGNALS: readonly Deno.Signal[] = [...STOP_SIGNALS, "SIGHUP"];

/**
 * A repeat of the first signal this soon after it, in ms, is the same request delivered twice:
 * `deno task` passes on to its child the SIGINT a terminal's Ctrl-C, or the SIGTERM systemd,
 * sends to the whole process group, the child included.
 */
const REPEAT_MS = 250;

/** Added to a signal's number for the exit status of a process it ends, as shells report it. */
const SIGNAL_EXIT_BASE = 128;
/** The numbers of the stop signals, the same on every POSIX system. */
const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGTERM: 15,
};
/** The exit status after a signal without a number in {@linkcode SIGNAL_NUMBERS}. */
const EXIT_FAILURE = 1;

/** The exit status of a process that `signal` ended, as a shell reports it. */
function exitStatusAfter(signal: Deno.Signal): number {
  const number = SIGNAL_NUMBERS[signal];
  return number === undefined ? EXIT_FAILURE : SIGNAL_EXIT_BASE + number;
}

/**
 * A program's stop signals, listened for until disposed: {@linkcode StopSignals.received}
 * resolves with the first of them to arrive, and the program starts its clean exit (a client
 * leaves, a server tells its members and closes), a bounded time. Another one after it is the
 * user who will not wait (but not the same signal within 250 ms of the first: that is the one
 * request delivered twice, by `deno task` and the terminal): the process exits at once, with
 * status 128
 * plus the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a process the
 * signal ended. `Deno.exit` still runs the `unload` listeners, so a started `TerminalUi` gives the
 * terminal back. Disposing removes the listeners, so a program run inside a bigger one (or a
 * test) leaves none behind.
 *
 * @example Usage
 * ```ts ignore
 * import { StopSignals } from "./signals.ts";
 *
 * using stop = new StopSignals();
 * const signal = await stop.received;
 * console.log(`Got ${signal}, leaving`);
 * ```
 */
export class StopSignals implements Disposable {
  /** The first of the signals to arrive. */
  readonly received: Promise<Deno.Signal>;
  #resolve: (signal: Deno.Signal) => void;
  /** The first signal or key taken, and when. */
  #first: { signal: Deno.Signal; at: number } | undefined;
  #listeners: [Deno.Signal, () => void][];

  /**
   * Starts listening for `signals`.
   *
   * @example Usage
   * ```ts
   * import { StopSignals } from "./signals.ts";
   *
   * using stop = new StopSignals(); // SIGINT and SIGTERM
   * ```
   *
   * @param signals The signals that ask to stop; SIGINT and SIGTERM by default.
   */
  constructor(signals: readonly Deno.Signal[] = STOP_SIGNALS) {
    const { promise, resolve } = Promise.withResolvers<Deno.Signal>();
    this.received = promise;
    this.#resolve = resolve;
    this.#listeners = signals.map((signal) => [signal, () => this.#signalled(signal)]);
    for (const [signal, listener] of this.#listeners) Deno.addSignalListener(signal, listener);
  }

  /**
   * Takes `signal` as if it had arrived: the first resolves {@linkcode StopSignals.received},
   * another exits at once. For Ctrl-C in a terminal in raw mode, which comes as a key, not as
   * SIGINT, and must do what SIGINT does. Does nothing once disposed.
   *
   * @example Usage
   * ```ts
   * import { StopSignals } from "./signals.ts";
   * import assert from "node:assert/strict";
   *
   * using stop = new StopSignals();
   * stop.deliver("SIGINT"); // the Ctrl-C key
   * assert.equal(await stop.received, "SIGINT"); // a second one would exit with status 130
   * ```
   *
   * @param signal The signal the key stands for.
   */
  deliver(signal: Deno.Signal): void {
    if (this.#listeners.length === 0) return;
    if (this.#first) Deno.exit(exitStatusAfter(signal));
    this.#first = { signal, at: performance.now() };
    this.#resolve(signal);
  }

  /** A signal from the system; the first one's twin, right after it, is no second request. */
  #signalled(signal: Deno.Signal): void {
    const first = this.#first;
    if (first?.signal === signal && performance.now() - first.at < REPEAT_MS) return;
    this.deliver(signal);
  }

  /**
   * Stops listening. Safe to call more than once.
   *
   * @example Usage
   * ```ts
   * import { StopSignals } from "./signals.ts";
   *
   * const stop = new StopSignals(["SIGUSR2"]);
   * stop[Symbol.dispose]();
   * stop[Symbol.dispose]();
   * ```
   */
  [Symbol.dispose](): void {
    for (const [signal, listener] of this.#listeners) Deno.removeSignalListener(signal, listener);
    this.#listeners = [];
  }
}
