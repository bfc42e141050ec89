import assert from "node:assert/strict";
import { startSelectServer } from "../select_server.ts";
import { startServer } from "../server.ts";
import { isDisconnect } from "../lib/errors.ts";
import { writeAll } from "../lib/write_all.ts";
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

/** Where a test relay sends one line it read, and as what. */
type Route = (line: string, from: Deno.TcpConn, conns: Set<Deno.TcpConn>) => {
  to: Iterable<Deno.TcpConn>;
  text: string;
};

/** A line-based relay whose `route` decides, line by line, who gets what. */
function relay(route: Route): { port: number; close(): Promise<void> } {
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
          const { to, text } = route(line, conn, conns);
          for (const other of to) await writeAll(other, encoder.encode(text));
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

const others = (from: Deno.TcpConn, conns: Set<Deno.TcpConn>) =>
  [...conns].filter((other) => other !== from);

/**
 * A relay that gives the flooders' lines back to their sender only: lines naming a sender of
 * `senders` or more go back where they came from, all else goes to the others.
 */
function floodEchoingRelay(senders: number): { port: number; close(): Promise<void> } {
  return relay((line, from, conns) => {
    const sender = Number(/#m (\d+) /.exec(line)?.[1] ?? -1);
    return { to: sender >= senders ? [from] : others(from, conns), text: line + "\n" };
  });
}

/**
 * Prefixes a server might put before a line, notices between lines, and markers that are not
 * one (`#s ` is the harness's barrier; `#m` without numbers is nothing).
 */
const PREFIXES = ["", "[u1] ", "[127.0.0.1:54321] : ", "#x ", "a#b#mx ", "#s-ish "];
const NOTICES = ["", "Client (#m) entered room\n", "#m x y z\n", "# \n", "#\n"];

Deno.test("runLoad() finds each line's end across reads, whatever the server adds", async () => {
  let count = 0;
  const noisy = relay((line, from, conns) => {
    count++;
    const prefix = PREFIXES[count % PREFIXES.length];
    const notice = NOTICES[count % NOTICES.length];
    return { to: others(from, conns), text: `${notice}${prefix}${line}\n` };
  });
  try {
    // Small reads split every line, header and number at every place; reads of 40 bytes or so
    // end after a header and before its newline.
    for (const readBufferBytes of [1, 7, 13, 40, 50, undefined]) {
      const result = await runLoad({ ...load, port: noisy.port, idMode: "noid", readBufferBytes });
      assert.equal(result.deliveries, 3 * 20 * 2, `reads of ${readBufferBytes} bytes`);
      assert.equal(result.lost, 0);
    }
  } finally {
    await noisy.close();
  }
});

Deno.test("runLoad() finds the end of lines other than the size it sent", async () => {
  let count = 0;
  // Every other line loses its padding, so its newline is not where the size puts it.
  const trimming = relay((line, from, conns) => {
    const text = count++ % 2 === 0 ? line.replace(/x+$/, "x") : line;
    return { to: others(from, conns), text: `[u${count % 3}] ${text}\n` };
  });
  try {
    for (const readBufferBytes of [7, 40, undefined]) {
      const result = await runLoad({
        ...load,
        port: trimming.port,
        idMode: "noid",
        readBufferBytes,
      });
      assert.equal(result.deliveries, 3 * 20 * 2, `reads of ${readBufferBytes} bytes`);
      assert.equal(result.lost, 0);
    }
    // Lines whose header alone is longer than `size` have no padding at all.
    const result = await runLoad({ ...load, port: trimming.port, idMode: "noid", size: 8 });
    assert.equal(result.deliveries, 3 * 20 * 2, "unpadded lines");
  } finally {
    await trimming.close();
  }
});

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
    assert.equal(result.deliveries, 2 * 10, "each sender's lines to the other sender");
    assert.equal(result.deliveriesToFlooders, 2 * 10, "and to the flooder, counted apart");
    assert.ok(result.echoedToSelf > 0, "the flooder got its lines back");
    assert.equal(result.echoLatencyMs, null, "no sender got an echo, so none is timed");
  } finally {
    await relay.close();
  }
});

Deno.test("runLoad() counts what the flooder misses apart from the others' losses", async () => {
  // A relay that sends the flooder (member 2) nothing, as a server that closed it would.
  const flooders = new Set<Deno.TcpConn>();
  const starving = relay((line, from, conns) => {
    if (/#m 2 /.test(line)) flooders.add(from);
    return { to: others(from, conns).filter((to) => !flooders.has(to)), text: line + "\n" };
  });
  try {
    const result = await runLoad({
      ...load,
      port: starving.port,
      idMode: "noid",
      senders: 2,
      flooders: 1,
      messages: 10,
    });
    assert.equal(result.expected, 2 * 10, "the senders' lines to each other");
    assert.equal(result.lost, 0, "the others lost nothing");
    assert.equal(result.deliveriesToFlooders, 0);
  } finally {
    await starving.close();
  }
});

Deno.test("runLoad() does not let a duplicated line make up for a lost one", async () => {
  let count = 0;
  // The fifth line relayed goes out twice, the sixth not at all.
  const faulty = relay((line, from, conns) => {
    count++;
    const copies = count === 5 ? 2 : count === 6 ? 0 : 1;
    return { to: copies === 0 ? [] : others(from, conns), text: `${line}\n`.repeat(copies) };
  });
  try {
    const result = await runLoad({ ...load, members: 2, port: faulty.port, idMode: "noid" });
    assert.equal(result.expected, 2 * 20);
    assert.equal(result.lost, 1);
    assert.equal(result.duplicates, 1);
    assert.equal(result.deliveries, 2 * 20 - 1);
  } finally {
    await faulty.close();
  }
});
