/**
 * The options both servers share: where to listen, and the limits that keep
 * them up on an open network. Each is a command-line option of both servers.
 *
 * @module
 */

import { MAX_DELAY_MS, type OptionSpec, parseInteger } from "./cli.ts";
import { consoleLog } from "./console_log.ts";
import { DEFAULT_MAX_LINE_BYTES } from "./line_decoder.ts";
import { DEFAULT_HIGH_WATER_BYTES } from "./member.ts";
import { DEFAULT_PRESENCE_LIMIT } from "./presence.ts";
import { DEFAULT_SLOW_TIMEOUT_MS } from "./room.ts";

/** Where a server listens and what it allows. */
export interface ServerOptions {
  /** The address to bind: `0.0.0.0` for all IPv4, `::` for IPv6 (and IPv4 where the OS allows). */
  hostname: string;
  /** The port; 0 picks a free one. */
  port: number;
  /** The longest line, in bytes. */
  maxLineBytes: number;
  /** A member's outbound queue above which the room pauses its senders, in bytes. */
  highWaterBytes: number;
  /** How long a member may keep the room waiting, in all, before it is evicted, in ms. */
  slowTimeoutMs: number;
  /** The most members at once. */
  maxClients: number;
  /** The most connections from one IP, or remote IPv6 /64 (loopback exempt); 0: no limit. */
  maxPerIp: number;
  /** How long a new connection has to identify itself (threaded server), in ms. */
  handshakeTimeoutMs: number;
  /** A member silent this long is closed, in ms; 0 turns it off. */
  idleTimeoutMs: number;
  /** Messages per second a member may send on average; 0 turns flood control off. */
  rateLimit: number;
  /** Messages a member may send at once before the rate limit applies. */
  rateBurst: number;
  /** Rooms with more members than this announce joins and leaves as one summary a second. */
  presenceLimit: number;
  /**
   * Whether the members' messages (and `/me` actions) are logged, as the
   * report did, or only events.
   */
  logMessages: boolean;
  /** Where the server's console lines go. */
  log: (line: string) => void;
}

/**
 * The defaults of {@linkcode ServerOptions}.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_SERVER_OPTIONS } from "./server_options.ts";
 * import assert from "node:assert/strict";
 *
 * const config = { ...DEFAULT_SERVER_OPTIONS, port: 0 };
 * assert.equal(config.maxLineBytes, 4096);
 * ```
 */
export const DEFAULT_SERVER_OPTIONS: Readonly<ServerOptions> = Object.freeze({
  hostname: "0.0.0.0",
  port: 1234,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  highWaterBytes: DEFAULT_HIGH_WATER_BYTES,
  slowTimeoutMs: DEFAULT_SLOW_TIMEOUT_MS,
  maxClients: 10_000,
  maxPerIp: 10,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 0,
  rateLimit: 1000,
  rateBurst: 100,
  presenceLimit: DEFAULT_PRESENCE_LIMIT,
  logMessages: true,
  log: consoleLog.write,
});

const OPTION_FIELDS = {
  "max-line-bytes": ["maxLineBytes", 1, "Longest line in bytes"],
  "high-water": ["highWaterBytes", 1024, "Outbound queue, in bytes, that pauses senders"],
  "slow-timeout": [
    "slowTimeoutMs",
    1,
    "Ms a member may keep the room waiting, in all",
    MAX_DELAY_MS,
  ],
  "max-clients": ["maxClients", 1, "Most members at once"],
  "max-per-ip": [
    "maxPerIp",
    0,
    "Most connections per IP (remote IPv6: per /64), loopback exempt (0: no limit)",
  ],
  "handshake-timeout": [
    "handshakeTimeoutMs",
    1,
    "Ms a new connection has to send its ID",
    MAX_DELAY_MS,
  ],
  "idle-timeout": [
    "idleTimeoutMs",
    0,
    "Ms of silence before a member is closed (0: off)",
    MAX_DELAY_MS,
  ],
  "rate-limit": ["rateLimit", 0, "Messages per second per member (0: off)"],
  "rate-burst": ["rateBurst", 1, "Messages a member may send at once"],
  "presence-limit": ["presenceLimit", 0, "Members above which joins and leaves are summarized"],
} as const satisfies Record<string, [keyof ServerOptions, number, string, number?]>;

/**
 * The command-line options for {@linkcode ServerOptions}, for a script's command spec.
 *
 * @example Usage
 * ```ts
 * import { parseCommand } from "./cli.ts";
 * import { SERVER_OPTION_SPECS, serverOptionsFrom } from "./server_options.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = {
 *   usage: "server.ts [options] [PORT]",
 *   summary: "A chat server.",
 *   options: SERVER_OPTION_SPECS,
 *   positionals: [0, 1] as [number, number],
 * };
 * const { values } = parseCommand(["--rate-limit", "0", "1234"], spec);
 * assert.deepEqual(serverOptionsFrom(values), { rateLimit: 0 });
 * ```
 */
export const SERVER_OPTION_SPECS: Record<string, OptionSpec> = {
  host: {
    type: "string",
    arg: "HOST",
    help: `Address to listen on, "::" for IPv6 (default ${DEFAULT_SERVER_OPTIONS.hostname})`,
  },
  ...Object.fromEntries(
    Object.entries(OPTION_FIELDS).map(([flag, [field, , help]]) => [
      flag,
      { type: "string", arg: "N", help: `${help} (default ${DEFAULT_SERVER_OPTIONS[field]})` },
    ]),
  ),
  "no-message-log": {
    type: "boolean",
    help: "Log joins, leaves and refusals, but not what members say",
  },
};

/**
 * Reads the {@linkcode SERVER_OPTION_SPECS} out of parsed option values,
 * throwing a usage error that quotes any value that is not a number in range.
 *
 * @example Usage
 * ```ts
 * import { serverOptionsFrom } from "./server_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(serverOptionsFrom({ host: "::", "max-clients": "5", "no-message-log": true }), {
 *   hostname: "::",
 *   logMessages: false,
 *   maxClients: 5,
 * });
 * ```
 */
export function serverOptionsFrom(
  values: Record<string, string | boolean | undefined>,
): Partial<ServerOptions> {
  const options: Record<string, unknown> = {};
  if (typeof values.host === "string") options.hostname = values.host;
  if (values["no-message-log"] === true) options.logMessages = false;
  for (const [flag, [field, min, , max]] of Object.entries(OPTION_FIELDS)) {
    const text = values[flag];
    if (typeof text === "string") options[field] = parseInteger(text, `--${flag}`, { min, max });
  }
  return options as Partial<ServerOptions>;
}
