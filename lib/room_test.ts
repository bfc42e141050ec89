import assert from "node:assert/strict";
import { fakeConn } from "../tests/fake_conn.ts";
import { Member } from "./member.ts";
import { Room, type RoomOptions } from "./room.ts";

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
