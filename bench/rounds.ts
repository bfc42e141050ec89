/**
 * Several rounds of one run as one row. A burst lasts about a second and the
 * machine drifts by 20–30% within minutes, so the benchmark runs such a run a
 * few times, interleaved across servers, and keeps the median round.
 *
 * @module
 */

/** One round's headline figures. */
export interface RoundFigures {
  /** Deliveries per second. */
  deliveriesPerSec: number;
  /** Deliveries lost. */
  lost: number;
}

/** What {@linkcode medianRound} needs of a run's record. */
export interface RoundRecord {
  /** Whether the run completed. */
  ok: boolean;
  /** What the load generator measured, if it did. */
  load: RoundFigures | null;
  /** Each round's figures, in order, when the row stands for several rounds. */
  rounds?: RoundFigures[];
}

/**
 * One server's rounds as one record: the round with the median deliveries/s,
 * carrying every round's figures in `rounds`. A failed round is the record, so
 * that a failure is never voted away.
 *
 * @example Usage
 * ```ts
 * import { medianRound } from "./rounds.ts";
 * import assert from "node:assert/strict";
 *
 * const round = (deliveriesPerSec: number) => ({ ok: true, load: { deliveriesPerSec, lost: 0 } });
 * assert.equal(medianRound([round(3), round(5), round(4)]).load?.deliveriesPerSec, 4);
 * ```
 *
 * @param rounds At least one round.
 */
export function medianRound<R extends RoundRecord>(rounds: R[]): R {
  if (rounds.length === 1) return rounds[0];
  const failed = rounds.find((record) => !record.ok || record.load === null);
  const rate = (record: R) => record.load?.deliveriesPerSec ?? 0;
  const chosen = failed ?? [...rounds].sort((a, b) => rate(a) - rate(b))[rounds.length >> 1];
  return {
    ...chosen,
    rounds: rounds.map((record) => ({
      deliveriesPerSec: rate(record),
      lost: record.load?.lost ?? 0,
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
