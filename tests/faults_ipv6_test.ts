/**
 * Fault suite, IPv6: both servers on ::1 and on :: (dual stack, where the OS
 * maps IPv4 clients onto it), and both clients connecting to ::1 written as
 * `::1` and as `[::1]`. Skipped, with the reason printed, where ::1 is not
 * available.
 */
import assert from "node:assert/strict";
import { type Flavor, FLAVORS, type ServerUnderTest } from "./flavors.ts";
import { LineClient } from "./line_client.ts";
import { Script } from "./script.ts";
import { controlLines, freshId, until } from "./faults_kit.ts";

/** Why IPv6 loopback cannot be tested here, or `undefined` if it can. */
async function ipv6Unavailable(): Promise<string | undefined> {
  try {
    const listener = Deno.listen({ hostname: "::1", port: 0 });
    const conn = await Deno.connect({ hostname: "::1", port: listener.addr.port });
    (await listener.accept()).close();
    conn.close();
    listener.close();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Why an IPv4 client cannot reach a server on `::` here (IPV6_V6ONLY), or `undefined`. */
async function dualStackUnavailable(): Promise<string | undefined> {
  try {
    const listener = Deno.listen({ hostname: "::", port: 0 });
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      (await listener.accept()).close();
      conn.close();
      return undefined;
    } finally {
      listener.close();
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const noIpv6 = await ipv6Unavailable();
const noDualStack = noIpv6 ?? await dualStackUnavailable();
if (noIpv6) console.log(`faults_ipv6_test.ts: skipped: ::1 is not available: ${noIpv6}`);
if (!noIpv6 && noDualStack) {
  console.log(`faults_ipv6_test.ts: dual stack skipped: IPv4 cannot reach ::: ${noDualStack}`);
}

/**
 * A member connected to `target` on a server listening on `serverHost`, in the
 * room, and the name others know it by.
 */
async function joinFrom(
  flavor: Flavor,
  serverHost: string,
  target: string,
  port: number,
): Promise<{ client: LineClient; name: string }> {
  const client = await LineClient.connect(port, { hostname: target });
  const id = freshId("v6_");
  if (flavor.handshake) {
    await client.send(id);
    await client.expect(/^Server: welcome/);
    return { client, name: id };
  }
  const { hostname, port: localPort } = client.conn.localAddr;
  // A server on :: sees an IPv4 client as ::ffff:a.b.c.d.
  const seen = serverHost === "::" && !hostname.includes(":") ? `::ffff:${hostname}` : hostname;
  const name = seen.includes(":") ? `[${seen}]:${localPort}` : `${seen}:${localPort}`;
  await client.expect(`Client (${name}) entered room`);
  return { client, name };
}

/** How a message `text` from the member called `name` reads to the others. */
function saidBy(flavor: Flavor, name: string, text: string): string {
  return flavor.handshake ? `[${name}]${text}` : `[${name}] : ${text}`;
}

/** Starts `flavor` on `hostname`, runs `body`, checks the room emptied, and shuts it down. */
async function onHost(
  flavor: Flavor,
  hostname: string,
  body: (server: ServerUnderTest) => Promise<void>,
): Promise<void> {
  const server = flavor.start({ hostname });
  try {
    await body(server);
    await until(() => server.room.size === 0, "everyone to leave");
  } finally {
    await server.shutdown();
  }
}

/** Two members, connected to `targets`, chat both ways on `server`. */
async function chatBothWays(flavor: Flavor, server: ServerUnderTest, targets: [string, string]) {
  const { hostname, port } = server.addr;
  const a = await joinFrom(flavor, hostname, targets[0], port);
  const b = await joinFrom(flavor, hostname, targets[1], port);
  await a.client.send("hello over IPv6 안녕");
  await b.client.expect(saidBy(flavor, a.name, "hello over IPv6 안녕"));
  await b.client.send("and back");
  await a.client.expect(saidBy(flavor, b.name, "and back"));
  for (const { client } of [a, b]) assert.deepEqual(controlLines(client), []);
  await b.client.close();
  await a.client.expect(flavor.leaveNotice(b.name));
  await a.client.close();
}

for (const flavor of FLAVORS) {
  Deno.test({
    name: `${flavor.name}: serves IPv6 members on ::1`,
    ignore: noIpv6 !== undefined,
    fn: () =>
      onHost(flavor, "::1", async (server) => {
        assert.equal(server.addr.hostname, "::1");
        await chatBothWays(flavor, server, ["::1", "::1"]);
      }),
  });

  Deno.test({
    name: `${flavor.name}: on :: serves IPv6 and IPv4 members together (dual stack)`,
    ignore: noDualStack !== undefined,
    fn: () =>
      onHost(flavor, "::", async (server) => {
        await chatBothWays(flavor, server, ["::1", "127.0.0.1"]);
      }),
  });
}

for (const host of ["::1", "[::1]"]) {
  Deno.test({
    name: `client.ts and select_client.ts connect to ${host}`,
    ignore: noIpv6 !== undefined,
    fn: async () => {
      for (const flavor of FLAVORS) {
        await onHost(flavor, "::1", async (server) => {
          const port = String(server.addr.port);
          const watcher = await joinFrom(flavor, "::1", "::1", server.addr.port);
          const id = freshId("cli");
          const client = flavor.handshake
            ? Script.start("client.ts", [host, port, id])
            : Script.start("select_client.ts", [host, port]);
          await client.expect(flavor.handshake ? "Host connected" : /^Connected to remote host/);
          const entered = await watcher.client.expect(
            flavor.handshake ? /- enter$/ : /entered room$/,
          );
          const name = flavor.handshake
            ? id
            : entered.slice("Client (".length, -") entered room".length);
          assert.match(name, flavor.handshake ? /^cli\d+$/ : /^\[::1\]:\d+$/);
          await client.write("typed over IPv6\n");
          await watcher.client.expect(saidBy(flavor, name, "typed over IPv6"));
          const { code } = await client.exit(); // Ctrl-D
          assert.equal(code, 0);
          await watcher.client.expect(flavor.leaveNotice(name));
          await watcher.client.close();
        });
      }
    },
  });
}
