/**
 * The select server against the threaded one, which the targets allow to trail
 * by at most 20% on any figure. Each comparison pairs the two servers' rounds
 * that ran one right after the other (see {@linkcode trailInPairs}), for every
 * run of the pass with rounds and for every cross-check by chatbench.
 *
 * @module
 */

import type { ChatbenchResult } from "./chatbench.ts";
import { type MedianBy, type PairedTrail, type RoundFigures, trailInPairs } from "./rounds.ts";

/**
 * How far the select server may trail the threaded one on any figure: 20%.
 *
 * @example Usage
 * ```ts
 * import { ALLOWED_TRAIL } from "./comparisons.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ALLOWED_TRAIL, 1.2); // a p99 1.2 times the threaded server's is still within
 * ```
 */
export const ALLOWED_TRAIL = 1.2;

/** The select server against the threaded one over paired rounds, as written to `results.json`. */
export interface Comparison extends PairedTrail {
  /** The figure compared, e.g. `"steady p99"`. */
  figure: string;
  /** The run or scenario it is of, e.g. `"steady"`. */
  scenario: string;
  /** What measured it: the pass's own load generator, or chatbench. */
  tool: "harness" | "chatbench";
  /** Whether the median ratio is within {@linkcode ALLOWED_TRAIL}. */
  within: boolean;
}

/** What {@linkcode selectAgainstThreaded} needs of a run's record. */
export interface ComparedRun {
  /** The server's name; only `"threaded"` and `"select"` are compared. */
  server: string;
  /** The run's name, e.g. `"steady"`: the two servers' records of a run are paired. */
  run: string;
  /** What picked the run's median round, and so which figure is compared. */
  spec: { medianBy: MedianBy };
  /** Each round's figures, in the order they ran; a run without them is not compared. */
  rounds?: RoundFigures[];
}

/** What {@linkcode selectAgainstThreaded} needs of a cross-check by chatbench. */
export interface ComparedCheck {
  /** The scenario: the two servers' checks of a scenario are paired. */
  scenario: string;
  /** The server's name; only `"threaded"` and `"select"` are compared. */
  server: string;
  /** The figure the check is judged by. */
  by: "p50" | "p99";
  /** Each round's figures, in the order they ran. */
  rounds: ChatbenchResult[];
}

/**
 * The figure a cross-check is judged by, of one chatbench run.
 *
 * @example Usage
 * ```ts
 * import { checkedFigure } from "./comparisons.ts";
 * import assert from "node:assert/strict";
 *
 * const run = { deliveries: 1000, lost: 0, p50Ms: 0.1, p90Ms: 0.2, p99Ms: 0.5 };
 * assert.equal(checkedFigure(run, "p50"), 0.1);
 * assert.equal(checkedFigure(run, "p99"), 0.5);
 * ```
 *
 * @param result One chatbench run, or the median of several.
 * @param by Which percentile.
 * @returns That percentile, in ms.
 */
export function checkedFigure(
  result: Pick<ChatbenchResult, "p50Ms" | "p99Ms">,
  by: ComparedCheck["by"],
): number {
  return by === "p50" ? result.p50Ms : result.p99Ms;
}

/**
 * The select server against the threaded one, round by round, for every run with rounds and for
 * the cross-checks. Their rounds ran one right after the other, so each ratio compares the
 * two on the same machine state; the median ratio is what the 20% allowance is judged on, where
 * each server's own median may land on different states. A run or check that only one of the
 * two has, or with unequal or fewer than two rounds, is not compared.
 *
 * @example Usage
 * ```ts
 * import { selectAgainstThreaded } from "./comparisons.ts";
 * import assert from "node:assert/strict";
 *
 * const steady = (server: string, p99s: number[]) => ({
 *   server,
 *   run: "steady",
 *   spec: { medianBy: "p99" as const },
 *   rounds: p99s.map((p99) => ({ deliveriesPerSec: 5e5, lost: 0, latencyMs: { p50: 1, p99 } })),
 * });
 * const runs = [steady("threaded", [8, 10]), steady("select", [8, 13])];
 * const [comparison] = selectAgainstThreaded(runs, []);
 * assert.equal(comparison.figure, "steady p99");
 * assert.equal(comparison.median.toFixed(2), "1.15"); // ratios 1.0 and 1.3
 * assert.equal(comparison.within, true);
 * ```
 *
 * @param records The pass's runs.
 * @param crossChecks The pass's cross-checks by chatbench.
 * @returns One comparison per figure, runs first.
 */
export function selectAgainstThreaded(
  records: ComparedRun[],
  crossChecks: ComparedCheck[],
): Comparison[] {
  const comparisons: Comparison[] = [];
  const add = (
    of: Pick<Comparison, "figure" | "scenario" | "tool">,
    a: number[],
    b: number[],
    higherIsBetter: boolean,
  ) => {
    if (a.length < 2 || a.length !== b.length) return;
    const trail = trailInPairs(a, b, higherIsBetter);
    comparisons.push({ ...of, ...trail, within: trail.median <= ALLOWED_TRAIL });
  };
  for (const threaded of records.filter((r) => r.server === "threaded")) {
    const select = records.find((r) => r.server === "select" && r.run === threaded.run);
    if (!threaded.rounds || !select?.rounds) continue;
    const by = threaded.spec.medianBy;
    const figure = (round: RoundFigures) =>
      by === "rate" ? round.deliveriesPerSec : round.latencyMs?.[by] ?? NaN;
    add(
      {
        figure: `${threaded.run} ${by === "rate" ? "deliveries/s" : by}`,
        scenario: threaded.run,
        tool: "harness",
      },
      threaded.rounds.map(figure),
      select.rounds.map(figure),
      by === "rate",
    );
  }
  for (const threaded of crossChecks.filter((c) => c.server === "threaded")) {
    const select = crossChecks.find((c) =>
      c.server === "select" && c.scenario === threaded.scenario
    );
    if (!select) continue;
    add(
      {
        figure: `${threaded.scenario} ${threaded.by} by chatbench`,
        scenario: threaded.scenario,
        tool: "chatbench",
      },
      threaded.rounds.map((round) => checkedFigure(round, threaded.by)),
      select.rounds.map((round) => checkedFigure(round, threaded.by)),
      false,
    );
  }
  return comparisons;
}
