import assert from "node:assert/strict";
import { fakeConn } from "../tests/fake_conn.ts";
import { Member } from "./member.ts";
import { Room } from "./room.ts";

const decoder = new TextDecoder();

/** A member whose writes are noted in `writes` as `"<name>: <text>"`. */
function member(name: string, writes: string[]): Member {
  const conn = fakeConn((p) => {
    writes.push(`${name}: ${decoder.decode(p)}`);
    return Promise.resolve(p.length);
  });
  return new Member(conn, { name });
}

/** A room of amy, bob and cat, joined in that order; `settle` waits for every write. */
function room(writes: string[]) {
  const room = new Room();
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
