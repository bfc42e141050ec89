import assert from "node:assert/strict";
import {
  lostInAllRounds,
  median,
  medianRound,
  roundOrder,
  type RoundRecord,
  trailInPairs,
} from "./rounds.ts";

type Labelled = RoundRecord & { label: string };

const round = (deliveriesPerSec: number, lost = 0, ok = true): Labelled => ({
  ok,
  load: { deliveriesPerSec, lost },
  label: `${deliveriesPerSec}/s`,
});

Deno.test("medianRound() keeps the median round by rate, with every round's figures", () => {
  const row = medianRound([round(4.2), round(3.6, 1), round(4.3)]);
  assert.equal(row.label, "4.2/s");
  assert.deepEqual(row.rounds, [
    { deliveriesPerSec: 4.2, lost: 0 },
    { deliveriesPerSec: 3.6, lost: 1 },
    { deliveriesPerSec: 4.3, lost: 0 },
  ]);
  assert.equal(lostInAllRounds(row), 1, "a loss in a round that is not the row still counts");
});

Deno.test("medianRound() keeps every round's start-up, not only the row's", () => {
  const launched = (deliveriesPerSec: number, startupMs: number | null) => ({
    ...round(deliveriesPerSec),
    startupMs,
  });
  const row = medianRound([launched(4.2, 90), launched(3.6, 153), launched(4.3, null)]);
  assert.equal(row.startupMs, 90, "the row is the median round");
  assert.deepEqual(row.rounds?.map((round) => round.startupMs), [90, 153, undefined]);
});

Deno.test("medianRound() makes a failed round the row, and leaves a single round alone", () => {
  const failed: Labelled = { ok: false, load: null, label: "timed out" };
  assert.equal(medianRound([round(4), failed, round(5)]).label, "timed out");
  const only = round(4, 2);
  assert.equal(medianRound([only]), only);
  assert.equal(lostInAllRounds(only), 2);
});

const paced = (p50: number, p99: number, deliveriesPerSec: number): Labelled => ({
  ok: true,
  load: { deliveriesPerSec, lost: 0, latencyMs: { p50, p99 } },
  label: `${p50}/${p99} ms`,
});

Deno.test("medianRound() by p99 keeps the round with the median p99, and records each p99", () => {
  const rounds = [paced(1, 10.8, 5), paced(2, 6.4, 4), paced(3, 7.1, 3)];
  const row = medianRound(rounds, "p99");
  assert.equal(row.label, "3/7.1 ms");
  assert.deepEqual(row.rounds?.map((round) => round.latencyMs?.p99), [10.8, 6.4, 7.1]);
  assert.equal(medianRound(rounds).label, "2/6.4 ms", "by rate, the median rate's round");
});

Deno.test("medianRound() by p50 keeps the round with the median p50, and records each p50", () => {
  const rounds = [paced(0.19, 1.3, 200), paced(0.12, 2.1, 200), paced(0.14, 0.9, 200)];
  const row = medianRound(rounds, "p50");
  assert.equal(row.label, "0.14/0.9 ms");
  assert.deepEqual(row.rounds?.map((round) => round.latencyMs?.p50), [0.19, 0.12, 0.14]);
  assert.equal(medianRound(rounds, "p99").label, "0.19/1.3 ms", "by p99, another round");
});

Deno.test("trailInPairs() takes the median of per-round ratios, inverted for rates", () => {
  const latency = trailInPairs([0.1, 0.3, 0.1, 0.1], [0.2, 0.3, 0.1, 0.05]);
  assert.deepEqual(latency.ratios, [2, 1, 1, 0.5]);
  assert.equal(latency.median, 1, "an even count: the mean of the middle two");
  const rate = trailInPairs([4, 5, 6], [2, 5, 3], true);
  assert.deepEqual(rate.ratios, [2, 1, 2], "half the deliveries/s trails by 2x");
  assert.equal(rate.median, 2);
  assert.throws(() => trailInPairs([1, 2], [1]), /as many on both sides/);
  assert.throws(() => trailInPairs([], []), /got "0" and "0"/);
});

Deno.test("median() takes the middle value, or the mean of the middle two, and leaves its input", () => {
  const values = [0.9, 0.1, 0.5];
  assert.equal(median(values), 0.5);
  assert.deepEqual(values, [0.9, 0.1, 0.5], "not sorted in place");
  assert.equal(median([10, 2, 4, 8]), 6);
  assert.throws(() => median([]), /no values/);
});

Deno.test("roundOrder() runs forwards, then backwards, so neighbours stay neighbours", () => {
  assert.deepEqual([0, 1, 2, 3].map((round) => roundOrder(3, round)), [
    [0, 1, 2],
    [2, 1, 0],
    [0, 1, 2],
    [2, 1, 0],
  ]);
  assert.deepEqual(roundOrder(1, 1), [0]);
  assert.deepEqual(roundOrder(0, 0), []);
  // Threaded (0) and select (1) run one right after the other in every round.
  for (let round = 0; round < 4; round++) {
    const order = roundOrder(4, round);
    assert.equal(Math.abs(order.indexOf(0) - order.indexOf(1)), 1);
  }
});
