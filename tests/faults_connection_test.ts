/**
 * Fault suite, hostile connections: a reset in the middle of a broadcast, a
 * half-closed member, a member that never reads while many talk, slow-loris
 * handshakes, and a thousand connections that close at once. Each case runs
 * against an in-process server (the many talkers: one in its own process)
 * and ends with the kit's checks: the server still serves, the witnesses lost
 * nothing, queues (or RSS) stayed bounded, the room and the admission count
 * are back to normal, and no descriptor leaked.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { FLAVORS } from "./flavors.ts";
import { LineClient } from "./line_client.ts";
import {
  atScale,
  connectAndClose,
  enterNotice,
  freshId,
  isRefusal,
  joinMember,
  joinTally,
  leaveOf,
  MIB,
  nodeConnect,
  refusalCount,
  reset,
  said,
  type Tally,
  until,
  withFaultProcess,
  withFaultRoom,
} from "./faults_kit.ts";
import { isDisconnect } from "../lib/errors.ts";
import { writeAll } from "../lib/write_all.ts";
import { sleep } from "../lib/deadlines.ts";

const encoder = new TextEncoder();
const threaded = FLAVORS.find((flavor) => flavor.handshake)!;

/** `count` lines numbered from `first`, each with `size` x's at its end (payload for a Tally). */
function payload(tag: string, count: number, size: number, first = 0): Uint8Array {
  const filler = "x".repeat(size);
  let text = "";
  for (let i = first; i < first + count; i++) text += `${tag} ${i} ${filler}\n`;
  return encoder.encode(text);
}

/** A line of the burst, as relayed. */
const BURST = /burst \d+ x+$/;

for (const flavor of FLAVORS) {
  Deno.test(`${flavor.name}: a member reset (RST) mid-broadcast leaves cleanly`, async () => {
    await withFaultRoom(flavor, {}, async ({ port, server, witnesses, watcher, log }) => {
      const talker = await joinMember(flavor, port, "talker");
      const victimId = freshId("reset");
      const victim = await nodeConnect(port);
      victim.pause(); // it never reads, so the server has bytes queued for it
      if (flavor.handshake) victim.write(`${victimId}\n`);
      const victimPort = victim.localPort;
      const victimName = flavor.handshake ? victimId : `127.0.0.1:${victimPort}`;
      await watcher.expect(enterNotice(flavor, victimName));
      const member = [...server.room].find((each) => each.name === victimName)!;
      const batch = 250;
      const size = 4000;
      let lines = 0;
      await witnesses.during((async () => {
        // Broadcast until the server holds bytes for the victim that the kernel would not
        // take, then reset it: its queue passes the high-water mark, the room pauses, and
        // the talker's last batch waits for the reset.
        let resetting = false;
        const talking = (async () => {
          while (!resetting) {
            lines += batch;
            await talker.client.sendRaw(payload("burst", batch, size, lines - batch));
          }
        })();
        await until(() => member.queuedBytes > 0, "the server to queue bytes for the victim");
        resetting = true;
        assert.equal(member.closed, false);
        await reset(victim);
        await talking;
        await watcher.expect(flavor.leaveNotice(victimName));
        await watcher.expectCount(lines, undefined, (line) => BURST.test(line));
      })());
      const delivered = watcher.lines.filter((line) => BURST.test(line));
      assert.deepEqual(
        delivered,
        Array.from(
          { length: lines },
          (_, i) => said(flavor, talker.client, talker.id, `burst ${i} ${"x".repeat(size)}`),
        ),
        "the rest of the room got the whole broadcast, in order",
      );
      assert.ok(member.closed, "the server closed its side");
      const left = flavor.handshake
        ? `${victimId} Client disconnect`
        : `Client (127.0.0.1, ${victimPort}) disconnected.`;
      assert.ok(log.includes(left), "the log names who left");
      await talker.client.close();
      await watcher.expect(leaveOf(flavor, talker.client, talker.id));
    });
  });

  Deno.test(`${flavor.name}: a half-closed member is relayed to the end, then leaves`, async () => {
    await withFaultRoom(flavor, {}, async ({ port, witnesses, watcher }) => {
      const { client: half, id } = await joinMember(flavor, port, "half");
      await witnesses.during((async () => {
        await half.sendRaw("last words\nno newline at the end");
        await half.conn.closeWrite();
        await watcher.expect(said(flavor, half, id, "last words"));
        await watcher.expect(said(flavor, half, id, "no newline at the end"));
        await watcher.expect(leaveOf(flavor, half, id));
        await half.expectClose(); // the server closes its side too
      })());
      await half.close();
    });
  });

  Deno.test(`${flavor.name}: a half-closed member gets every reply before the close`, async () => {
    // As `cat commands | nc -N` does, reading only later: what is queued for it when its FIN
    // arrives, more than the sockets hold, must still go out.
    const options = { rateLimit: 0, highWaterBytes: 64 * MIB, queueBound: 64 * MIB };
    await withFaultRoom(flavor, options, async ({ port, watcher }) => {
      const id = freshId("asker");
      const asker = await nodeConnect(port);
      asker.pause(); // it reads nothing until the server has taken its FIN
      const count = 100_000;
      asker.end(`${flavor.handshake ? `${id}\n` : ""}${"/help\n".repeat(count)}`);
      await watcher.expect(
        flavor.leaveNotice(flavor.handshake ? id : `127.0.0.1:${asker.localPort}`),
      );
      let received = "";
      asker.setEncoding("utf8").on("data", (text: string) => received += text);
      const ended = once(asker, "end");
      asker.resume();
      await ended;
      const lines = received.split("\n");
      const replies = lines.filter((line) => line.startsWith("Server: commands"));
      assert.equal(replies.length, count, `the last line: ${JSON.stringify(lines.at(-1))}`);
      asker.destroy();
    });
  });

  Deno.test(`${flavor.name}: a member that never reads is evicted; many talk on`, async () => {
    // tests/slow_members_test.ts (b) covers three talkers in-process; here many
    // talk at once, to a server in its own process as in production.
    const talkers = atScale(10, 50);
    const perTalker = atScale(800, 200);
    const size = 1000;
    const options = {
      args: ["--high-water", String(64 * 1024), "--slow-timeout", "1000"],
      maxClients: talkers + 6,
      rssBound: atScale(150, 300) * MIB,
    };
    await withFaultProcess(flavor, options, async ({ server, port, witnesses, watcher }) => {
      const stuckId = freshId("stuck");
      const stuck = await flavor.join(port, stuckId, { paused: true });
      const stuckName = flavor.handshake ? stuckId : flavor.nameOf(stuck);
      await watcher.expect(enterNotice(flavor, stuckName));
      const members: { tally: Tally; id: string; name: string }[] = [];
      for (let i = 0; i < talkers; i++) members.push(await joinTally(flavor, port, "talker"));
      const expected = (talkers - 1 + (flavor.echoes ? 1 : 0)) * perTalker;
      await witnesses.during((async () => {
        await Promise.all(members.map(async ({ tally }, t) => {
          const bytes = payload(`t${t}`, perTalker, size);
          for (let offset = 0; offset < bytes.length; offset += 64 * 1024) {
            await writeAll(tally.conn, bytes.subarray(offset, offset + 64 * 1024));
          }
        }));
        for (const { tally } of members) {
          await tally.until(() => tally.payloads >= expected, "every talker's lines", 60_000);
        }
        await watcher.expectCount(talkers * perTalker, 60_000, (line) => line.endsWith("x"));
        await watcher.expect(flavor.leaveNotice(stuckName, "too slow"));
      })());
      for (const { tally } of members) {
        assert.equal(tally.payloads, expected, "no talker lost a line");
        assert.equal(tally.controls, 0);
      }
      assert.equal(watcher.lines.filter((line) => line.endsWith("x")).length, talkers * perTalker);
      await server.expectLog(
        flavor.handshake
          ? `${stuckId} (127.0.0.1:${stuck.conn.localAddr.port}) evicted: too slow`
          : `Client (127.0.0.1, ${stuck.conn.localAddr.port}) evicted: too slow`,
      );
      await stuck.close();
      for (const { tally, name } of members) {
        await tally.close();
        await watcher.expect(flavor.leaveNotice(name));
      }
    });
  });

  Deno.test(`${flavor.name}: 1000 connections closed at once leak nothing`, async () => {
    // Closed with a FIN. Resets before the accept are the ignored case in
    // tests/faults_flood_test.ts: each one stalls accepting for 100 ms.
    await withFaultRoom(flavor, { maxClients: 20 }, async ({ port, witnesses }) => {
      await witnesses.during(connectAndClose(port, 1000));
    });
  });
}

Deno.test(`${threaded.name}: slow-loris handshakes end at handshakeTimeoutMs`, async () => {
  const handshakeTimeoutMs = 300;
  const loris = 20;
  await withFaultRoom(
    threaded,
    { handshakeTimeoutMs, partialLineMs: 0, maxClients: loris + 6 },
    async ({ port, witnesses, log }) => {
      const timings = await witnesses.during(Promise.all(
        Array.from({ length: loris }, async () => {
          const started = performance.now();
          const client = await LineClient.connect(port);
          await client.sendRaw("slo"); // a partial ID, never finished
          await client.expect(`Error: No ID received within ${handshakeTimeoutMs} ms`);
          await client.expectClose();
          await client.close();
          return performance.now() - started;
        }),
      ));
      for (const ms of timings) {
        assert.ok(ms >= handshakeTimeoutMs - 10, `closed after the timeout: ${ms} ms`);
        assert.ok(ms < handshakeTimeoutMs + 2000, `closed soon after it: ${ms} ms`);
      }
      // Ten a second are logged with the peer and the reason; the rest, counted.
      await until(() => refusalCount(log) === loris, "each refusal to be logged or counted");
      const refusals = log.filter((line) => /^Refused 127\.0\.0\.1:\d+: No ID received/.test(line));
      assert.equal(refusals.length, log.filter(isRefusal).length);
    },
  );
});

Deno.test(`${threaded.name}: a trickled ID is cut off at handshakeTimeoutMs`, async () => {
  // With partial lines on (the report's newline-less client), an ID that sits
  // idle for partialLineMs counts as sent. A slow loris that trickles one byte
  // at a time never sits idle that long: the handshake timeout still ends it.
  const handshakeTimeoutMs = 300;
  const partialLineMs = 100;
  await withFaultRoom(
    threaded,
    { handshakeTimeoutMs, partialLineMs },
    async ({ port, witnesses, log }) => {
      const client = await LineClient.connect(port);
      const started = performance.now();
      const trickling = (async () => {
        for (let i = 0; !client.eof; i++) {
          try {
            await client.sendRaw("slowloris"[i % 9]);
          } catch (error) {
            if (isDisconnect(error)) return;
            throw error;
          }
          // The attack itself: a byte every partialLineMs / 3.
          await sleep(partialLineMs / 3);
        }
      })();
      await witnesses.during(client.expectClose());
      const elapsed = performance.now() - started;
      await trickling;
      await client.close();
      assert.ok(elapsed >= handshakeTimeoutMs - 10, `not before the timeout: ${elapsed} ms`);
      assert.ok(elapsed < handshakeTimeoutMs + 2000, `soon after it: ${elapsed} ms`);
      assert.ok(log.some((line) => /^Refused 127\.0\.0\.1:\d+: No ID received/.test(line)));
    },
  );
});
