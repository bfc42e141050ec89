import assert from "node:assert/strict";
import { readAhead } from "./read_ahead.ts";

/** A source whose items are given one at a time by `give()`, and that counts the reads. */
function keyboard<T>() {
  let waiting: PromiseWithResolvers<IteratorResult<T>> | undefined;
  const given: IteratorResult<T>[] = [];
  let reads = 0;
  const source: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next() {
        reads++;
        const next = given.shift();
        if (next !== undefined) return Promise.resolve(next);
        waiting = Promise.withResolvers();
        return waiting.promise;
      },
    }),
  };
  const give = (result: IteratorResult<T>) => {
    if (waiting === undefined) given.push(result);
    else {
      waiting.resolve(result);
      waiting = undefined;
    }
  };
  return { source, give, reads: () => reads };
}

/** Resolves once the promise jobs queued so far have run. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("readAhead() handles an item while the consumer is busy with an earlier one", async () => {
  const keys = keyboard<string>();
  const interrupts: string[] = [];
  const ahead = readAhead(keys.source, {
    handle: (key) => key === "^C" && interrupts.push(key) > 0,
  });
  keys.give({ done: false, value: "line" });
  assert.deepEqual(await ahead.next(), { done: false, value: "line" });
  // The consumer now waits on something else (a stuck write) and asks for nothing.
  keys.give({ done: false, value: "^C" });
  await settled();
  assert.deepEqual(interrupts, ["^C"], "handled without the consumer asking");
  keys.give({ done: false, value: "more" });
  keys.give({ done: true, value: undefined });
  assert.deepEqual(await Array.fromAsync(ahead), ["more"]);
});

Deno.test("readAhead() reads no further than maxQueued items past the consumer", async () => {
  const keys = keyboard<number>();
  for (let i = 0; i < 10; i++) keys.give({ done: false, value: i });
  keys.give({ done: true, value: undefined });
  const ahead = readAhead(keys.source, { maxQueued: 3 });
  assert.deepEqual(await ahead.next(), { done: false, value: 0 });
  await settled();
  assert.ok(keys.reads() <= 5, `read ${keys.reads()} with 3 queued at most`);
  assert.deepEqual(await Array.fromAsync(ahead), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("readAhead() counts maxQueued in what weigh says each item weighs", async () => {
  const keys = keyboard<string>();
  const dropped: string[] = [];
  const ahead = readAhead(keys.source, {
    maxQueued: 10,
    weigh: (key) => key.length,
    overflow: (key) => dropped.push(key) > 0,
  });
  keys.give({ done: false, value: "first" });
  assert.deepEqual(await ahead.next(), { done: false, value: "first" });
  // Stuck on "first": 4 + 6 fill the 10, whatever the count of items.
  for (const key of ["abcd", "efghij", "k", "l"]) keys.give({ done: false, value: key });
  await settled();
  assert.deepEqual(dropped, ["k", "l"]);
  keys.give({ done: true, value: undefined });
  assert.deepEqual(await Array.fromAsync(ahead), ["abcd", "efghij"]);
});

Deno.test("readAhead() with overflow reads on past maxQueued, dropping what it says", async () => {
  const keys = keyboard<string>();
  const handled: string[] = [];
  const dropped: string[] = [];
  const ahead = readAhead(keys.source, {
    maxQueued: 2,
    handle: (key) => key === "^C" && handled.push(key) > 0,
    overflow: (key) => key !== "end" && dropped.push(key) > 0,
  });
  keys.give({ done: false, value: "first" });
  assert.deepEqual(await ahead.next(), { done: false, value: "first" });
  // The consumer is stuck on "first" now, and asks for nothing more.
  for (const key of ["a", "b", "c", "d", "^C", "end"]) keys.give({ done: false, value: key });
  await settled();
  assert.deepEqual(handled, ["^C"], "handled though the queue was full");
  assert.deepEqual(dropped, ["c", "d"]);
  keys.give({ done: true, value: undefined });
  assert.deepEqual(await Array.fromAsync(ahead), ["a", "b", "end"], "what overflow kept");
});

Deno.test("readAhead() gives the items before an error, then the error", async () => {
  async function* failing() {
    yield "a";
    throw new Error("Terminal gone");
  }
  const ahead = readAhead(failing());
  assert.deepEqual(await ahead.next(), { done: false, value: "a" });
  await assert.rejects(ahead.next(), /Terminal gone/);
});

Deno.test("readAhead() stops reading once the consumer leaves", async () => {
  const keys = keyboard<number>();
  for (let i = 0; i < 10; i++) keys.give({ done: false, value: i });
  const ahead = readAhead(keys.source, { maxQueued: 2 });
  for await (const item of ahead) if (item === 0) break;
  await settled();
  const reads = keys.reads();
  await settled();
  assert.equal(keys.reads(), reads, "no more reads after the consumer left");
  assert.ok(reads <= 4, `read ${reads}`);
});
