import assert from "node:assert/strict";
import { fakeConn } from "../tests/fake_conn.ts";
import { LineLog } from "./console_log.ts";
import { Member } from "./member.ts";
import { Room } from "./room.ts";

const decoder = new TextDecoder();

/** A writer, and a connection, that note each write in `events`. */
function recorders(events: string[]) {
  const writer = {
    writeSync(p: Uint8Array): number {
      events.push(`console ${decoder.decode(p)}`);
      return p.length;
    },
  };
  const conn = fakeConn((p) => {
    events.push(`socket ${decoder.decode(p)}`);
    return Promise.resolve(p.length);
  });
  return { writer, conn };
}

/** Resolves after the current turn's immediates have run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setTimeout(resolve, 0)));
}

Deno.test("LineLog.write() sends the lines of one turn in one write", async () => {
  const events: string[] = [];
  const log = new LineLog(recorders(events).writer);
  log.write("one");
  log.write("two");
  assert.deepEqual(events, [], "nothing is written before the turn ends");
  await nextTurn();
  assert.deepEqual(events, ["console one\ntwo\n"]);
  log.flush();
  assert.equal(events.length, 1, "a flush with nothing pending writes nothing");
});

Deno.test("LineLog.write() after Room.broadcastLine(): the member's write goes first", async () => {
  // The servers rely on this: a member never waits for the console.
  const events: string[] = [];
  const { writer, conn } = recorders(events);
  const log = new LineLog(writer);
  const room = new Room();
  const bob = new Member(conn, { name: "bob", onBacklog: room.onBacklog });
  room.add(bob);
  room.broadcastLine("[amy]hi");
  log.write("[amy]hi");
  await nextTurn();
  assert.deepEqual(events, ["socket [amy]hi\n", "console [amy]hi\n"]);
  bob.close();
});
