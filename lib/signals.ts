/**
 * Waiting for the signals that ask a program to stop.
 *
 * @module
 */

/** The signals that end a server or a client cleanly. */
export const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/**
 * Resolves with the first of `signals` to arrive, then stops listening, so
 * the signal's default action (exiting) applies again afterwards.
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
    const handlers = signals.map((signal) => {
      const handler = () => {
        signals.forEach((each, i) => Deno.removeSignalListener(each, handlers[i]));
        resolve(signal);
      };
      Deno.addSignalListener(signal, handler);
      return handler;
    });
  });
}
