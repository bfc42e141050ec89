import assert from "node:assert/strict";
import { parseChatbench } from "./chatbench.ts";

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
