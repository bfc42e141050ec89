/**
 * The two servers as seen by the tests they share: how to start one, how a
 * member joins, and how its notices read. Where their protocols agree, one
 * test runs against both.
 *
 * @module
 */

import { startServer } from "../server.ts";
import { startSelectServer } from "../select_server.ts";
import { type ServerOptions } from "../lib/server_options.ts";
import { type Room } from "../lib/room.ts";
import { LineClient } from "./line_client.ts";

/** What the shared tests need of a running server. */
export interface ServerUnderTest {
  readonly addr: Deno.NetAddr;
  readonly room: Room;
  shutdown(): Promise<void>;
}

/** One server and its protocol. */
export interface Flavor {
  name: string;
  /** Whether a member sends its ID first. */
  handshake: boolean;
  /** Whether a member's own messages come back to it. */
  echoes: boolean;
  start(options?: Partial<ServerOptions>): ServerUnderTest;
  /** Connects a member named `id` (where names are chosen) and waits for nothing. */
  join(port: number, id: string, options?: { paused?: boolean }): Promise<LineClient>;
  /** Waits until `client` is in the room. */
  joined(client: LineClient): Promise<string>;
  /** The name the others see for `client`. */
  nameOf(client: LineClient): string;
  /** The notice the others get when `name` leaves for `reason`. */
  leaveNotice(name: string, reason?: string): string;
}

/** server.ts: members send their ID first and never get their own lines back. */
export const threaded: Flavor = {
  name: "server.ts",
  handshake: true,
  echoes: false,
  start: (options = {}) =>
    startServer({ hostname: "127.0.0.1", port: 0, log: () => {}, ...options }),
  join: (port, id, options) => LineClient.join(port, id, options),
  joined: (client) => client.expect(/^Server: welcome/),
  nameOf: () => {
    throw new Error("Names are chosen on the threaded server");
  },
  leaveNotice: (name, reason) => `client${name}- exit${reason ? ` (${reason})` : ""}`,
};

/** select_server.ts: members are named by address, and every line is echoed to its sender. */
export const select: Flavor = {
  name: "select_server.ts",
  handshake: false,
  echoes: true,
  start: (options = {}) =>
    startSelectServer({ hostname: "127.0.0.1", port: 0, log: () => {}, ...options }),
  join: (port, _id, options) => LineClient.connect(port, options),
  joined: (client) =>
    client.expect(`Client (127.0.0.1:${client.conn.localAddr.port}) entered room`),
  nameOf: (client) => `127.0.0.1:${client.conn.localAddr.port}`,
  leaveNotice: (name, reason) => {
    // The name is ip:port or [ip]:port; the notice says (ip, port), as the report did.
    const ip = name.slice(0, name.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1");
    const port = name.slice(name.lastIndexOf(":") + 1);
    return `Client (${ip}, ${port}) is offline${reason ? ` (${reason})` : ""}`;
  },
};

/** Every server flavor under test. */
export const FLAVORS: Flavor[] = [threaded, select];

/**
 * Starts a server with `start` on a free loopback port, its console kept in
 * `log`, runs `body`, and always shuts the server down.
 */
export async function withServer<O extends Partial<ServerOptions>>(
  start: (options: O) => ServerUnderTest,
  body: (port: number, log: string[]) => Promise<void>,
  options?: O,
): Promise<void> {
  const log: string[] = [];
  const server = start({
    hostname: "127.0.0.1",
    port: 0,
    log: (line: string) => log.push(line),
    ...options,
  } as O);
  try {
    await body(server.addr.port, log);
  } finally {
    await server.shutdown();
  }
}
