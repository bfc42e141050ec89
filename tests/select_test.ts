/**
 * select_server.ts and select_client.ts: the report's select pair.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { startSelectServer } from "../select_server.ts";
import { DEFAULT_SMALL_ROOM_MEMBERS } from "../lib/room.ts";
import { type ServerOptions } from "../lib/server_options.ts";
import { withServer as withFlavorServer } from "./flavors.ts";
import { LineClient } from "./line_client.ts";
import { Script } from "./script.ts";
import { sleep, within } from "../lib/deadlines.ts";

const withServer = (
  body: (port: number, log: string[]) => Promise<void>,
  options?: Partial<ServerOptions>,
) => withFlavorServer(startSelectServer, body, options);

const name = (client: LineClient) => `127.0.0.1:${client.conn.localAddr.port}`;
const pair = (client: LineClient) => `127.0.0.1, ${client.conn.localAddr.port}`;

/** Connects `count` members, each waiting for its own entered-room notice. */
async function connectAll(port: number, count: number): Promise<LineClient[]> {
  const clients: LineClient[] = [];
  for (let i = 0; i < count; i++) {
    const client = await LineClient.connect(port);
    await client.expect(`Client (${name(client)}) entered room`);
    clients.push(client);
  }
  return clients;
}

Deno.test("startSelectServer() announces, echoes and names members by address", async () => {
  await withServer(async (port, log) => {
    const [a, b, c] = await connectAll(port, 3);
    await a.expect(`Client (${name(b)}) entered room`);
    await a.expect(`Client (${name(c)}) entered room`);
    await b.expect(`Client (${name(c)}) entered room`);
    await b.send("hello 안녕");
    for (const client of [a, b, c]) await client.expect(`[${name(b)}] : hello 안녕`);
    await c.close();
    await a.expect(`Client (${pair(c)}) is offline`);
    await b.expect(`Client (${pair(c)}) is offline`);
    await a.send("still here");
    await b.expect(`[${name(a)}] : still here`);
    assert.deepEqual(log.slice(0, 2), [`Listening on 127.0.0.1:${port}...`, "Server started!"]);
    assert.ok(log.includes(`Client (${pair(a)}) connected`));
    assert.ok(log.includes(`[${name(b)}] : hello 안녕`));
    assert.ok(log.includes(`Client (${pair(c)}) disconnected.`));
    await Promise.all([a.close(), b.close()]);
  });
});

Deno.test("startSelectServer() stamps each line once, however the reads fall", async () => {
  await withServer(async (port) => {
    const [a, b] = await connectAll(port, 2);
    await a.sendRaw("one\ntwo\nthr");
    await a.sendRaw("ee\n");
    for (const text of ["one", "two", "three"]) await b.expect(`[${name(a)}] : ${text}`);
    const lines = Array.from({ length: 1000 }, (_, i) => `bulk ${i}`);
    await a.sendRaw(lines.join("\n") + "\n");
    await b.expect(`[${name(a)}] : bulk 999`);
    assert.equal(b.lines.filter((line) => line.includes(" : bulk ")).length, 1000);
    await Promise.all([a.close(), b.close()]);
  });
});

Deno.test("startSelectServer() refuses the connection over --max-clients, room unaffected", async () => {
  await withServer(async (port, log) => {
    const [a, b] = await connectAll(port, 2);
    const extra = await LineClient.connect(port);
    assert.match(await extra.expect(/^Error:/), /^Error: Server is full: 2 of 2 places are taken$/);
    await extra.expectClose();
    await extra.close();
    assert.ok(log.some((line) => /^Refused \(127\.0\.0\.1, \d+\): Server is full/.test(line)));
    await b.close();
    await a.expect(`Client (${pair(b)}) is offline`);
    const again = await LineClient.connect(port);
    await again.expect(`Client (${name(again)}) entered room`);
    assert.ok(!a.lines.some((line) => line.includes(name(extra))), "nobody saw the refused one");
    await Promise.all([a.close(), again.close()]);
  }, { maxClients: 2 });
});

/** A connection from a chosen local port, which `Deno.connect` cannot choose, with its lines. */
async function connectFrom(port: number, localPort: number) {
  const socket = net.connect({ host: "127.0.0.1", port, localPort });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => {}); // a reset, ours: "close" follows
  let text = "";
  const arrived = new EventTarget();
  socket.on("data", (data) => {
    text += data.toString();
    arrived.dispatchEvent(new Event("data"));
  });
  await new Promise((resolve) => socket.once("connect", resolve));
  /** Resolves with the first line matching `pattern`; throws after 10 s without one. */
  async function expect(pattern: RegExp): Promise<string> {
    const deadline = performance.now() + 10_000;
    for (;;) {
      const line = text.split("\n").slice(0, -1).find((line) => pattern.test(line));
      if (line !== undefined) return line;
      const data = new Promise((resolve) =>
        arrived.addEventListener("data", resolve, { once: true })
      );
      if (await within(data, deadline - performance.now()) === undefined) {
        throw new Error(`No line matching ${pattern} in ${JSON.stringify(text)}`);
      }
    }
  }
  return { socket, closed, expect };
}

Deno.test("startSelectServer() refuses a newcomer whose address is still a member's", async () => {
  // A connection's end is read only when its reads go on: here they wait on the rate limit.
  // A newcomer from the same ip:port (the port free again after a reset) must be told, not
  // left outside the room unknowing.
  await withServer(async (port, log) => {
    const [watcher] = await connectAll(port, 1);
    const localPort = (() => {
      using free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      return free.addr.port;
    })();
    const gone = await connectFrom(port, localPort);
    await gone.expect(/entered room$/);
    gone.socket.write("one\ntwo\n"); // "two" waits a second for the rate limit
    await watcher.expect(`[127.0.0.1:${localPort}] : one`);
    gone.socket.resetAndDestroy();
    await gone.closed;
    const again = await connectFrom(port, localPort);
    using _ = { [Symbol.dispose]: () => again.socket.destroy() }; // should the assertions fail
    assert.equal(
      await again.expect(/^Error:/),
      `Error: Address 127.0.0.1:${localPort} is still in the room: its last connection has not closed yet`,
    );
    await again.closed;
    assert.ok(log.some((line) => line.startsWith(`Refused (127.0.0.1, ${localPort}): Address`)));
    await watcher.close();
  }, { rateLimit: 1, rateBurst: 1 });
});

/** CPU time (user + system) of a process, in seconds, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  // Through cat: Deno asks for --allow-all to read /proc directly.
  const { stdout } = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
  const stat = new TextDecoder().decode(stdout);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

Deno.test("startSelectServer() echoes a line to a sender that closed its side right after it", async () => {
  // As `echo hi | nc -N` does: the copy, sent a millisecond later in a small room and at the end
  // of the turn in a big one, must not be dropped.
  for (const watchers of [1, DEFAULT_SMALL_ROOM_MEMBERS + 1]) {
    await withServer(async (port) => {
      const [watcher, ...others] = await connectAll(port, watchers);
      for (let i = 0; i < 5; i++) {
        const [sender] = await connectAll(port, 1);
        await sender.send(`last words ${i}`);
        await sender.conn.closeWrite();
        const lines = await sender.expectClose();
        const text = `[${name(sender)}] : last words ${i}`;
        assert.ok(lines.includes(text), `${watchers} watching: ${lines.join("\n")}`);
        await watcher.expect(text);
        await sender.close();
      }
      await Promise.all([watcher, ...others].map((client) => client.close()));
    });
  }
});

Deno.test("startSelectServer() echoes a sender's last line before its /quit, and reads no more", async () => {
  // `printf 'hello\nquit\n' | nc`: the copy, a millisecond late in a small room and at the end
  // of the turn in a big one, must not be dropped by the quit read with it.
  for (const watchers of [1, DEFAULT_SMALL_ROOM_MEMBERS + 1]) {
    await withServer(async (port) => {
      const [watcher, ...others] = await connectAll(port, watchers);
      for (let i = 0; i < 3; i++) {
        const [sender] = await connectAll(port, 1);
        await sender.sendRaw(`last words ${i}\n/quit bye\nafter the quit\n`);
        const lines = await sender.expectClose();
        const text = `[${name(sender)}] : last words ${i}`;
        assert.ok(lines.includes(text), `${watchers} watching: ${lines.join("\n")}`);
        await watcher.expect(`Client (${pair(sender)}) is offline (bye)`);
        assert.ok(watcher.lines.includes(text));
        assert.ok(!watcher.lines.some((line) => line.includes("after the quit")));
        await sender.close();
      }
      await Promise.all([watcher, ...others].map((client) => client.close()));
    });
  }
});

Deno.test("select_server.ts neither spins nor stalls after a member closes cleanly", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const server = Script.start("select_server.ts", [String(port), "--host", "127.0.0.1"]);
  await server.expect("Server started!");
  const [a, b, c] = await connectAll(port, 3);
  await c.sendRaw("bye\n");
  await c.close(); // a clean FIN, which the report's loop spun on
  await a.expect(`Client (${pair(c)}) is offline`);
  await a.send("after");
  await b.expect(`[${name(a)}] : after`);
  // Measure the server's CPU over an idle second: a spinning loop would use all of it.
  const before = await cpuSeconds(server.process.pid);
  const started = performance.now();
  await sleep(1000);
  const used = (await cpuSeconds(server.process.pid)) - before;
  const elapsed = (performance.now() - started) / 1000;
  assert.ok(used < 0.2 * elapsed, `server used ${used} s of CPU in ${elapsed} s idle`);
  await b.send("still serving");
  await a.expect(`[${name(b)}] : still serving`);
  server.process.kill("SIGTERM");
  assert.equal((await server.exit()).code, 0);
  await Promise.all([a.close(), b.close()]);
});

Deno.test("select_server.ts starts without asking when stdin is not a terminal", async () => {
  const server = Script.start("select_server.ts", ["0", "--host", "127.0.0.1"]);
  await server.expect("Server started!");
  assert.ok(!server.stdout.some((line) => line.includes("client 개수")));
  server.process.kill("SIGINT");
  assert.equal((await server.exit()).code, 0);
  assert.equal(server.stdout.at(-1), "Shutting down on SIGINT");
});

Deno.test("select_client.ts sends, shows the echo, and does not erase on a pipe", async () => {
  await withServer(async (port) => {
    const [watcher] = await connectAll(port, 1);
    const client = Script.start("select_client.ts", ["127.0.0.1", String(port)]);
    await client.expect("Connected to remote host. Start sending message");
    const entered = await watcher.expect(/entered room$/);
    const clientName = entered.slice("Client (".length, -") entered room".length);
    await client.write("hi from select 안녕\n");
    await client.expect(`[${clientName}] : hi from select 안녕`);
    await watcher.expect(`[${clientName}] : hi from select 안녕`);
    const { code, stdout } = await client.exit(); // Ctrl-D
    assert.equal(code, 0);
    assert.ok(stdout.every((line) => !line.includes("\x1b")), "no escape codes on a pipe");
    await watcher.expect(/is offline$/);
    await watcher.close();
  });
});

Deno.test("select_client.ts exits 1 at once when the server goes away, 0 on SIGINT", async () => {
  const server = startSelectServer({ hostname: "127.0.0.1", port: 0, log: () => {} });
  const port = String(server.addr.port);
  const [watcher] = await connectAll(server.addr.port, 1);
  const calm = Script.start("select_client.ts", ["127.0.0.1", port]);
  await calm.expect("Connected to remote host. Start sending message");
  await watcher.expect(/entered room$/);
  calm.process.kill("SIGINT");
  const left = await calm.exitOnItsOwn();
  assert.equal(left.code, 0);
  await watcher.expect(/is offline$/);

  const client = Script.start("select_client.ts", ["127.0.0.1", port]);
  await client.expect("Connected to remote host. Start sending message");
  await watcher.expect(/entered room$/);
  await server.shutdown();
  const { code, stdout } = await client.exitOnItsOwn(); // stdin still open
  assert.equal(code, 1);
  assert.deepEqual(stdout.slice(-2), ["Server: shutting down", "Disconnected from chat server"]);
  await watcher.close();
});

Deno.test("select_client.ts and select_server.ts answer bad arguments with status 2", async () => {
  for (
    const [script, args] of [
      ["select_client.ts", ["127.0.0.1"]],
      ["select_client.ts", ["127.0.0.1", "http"]],
      ["select_server.ts", ["1", "2"]],
      ["select_server.ts", ["--max-clients", "0"]],
      ["select_server.ts", ["--slow-timeout", "2147483648"]],
    ] as const
  ) {
    const { code, stderr } = await Script.start(script, [...args]).exit();
    assert.equal(code, 2, `${script} ${args.join(" ")}`);
    assert.ok(stderr.some((line) => line.startsWith("Usage: ")));
  }
  const { code, stderr } = await Script.start("select_client.ts", ["127.0.0.1", "1"]).exit();
  assert.equal(code, 1);
  assert.deepEqual(stderr, ["Error: Connection refused by 127.0.0.1:1"]);
});

Deno.test("select_client.ts and client.ts give up on a connect that hangs", async () => {
  // A listener that never accepts: once its backlog is full, a connect hangs.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const filler: Deno.Conn[] = [];
  while (true) {
    try {
      filler.push(
        await Deno.connect({ hostname: "127.0.0.1", port, signal: AbortSignal.timeout(200) }),
      );
    } catch (error) {
      if (!(error instanceof DOMException && error.name === "TimeoutError")) throw error;
      break; // the backlog is full
    }
  }
  for (const [script, args] of [["select_client.ts", []], ["client.ts", ["bob"]]] as const) {
    const run = Script.start(script, [
      "--connect-timeout",
      "300",
      "127.0.0.1",
      String(port),
      ...args,
    ]);
    const { code, stderr } = await run.exit();
    assert.equal(code, 1);
    assert.deepEqual(stderr, [`Error: Timed out after 300 ms connecting to 127.0.0.1:${port}`]);
  }
  listener.close();
  for (const conn of filler) conn.close();
});
