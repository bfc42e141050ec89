import assert from "node:assert/strict";
import { fakeConn } from "../tests/fake_conn.ts";
import { WAIT_MS } from "../tests/line_client.ts";
import { encodeLine, LINGER_MS, Member, SERVER_ERROR } from "./member.ts";

/** A connection that takes at most `most` bytes per write, as a full socket buffer does. */
function trickleConn(most: number, failWith?: Error) {
  const received: number[] = [];
  let writes = 0;
  const conn = fakeConn((p) => {
    writes++;
    if (failWith) return Promise.reject(failWith);
    const count = Math.min(most, p.length);
    received.push(...p.subarray(0, count));
    return Promise.resolve(count);
  });
  return {
    conn,
    received,
    get writes() {
      return writes;
    },
  };
}

Deno.test("Member.send() finishes partial writes, in order", async () => {
  const fake = trickleConn(3);
  const member = new Member(fake.conn, { name: "bob" });
  member.send(encodeLine("hello"));
  member.send(encodeLine("안녕"));
  assert.equal(member.queuedBytes, 6 + 7);
  await member.flush(1000);
  assert.equal(new TextDecoder().decode(new Uint8Array(fake.received)), "hello\n안녕\n");
  assert.equal(member.queuedBytes, 0);
  assert.equal(fake.writes, 5, "both lines went out as one batch, three bytes a write");
});

Deno.test("Member.send() joins what piles up during a write into the next one", async () => {
  const fake = trickleConn(1 << 20);
  const member = new Member(fake.conn, { name: "bob" });
  member.send(encodeLine("a"));
  await Promise.resolve(); // the first write starts
  for (const text of ["b", "c", "d"]) member.send(encodeLine(text));
  await member.flush(1000);
  assert.equal(new TextDecoder().decode(new Uint8Array(fake.received)), "a\nb\nc\nd\n");
  assert.equal(fake.writes, 2);
});

Deno.test("Member.send() stops writing when the peer is gone, and leaves the connection to its reader", async () => {
  // What the peer sent before it went may still wait to be read: closing would drop it.
  for (const error of [new Deno.errors.BrokenPipe("gone"), new Deno.errors.ConnectionReset("")]) {
    const fake = trickleConn(10, error);
    const backlog: boolean[] = [];
    const member = new Member(fake.conn, {
      name: "bob",
      highWaterBytes: 4,
      onBacklog: (_, backlogged) => backlog.push(backlogged),
    });
    member.sendLine("hello");
    await member.flush(1000);
    assert.equal(member.closed, false, error.name);
    assert.deepEqual(backlog, [true, false], "it holds no sender back");
    assert.equal(member.queuedBytes, 0);
    member.sendLine("dropped");
    await member.flush(1000);
    assert.equal(member.queuedBytes, 0);
    assert.equal(fake.writes, 1, "nothing more is written");
    await member.closeAfterFlush(1000);
    assert.equal(member.closed, true);
  }
});

Deno.test("Member.send() closes the member alone, and tells onFault, on a write error that is no disconnect", async () => {
  // The write fails at once (thrown) or later (rejected); either way no caller sees it thrown.
  const failures = [
    () => Promise.reject(new Deno.errors.PermissionDenied("odd")),
    () => {
      throw new Deno.errors.PermissionDenied("odd");
    },
  ];
  for (const fail of failures) {
    const faults: unknown[] = [];
    const fault = Promise.withResolvers<void>();
    const member = new Member(fakeConn(fail), {
      name: "bob",
      onFault: (faulty, error) => {
        assert.equal(faulty, member);
        faults.push(error);
        fault.resolve();
      },
    });
    member.sendLine("hello");
    await fault.promise;
    assert.ok(faults[0] instanceof Deno.errors.PermissionDenied);
    assert.equal(member.closed, true);
    assert.equal(member.closeReason, SERVER_ERROR);
    await member.flush(1000); // the writer is idle again: nothing waits on it
  }
});

Deno.test("Member.send() reports a write error that is no disconnect as uncaught without onFault", async () => {
  const member = new Member(fakeConn(() => Promise.reject(new TypeError("odd"))), { name: "bob" });
  const reported = Promise.withResolvers<unknown>();
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    reported.resolve(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    member.sendLine("hello");
    assert.ok(await reported.promise instanceof TypeError);
    assert.equal(member.closeReason, SERVER_ERROR);
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});

Deno.test("Member backlog crosses the high-water mark and drains below half of it", async () => {
  const fake = trickleConn(4);
  const changes: boolean[] = [];
  const member = new Member(fake.conn, {
    name: "bob",
    highWaterBytes: 8,
    onBacklog: (_member, backlogged) => changes.push(backlogged),
  });
  member.send(new Uint8Array(10));
  assert.equal(member.backlogged, true);
  await member.whenWritable();
  assert.equal(member.backlogged, false);
  assert.deepEqual(changes, [true, false]);
  await member.flush(1000);
});

Deno.test("Member.closeAfterFlush() lets the room go while the last lines drain", async () => {
  const first = Promise.withResolvers<number>();
  const conn = fakeConn((p) => first.promise.then(() => p.length)); // stuck until resolved
  const changes: boolean[] = [];
  const member = new Member(conn, {
    name: "bob",
    highWaterBytes: 8,
    onBacklog: (_member, backlogged) => changes.push(backlogged),
  });
  member.send(new Uint8Array(10));
  assert.deepEqual(changes, [true]);
  const closed = member.closeAfterFlush(1000);
  assert.deepEqual(changes, [true, false], "nothing more is queued: nobody waits for it");
  assert.equal(member.backlogged, false);
  first.resolve(0);
  await closed;
  assert.deepEqual(changes, [true, false]);
});

/**
 * A member whose first write, of "first\n", stays in flight until `first` is resolved with its
 * count; later writes take everything. `received` has every byte handed to a write.
 */
async function writingFirst() {
  const received: number[] = [];
  const first = Promise.withResolvers<number>();
  const conn = fakeConn((p) => {
    const taken = received.length === 0 ? first.promise : Promise.resolve(p.length);
    received.push(...p);
    return taken;
  });
  const member = new Member(conn, { name: "bob" });
  member.send(encodeLine("first"));
  await Promise.resolve(); // the writer took it
  assert.equal(received.length, 6, "a write is in flight");
  return { member, received, first };
}

Deno.test("Member.send() copies a small view queued behind a write, so it holds no more than it counts", async () => {
  const { member, received, first } = await writingFirst();
  const batch = new Uint8Array(4096); // as the room's batch: every member gets views of it
  batch.set(encodeLine("second"));
  batch.set(encodeLine("third"), 7);
  member.send(batch.subarray(0, 7));
  member.send(batch.subarray(7, 13)); // gathered with the second
  member.send(encodeLine("own buffer")); // kept as it is, in order
  member.send(batch.subarray(0, 7));
  assert.equal(member.queuedBytes, 6 + 7 + 6 + 11 + 7);
  batch.fill(0x21); // had the queue kept the views, the next write would carry this
  first.resolve(6);
  await member.flush(1000);
  const text = new TextDecoder().decode(new Uint8Array(received));
  assert.equal(text, "first\nsecond\nthird\nown buffer\nsecond\n");
});

Deno.test("Member.send() gathers many small lines queued behind a write, in order", async () => {
  const { member, received, first } = await writingFirst();
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
  for (const line of lines) member.send(encodeLine(line));
  member.send(new Uint8Array(5000).fill(0x2e)); // too big to gather: queued as it is
  member.sendLine("last");
  first.resolve(6);
  await member.flush(1000);
  const text = new TextDecoder().decode(new Uint8Array(received));
  assert.equal(text, ["first", ...lines, ".".repeat(5000)].join("\n") + "last\n");
});

Deno.test("Member.closeAfterFlush() stops lingering once the member is closed", async () => {
  const fake = trickleConn(1 << 20);
  const member = new Member(fake.conn, { name: "bob" });
  // The peer's FIN arrives while our own is being sent: the reader closes the member.
  (fake.conn as unknown as { closeWrite(): Promise<void> }).closeWrite = () => {
    member.close();
    return Promise.resolve();
  };
  member.sendLine("bye");
  const started = performance.now();
  await member.closeAfterFlush(1000, "done");
  assert.ok(performance.now() - started < LINGER_MS, "no linger after the close");
  assert.equal(member.closeReason, "done");
});

Deno.test("Member.closeAfterFlush() closes at once when the peer stopped reading", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // A peer that reads nothing.
  using _peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const member = new Member(await listener.accept(), { name: "bob" });
  // Far more than the kernel's buffers take: a write stays pending.
  member.send(new Uint8Array(32 << 20));
  member.sendLine("Server: shutting down");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    member.closeAfterFlush(50).then(() => "closed"),
    new Promise((resolve) => timer = setTimeout(() => resolve("still open"), WAIT_MS)),
  ]);
  clearTimeout(timer);
  assert.equal(outcome, "closed");
  assert.equal(member.closed, true);
});

Deno.test("Member.sendLater() waits, unless a send() or sendNow() meanwhile takes its bytes along", async () => {
  for (const method of ["send", "sendNow"] as const) {
    const fake = trickleConn(1 << 20);
    const member = new Member(fake.conn, { name: "bob" });
    member.sendLater(encodeLine("own"), 60_000); // a minute: only the next send can end it
    await Promise.resolve();
    assert.equal(fake.writes, 0, "nothing is written while it waits");
    member[method](encodeLine("other"));
    await member.flush(1000);
    assert.equal(new TextDecoder().decode(new Uint8Array(fake.received)), "own\nother\n", method);
    assert.equal(fake.writes, 1, `${method}: one write for both`);
  }
});

Deno.test("Member.sendLater() writes at once what puts the member over its high-water mark", async () => {
  // The wait is ours, not a slow peer's: the room must not count it against the member.
  const fake = trickleConn(1 << 20);
  const member = new Member(fake.conn, { name: "bob", highWaterBytes: 8 });
  // A timer would fail the op sanitizer.
  member.sendLater(encodeLine("a line longer than the mark"), 60_000);
  assert.equal(fake.writes, 1, "being written already");
  await member.whenWritable();
  assert.equal(
    new TextDecoder().decode(new Uint8Array(fake.received)),
    "a line longer than the mark\n",
  );
  member.close();
});

Deno.test("Member.sendLater() writes after its delay, and flush() waits for it", async () => {
  const fake = trickleConn(1 << 20);
  const member = new Member(fake.conn, { name: "bob" });
  member.sendLater(encodeLine("own"), 1);
  member.sendLater(encodeLine("more"), 1); // joins the wait
  await member.flush(1000);
  assert.equal(new TextDecoder().decode(new Uint8Array(fake.received)), "own\nmore\n");
  assert.equal(fake.writes, 1);
});

Deno.test("Member.close() ends sendLater()'s wait and drops its bytes", async () => {
  const fake = trickleConn(1 << 20);
  const member = new Member(fake.conn, { name: "bob" });
  member.sendLater(encodeLine("own"), 60_000); // a timer left running fails the op sanitizer
  member.close();
  assert.equal(member.queuedBytes, 0);
  await member.flush(1000); // nothing is being written: returns at once
  assert.equal(fake.writes, 0);
});
