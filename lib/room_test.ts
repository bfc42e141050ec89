import assert from "node:assert/strict";
import process from "node:process";
import { fakeConn } from "../tests/fake_conn.ts";
import { Member } from "./member.ts";
import { Room, type RoomOptions, SLOW_RECOVERY, TOO_SLOW } from "./room.ts";
import { sleep } from "./deadlines.ts";

const decoder = new TextDecoder();

/** A member whose writes are noted in `writes` as `"<name>: <text>"`. */
function member(name: string, writes: string[]): Member {
  const conn = fakeConn((p) => {
    writes.push(`${name}: ${decoder.decode(p)}`);
    return Promise.resolve(p.length);
  });
  return new Member(conn, { name });
}

/** Resolves once the room's end-of-turn flush, scheduled before this call, has run. */
function endOfTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A room of amy, bob and cat, joined in that order; `settle` waits for every
 * write. Unless `options` say otherwise, every line waits for the end of the turn.
 */
function room(writes: string[], options: RoomOptions = { smallRoomMembers: 0 }) {
  const room = new Room(options);
  const [amy, bob, cat] = ["amy", "bob", "cat"].map((name) => member(name, writes));
  for (const one of [amy, bob, cat]) room.add(one);
  const settle = () => Promise.all([amy, bob, cat].map((one) => one.flush(1000)));
  return { room, amy, bob, cat, settle };
}

Deno.test("Room.broadcastLine() gives a turn's lines to each member in one write, less its own", async () => {
  const writes: string[] = [];
  const { room: chat, amy, bob, cat, settle } = room(writes);
  chat.broadcastLine("[amy]hi", amy);
  chat.broadcastLine("[bob]hello", bob);
  chat.broadcastLine("[amy]how are you", amy);
  chat.flush();
  await settle();
  assert.deepEqual(writes, [
    "amy: [bob]hello\n",
    "bob: [amy]hi\n[amy]how are you\n",
    "cat: [amy]hi\n[bob]hello\n[amy]how are you\n",
  ]);
  for (const one of [amy, bob, cat]) one.close();
});

Deno.test("Room.broadcastLine() ends lines in CR LF for a member that wants them, and only for it", async () => {
  const writes: string[] = [];
  const { room: chat, amy, bob, cat, settle } = room(writes);
  bob.crlf = true;
  chat.broadcastLine("[amy]hi", amy);
  chat.broadcastLine("[bob]hello", bob);
  chat.broadcastLine("[cat]yo", cat);
  chat.broadcastLine("[amy]bye", amy);
  chat.flush();
  bob.sendLine("Server: to bob alone");
  await settle();
  assert.deepEqual(writes, [
    "amy: [bob]hello\n[cat]yo\n",
    "bob: [amy]hi\r\n[cat]yo\r\n[amy]bye\r\nServer: to bob alone\r\n",
    "cat: [amy]hi\n[bob]hello\n[amy]bye\n",
  ]);
  for (const one of [amy, bob, cat]) one.close();
});

Deno.test("Room.flush() converts a batch to CR LF once, for every member that wants it", async () => {
  const buffers = new Map<string, ArrayBufferLike>();
  const telnet = (name: string) => {
    const conn = fakeConn((p) => {
      buffers.set(name, p.buffer);
      return Promise.resolve(p.length);
    });
    const one = new Member(conn, { name });
    one.crlf = true;
    return one;
  };
  const chat = new Room({ smallRoomMembers: 0 });
  const [amy, bob, cat] = ["amy", "bob", "cat"].map(telnet);
  for (const one of [amy, bob, cat]) chat.add(one);
  chat.broadcastLine("[amy]hi", amy);
  chat.broadcastLine("[dan]yo");
  chat.flush();
  await Promise.all([amy, bob, cat].map((one) => one.flush(1000)));
  assert.ok(buffers.get("bob") === buffers.get("cat"), "one copy, shared");
  assert.ok(buffers.get("amy") === buffers.get("bob"), "a piece of it for the sender too");
  for (const one of [amy, bob, cat]) one.close();
});

Deno.test("Room.echoLine() writes to the sender after everyone else, in every flush", async () => {
  const writes: string[] = [];
  const { room: chat, amy, bob, cat, settle } = room(writes);
  chat.echoLine("[amy] : hi", amy);
  chat.flush();
  await settle();
  assert.deepEqual(writes, ["bob: [amy] : hi\n", "cat: [amy] : hi\n", "amy: [amy] : hi\n"]);

  writes.length = 0;
  chat.broadcastLine("Server: news"); // no sender: join order
  chat.flush();
  await settle();
  assert.deepEqual(writes.map((write) => write.slice(0, 3)), ["amy", "bob", "cat"]);

  writes.length = 0;
  chat.echoLine("[bob] : bye", bob);
  bob.close(); // his connection is gone
  chat.delete(bob);
  chat.flush();
  await settle();
  assert.deepEqual(writes, ["amy: [bob] : bye\n", "cat: [bob] : bye\n"], "gone, so not served");
  for (const one of [amy, bob, cat]) one.close();
});

Deno.test("Room.broadcastLine() in a small room writes a turn's first line at once, the rest at its end", async () => {
  const writes: string[] = [];
  const { room: chat, amy, bob, cat, settle } = room(writes, {}); // 3 members: small by default
  chat.broadcastLine("[amy]hi", amy);
  assert.deepEqual(writes, ["bob: [amy]hi\n", "cat: [amy]hi\n"], "written before any await");
  chat.broadcastLine("[bob]hello", bob);
  chat.broadcastLine("[amy]how are you", amy);
  assert.equal(writes.length, 2, "later lines of the turn wait for its end");
  await endOfTurn();
  await settle();
  assert.deepEqual(writes.slice(2), [
    "amy: [bob]hello\n",
    "bob: [amy]how are you\n",
    "cat: [bob]hello\n[amy]how are you\n",
  ]);
  for (const one of [amy, bob, cat]) one.close();
});

Deno.test("Room.broadcastLine() in a room over smallRoomMembers waits for the end of the turn", async () => {
  const writes: string[] = [];
  const { room: chat, amy, bob, cat, settle } = room(writes, { smallRoomMembers: 2 });
  chat.broadcastLine("[amy]hi", amy);
  assert.deepEqual(writes, [], "three members are a large room here");
  chat.broadcastLine("[amy]there", amy);
  await endOfTurn();
  await settle();
  assert.deepEqual(writes, ["bob: [amy]hi\n[amy]there\n", "cat: [amy]hi\n[amy]there\n"]);
  for (const one of [amy, bob, cat]) one.close();
});

Deno.test("Room.echoLine() in a small room writes to the others at once, to the sender a moment later", async () => {
  const writes: string[] = [];
  const { room: chat, amy, bob, cat, settle } = room(writes, {});
  chat.echoLine("[amy] : hi", amy);
  assert.deepEqual(writes, ["bob: [amy] : hi\n", "cat: [amy] : hi\n"], "amy's copy waits");
  await settle();
  assert.deepEqual(writes.slice(2), ["amy: [amy] : hi\n"]);
  for (const one of [amy, bob, cat]) one.close();
});

Deno.test("Room.echoLine() in a small room lets a later line for the sender take its copy along", async () => {
  const writes: string[] = [];
  const { room: chat, amy, bob, cat, settle } = room(writes, {});
  chat.echoLine("[amy] : hi", amy); // amy's copy waits
  chat.broadcastLine("[bob] : hello", bob);
  chat.flush(); // hands bob's line to amy now
  await settle();
  assert.deepEqual(
    writes.filter((write) => write.startsWith("amy")),
    ["amy: [amy] : hi\n[bob] : hello\n"],
    "one write, in the room's order",
  );
  for (const one of [amy, bob, cat]) one.close();
});

Deno.test("Room.onBacklog() evicts a member that holds the room in short spells, counted in all", async () => {
  const evicted: string[] = [];
  const room = new Room({ slowTimeoutMs: 100, onEvict: (one) => evicted.push(one.name) });
  const bob = member("bob", []);
  room.add(bob);
  // Each spell is shorter than the timeout, and bob lets the room go only for a moment.
  let spells = 0;
  while (!bob.closed && spells < 20) {
    room.onBacklog(bob, true);
    await sleep(40); // timed on purpose: the spells bob is backlogged for are under test
    room.onBacklog(bob, false);
    spells++;
  }
  assert.deepEqual(evicted, ["bob"]);
  assert.ok(spells <= 3, `evicted after ${spells} spells of 40 ms, 100 ms in all`);
  assert.equal(bob.closeReason, TOO_SLOW);
  assert.equal(room.flowing, true);
});

Deno.test("Room.onBacklog() is not held by one yet to join; add() takes in the backlog it brings", () => {
  // The threaded server's connection before its ID: telnet's answers can pile up in its queue.
  // Held by it, the room paused, and its stall was remembered for good (a leak per connection).
  const room = new Room({ slowTimeoutMs: 60_000 });
  const never = new Promise<number>(() => {}); // a peer that reads nothing
  const newcomer = new Member(fakeConn(() => never), {
    name: "",
    highWaterBytes: 4,
    onBacklog: room.onBacklog,
  });
  newcomer.sendLine("answers");
  assert.equal(newcomer.backlogged, true);
  assert.equal(room.flowing, true, "not in the room: not waited for");
  newcomer.name = "bob";
  room.add(newcomer);
  assert.equal(room.flowing, false, "in the room: waited for, and timed");
  room.delete(newcomer);
  assert.equal(room.flowing, true);
  newcomer.close();
});

Deno.test("Room.onBacklog() forgives a member backlogged less than a fifth of the time", async () => {
  const evicted: string[] = [];
  const room = new Room({ slowTimeoutMs: 200, onEvict: (one) => evicted.push(one.name) });
  const bob = member("bob", []);
  room.add(bob);
  for (let i = 0; i < 4; i++) { // 4 × 60 ms backlogged: more than the timeout in all
    room.onBacklog(bob, true);
    await sleep(60); // timed on purpose, as above
    room.onBacklog(bob, false);
    await sleep(60 * SLOW_RECOVERY * 1.5);
  }
  assert.deepEqual(evicted, []);
  assert.equal(bob.closed, false);
  room.delete(bob);
  bob.close();
});

Deno.test("Room.onBacklog() evicts at once, with no negative timer, a member whose wait passed the timeout", async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  process.on("warning", onWarning);
  try {
    const evicted = Promise.withResolvers<string>();
    const room = new Room({ slowTimeoutMs: 20, onEvict: (one) => evicted.resolve(one.name) });
    const bob = member("bob", []);
    room.add(bob);
    // The event loop is busy past the timeout, as when the eviction timer fires late:
    // bob's queue drains first, so his wait exceeds the timeout, and he falls behind again.
    room.onBacklog(bob, true);
    const until = performance.now() + 30;
    while (performance.now() < until) { /* busy */ }
    room.onBacklog(bob, false);
    room.onBacklog(bob, true);
    assert.equal(await evicted.promise, "bob");
    assert.equal(bob.closeReason, TOO_SLOW);
    await endOfTurn(); // a warning is emitted on a later tick
    assert.deepEqual(warnings, []);
  } finally {
    process.off("warning", onWarning);
  }
});

/**
 * A room whose members' slow keys are given by name, with a promise per eviction:
 * `evicted()` resolves with the name of the next member evicted.
 */
function keyedRoom(slowTimeoutMs: number, keys: Record<string, string | undefined>) {
  const evictions: string[] = [];
  let next = Promise.withResolvers<string>();
  const room = new Room({
    slowTimeoutMs,
    slowKey: (one) => keys[one.name],
    onEvict: (one) => {
      evictions.push(one.name);
      next.resolve(one.name);
      next = Promise.withResolvers<string>();
    },
  });
  const join = (name: string) => {
    const one = member(name, []);
    room.add(one);
    return one;
  };
  return { room, join, evicted: () => next.promise, evictions };
}

Deno.test("Room.add() starts a newcomer owing what an evicted member of its slowKey owed", async () => {
  const keys = { bob: "203.0.113.7", cat: "203.0.113.7", dan: "198.51.100.1", eve: undefined };
  const { room, join, evicted, evictions } = keyedRoom(300, keys);
  const bob = join("bob");
  room.onBacklog(bob, true);
  assert.equal(await evicted(), "bob");
  room.delete(bob);
  // bob comes back as cat; dan comes from elsewhere, eve from an exempt address.
  const [dan, eve, cat] = ["dan", "eve", "cat"].map(join);
  for (const one of [dan, eve, cat]) room.onBacklog(one, true);
  assert.equal(await evicted(), "cat", "cat owes bob's 300 ms and goes at once");
  assert.deepEqual(evictions, ["bob", "cat"]);
  for (const one of [dan, eve]) {
    assert.equal(one.closed, false);
    room.onBacklog(one, false);
    room.delete(one);
    one.close();
  }
  room.delete(cat);
  assert.equal(room.flowing, true);
});

Deno.test("Room.delete() leaves what the member owes to the next of its slowKey", async () => {
  const keys = { bob: "203.0.113.7", cat: "203.0.113.7", dan: "198.51.100.1" };
  const { room, join, evicted } = keyedRoom(400, keys);
  const bob = join("bob");
  room.onBacklog(bob, true);
  await sleep(200); // timed on purpose: bob owes about half the timeout when he leaves
  room.delete(bob);
  bob.close();
  const [dan, cat] = ["dan", "cat"].map(join);
  room.onBacklog(dan, true);
  room.onBacklog(cat, true);
  assert.equal(await evicted(), "cat", "cat has about 200 ms left, dan 400");
  assert.equal(dan.closed, false);
  room.onBacklog(dan, false);
  room.delete(dan);
  dan.close();
  room.delete(cat);
});

Deno.test("Room.add() starts a newcomer clean once its slowKey's debt is forgiven", async () => {
  const keys = { bob: "203.0.113.7", cat: "203.0.113.7", dan: "198.51.100.1" };
  const { room, join, evicted } = keyedRoom(40, keys);
  const bob = join("bob");
  room.onBacklog(bob, true);
  assert.equal(await evicted(), "bob");
  room.delete(bob);
  await sleep(40 * SLOW_RECOVERY * 1.5); // timed on purpose: the debt is forgiven meanwhile
  const [dan, cat] = ["dan", "cat"].map(join);
  room.onBacklog(dan, true); // first, so that with equal time left dan goes first
  room.onBacklog(cat, true);
  assert.equal(await evicted(), "dan", "cat owes nothing any more");
  assert.equal(await evicted(), "cat");
  room.delete(dan);
  room.delete(cat);
  assert.equal(room.flowing, true);
});

Deno.test("Room.delete() in the middle of a turn hands the leaving member what was said meanwhile", async () => {
  const writes: string[] = [];
  const { room: chat, amy, bob, cat, settle } = room(writes);
  chat.broadcastLine("[bob] one", bob);
  chat.broadcastLine("[amy] two", amy);
  chat.echoLine("[bob] three", bob);
  chat.delete(bob); // bob has closed his side, say, and still reads
  chat.broadcastLine("[amy] four", amy);
  await endOfTurn();
  await settle();
  assert.deepEqual(writes.filter((write) => write.startsWith("bob")), [
    "bob: [amy] two\n[bob] three\n",
  ]);
  assert.ok(writes.includes("cat: [amy] four\n"), writes.join(" | "));
  for (const one of [amy, bob, cat]) one.close();
});

Deno.test("Room.add() in the middle of a turn gives the newcomer only what is said after it came", async () => {
  const writes: string[] = [];
  const { room: chat, amy, settle } = room(writes);
  chat.broadcastLine("[amy] before dan", amy);
  const dan = member("dan", writes);
  chat.add(dan);
  chat.broadcastLine("[amy] after dan", amy);
  chat.flush();
  await settle();
  await dan.flush(1000);
  assert.deepEqual(writes.filter((write) => write.startsWith("dan")), ["dan: [amy] after dan\n"]);
  const bob = writes.filter((write) => write.startsWith("bob")).map((write) => write.slice(5));
  assert.equal(bob.join(""), "[amy] before dan\n[amy] after dan\n");
});

Deno.test("Room.flush() hands each member at most twice the bytes it gets: a small turn as a copy", async () => {
  const writes: [bytes: number, buffer: number][] = [];
  const conn = fakeConn((p) => {
    writes.push([p.length, p.buffer.byteLength]);
    return Promise.resolve(p.length);
  });
  const chat = new Room({ smallRoomMembers: 0 });
  const bob = new Member(conn, { name: "bob" });
  chat.add(bob);
  const turns = [["hi"], Array(41).fill("x".repeat(99)), ["y".repeat(3000)], ["bye"]];
  for (const lines of turns) {
    for (const line of lines) chat.broadcastLine(line);
    chat.flush();
    await bob.flush(1000); // one write per turn
  }
  assert.deepEqual(writes.map(([bytes]) => bytes), [3, 4100, 3001, 4]);
  assert.deepEqual(writes[0], [3, 3], "a line alone is copied out of the 4 KiB buffer");
  for (const [bytes, buffer] of writes) assert.ok(buffer <= 2 * bytes, `${bytes} in ${buffer}`);
});
