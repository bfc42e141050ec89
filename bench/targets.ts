/**
 * The performance targets, judged in one place for each of our servers from one
 * pass's records, so that a pass says which targets it met rather than leaving
 * each figure to be held against its bound by hand.
 *
 * Light p50 and steady p99 are judged twice, by the pass's own load generator
 * and by chatbench. Light p50 lies near a load generator's own floor, which is
 * what it reads for `ceiling_server`, a bare C relay, in the same pass: a tool
 * that reads the C server at more than half the bound cannot tell a server
 * that meets it from one that does not (it would fail the C server too), so
 * its light figures are shown but not judged in that pass, nor counted in the
 * select server's trail. The harness, a Deno process, has read the C server at
 * 0.08-0.21 ms; chatbench at 0.04-0.06 (medians of ten passes). The flood and
 * the select server's trail are judged where they are measured
 * ({@linkcode floodChecks}, {@linkcode selectAgainstThreaded}) and only
 * carried over here.
 *
 * @module
 */

import type { ChatbenchResult } from "./chatbench.ts";
import { ALLOWED_TRAIL, checkedFigure, type Comparison } from "./comparisons.ts";
import { FLOOD_ALLOWED_RATIO, type FloodCheck } from "./flood_check.ts";
import { lostInAllRounds, type RoundFigures, type RoundRecord } from "./rounds.ts";

/** The burst's deliveries/s, as a share of `ceiling_server`'s in the same pass: at least 0.8. */
const BURST_SHARE_OF_CEILING = 0.8;
/** Steady p99 at most this, in ms. */
const STEADY_P99_MS = 10;
/** Light p50 at most this, in ms. */
const LIGHT_P50_MS = 0.1;
/**
 * A tool judges light p50 only in a pass where it reads `ceiling_server` within this share of
 * the bound: the rest of the bound is all it leaves for the server's own time.
 */
const FLOOR_SHARE_OF_BOUND = 0.5;
/** The members connected in the run whose memory is judged, and that run's name. */
const SCALE_MEMBERS = 5000;
const SCALE_RUN = `scale-${SCALE_MEMBERS}`;
/** Its server RSS at most this, in MiB. */
const SCALE_RSS_MIB = 100;
/** Every launch of a server accepts its first connection within this, in ms. */
const STARTUP_MS = 150;

/** The servers the targets are set for. */
const OURS = ["threaded", "select"];
const CEILING = "ceiling";
/** What a target judged by a chatbench check that failed reads: a miss, as a failed run is. */
const CHECK_FAILED = "not measured by chatbench: its check failed";

/** What {@linkcode judgeTargets} needs of a run's record. */
export interface TargetRecord extends RoundRecord {
  /** The run's name: `"burst"`, `"steady"`, `"light"`, `"scale-5000"`, ... */
  run: string;
  /** The server's name. */
  server: string;
  /** The median round's figures, if the run measured any. */
  load: (RoundFigures & { latencyMs: { p50: number; p99: number } }) | null;
  /** The server's RSS while every member was connected, in MiB. */
  rssMiB: number | null;
}

/** What {@linkcode judgeTargets} needs of a cross-check by chatbench. */
export interface TargetCheck {
  /** The scenario checked: `"light"` or `"steady"`. */
  scenario: string;
  /** The server's name. */
  server: string;
  /** The median of the check's rounds, if any ran. */
  result: Pick<ChatbenchResult, "p50Ms" | "p99Ms" | "lost"> | null;
  /** Why the check failed (its server did not start, a round failed or lost lines), if it did. */
  error?: string;
}

/** One target's verdict for one server, as printed and written to `results.json`. */
export interface TargetVerdict {
  /** The server's name. */
  server: string;
  /** The target, in words, e.g. `"light p50 <= 0.1 ms"`. */
  target: string;
  /** What was measured, and by what, e.g. `"0.09 ms by chatbench"`. */
  measured: string;
  /** Whether the target is met; `null` when not judged (--quick, or not measured). */
  pass: boolean | null;
}

/** Everything one pass holds that the targets are judged from. */
export interface TargetInputs {
  /** Every run's record (median rounds, each with its rounds). */
  records: TargetRecord[];
  /** The cross-checks by chatbench. */
  crossChecks: TargetCheck[];
  /** The flood checks. */
  floods: FloodCheck[];
  /** The select server against the threaded one. */
  comparisons: Comparison[];
}

/**
 * Every target's verdict for each of our servers that ran in the pass. A target whose run
 * was left out of the pass (`--scenario`) reads "not measured" and is not judged; at --quick
 * sizes nothing is judged.
 *
 * @example Usage
 * ```ts
 * import { judgeTargets } from "./targets.ts";
 * import assert from "node:assert/strict";
 *
 * const light = (server: string, p50: number) => ({
 *   run: "light",
 *   server,
 *   ok: true,
 *   load: { deliveriesPerSec: 200, lost: 0, latencyMs: { p50, p99: 0.5 } },
 *   rssMiB: 40,
 * });
 * const byChatbench = (server: string, p50Ms: number) => ({
 *   scenario: "light",
 *   server,
 *   result: { p50Ms, p99Ms: 0.3, lost: 0 },
 * });
 * const verdicts = judgeTargets({
 *   records: [light("threaded", 0.18), light("ceiling", 0.11)],
 *   crossChecks: [byChatbench("threaded", 0.09), byChatbench("ceiling", 0.04)],
 *   floods: [],
 *   comparisons: [],
 * }, true);
 * const byLight = verdicts.filter((v) => v.target === "light p50 <= 0.1 ms");
 * assert.deepEqual(byLight.map((v) => [v.measured, v.pass]), [
 *   // The harness reads the C relay itself over half the bound: its figure is mostly its own.
 *   ["0.18 ms by the harness (the C ceiling 0.11 ms: its floor, not judged)", null],
 *   ["0.09 ms by chatbench (the C ceiling 0.04 ms)", true],
 * ]);
 * ```
 *
 * @param inputs The pass's records and checks.
 * @param judged Whether to judge: the half-second runs of --quick are too short for a verdict.
 * @returns The verdicts, server by server, in a fixed order of targets.
 */
export function judgeTargets(inputs: TargetInputs, judged: boolean): TargetVerdict[] {
  const { records, crossChecks } = inputs;
  const record = (run: string, server: string) =>
    records.find((r) => r.server === server && r.run === run && r.ok && r.load !== null);
  const check = (scenario: string, server: string) =>
    crossChecks.find((c) => c.scenario === scenario && c.server === server);
  // Each tool's own floor at light p50: what it reads for the C relay in this pass.
  const ceilingCheck = check("light", CEILING);
  const lightFloor = {
    harness: record("light", CEILING)?.load?.latencyMs.p50,
    chatbench: ceilingCheck?.result ? checkedFigure(ceilingCheck.result, "p50") : undefined,
  };
  // A C ceiling that ran but gave no figure leaves its tool's floor unknown, not absent.
  const floorUnknown = {
    harness: record("light", CEILING) === undefined &&
      records.some((r) => r.run === "light" && r.server === CEILING),
    chatbench: ceilingCheck !== undefined && ceilingCheck.error !== undefined,
  };
  const blurred = (tool: keyof typeof lightFloor) =>
    floorUnknown[tool] || (lightFloor[tool] ?? 0) > LIGHT_P50_MS * FLOOR_SHARE_OF_BOUND;

  const verdicts: TargetVerdict[] = [];
  for (const server of OURS) {
    const own = records.filter((r) => r.server === server);
    if (own.length === 0) continue;
    const verdict = (target: string, measured: string, pass: boolean | null) =>
      verdicts.push({ server, target, measured, pass: judged ? pass : null });
    const notMeasured = (target: string) => verdict(target, "not measured", null);

    const ownChecks = crossChecks.filter((c) => c.server === server);
    const failed = [
      ...own.filter((r) => !r.ok).map((r) => r.run),
      ...ownChecks.filter((c) => c.error !== undefined).map((c) => `${c.scenario} by chatbench`),
    ];
    const lost = own.reduce((sum, r) => sum + (lostInAllRounds(r) ?? 0), 0) +
      ownChecks.reduce((sum, c) => sum + (c.result?.lost ?? 0), 0);
    verdict(
      "every run completes and loses nothing",
      `${lost} lost` + (failed.length > 0 ? `; failed: ${failed.join(", ")}` : ""),
      lost === 0 && failed.length === 0,
    );

    const burstTarget = `burst >= ${BURST_SHARE_OF_CEILING}x the ceiling's deliveries/s`;
    const burst = record("burst", server);
    const ceiling = record("burst", CEILING);
    if (!burst) notMeasured(burstTarget);
    else if (!ceiling?.load) verdict(burstTarget, "no ceiling_server in this pass", null);
    else {
      const share = burst.load!.deliveriesPerSec / ceiling.load.deliveriesPerSec;
      verdict(
        burstTarget,
        `${share.toFixed(2)}x (${perSecond(burst.load!.deliveriesPerSec)} against ` +
          `${perSecond(ceiling.load.deliveriesPerSec)})`,
        share >= BURST_SHARE_OF_CEILING,
      );
    }

    const steadyTarget = `steady p99 <= ${STEADY_P99_MS} ms`;
    const steady = record("steady", server)?.load?.latencyMs.p99;
    if (steady === undefined) notMeasured(steadyTarget);
    else verdict(steadyTarget, `${ms(steady)} by the harness`, steady <= STEADY_P99_MS);
    const steadyCheck = check("steady", server);
    if (steadyCheck?.error !== undefined) verdict(steadyTarget, CHECK_FAILED, false);
    else if (steadyCheck?.result) {
      const p99 = checkedFigure(steadyCheck.result, "p99");
      verdict(steadyTarget, `${ms(p99)} by chatbench`, p99 <= STEADY_P99_MS);
    }

    const lightTarget = `light p50 <= ${LIGHT_P50_MS} ms`;
    const light = (p50: number, tool: keyof typeof lightFloor) => {
      const floor = lightFloor[tool];
      const by = `${ms(p50)} by ${tool === "harness" ? "the harness" : tool}`;
      if (floorUnknown[tool]) {
        verdict(lightTarget, `${by} (the C ceiling gave no figure: its floor unknown)`, null);
      } else if (floor === undefined) verdict(lightTarget, by, p50 <= LIGHT_P50_MS);
      else if (blurred(tool)) {
        verdict(lightTarget, `${by} (the C ceiling ${ms(floor)}: its floor, not judged)`, null);
      } else verdict(lightTarget, `${by} (the C ceiling ${ms(floor)})`, p50 <= LIGHT_P50_MS);
    };
    const lightByHarness = record("light", server)?.load?.latencyMs.p50;
    if (lightByHarness === undefined) notMeasured(lightTarget);
    else light(lightByHarness, "harness");
    const lightCheck = check("light", server);
    if (lightCheck?.error !== undefined) verdict(lightTarget, CHECK_FAILED, false);
    else if (lightCheck?.result) light(checkedFigure(lightCheck.result, "p50"), "chatbench");

    const scaleTarget = `RSS with ${SCALE_MEMBERS} members <= ${SCALE_RSS_MIB} MiB`;
    const rss = record(SCALE_RUN, server)?.rssMiB;
    if (rss === undefined || rss === null) notMeasured(scaleTarget);
    else verdict(scaleTarget, `${rss.toFixed(1)} MiB`, rss <= SCALE_RSS_MIB);

    const floodTarget = `others' p99 under a flood <= ${FLOOD_ALLOWED_RATIO}x without`;
    const flood = inputs.floods.find((f) => f.server === server);
    if (!flood) notMeasured(floodTarget);
    else {
      verdict(
        floodTarget,
        `${flood.ratio.toFixed(2)}x (${ms(flood.p99Ms)} against ${ms(flood.baselineP99Ms)}), ` +
          `${flood.othersLost} lost`,
        flood.pass,
      );
    }

    const startups = own.flatMap((r) =>
      r.rounds?.flatMap((round) => round.startupMs ?? []) ??
        (typeof r.startupMs === "number" ? [r.startupMs] : [])
    );
    const startupTarget = `every start-up <= ${STARTUP_MS} ms`;
    if (startups.length === 0) notMeasured(startupTarget);
    else {
      const slowest = Math.max(...startups);
      verdict(
        startupTarget,
        `${Math.round(Math.min(...startups))}-${Math.round(slowest)} ms over ` +
          `${startups.length} launches`,
        slowest <= STARTUP_MS,
      );
    }

    if (server === "select") {
      const trailTarget = `within ${ALLOWED_TRAIL}x of threaded on every figure`;
      // A light figure its tool cannot resolve in this pass compares placements, not servers.
      const unresolved = (c: Comparison) => c.scenario === "light" && blurred(c.tool);
      const counted = inputs.comparisons.filter((c) => !unresolved(c));
      const left = inputs.comparisons.filter(unresolved).map((c) =>
        `${c.figure} ${c.median.toFixed(2)}`
      );
      if (inputs.comparisons.length === 0) notMeasured(trailTarget);
      else if (counted.length === 0) {
        verdict(trailTarget, `only below its tool's floor: ${left.join(", ")}`, null);
      } else {
        const worst = counted.reduce((a, b) => b.median > a.median ? b : a);
        verdict(
          trailTarget,
          `at most ${worst.median.toFixed(2)} (${worst.figure}), median of paired rounds` +
            (left.length > 0 ? `; not counted, below its tool's floor: ${left.join(", ")}` : ""),
          counted.every((comparison) => comparison.within),
        );
      }
    }
  }
  return verdicts;
}

/** One server's verdicts summed up by target, as printed at the end of a pass. */
export interface TargetSummary {
  /** The server's name. */
  server: string;
  /** Targets with at least one verdict, every one of which passed. */
  met: string[];
  /** Targets with a verdict that failed. */
  missed: string[];
  /** Targets with no verdict at all: not measured, or measured by no tool that could judge them. */
  notJudged: string[];
}

/**
 * Sums up {@linkcode judgeTargets}'s verdicts per server: a target is met when it was judged
 * and every verdict on it passed, so one judged by two tools must pass by both, and one that
 * no tool could judge is not counted as met.
 *
 * @example Usage
 * ```ts
 * import { summarizeTargets } from "./targets.ts";
 * import assert from "node:assert/strict";
 *
 * const [threaded] = summarizeTargets([
 *   { server: "threaded", target: "steady p99 <= 10 ms", measured: "8 ms", pass: true },
 *   { server: "threaded", target: "steady p99 <= 10 ms", measured: "3 ms", pass: true },
 *   { server: "threaded", target: "light p50 <= 0.1 ms", measured: "0.19 ms", pass: null },
 * ]);
 * assert.deepEqual(threaded.met, ["steady p99 <= 10 ms"]);
 * assert.deepEqual(threaded.notJudged, ["light p50 <= 0.1 ms"]);
 * ```
 *
 * @param verdicts The verdicts, in {@linkcode judgeTargets}'s order.
 * @returns One summary per server, in the order the servers first appear.
 */
export function summarizeTargets(verdicts: TargetVerdict[]): TargetSummary[] {
  /** Per server, per target: `null` while no verdict on it was judged, else whether all passed. */
  const outcomes = new Map<string, Map<string, boolean | null>>();
  for (const { server, target, pass } of verdicts) {
    const targets = outcomes.get(server) ?? outcomes.set(server, new Map()).get(server)!;
    const before = targets.get(target) ?? null;
    targets.set(target, pass === null ? before : before === null ? pass : before && pass);
  }
  return [...outcomes].map(([server, targets]) => {
    const where = (outcome: boolean | null) =>
      [...targets].filter(([, o]) => o === outcome).map(([target]) => target);
    return { server, met: where(true), missed: where(false), notJudged: where(null) };
  });
}

function ms(value: number): string {
  return `${value < 1 ? value.toFixed(2) : value.toFixed(1)} ms`;
}

function perSecond(value: number): string {
  return `${(value / 1e6).toFixed(2)}M/s`;
}
