import assert from "node:assert/strict";
import { startSelectServer } from "../select_server.ts";
import { startServer } from "../server.ts";
import { isDisconnect } from "../lib/errors.ts";
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

/**
 * A relay that gives the flooders' lines back to their sender only: lines naming a sender of
 * `senders` or more go back where they came from, all else goes to the others.
 */
function floodEchoingRelay(senders: number): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.TcpConn>();
  const tasks: Promise<void>[] = [];
  const serve = async (conn: Deno.TcpConn) => {
    conns.add(conn);
    let pending = "";
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    try {
      for await (const chunk of conn.readable) {
        const lines = (pending + decoder.decode(chunk, { stream: true })).split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          const sender = Number(/#m (\d+) /.exec(line)?.[1] ?? -1);
          const to = sender >= senders ? [conn] : [...conns].filter((other) => other !== conn);
          for (const other of to) await other.write(encoder.encode(line + "\n"));
        }
      }
    } catch (error) {
      if (!isDisconnect(error)) throw error; // closed by close() below, or by the peer
    } finally {
      conns.delete(conn);
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) tasks.push(serve(conn));
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of conns) conn.close();
      await Promise.all(tasks);
    },
  };
}

Deno.test("runLoad() counts a flooder's echoes but times only the senders'", async () => {
  const relay = floodEchoingRelay(2);
  try {
    const result = await runLoad({
      ...load,
      port: relay.port,
      idMode: "noid",
      senders: 2,
      flooders: 1,
      messages: 10,
    });
    assert.equal(result.lost, 0);
    assert.ok(result.echoedToSelf > 0, "the flooder got its lines back");
    assert.equal(result.echoLatencyMs, null, "no sender got an echo, so none is timed");
  } finally {
    await relay.close();
  }
});
