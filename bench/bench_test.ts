import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const BENCH = fileURLToPath(new URL("./bench.ts", import.meta.url));
const LOADGEN = fileURLToPath(new URL("./loadgen.ts", import.meta.url));
const COMPILE = fileURLToPath(new URL("../scripts/compile.ts", import.meta.url));

interface LightRecord {
  server: string;
  ok: boolean;
  spec: { members: number; senders: number; messages: number; warmUpMessages: number };
  warmUpDeliveries: number | null;
  load: { deliveries: number; expected: number; lost: number };
}

Deno.test("bench.ts light: a Deno server is warmed up first, and a partial pass keeps the committed results", async () => {
  const committed = new URL("./results/results.json", import.meta.url);
  const before = await Deno.readTextFile(committed);
  const args = ["--quick", "--scenario", "light", "--server", "threaded"]; // and no --out
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BENCH, ...args],
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  const output = decoder.decode(stdout);
  assert.equal(code, 0, output + decoder.decode(stderr));
  const out = /^wrote (.*)\/results\.json and /m.exec(output)?.[1];
  assert.ok(out !== undefined, output);
  // Checked before the clean-up below, which must never remove the committed results.
  const home = await Deno.realPath(new URL("./results", import.meta.url));
  assert.notEqual(await Deno.realPath(out), home, "a partial pass wrote to bench/results");
  try {
    assert.equal(await Deno.readTextFile(committed), before, "the committed results are kept");

    const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
    const light = (results.runs as LightRecord[]).find((run) => run.server === "threaded");
    assert.ok(light?.ok, "the light run completed");
    const { members, senders, messages, warmUpMessages } = light.spec;
    assert.ok(warmUpMessages > 0, "the light run asks for a warm-up");
    const perMessage = senders * (members - 1);
    assert.equal(light.warmUpDeliveries, warmUpMessages * perMessage, "the warm-up ran in full");
    assert.equal(light.load.expected, messages * perMessage);
    assert.equal(light.load.deliveries, light.load.expected, "only the measured lines counted");
    assert.equal(light.load.lost, 0);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("bench.ts, loadgen.ts, compile.ts: a wrong argument is quoted, with the usage, exit 2", async () => {
  const cases: [script: string, args: string[], message: string][] = [
    [BENCH, ["--scenario", "burst,storm"], 'Unknown scenario "storm": expected one of burst,'],
    [BENCH, ["--server", "nginx"], 'Unknown server "nginx": expected one of threaded,'],
    [BENCH, ["--bogus"], 'Unknown option "--bogus"'],
    [LOADGEN, ["--members", "5"], 'Option "--port" is required'],
    [LOADGEN, ["--port", "0"], 'Invalid port "0": expected a whole number from 1 to 65535'],
    [LOADGEN, ["--port", "1", "--rate", "fast"], 'Invalid --rate "fast": expected a whole number'],
    [COMPILE, ["dist"], 'Unexpected argument "dist"'],
  ];
  const decoder = new TextDecoder();
  for (const [script, args, message] of cases) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...args],
      stdin: "null",
    }).output();
    const [first, usage] = decoder.decode(stderr).split("\n");
    assert.ok(first.startsWith(message), `${args.join(" ")}: ${first}`);
    assert.match(usage, /^Usage: /);
    assert.equal(code, 2);
    assert.equal(decoder.decode(stdout), "", "nothing ran");
  }
});
