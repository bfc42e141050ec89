/**
 * The flood target: while one member floods, the others' p99 stays within
 * {@linkcode FLOOD_ALLOWED_RATIO} times their p99 without the flooder, and none
 * of their lines is lost, in any round.
 *
 * @module
 */

import { lostInAllRounds, type RoundFigures, type RoundRecord } from "./rounds.ts";

/**
 * How many times their baseline p99 the others' p99 may read under a flood: 2.
 *
 * @example Usage
 * ```ts
 * import { FLOOD_ALLOWED_RATIO } from "./flood_check.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(3.9 <= FLOOD_ALLOWED_RATIO * 2.0); // 3.9 ms against a 2.0 ms baseline passes
 * ```
 */
export const FLOOD_ALLOWED_RATIO = 2;

/** What {@linkcode floodChecks} needs of a run's record. */
export interface FloodRecord extends RoundRecord {
  /** The run's name: `"flood"` and `"flood-baseline"` are read, others skipped. */
  run: string;
  /** The server's name: a server's flood is paired with its own baseline. */
  server: string;
  /** The median round's figures, if the run measured any. */
  load: (RoundFigures & { latencyMs: { p99: number }; floodDeliveries: number }) | null;
}

/** One server's flood check, as printed and written to `results.json`. */
export interface FloodCheck {
  /** The server's name. */
  server: string;
  /** What is checked, in words. */
  check: string;
  /** The others' p99 with the flooder, in ms (the median round's). */
  p99Ms: number;
  /** Their p99 without it, in ms (the median round's). */
  baselineP99Ms: number;
  /** `p99Ms / baselineP99Ms`. */
  ratio: number;
  /** The others' lines lost with the flooder, over all rounds. */
  othersLost: number;
  /** The flooder's lines the others received (the median round's). */
  floodDeliveries: number;
  /** Whether the target is met; `null` when not judged (at --quick sizes). */
  pass: boolean | null;
}

/**
 * The flood check of every server with both a flood and a baseline record. Losses count
 * over all rounds, as the printed table counts them, so that a round which lost lines is
 * not hidden behind a median round which did not.
 *
 * @example Usage
 * ```ts
 * import { floodChecks } from "./flood_check.ts";
 * import assert from "node:assert/strict";
 *
 * const record = (run: string, p99: number) => ({
 *   run,
 *   server: "threaded",
 *   ok: true,
 *   load: { deliveriesPerSec: 2000, lost: 0, floodDeliveries: 40, latencyMs: { p50: 0.5, p99 } },
 * });
 * const [check] = floodChecks([record("flood", 3), record("flood-baseline", 2)], true);
 * assert.equal(check.ratio, 1.5);
 * assert.equal(check.pass, true);
 * ```
 *
 * @param records The pass's records, in any order.
 * @param judged Whether to judge: the half-second runs of --quick give a p99 of a few dozen
 *   lines, the flooder's first burst before the rate limit bites.
 * @returns One check per server, in the order of its flood record.
 */
export function floodChecks(records: FloodRecord[], judged: boolean): FloodCheck[] {
  const checks: FloodCheck[] = [];
  for (const flood of records) {
    if (flood.run !== "flood" || !flood.load) continue;
    const baseline = records.find((r) =>
      r.run === "flood-baseline" && r.server === flood.server && r.load
    );
    if (!baseline?.load) continue;
    const p99Ms = flood.load.latencyMs.p99;
    const baselineP99Ms = baseline.load.latencyMs.p99;
    const othersLost = lostInAllRounds(flood) ?? flood.load.lost;
    checks.push({
      server: flood.server,
      check: `others' p99 with a flooder <= ${FLOOD_ALLOWED_RATIO}x baseline p99, none lost`,
      p99Ms,
      baselineP99Ms,
      ratio: p99Ms / baselineP99Ms,
      othersLost,
      floodDeliveries: flood.load.floodDeliveries,
      pass: judged ? p99Ms <= FLOOD_ALLOWED_RATIO * baselineP99Ms && othersLost === 0 : null,
    });
  }
  return checks;
}
