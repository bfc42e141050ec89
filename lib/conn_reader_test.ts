import assert from "node:assert/strict";
import { INITIAL_READ_BYTES, MAX_READ_BYTES, readChunks } from "./conn_reader.ts";

/** A reader that hands out `sizes` bytes per read and records each buffer's size. */
function fakeReader(sizes: number[], end: "eof" | Error = "eof") {
  const buffers: number[] = [];
  return {
    buffers,
    read(p: Uint8Array): Promise<number | null> {
      buffers.push(p.length);
      const size = sizes.shift();
      if (size === undefined) return end === "eof" ? Promise.resolve(null) : Promise.reject(end);
      const count = Math.min(size, p.length);
      p.fill(7, 0, count);
      return Promise.resolve(count);
    },
  };
}

Deno.test("readChunks() starts small, grows while reads fill it, shrinks when quiet", async () => {
  const big = MAX_READ_BYTES * 4;
  // 1000 bytes: a read that does not fill the largest buffer, after which a connection may
  // go quiet for hours with its next read pending.
  const reader = fakeReader([10, big, big, big, big, 1000, 10]);
  const counts: number[] = [];
  for await (const chunk of readChunks(reader)) counts.push(chunk.length);
  const grown = [INITIAL_READ_BYTES, INITIAL_READ_BYTES * 8, INITIAL_READ_BYTES * 64];
  assert.deepEqual(reader.buffers, [
    INITIAL_READ_BYTES,
    ...grown,
    MAX_READ_BYTES, // never past the largest
    MAX_READ_BYTES,
    INITIAL_READ_BYTES, // a read that did not fill the buffer: back to small
    INITIAL_READ_BYTES,
  ]);
  assert.deepEqual(counts.slice(0, 2), [10, INITIAL_READ_BYTES]);
});

Deno.test("readChunks() ends at a reset, telling onCut, and throws other errors", async () => {
  let cuts = 0;
  const onCut = () => cuts++;
  const reset = readChunks(fakeReader([5], new Deno.errors.ConnectionReset("reset")), { onCut });
  assert.equal((await reset.next()).value?.length, 5);
  assert.equal(cuts, 0);
  assert.deepEqual(await reset.next(), { done: true, value: undefined });
  assert.equal(cuts, 1);
  const closed = readChunks(fakeReader([], new Deno.errors.BadResource("closed")), { onCut });
  assert.deepEqual(await closed.next(), { done: true, value: undefined });
  assert.equal(cuts, 2);
  for await (const _ of readChunks(fakeReader([1]), { onCut })) { /* the end of stream */ }
  assert.equal(cuts, 2, "the end of stream is no cut");
  const broken = readChunks(fakeReader([], new TypeError("bug")));
  await assert.rejects(() => broken.next(), TypeError);
});

Deno.test("readChunks() yields every chunk until end of stream", async () => {
  const lengths: number[] = [];
  for await (const chunk of readChunks(fakeReader([3, 4]))) lengths.push(chunk.length);
  assert.deepEqual(lengths, [3, 4]);
});
