import assert from "node:assert/strict";
import type { Comparison } from "./comparisons.ts";
import type { FloodCheck } from "./flood_check.ts";
import type { RoundFigures } from "./rounds.ts";
import {
  judgeTargets,
  summarizeTargets,
  type TargetCheck,
  type TargetInputs,
  type TargetRecord,
  type TargetVerdict,
} from "./targets.ts";

type Round = RoundFigures & { latencyMs: { p50: number; p99: number } };

const round = (figures: Partial<Round> = {}): Round => ({
  deliveriesPerSec: 200,
  lost: 0,
  latencyMs: { p50: 0.08, p99: 0.5 },
  startupMs: 90,
  ...figures,
});

/** A record whose row is its first round, carrying all of them, as medianRound() leaves it. */
const record = (
  run: string,
  server: string,
  rounds: Round[] = [round()],
  rssMiB: number | null = 45,
): TargetRecord => ({
  run,
  server,
  ok: true,
  load: rounds[0],
  rounds: rounds.length > 1 ? rounds : undefined,
  startupMs: rounds[0].startupMs ?? null,
  rssMiB,
});

const check = (scenario: string, server: string, p50Ms: number, p99Ms: number): TargetCheck => ({
  scenario,
  server,
  result: { p50Ms, p99Ms, lost: 0 },
});

const flood = (server: string, ratio: number): FloodCheck => ({
  server,
  check: "others' p99 with a flooder <= 2x baseline p99, none lost",
  p99Ms: 2 * ratio,
  baselineP99Ms: 2,
  ratio,
  othersLost: 0,
  floodDeliveries: 40,
  pass: ratio <= 2,
});

const comparison = (figure: string, median: number): Comparison => ({
  figure,
  scenario: figure.split(" ")[0],
  tool: figure.endsWith(" by chatbench") ? "chatbench" : "harness",
  ratios: [median],
  median,
  within: median <= 1.2,
});

/** A pass in which both servers meet every target; `change` spoils one part of it. */
function pass(change: (inputs: TargetInputs) => void = () => {}): TargetInputs {
  const inputs: TargetInputs = {
    records: [
      ...["threaded", "select", "ceiling"].map((server) =>
        record("burst", server, [round({ deliveriesPerSec: server === "ceiling" ? 5e6 : 4.5e6 })])
      ),
      ...["threaded", "select"].flatMap((server) => [
        record("steady", server, [round({ deliveriesPerSec: 5e5, latencyMs: { p50: 1, p99: 7 } })]),
        record("light", server, [round(), round({ startupMs: 120 }), round()]),
        record("scale-5000", server, [round()], 95),
      ]),
      record("light", "ceiling", [round({ latencyMs: { p50: 0.05, p99: 0.4 } })]),
    ],
    crossChecks: [
      ...["threaded", "select"].flatMap((server) => [
        check("light", server, 0.09, 0.3),
        check("steady", server, 0.7, 3),
      ]),
      check("light", "ceiling", 0.04, 0.2),
    ],
    floods: [flood("threaded", 1.4), flood("select", 1.2)],
    comparisons: [comparison("burst deliveries/s", 0.98), comparison("light p50", 1.1)],
  };
  change(inputs);
  return inputs;
}

const failing = (verdicts: TargetVerdict[]) =>
  verdicts.filter((v) => v.pass === false).map((v) => `${v.server}: ${v.target}: ${v.measured}`);

Deno.test("judgeTargets() behaviour with a pass that meets every target", () => {
  const verdicts = judgeTargets(pass(), true);
  assert.deepEqual(failing(verdicts), []);
  assert.ok(verdicts.every((v) => v.pass === true), "every target judged");
  assert.equal(verdicts.filter((v) => v.server === "threaded").length, 9);
  assert.equal(verdicts.filter((v) => v.server === "select").length, 10, "and its trail");
  assert.deepEqual(
    verdicts.filter((v) => v.server === "threaded").map((v) => v.measured),
    [
      "0 lost",
      "0.90x (4.50M/s against 5.00M/s)",
      "7.0 ms by the harness",
      "3.0 ms by chatbench",
      "0.08 ms by the harness (the C ceiling 0.05 ms)",
      "0.09 ms by chatbench (the C ceiling 0.04 ms)",
      "95.0 MiB",
      "1.40x (2.8 ms against 2.0 ms), 0 lost",
      "90-120 ms over 6 launches",
    ],
  );
});

Deno.test("judgeTargets() behaviour with each figure just over its bound", () => {
  const spoilt = (change: (inputs: TargetInputs) => void) =>
    failing(judgeTargets(pass(change), true));
  const threaded = (inputs: TargetInputs, run: string) =>
    inputs.records.find((r) => r.run === run && r.server === "threaded")!;
  assert.deepEqual(
    spoilt((inputs) => threaded(inputs, "burst").load!.deliveriesPerSec = 3.95e6),
    ["threaded: burst >= 0.8x the ceiling's deliveries/s: 0.79x (3.95M/s against 5.00M/s)"],
  );
  assert.deepEqual(
    spoilt((inputs) => threaded(inputs, "steady").load!.latencyMs.p99 = 10.2),
    ["threaded: steady p99 <= 10 ms: 10.2 ms by the harness"],
  );
  assert.deepEqual(
    spoilt((inputs) => inputs.crossChecks[2].result!.p50Ms = 0.11),
    ["select: light p50 <= 0.1 ms: 0.11 ms by chatbench (the C ceiling 0.04 ms)"],
    "the chatbench verdict stands apart from the harness's",
  );
  assert.deepEqual(
    spoilt((inputs) => threaded(inputs, "scale-5000").rssMiB = 100.4),
    ["threaded: RSS with 5000 members <= 100 MiB: 100.4 MiB"],
  );
  assert.deepEqual(
    spoilt((inputs) => inputs.floods[1] = flood("select", 2.1)),
    ["select: others' p99 under a flood <= 2x without: 2.10x (4.2 ms against 2.0 ms), 0 lost"],
  );
  assert.deepEqual(
    spoilt((inputs) => inputs.comparisons.push(comparison("steady p99", 1.25))),
    [
      "select: within 1.2x of threaded on every figure: at most 1.25 (steady p99), " +
      "median of paired rounds",
    ],
  );
});

Deno.test("judgeTargets() behaviour with a tool that reads the C ceiling over half the bound", () => {
  const lightVerdicts = (verdicts: TargetVerdict[]) =>
    verdicts.filter((v) => v.target === "light p50 <= 0.1 ms" || v.target.startsWith("within"))
      .map((v) => `${v.server}: ${v.measured}: ${v.pass}`);
  // The harness's light rounds land on its own floor, the C relay's included, and the
  // select server "trails" by the toss of which core each process ran on.
  const slowFloor = (ceilingP50: number) => (inputs: TargetInputs) => {
    inputs.records.find((r) => r.run === "light" && r.server === "ceiling")!.load!.latencyMs.p50 =
      ceilingP50;
    inputs.records.find((r) => r.run === "light" && r.server === "threaded")!.load!.latencyMs.p50 =
      0.15;
    inputs.comparisons[1] = comparison("light p50", 2.7);
  };
  assert.deepEqual(lightVerdicts(judgeTargets(pass(slowFloor(0.11)), true)), [
    "threaded: 0.15 ms by the harness (the C ceiling 0.11 ms: its floor, not judged): null",
    "threaded: 0.09 ms by chatbench (the C ceiling 0.04 ms): true",
    "select: 0.08 ms by the harness (the C ceiling 0.11 ms: its floor, not judged): null",
    "select: 0.09 ms by chatbench (the C ceiling 0.04 ms): true",
    "select: at most 0.98 (burst deliveries/s), median of paired rounds; " +
    "not counted, below its tool's floor: light p50 2.70: true",
  ]);
  const lightOnly = judgeTargets(
    pass((inputs) => {
      slowFloor(0.11)(inputs);
      inputs.comparisons.splice(0, 1); // the burst's
    }),
    true,
  );
  assert.deepEqual(
    lightOnly.filter((v) => v.target.startsWith("within")).map((v) => [v.measured, v.pass]),
    [["only below its tool's floor: light p50 2.70", null]],
    "a trail with nothing it can count is not judged, and not called unmeasured",
  );
  assert.deepEqual(failing(judgeTargets(pass(slowFloor(0.05)), true)), [
    "threaded: light p50 <= 0.1 ms: 0.15 ms by the harness (the C ceiling 0.05 ms)",
    "select: within 1.2x of threaded on every figure: at most 2.70 (light p50), " +
    "median of paired rounds",
  ], "at half the bound the harness judges, and its trail counts");
  const chatbenchFloor = judgeTargets(
    pass((inputs) => {
      inputs.crossChecks.find((c) => c.server === "ceiling")!.result!.p50Ms = 0.06;
      inputs.crossChecks[0].result!.p50Ms = 0.12;
    }),
    true,
  );
  assert.deepEqual(failing(chatbenchFloor), []);
  assert.deepEqual(
    chatbenchFloor.filter((v) => v.pass === null).map((v) => `${v.server}: ${v.measured}`),
    [
      "threaded: 0.12 ms by chatbench (the C ceiling 0.06 ms: its floor, not judged)",
      "select: 0.09 ms by chatbench (the C ceiling 0.06 ms: its floor, not judged)",
    ],
    "the rule is the tool's, whichever tool it is",
  );
});

Deno.test("judgeTargets() behaviour with a round that is not the row", () => {
  const late = judgeTargets(
    pass((inputs) => inputs.records.find((r) => r.run === "light")!.rounds![2].startupMs = 153),
    true,
  );
  assert.deepEqual(failing(late), [
    "threaded: every start-up <= 150 ms: 90-153 ms over 6 launches",
  ], "a slow launch counts though its round is not the median");
  const lossy = judgeTargets(
    pass((inputs) => inputs.records.find((r) => r.run === "light")!.rounds![1].lost = 3),
    true,
  );
  assert.deepEqual(failing(lossy), ["threaded: every run completes and loses nothing: 3 lost"]);
});

Deno.test("judgeTargets() behaviour with runs left out, no ceiling, and --quick", () => {
  const lightOnly = judgeTargets(
    pass((inputs) => {
      inputs.records = inputs.records.filter((r) => r.run === "light" && r.server === "threaded");
      inputs.crossChecks = [];
      inputs.floods = [];
      inputs.comparisons = [];
    }),
    true,
  );
  assert.deepEqual(
    lightOnly.filter((v) => v.pass === null).map((v) => `${v.target}: ${v.measured}`),
    [
      "burst >= 0.8x the ceiling's deliveries/s: not measured",
      "steady p99 <= 10 ms: not measured",
      "RSS with 5000 members <= 100 MiB: not measured",
      "others' p99 under a flood <= 2x without: not measured",
    ],
  );
  assert.ok(lightOnly.every((v) => v.server === "threaded"), "select did not run: no verdicts");
  const noCeiling = judgeTargets(
    pass((inputs) => inputs.records = inputs.records.filter((r) => r.server !== "ceiling")),
    true,
  );
  assert.deepEqual(
    noCeiling.filter((v) => v.pass === null).map((v) => v.measured),
    ["no ceiling_server in this pass", "no ceiling_server in this pass"],
  );
  const quick = judgeTargets(pass((inputs) => inputs.floods[0] = flood("threaded", 3)), false);
  assert.ok(quick.every((v) => v.pass === null), "nothing is judged at --quick sizes");
});

Deno.test("summarizeTargets() behaviour with met, missed and unjudged targets", () => {
  const all = summarizeTargets(judgeTargets(pass(), true));
  assert.deepEqual(all.map((s) => [s.server, s.met.length, s.missed, s.notJudged]), [
    ["threaded", 7, [], []],
    ["select", 8, [], []],
  ], "a target judged by two tools counts once");
  const mixed = summarizeTargets(judgeTargets(
    pass((inputs) => {
      // Steady misses by the harness alone; light by chatbench is past its floor, and the
      // harness's light verdict is the only one left.
      inputs.records.find((r) => r.run === "steady" && r.server === "threaded")!.load!.latencyMs
        .p99 = 10.5;
      inputs.crossChecks.find((c) => c.server === "ceiling")!.result!.p50Ms = 0.06;
      inputs.records.find((r) => r.run === "light" && r.server === "ceiling")!.load!.latencyMs
        .p50 = 0.11;
    }),
    true,
  ));
  assert.deepEqual(mixed[0], {
    server: "threaded",
    met: [
      "every run completes and loses nothing",
      "burst >= 0.8x the ceiling's deliveries/s",
      "RSS with 5000 members <= 100 MiB",
      "others' p99 under a flood <= 2x without",
      "every start-up <= 150 ms",
    ],
    missed: ["steady p99 <= 10 ms"],
    notJudged: ["light p50 <= 0.1 ms"],
  }, "one failing tool misses the target; no tool that can judge it leaves it unjudged");
  const harnessOnly = summarizeTargets(judgeTargets(
    pass((inputs) => inputs.crossChecks.find((c) => c.server === "ceiling")!.result!.p50Ms = 0.06),
    true,
  ));
  assert.ok(
    harnessOnly[0].met.includes("light p50 <= 0.1 ms"),
    "a target one tool judged stays met when the next could not judge it",
  );
  const quick = summarizeTargets(judgeTargets(pass(), false));
  assert.deepEqual(quick.map((s) => s.met.length + s.missed.length), [0, 0]);
});

Deno.test("judgeTargets() behaviour with a chatbench check that failed", () => {
  // select's steady check lost its server in the third round: two rounds gave a median.
  const steadyFailed = pass((inputs) => {
    inputs.crossChecks[3].error = "Chatbench did not finish within 35000 ms";
  });
  assert.deepEqual(failing(judgeTargets(steadyFailed, true)), [
    "select: every run completes and loses nothing: 0 lost; failed: steady by chatbench",
    "select: steady p99 <= 10 ms: not measured by chatbench: its check failed",
  ]);
  // The C ceiling's light check failed: chatbench's floor is unknown, so it does not judge.
  const ceilingFailed = pass((inputs) => {
    const ceiling = inputs.crossChecks[4];
    ceiling.result = null;
    ceiling.error = "Chatbench received no deliveries";
    inputs.crossChecks[0].result!.p50Ms = 0.3; // threaded would miss, were it judged
  });
  const verdicts = judgeTargets(ceilingFailed, true);
  assert.deepEqual(failing(verdicts), [], "a peer's failure is not ours");
  assert.deepEqual(
    verdicts.filter((v) => v.server === "threaded" && v.measured.includes("by chatbench"))
      .map((v) => [v.measured, v.pass]),
    [
      ["3.0 ms by chatbench", true],
      ["0.30 ms by chatbench (the C ceiling gave no figure: its floor unknown)", null],
    ],
  );
});
