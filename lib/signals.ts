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
 * Resolves with the first of `signals` to arrive. It keeps listening
 * afterwards, so a second Ctrl-C or SIGTERM during the (bounded) clean exit
 * that follows cannot kill the process half-way, with a terminal left in raw
 * mode or members left without their notice. The programs end with
 * `Deno.exit`, which the listeners do not hold up.
 *
 * @example Usage
 * ```ts ignore
 * import { untilSignal } from "./signals.ts";
 *
 * const signal = await untilSignal();
 * console.log(`Got ${signal}, shutting down`);
 * ```
 */
export function untilSignal(signals: readonly Deno.Signal[] = STOP_SIGNALS): Promise<Deno.Signal> {
  return new Promise((resolve) => {
    for (const signal of signals) Deno.addSignalListener(signal, () => resolve(signal));
  });
}
