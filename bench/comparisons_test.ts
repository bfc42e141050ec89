import assert from "node:assert/strict";
import { type ComparedCheck, type ComparedRun, selectAgainstThreaded } from "./comparisons.ts";
import type { MedianBy } from "./rounds.ts";

/** A run's record whose rounds had these deliveries/s, p50s and p99s. */
function run(
  server: string,
  name: string,
  medianBy: MedianBy,
  rounds: [rate: number, p50: number, p99: number][],
): ComparedRun {
  return {
    server,
    run: name,
    spec: { medianBy },
    rounds: rounds.map(([deliveriesPerSec, p50, p99]) => ({
      deliveriesPerSec,
      lost: 0,
      latencyMs: { p50, p99 },
    })),
  };
}

/** A cross-check whose rounds had these p50s and p99s. */
function check(
  server: string,
  scenario: string,
  by: "p50" | "p99",
  rounds: [p50: number, p99: number][],
): ComparedCheck {
  return {
    scenario,
    server,
    by,
    rounds: rounds.map(([p50Ms, p99Ms]) => ({
      deliveries: 1000,
      lost: 0,
      p50Ms,
      p90Ms: p99Ms,
      p99Ms,
    })),
  };
}

const fixed = (values: number[]) => values.map((value) => value.toFixed(2));

Deno.test("selectAgainstThreaded() pairs each run's rounds by the figure that picked its row", () => {
  const records = [
    run("select", "steady", "p99", [[5e5, 1, 12], [5e5, 1, 6], [5e5, 9, 9]]),
    run("threaded", "burst", "rate", [[4e6, 90, 200], [5e6, 80, 150], [4e6, 99, 99]]),
    run("ncat", "burst", "rate", [[1e6, 1, 1], [1e6, 1, 1], [1e6, 1, 1]]),
    run("threaded", "steady", "p99", [[5e5, 3, 10], [5e5, 3, 4], [5e5, 1, 9]]),
    run("select", "burst", "rate", [[5e6, 1, 1], [4e6, 1, 1], [3.2e6, 1, 1]]),
  ];
  const [burst, steady, ...rest] = selectAgainstThreaded(records, []);
  assert.equal(rest.length, 0, "ncat is compared with nobody");

  assert.equal(burst.figure, "burst deliveries/s");
  // Deliveries/s is better higher: the ratio is threaded's over select's.
  assert.deepEqual(fixed(burst.ratios), ["0.80", "1.25", "1.25"]);
  assert.equal(burst.within, false, "a median of 1.25 trails by more than 20%");

  assert.equal(steady.figure, "steady p99");
  // Latency is better lower: select's p99 over threaded's, round by round (not the p50s).
  assert.deepEqual(fixed(steady.ratios), ["1.20", "1.50", "1.00"]);
  assert.equal(steady.median.toFixed(2), "1.20");
  assert.equal(steady.within, true, "a median of exactly 1.2 is within");
});

Deno.test("selectAgainstThreaded() compares light by p50, and skips what cannot be paired", () => {
  const records = [
    run("threaded", "light", "p50", [[200, 0.1, 0.9], [200, 0.2, 0.5]]),
    run("select", "light", "p50", [[200, 0.3, 0.1], [200, 0.2, 0.1]]),
    // One round each: nothing to pair.
    run("threaded", "scale-5000", "p99", [[1e3, 1, 2]]),
    run("select", "scale-5000", "p99", [[1e3, 1, 9]]),
    // Unequal rounds (one failed to run): not compared.
    run("threaded", "flood", "p99", [[2e3, 1, 2], [2e3, 1, 2], [2e3, 1, 2]]),
    run("select", "flood", "p99", [[2e3, 1, 9], [2e3, 1, 9]]),
    // A run only one of them has.
    run("threaded", "flood-baseline", "p99", [[2e3, 1, 2], [2e3, 1, 2]]),
  ];
  const comparisons = selectAgainstThreaded(records, []);
  assert.deepEqual(comparisons.map((c) => c.figure), ["light p50"]);
  assert.deepEqual(fixed(comparisons[0].ratios), ["3.00", "1.00"]);
  assert.equal(comparisons[0].within, false);
});

Deno.test("selectAgainstThreaded() pairs cross-checks by scenario and leaves the relay out", () => {
  const checks = [
    check("threaded", "light", "p50", [[0.10, 0.5], [0.08, 0.5], [0.20, 0.5]]),
    check("select", "steady", "p99", [[1, 4], [1, 3]]),
    check("deno-relay", "light", "p50", [[0.01, 0.1], [0.01, 0.1], [0.01, 0.1]]),
    check("select", "light", "p50", [[0.11, 9], [0.08, 9], [0.10, 9]]),
    check("threaded", "steady", "p99", [[1, 4], [1, 2]]),
  ];
  const records = [
    run("threaded", "steady", "p99", [[5e5, 1, 8], [5e5, 1, 8]]),
    run("select", "steady", "p99", [[5e5, 1, 8], [5e5, 1, 8]]),
  ];
  const comparisons = selectAgainstThreaded(records, checks);
  assert.deepEqual(comparisons.map((c) => c.figure), [
    "steady p99",
    "light p50 by chatbench",
    "steady p99 by chatbench",
  ]);
  assert.deepEqual(comparisons.map((c) => `${c.scenario} by ${c.tool}`), [
    "steady by harness",
    "light by chatbench",
    "steady by chatbench",
  ], "what targets.ts tells the tools' figures apart by");
  const [, light, steady] = comparisons;
  // Against select's light rounds, not the relay's listed before them, and by p50, not p99.
  assert.deepEqual(fixed(light.ratios), ["1.10", "1.00", "0.50"]);
  assert.equal(light.within, true);
  assert.deepEqual(fixed(steady.ratios), ["1.00", "1.50"]);
  assert.equal(steady.median.toFixed(2), "1.25");
  assert.equal(steady.within, false);
});
