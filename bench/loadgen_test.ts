import assert from "node:assert/strict";
import { startSelectServer } from "../select_server.ts";
import { startServer } from "../server.ts";
import { runLoad } from "./loadgen.ts";

const quiet = { hostname: "127.0.0.1", port: 0, log: () => {} };
const load = { members: 3, messages: 20, rate: 0, holdMs: 50, drainMs: 2000 };

Deno.test("runLoad() counts every delivery, and times echoes apart from deliveries", async () => {
  const select = startSelectServer(quiet);
  try {
    const result = await runLoad({ ...load, port: select.addr.port, idMode: "noid" });
    assert.equal(result.deliveries, 3 * 20 * 2);
    assert.equal(result.lost, 0);
    assert.equal(result.echoedToSelf, 3 * 20, "the select server echoes every line");
    assert.ok(result.echoLatencyMs !== null && result.echoLatencyMs.p50 > 0);
    assert.ok(result.latencyMs.p50 > 0);
  } finally {
    await select.shutdown();
  }

  const threaded = startServer(quiet);
  try {
    const result = await runLoad({ ...load, port: threaded.addr.port, idMode: "id" });
    assert.equal(result.lost, 0);
    assert.equal(result.echoedToSelf, 0);
    assert.equal(result.echoLatencyMs, null, "no echoes, no echo latency");
  } finally {
    await threaded.shutdown();
  }
});
