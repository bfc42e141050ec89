import assert from "node:assert/strict";
import { medianOfRuns, parseChatbench, runChatbench } from "./chatbench.ts";

Deno.test("parseChatbench() reads chatbench's summary lines", () => {
  const output = [
    "connected=2",
    "clients=2 senders=2 msgs/sender=1000 size=64 rate=200 connect_s=0.001",
    "deliveries=2000 expected=2000 lost=0 echoed_to_self=0",
    "seconds=10.0 deliveries_per_s=200 msgs_in_per_s=200",
    "latency_ms p50=0.07 p90=0.18 p99=0.84 max=1.99",
  ].join("\n");
  assert.deepEqual(parseChatbench(output), {
    deliveries: 2000,
    lost: 0,
    p50Ms: 0.07,
    p90Ms: 0.18,
    p99Ms: 0.84,
  });
});

Deno.test("parseChatbench() gives null when the summary is cut short", () => {
  assert.equal(parseChatbench("connected=2\nsend failed at client 1\n"), null);
  assert.equal(parseChatbench("deliveries=5 expected=9 lost=4\n"), null);
});

Deno.test("medianOfRuns() takes each percentile's median and sums the counts", () => {
  const run = (p50Ms: number, p99Ms: number, lost = 0) => ({
    deliveries: 100,
    lost,
    p50Ms,
    p90Ms: p50Ms * 2,
    p99Ms,
  });
  assert.deepEqual(medianOfRuns([run(0.09, 0.8), run(0.3, 0.7, 2), run(0.1, 3)]), {
    deliveries: 300,
    lost: 2,
    p50Ms: 0.1,
    p90Ms: 0.2,
    p99Ms: 0.8,
  });
  assert.equal(medianOfRuns([run(0.1, 1), run(0.2, 2)]).p50Ms.toFixed(2), "0.15");
  assert.throws(() => medianOfRuns([]), /no runs/);
});

/** Runs `body` with a stand-in for the chatbench binary: a shell script of `lines`. */
async function withFakeChatbench(
  lines: string[],
  body: (binary: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "groupchat_chatbench_" });
  const binary = `${dir}/chatbench`;
  await Deno.writeTextFile(binary, ["#!/bin/sh", ...lines, ""].join("\n"), { mode: 0o755 });
  try {
    await body(binary);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A light run's options; the fake binaries ignore them. */
const LIGHT = {
  port: 9,
  members: 2,
  messages: 1,
  rate: 1,
  size: 64,
  idMode: "id",
  drainMs: 0,
} as const;

Deno.test("runChatbench() stops a chatbench that does not finish in time, and fails", async () => {
  // chatbench waits forever on a server that dies with members connected; this one just waits.
  await withFakeChatbench(["exec sleep 60"], async (binary) => {
    await assert.rejects(
      runChatbench(binary, { ...LIGHT, timeoutMs: 200 }),
      /^Error: Chatbench did not finish within 200 ms \(stopped by SIGTERM\)$/,
    );
  });
});

Deno.test("runChatbench() fails a run that received nothing, whose percentiles read 0", async () => {
  // What chatbench prints against a server that accepts its members and relays nothing.
  const summary = "deliveries=0 expected=2 lost=2 echoed_to_self=0\\n" +
    "latency_ms p50=0.00 p90=0.00 p99=0.00 max=0.00";
  await withFakeChatbench([`printf '${summary}\\n'`], async (binary) => {
    await assert.rejects(
      runChatbench(binary, LIGHT),
      /^Error: Chatbench received no deliveries from the server on port 9$/,
    );
  });
});
