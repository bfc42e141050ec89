/**
 * Fault suite, floods against a server in its own process: connections past
 * --max-clients, connections past the open-file limit, a thousand
 * connections that close at once, and slow-loris handshakes. After each, the
 * server's file descriptors are counted back to where they were, its peak
 * RSS is checked, and new members are accepted again.
 *
 * At CI size the flood is 300 connections against --max-clients 200; with
 * FAULT_SCALE=full it is 19,000, toward the open-file limit of 20,000.
 */
import assert from "node:assert/strict";
import { FLAVORS } from "./flavors.ts";
import {
  atScale,
  connectAndClose,
  FULL_SCALE,
  isRefusal,
  joinMember,
  leaveOf,
  MIB,
  nodeConnect,
  openConnections,
  refusalCount,
  refusalPrefix,
  reset,
  until,
  withFaultProcess,
} from "./faults_kit.ts";
import { ACCEPT_RETRY_MS } from "../lib/accept.ts";

const threaded = FLAVORS.find((flavor) => flavor.handshake)!;

for (const flavor of FLAVORS) {
  // The watcher checks each leave, so joins and leaves are announced one by one
  // (--presence-limit): n² notices. So the select server is held to fewer
  // members at full size; the connections past them are refused all the same.
  const maxClients = atScale(200, flavor.handshake ? 18_000 : 2_000);
  const attempts = atScale(300, 19_000);

  Deno.test({
    name: `${flavor.name}: a flood past --max-clients is refused, then recovers`,
    fn: async () => {
      const options = {
        // Admitted connections that send nothing stay, holding their places.
        args: [
          ...(flavor.handshake ? ["--handshake-timeout", "600000"] : []),
          ...["--presence-limit", String(maxClients)],
        ],
        maxClients,
        refill: FULL_SCALE ? "connections" as const : "members" as const,
        rssBound: atScale(150, 512) * MIB,
      };
      await withFaultProcess(flavor, options, async ({ server, port, witnesses }) => {
        console.log(`${flavor.name}: ${attempts} connections against --max-clients ${maxClients}`);
        const free = maxClients - 3; // the witnesses and the watcher hold three places
        const refused = attempts - free;
        const flood = await witnesses.during((async () => {
          const flood = await openConnections(port, attempts);
          await until(
            () => flood.filter((conn) => conn.eof).length >= refused,
            "the refused connections to be closed",
            60_000,
          );
          return flood;
        })());
        const closed = flood.filter((conn) => conn.eof);
        assert.equal(closed.length, refused, "exactly the connections past the limit are closed");
        const full = `Error: Server is full: ${maxClients} of ${maxClients} places are taken`;
        for (const conn of closed) assert.deepEqual(conn.notices, [full], "each is told why");
        await until(() => refusalCount(server.log) >= refused, "every refusal logged or counted");
        assert.equal(refusalCount(server.log), refused);
        const refusals = server.log.filter(isRefusal);
        assert.ok(refusals.length >= 10, "ten a second are logged in full");
        for (const line of refusals) {
          assert.match(line, refusalPrefix(flavor), "the log names the peer");
          assert.ok(line.endsWith(`: ${full.slice("Error: ".length)}`), "and the reason");
        }
        await witnesses.exchange(); // the room is full and still serving
        await Promise.all(flood.map((conn) => conn.close()));
      });
    },
  });

  Deno.test(`${flavor.name}: out of descriptors, it serves on and recovers`, async () => {
    // The server runs with 128 descriptors; 300 connections are far more.
    const options = {
      maxOpenFiles: 128,
      args: flavor.handshake ? ["--handshake-timeout", "600000"] : [],
      rssBound: 150 * MIB,
    };
    await withFaultProcess(flavor, options, async ({ server, port, witnesses }) => {
      const started = performance.now();
      const flood = await witnesses.during((async () => {
        const flood = await openConnections(port, 300, 50);
        await server.expectLog(/^Accept failed: Too many open files/);
        return flood;
      })());
      await witnesses.exchange(); // still serving while out of descriptors
      await Promise.all(flood.map((conn) => conn.close()));
      await until(async () => await server.fds() < 100, "descriptors to come back");
      const elapsed = performance.now() - started;
      const failures = server.log.filter((line) => line.startsWith("Accept failed")).length;
      assert.ok(
        failures <= elapsed / ACCEPT_RETRY_MS + 2,
        `accept retries are paced, not spun: ${failures} in ${elapsed.toFixed(0)} ms`,
      );
      assert.ok(flood.every((conn) => conn.controls === 0));
    });
  });

  Deno.test(`${flavor.name}: 1000 connections closed at once leak no descriptor`, async () => {
    const options = { maxClients: 8, rssBound: 150 * MIB };
    await withFaultProcess(flavor, options, async ({ port, witnesses }) => {
      // Closed with a FIN; resets are the next case.
      await witnesses.during(connectAndClose(port, 1000));
    });
  });

  Deno.test({
    name: `${flavor.name}: connections reset before they are accepted do not hold up the next`,
    fn: async () => {
      const options = { rssBound: 150 * MIB };
      await withFaultProcess(flavor, options, async ({ server, port, watcher }) => {
        const dead = 50;
        // Stop the server, so the kernel queues the connections and their
        // resets before the server can accept any of them.
        Deno.kill(server.pid, "SIGSTOP");
        try {
          for (let i = 0; i < dead; i++) await reset(await nodeConnect(port));
        } finally {
          Deno.kill(server.pid, "SIGCONT");
        }
        const started = performance.now();
        const { client, id } = await joinMember(flavor, port, "next");
        const waited = performance.now() - started;
        await client.close();
        await watcher.expect(leaveOf(flavor, client, id));
        assert.ok(waited < 1000, `the next member was let in after ${waited.toFixed(0)} ms`);
      });
    },
  });
}

Deno.test(`${threaded.name}: 50 slow-loris handshakes are cut off, no fd leaks`, async () => {
  const loris = 50;
  const options = {
    args: ["--handshake-timeout", "500", "--partial-line-ms", "0"],
    maxClients: loris + 10,
    rssBound: 150 * MIB,
  };
  await withFaultProcess(threaded, options, async ({ server, port, witnesses }) => {
    const conns = await witnesses.during((async () => {
      const conns = await openConnections(port, loris);
      await Promise.all(conns.map((conn) => conn.conn.write(new TextEncoder().encode("slo"))));
      for (const conn of conns) await conn.untilClosed();
      return conns;
    })());
    for (const conn of conns) {
      assert.deepEqual(conn.notices, ["Error: No ID received within 500 ms"]);
    }
    await until(() => refusalCount(server.log) === loris, "every cut-off to be logged or counted");
    const logged = server.log.filter(isRefusal);
    assert.ok(logged.every((line) => line.endsWith("No ID received within 500 ms")), `${logged}`);
    await Promise.all(conns.map((conn) => conn.close()));
  });
});
