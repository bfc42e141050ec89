/**
 * The core's slow-member policy, on real sockets: (a) a burst loses nothing,
 * (b) a stuck member is evicted without stalling the room for long, (c) a
 * slow member that keeps up is never evicted and misses nothing.
 */
import assert from "node:assert/strict";
import { FLAVORS } from "./flavors.ts";
import { LineClient } from "./line_client.ts";
import { isDisconnect } from "../lib/errors.ts";
import { sleep } from "../lib/deadlines.ts";

const encoder = new TextEncoder();

/** Reads as fast as it can and counts the chat lines (those starting with `[`). */
class Counter {
  messages = 0;
  notices: string[] = [];
  #done: Promise<void>;
  constructor(readonly conn: Deno.TcpConn) {
    this.#done = this.#read();
  }
  async #read() {
    const buffer = new Uint8Array(256 * 1024);
    let atLineStart = true;
    let notice: number[] = [];
    while (true) {
      let count: number | null;
      try {
        count = await this.conn.read(buffer);
      } catch (error) {
        if (isDisconnect(error)) return;
        throw error;
      }
      if (count === null) return;
      for (let i = 0; i < count; i++) {
        const byte = buffer[i];
        if (atLineStart) {
          if (byte === 0x5b) this.messages++;
          else notice = [byte];
          atLineStart = false;
          if (byte === 0x5b) notice = [];
        } else if (byte === 0x0a) {
          if (notice.length > 0) this.notices.push(String.fromCharCode(...notice));
          notice = [];
          atLineStart = true;
        } else if (notice.length > 0 && notice.length < 200) {
          notice.push(byte);
        }
      }
    }
  }
  close() {
    this.conn.close();
    return this.#done;
  }
}

/** Resolves once `check` holds, polling on each turn of the event loop that has I/O. */
async function until(check: () => boolean, what: string, waitMs = 60_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

for (const flavor of FLAVORS) {
  Deno.test(`${flavor.name}: (a) a burst of 100 members × 500 messages loses nothing`, async () => {
    const members = 100;
    const perMember = 500;
    const server = flavor.start({ log: () => {} });
    const port = server.addr.port;
    const conns: Deno.TcpConn[] = [];
    for (let i = 0; i < members; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.setNoDelay(true);
      if (flavor.handshake) await conn.write(encoder.encode(`u${i}\n`));
      conns.push(conn);
    }
    await until(() => server.room.size === members, "everyone to join");
    const counters = conns.map((conn) => new Counter(conn));
    const payload = (i: number) => {
      let text = "";
      for (let seq = 0; seq < perMember; seq++) text += `#m ${i} ${seq} burst payload\n`;
      return encoder.encode(text);
    };
    await Promise.all(conns.map(async (conn, i) => {
      const bytes = payload(i);
      for (let offset = 0; offset < bytes.length;) {
        offset += await conn.write(bytes.subarray(offset, offset + 4096));
      }
    }));
    const expected = (members - 1 + (flavor.echoes ? 1 : 0)) * perMember;
    await until(() => counters.every((c) => c.messages >= expected), "every delivery");
    assert.deepEqual(counters.map((c) => c.messages), counters.map(() => expected));
    assert.equal(server.room.size, members, "nobody was disconnected");
    assert.ok(counters.every((c) => !c.notices.some((n) => /exit|offline|Error/.test(n))));
    await Promise.all(counters.map((c) => c.close()));
    await server.shutdown();
  });

  Deno.test(`${flavor.name}: (b) a member that stops reading is evicted, the rest go on`, async () => {
    const log: string[] = [];
    const server = flavor.start({
      log: (line) => log.push(line),
      highWaterBytes: 64 * 1024,
      slowTimeoutMs: 300,
    });
    const port = server.addr.port;
    const stuck = await flavor.join(port, "stuck", { paused: true });
    const talkers = [];
    for (const id of ["t1", "t2", "t3"]) talkers.push(await flavor.join(port, id));
    await until(() => server.room.size === 4, "everyone to join");
    const stuckName = flavor.handshake ? "stuck" : flavor.nameOf(stuck);
    // Enough traffic to fill the stuck member's kernel buffers many times over.
    const line = "x".repeat(1000);
    const perTalker = 3000;
    let maxQueued = 0;
    const watch = setInterval(() => {
      for (const member of server.room) maxQueued = Math.max(maxQueued, member.queuedBytes);
    }, 1);
    await Promise.all(talkers.map(async (talker) => {
      for (let i = 0; i < perTalker; i += 100) {
        let batch = "";
        for (let j = i; j < i + 100; j++) batch += `${j} ${line}\n`;
        await talker.sendRaw(batch);
      }
    }));
    const expected = (talkers.length - 1 + (flavor.echoes ? 1 : 0)) * perTalker;
    for (const talker of talkers) {
      await talker.expectCount(expected, 60_000, (l) => l.includes(line));
    }
    clearInterval(watch);
    await talkers[0].expect(flavor.leaveNotice(stuckName, "too slow"));
    assert.ok(log.some((entry) => entry.includes("too slow")), "the log names the eviction");
    for (const talker of talkers) {
      const messages = talker.lines.filter((l) => l.includes(line));
      assert.equal(messages.length, expected, "no delivery to the others was lost");
    }
    assert.ok(maxQueued < 1024 * 1024, `server queue stayed bounded (${maxQueued} bytes)`);
    assert.ok(![...server.room].some((m) => m.conn === undefined));
    assert.equal(server.room.size, 3);
    await Promise.all([stuck, ...talkers].map((client) => client.close()));
    await server.shutdown();
  });

  Deno.test(`${flavor.name}: (c) a slow member that keeps up is never evicted`, async () => {
    const log: string[] = [];
    const server = flavor.start({
      log: (line) => log.push(line),
      highWaterBytes: 16 * 1024,
      slowTimeoutMs: 2000,
    });
    const port = server.addr.port;
    const slowConn = await Deno.connect({ hostname: "127.0.0.1", port });
    if (flavor.handshake) await slowConn.write(encoder.encode("slow\n"));
    const talkers = [];
    for (const id of ["t1", "t2"]) talkers.push(await flavor.join(port, id));
    await until(() => server.room.size === 3, "everyone to join");
    // The slow member reads 2 KiB at a time with a pause: far slower than the
    // others, but faster than the room's traffic on average.
    let received = "";
    const decoder = new TextDecoder();
    let reading = true;
    const slowReader = (async () => {
      const buffer = new Uint8Array(2048);
      while (reading) {
        const count = await slowConn.read(buffer).catch((error) => {
          if (isDisconnect(error)) return null;
          throw error;
        });
        if (count === null) return;
        received += decoder.decode(buffer.subarray(0, count), { stream: true });
        await sleep(2);
      }
    })();
    const perTalker = 400;
    const text = "s".repeat(200);
    await Promise.all(talkers.map(async (talker, t) => {
      for (let i = 0; i < perTalker; i += 50) {
        let batch = "";
        for (let j = i; j < i + 50; j++) batch += `${t}:${j} ${text}\n`;
        await talker.sendRaw(batch);
      }
    }));
    const count = () => received.split("\n").filter((l) => l.includes(text)).length;
    await until(() => count() >= perTalker * 2, "the slow member to get everything");
    assert.equal(count(), perTalker * 2);
    assert.equal(server.room.size, 3, "the slow member is still here");
    assert.ok(!log.some((entry) => entry.includes("too slow")));
    reading = false;
    slowConn.close();
    await slowReader;
    await Promise.all(talkers.map((client) => client.close()));
    await server.shutdown();
  });
}

// Keep the helper imported for its type in flavors.
export type { LineClient };
