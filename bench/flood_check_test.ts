import assert from "node:assert/strict";
import { floodChecks, type FloodRecord } from "./flood_check.ts";
import type { RoundFigures } from "./rounds.ts";

const round = (p99: number, lost = 0): RoundFigures & {
  latencyMs: { p50: number; p99: number };
  floodDeliveries: number;
} => ({ deliveriesPerSec: 2000, lost, floodDeliveries: 50, latencyMs: { p50: p99 / 4, p99 } });

/** A record whose row is its middle round, as medianRound() would pick it. */
const record = (run: string, server: string, p99s: number[], lost: number[] = []) => {
  const rounds = p99s.map((p99, i) => round(p99, lost[i] ?? 0));
  return { run, server, ok: true, load: rounds[1] ?? rounds[0], rounds } satisfies FloodRecord;
};

Deno.test("floodChecks() pairs each server's flood with its own baseline, at most twice its p99", () => {
  const checks = floodChecks([
    record("flood", "threaded", [3.1, 4.0, 2.9]),
    record("flood", "select", [5.0, 4.2, 4.6]),
    record("flood-baseline", "select", [2.0, 2.0, 2.2]),
    record("flood-baseline", "threaded", [2.0, 2.0, 2.1]),
    record("steady", "threaded", [40, 40, 40]),
  ], true);
  assert.deepEqual(checks.map((c) => [c.server, c.p99Ms, c.baselineP99Ms, c.ratio, c.pass]), [
    ["threaded", 4.0, 2.0, 2, true], // exactly twice still passes
    ["select", 4.2, 2.0, 2.1, false],
  ]);
  assert.equal(checks[0].floodDeliveries, 50);
});

Deno.test("floodChecks() fails a loss in any round, not only in the median one", () => {
  const [check] = floodChecks([
    record("flood", "ncat", [3, 3, 3], [0, 0, 976]),
    record("flood-baseline", "ncat", [2, 2, 2]),
  ], true);
  assert.equal(check.othersLost, 976);
  assert.equal(check.pass, false);
});

Deno.test("floodChecks() judges nothing at quick sizes, and skips a server without both runs", () => {
  const checks = floodChecks([
    record("flood", "threaded", [9, 9, 9], [1, 0, 0]),
    record("flood-baseline", "threaded", [1, 1, 1]),
    record("flood", "ceiling", [3, 3, 3]), // its baseline failed
    { run: "flood-baseline", server: "ceiling", ok: false, load: null },
    record("flood-baseline", "ncat", [2, 2, 2]), // its flood failed
  ], false);
  assert.deepEqual(checks.map((c) => [c.server, c.othersLost, c.pass]), [["threaded", 1, null]]);
});
