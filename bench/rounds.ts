/**
 * Several rounds of one run as one row. A burst lasts about a second, a steady
 * run three, and the machine drifts by 20–30% within minutes, so the benchmark
 * runs such a run a few times, interleaved across servers, and keeps the
 * median round: by deliveries/s for a burst, by p99 latency for a paced run,
 * by p50 latency for the light run, whose headline is its p50.
 *
 * @module
 */

/** One round's headline figures. */
export interface RoundFigures {
  /** Deliveries per second. */
  deliveriesPerSec: number;
  /** Deliveries lost. */
  lost: number;
  /** Latency percentiles of the round, in ms, when it measured any. */
  latencyMs?: { p50: number; p99: number };
  /** The server's launch to its first accepted connection, in ms, when it was measured. */
  startupMs?: number;
}

/**
 * What picks the median round: throughput (a burst), p99 latency (a paced run) or p50
 * latency (a run judged on its p50).
 */
export type MedianBy = "rate" | "p50" | "p99";

/** What {@linkcode medianRound} needs of a run's record. */
export interface RoundRecord {
  /** Whether the run completed. */
  ok: boolean;
  /** What the load generator measured, if it did. */
  load: RoundFigures | null;
  /** Each round's figures, in order, when the row stands for several rounds. */
  rounds?: RoundFigures[];
  /** The server's start-up in this round, in ms, if it was measured. */
  startupMs?: number | null;
}

/**
 * One server's rounds as one record: the round with the median deliveries/s
 * (`by: "rate"`), p50 latency (`by: "p50"`) or p99 latency (`by: "p99"`),
 * carrying every round's figures in `rounds`. A failed round is the record, so that a failure
 * is never voted away.
 *
 * @example Usage
 * ```ts
 * import { medianRound } from "./rounds.ts";
 * import assert from "node:assert/strict";
 *
 * const round = (deliveriesPerSec: number, p50: number, p99: number) => ({
 *   ok: true,
 *   load: { deliveriesPerSec, lost: 0, latencyMs: { p50, p99 } },
 * });
 * const rounds = [round(3, 1, 9), round(5, 0.2, 2), round(4, 0.5, 7)];
 * assert.equal(medianRound(rounds).load?.deliveriesPerSec, 4);
 * assert.equal(medianRound(rounds, "p50").load?.latencyMs?.p50, 0.5);
 * assert.equal(medianRound(rounds, "p99").load?.latencyMs?.p99, 7);
 * ```
 *
 * @param rounds At least one round.
 * @param by What the median is taken of.
 */
export function medianRound<R extends RoundRecord>(rounds: R[], by: MedianBy = "rate"): R {
  if (rounds.length === 1) return rounds[0];
  const failed = rounds.find((record) => !record.ok || record.load === null);
  const rate = (record: R) => record.load?.deliveriesPerSec ?? 0;
  const latency = (record: R) => record.load?.latencyMs;
  const figure = by === "rate" ? rate : (record: R) => latency(record)?.[by] ?? Infinity;
  const chosen = failed ?? [...rounds].sort((a, b) => figure(a) - figure(b))[rounds.length >> 1];
  return {
    ...chosen,
    rounds: rounds.map((record) => ({
      deliveriesPerSec: rate(record),
      lost: record.load?.lost ?? 0,
      ...(record.load?.latencyMs
        ? { latencyMs: { p50: record.load.latencyMs.p50, p99: record.load.latencyMs.p99 } }
        : {}),
      ...(typeof record.startupMs === "number" ? { startupMs: record.startupMs } : {}),
    })),
  };
}

/**
 * Deliveries lost over all of a record's rounds (its own loss when it has no rounds).
 *
 * @example Usage
 * ```ts
 * import { lostInAllRounds } from "./rounds.ts";
 * import assert from "node:assert/strict";
 *
 * const rounds = [{ deliveriesPerSec: 5, lost: 2 }, { deliveriesPerSec: 4, lost: 0 }];
 * assert.equal(lostInAllRounds({ ok: true, load: rounds[1], rounds }), 2);
 * ```
 */
export function lostInAllRounds(record: RoundRecord): number | undefined {
  return record.rounds
    ? record.rounds.reduce((sum, round) => sum + round.lost, 0)
    : record.load?.lost;
}

/** How one server trails another over paired rounds: see {@linkcode trailInPairs}. */
export interface PairedTrail {
  /** Per round, how many times worse the second server's figure was (below 1: better). */
  ratios: number[];
  /** Their median: the comparison that the machine's drift between rounds does not sway. */
  median: number;
}

/**
 * How far server B trails server A over rounds run side by side (A's and B's
 * round `i` ran one right after the other): per round, B's figure over A's,
 * inverted when `higherIsBetter` (a rate), and the median of those ratios.
 * Two servers' medians of their own rounds can differ by the drift between
 * rounds; each pair shares the machine's state of the moment.
 *
 * @example Usage
 * ```ts
 * import { trailInPairs } from "./rounds.ts";
 * import assert from "node:assert/strict";
 *
 * // p50 in ms; the machine was slow in round 2 for both.
 * const trail = trailInPairs([0.08, 0.30, 0.10], [0.08, 0.33, 0.09]);
 * assert.deepEqual(trail.ratios.map((r) => r.toFixed(2)), ["1.00", "1.10", "0.90"]);
 * assert.equal(trail.median.toFixed(2), "1.00");
 * ```
 *
 * @param a Server A's figure per round.
 * @param b Server B's figure per round, as many.
 * @param higherIsBetter Whether a higher figure is better (deliveries/s).
 */
export function trailInPairs(a: number[], b: number[], higherIsBetter = false): PairedTrail {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(
      `Paired rounds must be as many on both sides, and some: got "${a.length}" and "${b.length}"`,
    );
  }
  const ratios = a.map((x, i) => higherIsBetter ? x / b[i] : b[i] / x);
  return { ratios, median: median(ratios) };
}

/**
 * The median of some numbers: the middle one, or the mean of the middle two.
 *
 * @example Usage
 * ```ts
 * import { median } from "./rounds.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(median([0.3, 0.1, 0.2]), 0.2);
 * assert.equal(median([4, 1, 3, 2]), 2.5);
 * ```
 *
 * @param values At least one number; not changed.
 * @throws {RangeError} If there are none.
 */
export function median(values: number[]): number {
  if (values.length === 0) throw new RangeError("Cannot take the median of no values");
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The order in which `count` servers run in round `round` (counted from 0): forwards in
 * even rounds, backwards in odd ones, so that no server always runs right after the same
 * one and the machine's drift touches them alike. Paired rounds (see
 * {@linkcode trailInPairs}) rest on it: in every round each server runs next to its
 * neighbours in the list.
 *
 * @example Usage
 * ```ts
 * import { roundOrder } from "./rounds.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(roundOrder(3, 0), [0, 1, 2]);
 * assert.deepEqual(roundOrder(3, 1), [2, 1, 0]);
 * ```
 *
 * @param count How many servers take part.
 * @param round The round, from 0.
 * @returns The servers' indices in running order.
 */
export function roundOrder(count: number, round: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  return round % 2 === 0 ? order : order.reverse();
}
