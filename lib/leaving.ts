/**
 * Leaving a chat, as both clients do: send what is queued, close our side,
 * and wait for the server to close, which it does once it has read all we
 * sent. All of it within one deadline, since a server may stop reading.
 *
 * @module
 */

/**
 * How long leaving may take in all, in ms: what is queued going out, and the server's close.
 *
 * @example Usage
 * ```ts
 * import { LEAVE_TIMEOUT_MS } from "./leaving.ts";
 * import assert from "node:assert/strict";
 *
 * // Long enough for a busy server on a LAN, short enough for a user who wants out.
 * assert.equal(LEAVE_TIMEOUT_MS, 2000);
 * ```
 */
export const LEAVE_TIMEOUT_MS = 2000;

/**
 * What a client prints when the server did not close within {@linkcode LEAVE_TIMEOUT_MS}: it may
 * not have read the last lines, so the client exits 1 after it.
 *
 * @example Usage
 * ```ts
 * import { UNCONFIRMED_LEAVE } from "./leaving.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(UNCONFIRMED_LEAVE, /within 2 s/);
 * ```
 */
export const UNCONFIRMED_LEAVE: string =
  `The server did not close within ${LEAVE_TIMEOUT_MS / 1000} s; ` +
  "it may not have read the last lines sent";

/**
 * What a client prints when the server ended the connection with a reset
 * rather than its close, while the client was leaving: a kernel resets a
 * connection closed with input unread, so the last lines may well be lost,
 * and the client exits 1 after it.
 *
 * @example Usage
 * ```ts
 * import { RESET_LEAVE } from "./leaving.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(RESET_LEAVE, /^The server reset the connection/);
 * ```
 */
export const RESET_LEAVE: string =
  "The server reset the connection; it may not have read the last lines sent";
