import assert from "node:assert/strict";
import { INITIAL_READ_BYTES } from "./conn_reader.ts";
import { Member } from "./member.ts";
import { WAIT_MS } from "../tests/line_client.ts";
import { fakeConn } from "../tests/fake_conn.ts";
import { type Frame, LINE_TOO_LONG } from "./line_decoder.ts";
import { IDLE, memberLines, memberLinesOptions } from "./member_lines.ts";
import { Room } from "./room.ts";
import { sleep } from "./deadlines.ts";

Deno.test("memberLines() serves every member from one shared, frozen options object", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // A server builds these once for all its members; memberLines() must only read them.
  const options = Object.freeze({ room: new Room(), maxLineBytes: 256, rateLimit: 100 });
  const encoder = new TextEncoder();
  const long = "x".repeat(INITIAL_READ_BYTES + 72);
  const runs = [0, 1].map(async (i) => {
    const peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const member = new Member(await listener.accept(), { name: `m${i}` });
    const lines = Array.fromAsync(memberLines(member, options));
    // Lines split across writes, one of them longer than the first read buffer.
    for (const chunk of [`hel`, `lo ${i}\nwor`, `ld ${i}\n${long}\n`]) {
      await peer.write(encoder.encode(chunk));
    }
    await peer.closeWrite();
    const got = await lines;
    member.close();
    peer.close();
    return got;
  });
  const [first, second] = await Promise.all(runs);
  assert.deepEqual(first, ["hello 0", "world 0", long]);
  assert.deepEqual(second, ["hello 1", "world 1", long]);
});

Deno.test("memberLines() reads nothing more while its member is backlogged", async () => {
  // telnet's answers pile up with no line to wait on: a peer that asks and never reads must not
  // make the queue grow without end, in a room or before it has joined one.
  const reads: PromiseWithResolvers<Uint8Array | null>[] = [];
  const written = Promise.withResolvers<number>();
  const conn = {
    ...fakeConn(() => written.promise), // the peer reads nothing until written resolves
    read(buffer: Uint8Array) {
      const read = Promise.withResolvers<Uint8Array | null>();
      reads.push(read);
      return read.promise.then((bytes) => bytes && (buffer.set(bytes), bytes.length));
    },
  } as unknown as Deno.TcpConn;
  const member = new Member(conn, { name: "bob", highWaterBytes: 150 });
  const next = memberLines(member, { room: new Room() }).next();
  const turn = () => new Promise((resolve) => setTimeout(resolve, 0)); // the reader's microtasks
  const doTimingMark = new Uint8Array(99).map((_, i) => [0xff, 253, 6][i % 3]); // 99 bytes back
  await turn();
  reads[0].resolve(doTimingMark);
  await turn();
  assert.equal(reads.length, 2, "99 bytes queued, under the mark: it reads on");
  reads[1].resolve(doTimingMark);
  await turn();
  assert.equal(member.backlogged, true);
  assert.equal(reads.length, 2, "198 bytes queued, over the mark: it reads no more");
  written.resolve(99); // the peer reads: the queue drains
  await turn();
  assert.equal(member.backlogged, false);
  assert.equal(reads.length, 3, "and it reads again");
  member.close();
  reads[2].resolve(null);
  assert.equal((await next).done, true);
});

Deno.test("memberLinesOptions() takes the reader's options from a server's, and freezes them", () => {
  const room = new Room();
  // A server's options carry much else, like its log: only the reader's are taken.
  const config = {
    port: 1234,
    maxLineBytes: 100,
    partialLineMs: 50,
    rateLimit: 5,
    rateBurst: 10,
    idleTimeoutMs: 0,
    log: () => {},
  };
  const threaded = memberLinesOptions(room, config);
  assert.deepEqual(
    { ...threaded },
    { room, maxLineBytes: 100, partialLineMs: 50, rateLimit: 5, rateBurst: 10, idleTimeoutMs: 0 },
  );
  // The select server has no partial-line wait: it stays unset, which memberLines() reads as 0.
  const select = memberLinesOptions(room, { maxLineBytes: 100, rateLimit: 5 });
  assert.equal(select.partialLineMs, undefined);
  assert.equal(Object.isFrozen(select), true);
  assert.throws(() => {
    (select as { rateLimit?: number }).rateLimit = 0;
  }, TypeError);
});

/** Runs `body` with timers that fire `earlyMs` before their time, as Deno's sometimes do. */
async function withEarlyTimers<T>(earlyMs: number, body: () => Promise<T>): Promise<T> {
  const onTime = globalThis.setTimeout;
  globalThis.setTimeout =
    ((callback: () => void, ms = 0) =>
      onTime(callback, Math.max(0, ms - earlyMs))) as typeof setTimeout;
  try {
    return await body();
  } finally {
    globalThis.setTimeout = onTime;
  }
}

Deno.test("memberLines() never cuts a line-based member's partial line, even on an early timer", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const member = new Member(await listener.accept(), { name: "bob" });
  const options = { room: new Room(), partialLineMs: 20, idleTimeoutMs: 60 };
  const lines = await withEarlyTimers(10, async () => {
    const lines = Array.fromAsync(memberLines(member, options));
    await peer.write(new TextEncoder().encode("hello\nhalf a li"));
    return await lines; // until the idle timeout closes bob
  });
  assert.deepEqual(lines, ["hello"]);
  assert.equal(member.closeReason, IDLE);
});

Deno.test("memberLines() lets a newline-less client speak again after a too-long line", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const member = new Member(await listener.accept(), { name: "bob" });
  const partialLineMs = 20;
  const lines = memberLines(member, { room: new Room(), partialLineMs, maxLineBytes: 16 });
  const encoder = new TextEncoder();
  // The report's client: one message per write, no newlines.
  await peer.write(encoder.encode("first"));
  assert.equal((await lines.next()).value, "first");
  await peer.write(encoder.encode("x".repeat(100)));
  assert.equal((await lines.next()).value, LINE_TOO_LONG);
  const next = lines.next(); // sets the reader's partial-line timer, before the one below
  // The user types on after a pause; timers fire in order, so the reader's fires first.
  await sleep(3 * partialLineMs);
  await peer.write(encoder.encode("second"));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise((resolve) => timer = setTimeout(() => resolve("swallowed"), WAIT_MS));
  const second = await Promise.race([next.then((result) => result.value), late]);
  clearTimeout(timer);
  assert.equal(second, "second");
  member.close();
  assert.equal((await lines.next()).done, true);
});

Deno.test("memberLines() holds a newline-less client's message while the room waits, as any line", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const member = new Member(await listener.accept(), { name: "bob" });
  const room = new Room();
  room.add(member); // a member: one still giving its ID is never held
  const slow = new Member(fakeConn((p) => Promise.resolve(p.length)), { name: "slow" });
  room.add(slow);
  room.onBacklog(slow, true); // the room waits for slow
  const lines = memberLines(member, { room, partialLineMs: 10 });
  let got: Frame | undefined;
  const next = lines.next().then((result) => got = result.value as Frame);
  await peer.write(new TextEncoder().encode("no newline"));
  // Well past the partial-line wait, which starts once the bytes are read: on a machine so
  // busy that they are not read by then, this test proves nothing, but does not fail.
  await sleep(50);
  assert.equal(got, undefined, "held while the room waits");
  room.onBacklog(slow, false);
  await next;
  assert.equal(got, "no newline");
  member.close();
  assert.equal((await lines.next()).done, true);
});

Deno.test("memberLines() cuts a newline-less message between characters, and waits for the rest", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const member = new Member(await listener.accept(), { name: "bob" });
  const idleTimeoutMs = 200;
  const lines = memberLines(member, { room: new Room(), partialLineMs: 10, idleTimeoutMs });
  const bytes = new TextEncoder().encode("안녕"); // 3 bytes each
  await peer.write(bytes.subarray(0, 4)); // the sender stalls inside "녕"
  assert.equal((await lines.next()).value, "안");
  // The first byte of "녕" now waits for the rest: it is no message, however long it sits, so
  // the reader must not wake to cut it again and again until the idle timeout.
  const onTime = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    timers++;
    return onTime(callback, ms);
  }) as typeof setTimeout;
  try {
    assert.equal((await lines.next()).done, true);
  } finally {
    globalThis.setTimeout = onTime;
  }
  assert.equal(member.closeReason, IDLE);
  assert.ok(timers < 10, `the reader woke ${timers} times while it waited ${idleTimeoutMs} ms`);
});

Deno.test("memberLines() closes as idle a member that sends bytes but never ends a line", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const member = new Member(await listener.accept(), { name: "bob" });
  const idleTimeoutMs = 100;
  const lines = Array.fromAsync(memberLines(member, { room: new Room(), idleTimeoutMs }));
  // A byte every 10 ms, slowloris-style, for ten times the idle timeout at most.
  const most = idleTimeoutMs;
  let sent = 0;
  while (sent < most && !member.closed) {
    await peer.write(new Uint8Array([120]));
    sent++;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(await lines, []);
  assert.equal(member.closeReason, IDLE);
  assert.ok(sent < most, `closed only once the bytes stopped, after ${sent}`);
});

Deno.test("memberLines() mends a telnet key's command amid a character split from its start", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const member = new Member(await listener.accept(), { name: "bob" });
  const lines = memberLines(member, { room: new Room() });
  // telnet, not yet in binary: "x", then 상 (EC 83 81), its 83 sent as Ctrl-C's IAC IP (IAC DO
  // TM). The first read is known to be over once "x" comes out.
  await peer.write(new Uint8Array([0x78, 0x0d, 0x0a, 0xec]));
  assert.equal((await lines.next()).value, "x");
  await peer.write(new Uint8Array([0xff, 244, 0xff, 253, 6, 0x81, 0x0d, 0x0a]));
  assert.equal((await lines.next()).value, "상");
  const answer = new Uint8Array(16);
  const count = await peer.read(answer) ?? 0;
  // Asked for binary, the timing mark answered; no hint about Ctrl-C, which was never pressed.
  assert.deepEqual([...answer.subarray(0, count)], [0xff, 253, 0, 0xff, 251, 6]);
  member.close();
  assert.equal((await lines.next()).done, true);
});
