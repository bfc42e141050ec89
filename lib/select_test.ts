import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import { Selector } from "./select.ts";

const HOSTNAME = "127.0.0.1";
const CLIENT_COUNT = 3;
const READ_BUFFER_SIZE = 1024;

type Outcome<T> = { result: IteratorResult<T> } | { error: unknown };

/** A source driven by hand, like a channel: outcomes sent before a pull wait in a queue. */
class ManualSource<T> implements AsyncIterable<T> {
  pulls = 0;
  returned = false;
  #queue: Outcome<T>[] = [];
  #pending: PromiseWithResolvers<IteratorResult<T>> | undefined;

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        this.pulls++;
        const queued = this.#queue.shift();
        if (queued === undefined) {
          this.#pending = Promise.withResolvers();
          return this.#pending.promise;
        }
        return "error" in queued ? Promise.reject(queued.error) : Promise.resolve(queued.result);
      },
      return: () => {
        this.returned = true;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  send(value: T): void {
    this.#settle({ result: { done: false, value } });
  }

  end(): void {
    this.#settle({ result: { done: true, value: undefined } });
  }

  fail(error: unknown): void {
    this.#settle({ error });
  }

  #settle(outcome: Outcome<T>): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined) this.#queue.push(outcome);
    else if ("error" in outcome) pending.reject(outcome.error);
    else pending.resolve(outcome.result);
  }
}

/** An endless source that is always ready; records whether its `finally` block ran. */
async function* counter(name: string, state: { finalized: boolean }): AsyncGenerator<string> {
  try {
    for (let i = 0;; i++) yield `${name}${i}`;
  } finally {
    state.finalized = true;
  }
}

async function* from<T>(values: T[]): AsyncGenerator<T> {
  yield* values;
}

Deno.test("Selector.next() delivers values in the order they became ready", async () => {
  const selector = new Selector<string>();
  const [a, b, c] = [
    new ManualSource<string>(),
    new ManualSource<string>(),
    new ManualSource<string>(),
  ];
  for (const source of [a, b, c]) selector.add(source);

  b.send("b1");
  a.send("a1");
  c.send("c1");
  const first = [await selector.next(), await selector.next(), await selector.next()];
  deepEqual(first.map((result) => result.value), ["b1", "a1", "c1"]);

  const pending = selector.next(); // re-pulls c, whose value was taken last
  a.send("a2");
  c.send("c2");
  b.send("b2");
  const second = [await pending, await selector.next(), await selector.next()];
  deepEqual(second.map((result) => result.value), ["a2", "c2", "b2"]);
  await selector.return();
});

Deno.test("Selector.add() accepts a source from inside the loop body", async () => {
  const selector = new Selector<string>({ endWhenEmpty: true });
  selector.add(from(["a1", "a2"]));
  const seen: string[] = [];
  for await (const value of selector) {
    seen.push(value);
    if (value === "a1") selector.add(from(["b1", "b2"]));
  }
  equal(seen[0], "a1");
  deepEqual(seen.toSorted(), ["a1", "a2", "b1", "b2"]);
  equal(selector.size, 0);
});

Deno.test("Selector.add() throws for a source that is already added", async () => {
  const selector = new Selector<string>();
  const source = new ManualSource<string>();
  selector.add(source);
  throws(() => selector.add(source), new Error("Cannot add a source: it is already added"));
  await selector.return();
  throws(
    () => selector.add(new ManualSource()),
    new Error("Cannot add a source: the selector is closed"),
  );
});

Deno.test("Selector.remove() stops a source, drops its buffered value and calls return()", async () => {
  const selector = new Selector<string>();
  const aState = { finalized: false };
  const bState = { finalized: false };
  const a = counter("a", aState);
  const b = counter("b", bState);
  selector.add(a);
  selector.add(b);

  deepEqual(await selector.next(), { done: false, value: "a0" }); // "b0" is now buffered
  await selector.remove(b);
  equal(bState.finalized, true);
  equal(selector.size, 1);
  deepEqual(await selector.next(), { done: false, value: "a1" });

  await selector.remove(new ManualSource<string>()); // unknown: a no-op
  equal(selector.size, 1);
  await selector.return();
  equal(aState.finalized, true);
});

Deno.test("Selector.remove() ignores whatever a removed source does afterwards", async () => {
  const selector = new Selector<string>();
  const [taken, pending, other] = [
    new ManualSource<string>(),
    new ManualSource<string>(),
    new ManualSource<string>(),
  ];
  for (const source of [taken, pending, other]) selector.add(source);
  taken.send("t1");
  deepEqual(await selector.next(), { done: false, value: "t1" });
  await selector.remove(taken);
  await selector.remove(pending);
  deepEqual([taken.returned, pending.returned], [true, true]);

  pending.fail(new Error("Too late")); // its pull was still pending
  const next = selector.next();
  equal(taken.pulls, 1);
  other.send("o1");
  deepEqual(await next, { done: false, value: "o1" });
  await selector.return();
});

Deno.test("Selector.next() removes a source that finishes", async () => {
  const selector = new Selector<string>({ endWhenEmpty: true });
  const [a, b] = [new ManualSource<string>(), new ManualSource<string>()];
  selector.add(a);
  selector.add(b);
  equal(selector.size, 2);

  a.send("a1");
  deepEqual(await selector.next(), { done: false, value: "a1" });
  const pending = selector.next(); // pulls a again
  a.end();
  b.send("b1");
  deepEqual(await pending, { done: false, value: "b1" });
  equal(selector.size, 1);
  equal(a.returned, false);

  const last = selector.next();
  b.end();
  deepEqual(await last, { done: true, value: undefined });
  equal(selector.size, 0);
});

Deno.test("Selector.next() waits for add() when empty unless endWhenEmpty is set", async () => {
  const waiting = new Selector<string>();
  const pending = waiting.next();
  waiting.add(from(["late"]));
  deepEqual(await pending, { done: false, value: "late" });
  await waiting.return();

  const ending = new Selector<string>({ endWhenEmpty: true });
  deepEqual(await ending.next(), { done: true, value: undefined });
  const removed = new ManualSource<string>();
  ending.add(removed);
  const afterRemove = ending.next();
  await ending.remove(removed);
  deepEqual(await afterRemove, { done: true, value: undefined });

  const failing = new ManualSource<string>();
  ending.add(failing);
  const [first, second] = [ending.next(), ending.next()];
  failing.fail(new Error("Source failed"));
  await rejects(first, new Error("Source failed"));
  deepEqual(await second, { done: true, value: undefined });
});

Deno.test("Selector.next() rejects with a source's error and the loop can continue", async () => {
  const selector = new Selector<string>();
  const failing = new ManualSource<string>();
  const healthy = new ManualSource<string>();
  selector.add(failing);
  selector.add(healthy);
  const boom = new Error("Source failed");

  healthy.send("h1");
  failing.fail(boom);
  await Promise.resolve(); // both pulls settle while nobody waits, so both are buffered
  equal(selector.size, 1);
  const log: string[] = [];
  while (!log.includes("h2")) {
    try {
      for await (const value of selector) {
        log.push(value);
        if (value === "h2") break;
      }
    } catch (error) {
      equal(error, boom);
      log.push("error");
      healthy.send("h2");
    }
  }
  deepEqual(log, ["h1", "error", "h2"]); // "h1" was ready before the error, so it came first
  equal(failing.returned, false);
  equal(healthy.returned, true);
});

Deno.test("Selector.return() cancels every source when the loop breaks", async () => {
  const selector = new Selector<string>();
  const states = [{ finalized: false }, { finalized: false }];
  selector.add(counter("a", states[0]!));
  selector.add(counter("b", states[1]!));
  const io = Promise.withResolvers<void>();
  let ioFinalized = false;
  selector.add((async function* () {
    try {
      await io.promise; // stands for a pending read that only its owner can end
      yield "io";
    } finally {
      ioFinalized = true;
    }
  })());

  for await (const value of selector) {
    if (value === "b1") {
      io.resolve(); // the owner closes the I/O, so the pending next() settles
      break;
    }
  }
  deepEqual(states, [{ finalized: true }, { finalized: true }]);
  equal(ioFinalized, true);
  equal(selector.size, 0);
  deepEqual(await selector.next(), { done: true, value: undefined });
});

Deno.test("Selector.return() rejects with a source's return() error after all settle", async () => {
  const selector = new Selector<string>();
  const other = new ManualSource<string>();
  selector.add({
    [Symbol.asyncIterator]: () => ({
      next: () => new Promise<IteratorResult<string>>(() => {}),
      return: () => Promise.reject(new Error("Return failed")),
    }),
  });
  selector.add(other);
  await rejects(selector.return(), new Error("Return failed"));
  equal(other.returned, true);
});

Deno.test("Selector.next() does not pull a source again before its value is consumed", async () => {
  const selector = new Selector<string>();
  const manual = new ManualSource<string>();
  selector.add(manual);
  equal(manual.pulls, 1);
  manual.send("m1");
  deepEqual(await selector.next(), { done: false, value: "m1" });
  equal(manual.pulls, 1);
  const pending = selector.next();
  equal(manual.pulls, 2);
  manual.send("m2");
  deepEqual(await pending, { done: false, value: "m2" });
  await selector.return();

  const log: string[] = [];
  const fast = new Selector<number>();
  fast.add((async function* () {
    for (let i = 0;; i++) {
      log.push(`pull ${i}`);
      yield i;
    }
  })());
  for await (const value of fast) {
    await Promise.resolve(); // handling takes a few turns
    log.push(`handled ${value}`);
    if (value === 2) break;
  }
  deepEqual(log, ["pull 0", "handled 0", "pull 1", "handled 1", "pull 2", "handled 2"]);
});

type NetEvent =
  | { type: "conn"; conn: Deno.Conn }
  | { type: "line"; line: string }
  | { type: "closed" };

async function* accept(listener: Deno.Listener): AsyncGenerator<NetEvent> {
  for await (const conn of listener) yield { type: "conn", conn };
}

async function* pump(conn: Deno.Conn): AsyncGenerator<NetEvent> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(READ_BUFFER_SIZE);
  let partial = "";
  try {
    while (true) {
      const read = await conn.read(buffer);
      if (read === null) break;
      const lines = (partial + decoder.decode(buffer.subarray(0, read), { stream: true }))
        .split("\n");
      partial = lines.pop()!;
      for (const line of lines) yield { type: "line", line };
    }
  } catch (error) {
    const closed = error instanceof Deno.errors.BadResource ||
      error instanceof Deno.errors.Interrupted;
    if (!closed) throw error;
  }
  yield { type: "closed" };
}

Deno.test("Selector() merges a listener and connection pumps without leaking ops", async () => {
  const listener = Deno.listen({ hostname: HOSTNAME, port: 0 });
  const selector = new Selector<NetEvent>();
  selector.add(accept(listener));
  const encoder = new TextEncoder();
  const clients: Deno.Conn[] = [];
  const expected: string[] = [];
  for (let i = 0; i < CLIENT_COUNT; i++) {
    const client = await Deno.connect({ hostname: HOSTNAME, port: listener.addr.port });
    clients.push(client);
    await client.write(encoder.encode(`hello ${i}\nbye ${i}\n`));
    expected.push(`hello ${i}`, `bye ${i}`);
  }

  const serverConns: Deno.Conn[] = [];
  const lines: string[] = [];
  for await (const event of selector) {
    switch (event.type) {
      case "conn":
        serverConns.push(event.conn);
        selector.add(pump(event.conn));
        break;
      case "line":
        lines.push(event.line);
        break;
    }
    if (lines.length === expected.length) {
      listener.close();
      for (const conn of [...serverConns, ...clients]) conn.close();
      break;
    }
  }
  deepEqual(lines.toSorted(), expected.toSorted());
  equal(serverConns.length, CLIENT_COUNT);
  equal(selector.size, 0);
});
