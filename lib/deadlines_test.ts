import assert from "node:assert/strict";
import { Deadlines } from "./deadlines.ts";

Deno.test("Deadlines.wait() resolves each deadline in the order set, on one timer", async () => {
  const deadlines = new Deadlines<string>(20);
  const order: string[] = [];
  const first = deadlines.wait("a").then(() => order.push("a"));
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = deadlines.wait("b").then(() => order.push("b"));
  assert.equal(deadlines.size, 2);
  await first;
  assert.ok(performance.now() - started >= 19, "not before its time");
  assert.deepEqual(order, ["a"], "b's deadline is later");
  await second;
  assert.deepEqual(order, ["a", "b"]);
  assert.equal(deadlines.size, 0);
});

Deno.test("Deadlines.cancel() drops one deadline and keeps the others", async () => {
  const deadlines = new Deadlines<string>(10);
  let cancelledFired = false;
  deadlines.wait("gone").then(() => cancelledFired = true);
  const kept = deadlines.wait("kept");
  deadlines.cancel("gone");
  await kept;
  assert.equal(cancelledFired, false);
  assert.equal(deadlines.size, 0);
});

Deno.test("Deadlines.cancel() of the last deadline stops the timer", () => {
  // The sanitizer fails this test if a timer is left behind.
  const deadlines = new Deadlines<number>(60_000);
  deadlines.wait(1);
  deadlines.wait(2);
  deadlines.cancel(1);
  deadlines.cancel(2);
  assert.equal(deadlines.size, 0);
});

Deno.test("Deadlines.wait() again for a key restarts its deadline", async () => {
  const deadlines = new Deadlines<string>(10);
  deadlines.wait("k");
  const again = deadlines.wait("k");
  assert.equal(deadlines.size, 1);
  await again;
});

Deno.test("Deadlines.clear() drops everything", () => {
  const deadlines = new Deadlines<string>(60_000);
  deadlines.wait("a");
  deadlines.wait("b");
  deadlines.clear();
  assert.equal(deadlines.size, 0);
});
