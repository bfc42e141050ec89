import assert from "node:assert/strict";
import {
  MAX_TYPED_AHEAD,
  TYPED_LINE_WEIGHT,
  type TypedInput,
  typedInput,
} from "./terminal_input.ts";

Deno.test("typedInput() takes Ctrl-C and the end however many lines wait, dropping more", async () => {
  // Lines that fill MAX_TYPED_AHEAD after 16 of them, with their weight.
  const long = "x".repeat(MAX_TYPED_AHEAD / 16 - TYPED_LINE_WEIGHT - 8);
  const ahead = 16;
  // Lines typed, or pasted without bracketed paste, while the first waits for a stuck server.
  async function* keys(): AsyncGenerator<TypedInput> {
    for (let i = 0; i <= ahead + 2; i++) yield { type: "line", line: `line ${i}`.padEnd(8) + long };
    yield { type: "interrupt" };
    yield { type: "eof" };
  }
  const interrupted = Promise.withResolvers<Deno.Signal>();
  const stop = { deliver: (signal: Deno.Signal) => interrupted.resolve(signal) };
  const notices: string[] = [];
  const onDropped = (notice: string) => notices.push(notice);
  const input = typedInput({ keys: keys(), reader: Deno.stdin, stop, onDropped });
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  assert.ok(!first.done && first.value.type === "line" && first.value.line.startsWith("line 0 "));
  // Stuck on line 0, as on a write to a server that stopped reading: the keys are read on.
  assert.equal(await interrupted.promise, "SIGINT");
  const dropped = /^Not sent: too much is queued for the server already: "(line \d+) x/;
  assert.deepEqual(notices.map((notice) => dropped.exec(notice)?.[1]), [
    `line ${ahead + 1}`,
    `line ${ahead + 2}`,
  ]);
  const rest: TypedInput[] = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    rest.push(next.value);
  }
  assert.equal(rest.length, ahead + 1);
  const last = rest.at(-2);
  assert.ok(last?.type === "line" && last.line.startsWith(`line ${ahead} `));
  assert.deepEqual(rest.at(-1), { type: "eof" }, "the end of input is never dropped");
});

Deno.test("typedInput() holds a paste of thousands of lines, read in one go, whole", async () => {
  // What one read of 4 KiB can carry at most: an Enter a byte, while the client takes none.
  const count = 4096;
  const pasted = Promise.withResolvers<void>();
  async function* keys(): AsyncGenerator<TypedInput> {
    for (let i = 0; i < count; i++) yield { type: "line", line: "" };
    yield { type: "line", line: "the end" };
    pasted.resolve();
    yield { type: "eof" };
  }
  const stop = { deliver: () => {} };
  const notices: string[] = [];
  const onDropped = (notice: string) => notices.push(notice);
  const input = typedInput({ keys: keys(), reader: Deno.stdin, stop, onDropped });
  const iterator = input[Symbol.asyncIterator]();
  await iterator.next(); // the first line, and the client busy with it until the paste is read
  await pasted.promise;
  const rest: TypedInput[] = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    rest.push(next.value);
  }
  assert.deepEqual(notices, []);
  assert.equal(rest.length, count + 1);
  assert.deepEqual(rest.at(-2), { type: "line", line: "the end" });
});
