/**
 * The network errors a chat expects in normal operation: a peer that went away,
 * a socket we closed ourselves, a read cut short. Anything else is a bug and is
 * rethrown.
 *
 * @module
 */

const EXPECTED: ReadonlyArray<new (...args: never[]) => Error> = [
  Deno.errors.BadResource,
  Deno.errors.BrokenPipe,
  Deno.errors.ConnectionAborted,
  Deno.errors.ConnectionReset,
  Deno.errors.Interrupted,
  Deno.errors.NetworkUnreachable,
  Deno.errors.NotConnected,
  Deno.errors.TimedOut,
  Deno.errors.UnexpectedEof,
];

/**
 * The same for errors Deno has no class for, by their `code`: the route to the peer is gone
 * (an established socket reports it once ICMP says so and retransmissions run out).
 */
const EXPECTED_CODES = new Set(["EHOSTUNREACH", "EHOSTDOWN"]);

/**
 * Whether `error` is one of the errors a socket raises when its peer goes away
 * or when we closed it ourselves.
 *
 * @example Usage
 * ```ts
 * import { isDisconnect } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isDisconnect(new Deno.errors.ConnectionReset("reset")));
 * // "No route to host", which Deno raises as a plain Error with a code
 * assert.ok(isDisconnect(Object.assign(new Error("No route to host"), { code: "EHOSTUNREACH" })));
 * assert.ok(!isDisconnect(new TypeError("bug")));
 * ```
 */
export function isDisconnect(error: unknown): boolean {
  if (EXPECTED.some((kind) => error instanceof kind)) return true;
  const code = errorCode(error);
  return code !== undefined && EXPECTED_CODES.has(code);
}

/**
 * The system error code Deno gives an error from an op (`"EHOSTUNREACH"`), if any: for the
 * errors Deno has no class for.
 *
 * @example Usage
 * ```ts
 * import { errorCode } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const unreachable = Object.assign(new Error("No route to host"), { code: "EHOSTUNREACH" });
 * assert.equal(errorCode(unreachable), "EHOSTUNREACH");
 * assert.equal(errorCode(new TypeError("bug")), undefined);
 * ```
 */
export function errorCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}

/**
 * Runs `body` and swallows only the disconnect errors; every other error is
 * rethrown. Returns `true` when the body completed.
 *
 * @example Usage
 * ```ts
 * import { ignoringDisconnect } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const ok = await ignoringDisconnect(() => {
 *   throw new Deno.errors.BrokenPipe("gone");
 * });
 * assert.equal(ok, false);
 * ```
 */
export async function ignoringDisconnect(body: () => unknown): Promise<boolean> {
  try {
    await body();
    return true;
  } catch (error) {
    if (!isDisconnect(error)) throw error;
    return false;
  }
}
