import assert from "node:assert/strict";
import { ThrottledLog } from "./throttled_log.ts";

Deno.test("ThrottledLog.write() lets a second's lines through, counts the rest, and says so", () => {
  const lines: string[] = [];
  let clock = 0;
  const log = new ThrottledLog({
    log: (line) => lines.push(line),
    what: "refusals",
    perSecond: 3,
    now: () => clock,
  });
  for (let i = 1; i <= 10; i++) log.write(`line ${i}`); // a loop that connects and closes
  assert.deepEqual(lines, ["line 1", "line 2", "line 3"]);
  clock = 999;
  log.write("line 11");
  assert.equal(lines.length, 3, "still the same second");
  clock = 1000; // the next second: the count first, then the line
  log.write("line 12");
  assert.deepEqual(lines.slice(3), ["(8 more refusals not logged: over 3 a second)", "line 12"]);
  log.flush();
  assert.equal(lines.length, 5, "nothing left out since");
  log.write("line 13");
  log.write("line 14");
  log.write("line 15");
  log.flush(); // at shutdown: the count is not lost
  assert.deepEqual(lines.slice(5), [
    "line 13",
    "line 14",
    "(1 more refusals not logged: over 3 a second)",
  ]);
});

Deno.test("ThrottledLog.write() logs the count when the second is over, with no line after it", async () => {
  const lines: string[] = [];
  const noted = Promise.withResolvers<void>();
  let clock = 0;
  const log = new ThrottledLog({
    log: (line) => {
      lines.push(line);
      if (line.startsWith("(")) noted.resolve();
    },
    what: "refusals",
    perSecond: 1,
    now: () => clock,
  });
  log.write("line 1");
  clock = 999; // the last millisecond of the second: the count is due in 1 ms
  log.write("line 2");
  log.write("line 3");
  await noted.promise; // the flood stopped; the count still comes
  assert.deepEqual(lines, ["line 1", "(2 more refusals not logged: over 1 a second)"]);
});

Deno.test("ThrottledLog() refuses a rate that is not a positive integer, quoting it", () => {
  assert.throws(() => new ThrottledLog({ log: () => {}, what: "refusals", perSecond: 0 }), {
    name: "RangeError",
    message: "Cannot throttle a log to 0 lines a second: it must be a positive integer",
  });
});
