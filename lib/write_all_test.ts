import assert from "node:assert/strict";
import { SerialWriter } from "./write_all.ts";
import { sleep } from "./deadlines.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The most bytes the stand-in socket takes in one write, as a nearly full socket does. */
const BYTES_PER_WRITE = 3;
/** Turns of the event loop a test gives its writes to finish. */
const MAX_TURNS = 100;

/** A socket that is nearly full: a write waits for {@linkcode release}, then takes a few bytes. */
class FullSocket {
  written = "";
  fail = false;
  #waiting: (() => void)[] = [];

  write(p: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiting.push(() => {
        if (this.fail) return reject(new Deno.errors.ConnectionReset("reset"));
        const count = Math.min(p.length, BYTES_PER_WRITE);
        this.written += decoder.decode(p.subarray(0, count));
        resolve(count);
      });
    });
  }

  /** Lets every write waiting so far go ahead. */
  release(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const write of waiting) write();
  }
}

/** Releases `socket`'s writes, a turn of the event loop apart, until `done` settles. */
async function drain(socket: FullSocket, done: Promise<unknown>): Promise<void> {
  let settled = false;
  done.finally(() => settled = true).catch(() => {});
  for (let turn = 0; turn < MAX_TURNS && !settled; turn++) {
    socket.release();
    await sleep(0);
  }
  assert.ok(settled, `Not written after ${MAX_TURNS} turns`);
}

Deno.test("SerialWriter writes a buffer only once the one before is whole", async () => {
  const socket = new FullSocket();
  const writer = new SerialWriter(socket);
  const line = writer.write(encoder.encode("a half-written line\n"));
  const quit = writer.write(encoder.encode("quit\n")); // while the line is still going out
  assert.equal(writer.pending, 2);
  await drain(socket, Promise.all([line, quit]));
  assert.equal(socket.written, "a half-written line\nquit\n");
  assert.equal(writer.pending, 0);
});

Deno.test("SerialWriter fails only the write that failed, and goes on with the next", async () => {
  const socket = new FullSocket();
  const writer = new SerialWriter(socket);
  socket.fail = true;
  const lost = writer.write(encoder.encode("lost\n"));
  const next = writer.write(encoder.encode("next\n"));
  await drain(socket, lost.catch(() => {}));
  await assert.rejects(lost, Deno.errors.ConnectionReset);
  socket.fail = false;
  await drain(socket, next);
  assert.equal(socket.written, "next\n");
  assert.equal(writer.pending, 0);
});
