import assert from "node:assert/strict";
import { DEFAULT_MAX_READ_AHEAD } from "./read_ahead.ts";
import { type TypedInput, typedInput } from "./terminal_input.ts";

Deno.test("typedInput() takes Ctrl-C and the end however many lines wait, dropping more", async () => {
  const ahead = DEFAULT_MAX_READ_AHEAD;
  // Lines typed, or pasted without bracketed paste, while the first waits for a stuck server.
  async function* keys(): AsyncGenerator<TypedInput> {
    for (let i = 0; i <= ahead + 2; i++) yield { type: "line", line: `line ${i}` };
    yield { type: "interrupt" };
    yield { type: "eof" };
  }
  const interrupted = Promise.withResolvers<Deno.Signal>();
  const stop = { deliver: (signal: Deno.Signal) => interrupted.resolve(signal) };
  const notices: string[] = [];
  const onDropped = (notice: string) => notices.push(notice);
  const input = typedInput({ keys: keys(), reader: Deno.stdin, stop, onDropped });
  const iterator = input[Symbol.asyncIterator]();
  assert.deepEqual(await iterator.next(), { done: false, value: { type: "line", line: "line 0" } });
  // Stuck on line 0, as on a write to a server that stopped reading: the keys are read on.
  assert.equal(await interrupted.promise, "SIGINT");
  assert.deepEqual(notices, [
    `Not sent: ${ahead} lines are queued for the server already: "line ${ahead + 1}"`,
    `Not sent: ${ahead} lines are queued for the server already: "line ${ahead + 2}"`,
  ]);
  const rest: TypedInput[] = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    rest.push(next.value);
  }
  assert.equal(rest.length, ahead + 1);
  assert.deepEqual(rest.at(-2), { type: "line", line: `line ${ahead}` });
  assert.deepEqual(rest.at(-1), { type: "eof" }, "the end of input is never dropped");
});
