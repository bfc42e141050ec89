import assert from "node:assert/strict";
import { fakeConn } from "../tests/fake_conn.ts";
import { LineLog } from "./console_log.ts";
import { Member } from "./member.ts";
import { Room } from "./room.ts";

const decoder = new TextDecoder();

/** A writer, and a connection, that note each write in `events`. */
function recorders(events: string[]) {
  const writer = {
    write(p: Uint8Array): Promise<number> {
      events.push(`console ${decoder.decode(p)}`);
      return Promise.resolve(p.length);
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
  const log = new LineLog({ writer: recorders(events).writer });
  log.write("one");
  log.write("two");
  assert.deepEqual(events, [], "nothing is written before the turn ends");
  await nextTurn();
  assert.deepEqual(events, ["console one\ntwo\n"]);
  await log.flushed(1000);
  assert.equal(events.length, 1, "a flush with nothing pending writes nothing");
});

Deno.test("LineLog.write() after Room.broadcastLine(): the member's write goes first", async () => {
  // The servers rely on this: a member never waits for the console.
  const events: string[] = [];
  const { writer, conn } = recorders(events);
  const log = new LineLog({ writer });
  const room = new Room();
  const bob = new Member(conn, { name: "bob", onBacklog: room.onBacklog });
  room.add(bob);
  room.broadcastLine("[amy]hi");
  log.write("[amy]hi");
  await nextTurn();
  assert.deepEqual(events, ["socket [amy]hi\n", "console [amy]hi\n"]);
  bob.close();
});

Deno.test("LineLog.write() never waits for a stalled console: it drops lines past the bound, and says so", async () => {
  const written: string[] = [];
  let unstall = () => {};
  const writer = {
    write(p: Uint8Array): Promise<number> {
      written.push(decoder.decode(p));
      if (written.length > 1) return Promise.resolve(p.length);
      return new Promise<number>((resolve) => unstall = () => resolve(p.length)); // stuck
    },
  };
  const log = new LineLog({ writer, maxBehindChars: 30 });
  log.write("first");
  await nextTurn();
  assert.deepEqual(written, ["first\n"]); // and that write hangs
  for (let i = 0; i < 10; i++) log.write(`line ${i}`); // 7 characters each, with the newline
  await nextTurn();
  assert.equal(written.length, 1, "nothing more is written while the console is stuck");
  assert.equal(await log.flushed(10), undefined, "a flush gives up on a stuck console");
  unstall();
  await log.flushed(1000);
  assert.deepEqual(written.slice(1), [
    "line 0\nline 1\nline 2\nline 3\nline 4\n(5 lines not logged: the console fell behind)\n",
  ]);
  log.write("back");
  await log.flushed(1000);
  assert.equal(written.at(-1), "back\n");
});

Deno.test("LineLog.write() goes quiet once the console is gone, and the process goes on", async () => {
  let writes = 0;
  const writer = {
    write(_: Uint8Array): Promise<number> {
      writes++;
      return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
    },
  };
  const log = new LineLog({ writer });
  log.write("Server started!");
  await log.flushed(1000);
  assert.equal(writes, 1);
  log.write("[amy]hi");
  await log.flushed(1000);
  assert.equal(writes, 1, "nothing more is written");
});

Deno.test("LineLog.write() counts what a failing console lost, tries again, and says so", async () => {
  const written: string[] = [];
  let failing = true;
  const writer = {
    write(p: Uint8Array): Promise<number> {
      if (failing) return Promise.reject(new Error("No space left on device (os error 28)"));
      written.push(decoder.decode(p));
      return Promise.resolve(p.length);
    },
  };
  const log = new LineLog({ writer });
  log.write("one");
  log.write("two");
  await log.flushed(1000);
  log.write("three");
  await log.flushed(1000); // fails again, its note with it
  failing = false; // space was freed
  log.write("four");
  await log.flushed(1000);
  assert.deepEqual(written, [
    "(3 lines not logged: the console failed: No space left on device (os error 28))\nfour\n",
  ]);
});

Deno.test("LineLog.flushed() writes the lines that came while a write was failing", async () => {
  const written: string[] = [];
  let writes = 0;
  const writer = {
    async write(p: Uint8Array): Promise<number> {
      if (writes++ === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20)); // fails, but not at once
        throw new Error("Input/output error (os error 5)");
      }
      written.push(decoder.decode(p));
      return p.length;
    },
  };
  const log = new LineLog({ writer });
  log.write("Shutting down on SIGTERM");
  await nextTurn(); // its write is under way
  log.write("bob Client disconnect (server shutdown)");
  await log.flushed(1000);
  assert.deepEqual(written, [
    "(1 line not logged: the console failed: Input/output error (os error 5))\n" +
    "bob Client disconnect (server shutdown)\n",
  ]);
});

Deno.test("LineLog.write() rethrows a TypeError from the console: a bug, not a failure", async () => {
  const writer = {
    write(_: Uint8Array): Promise<number> {
      return Promise.reject(new TypeError("Expected a Uint8Array"));
    },
  };
  const log = new LineLog({ writer });
  log.write("one");
  await assert.rejects(log.flushed(1000), TypeError);
});
