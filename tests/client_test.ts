/**
 * client.ts and server.ts as real subprocesses: the way users run them.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { ID_PROMPT, startServer, type ThreadedServerOptions } from "../server.ts";
import { startSelectServer } from "../select_server.ts";
import { withServer as withFlavorServer } from "./flavors.ts";
import { LineClient, WAIT_MS } from "./line_client.ts";
import { Script } from "./script.ts";
import { RESET_LEAVE, UNCONFIRMED_LEAVE } from "../lib/leaving.ts";
import { writeAll } from "../lib/write_all.ts";
import { quote } from "../lib/sanitize.ts";
import { within } from "../lib/deadlines.ts";
import {
  CLIENT_MAX_LINE_BYTES,
  INPUT_LINE_TOO_LONG,
  SERVER_LINE_TOO_LONG,
} from "../lib/text_lines.ts";

const encoder = new TextEncoder();
/** What the threaded server says first to a member it let in. */
const WELCOME = "Server: welcome bob; 1 here: bob; /help lists the commands\n";

/** The next connection to `listener`, a stand-in server; fails after {@linkcode WAIT_MS}. */
async function acceptWithin(listener: Deno.TcpListener): Promise<Deno.TcpConn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("No connection came")), WAIT_MS);
  });
  try {
    return await Promise.race([listener.accept(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long piped input may go untaken before a client counts as stuck on a full socket, in ms. */
const STALL_MS = 500;
/** The most input fed to a client while waiting for it to get stuck. */
const MAX_FEED_BYTES = 1024 * 1024 * 1024;

/**
 * Pipes lines into `client` until it stops taking them: it is stuck writing to a server that does
 * not read, its socket full. No event says a socket is full; input left untaken for
 * {@linkcode STALL_MS} is the sign, and a false one makes a test weaker, never flaky. The write
 * left pending ends when the client exits.
 */
async function feedUntilStuck(client: Script): Promise<void> {
  const chunk = ("x".repeat(1023) + "\n").repeat(64);
  for (let fed = 0; fed < MAX_FEED_BYTES; fed += chunk.length) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), STALL_MS);
    });
    const taken = client.write(chunk).then(() => true, (error) => {
      if (!(error instanceof TypeError || error instanceof Deno.errors.BrokenPipe)) throw error;
      return true; // it exited
    });
    const tookIt = await Promise.race([taken, stalled]);
    clearTimeout(timer);
    if (!tookIt) return;
  }
  throw new Error(`The client took ${MAX_FEED_BYTES} bytes of input without getting stuck`);
}

/** Waits for `script` to exit; kills it and fails if it has not within {@linkcode WAIT_MS}. */
async function exitWithin(script: Script): Promise<{ code: number; stdout: string[] }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), WAIT_MS);
  });
  const ended = await Promise.race([script.status, timeout]);
  clearTimeout(timer);
  if (ended === "hung") {
    script.process.kill("SIGKILL");
    await script.exitOnItsOwn();
    throw new Error(`Still running ${WAIT_MS} ms later; stdout: ${JSON.stringify(script.stdout)}`);
  }
  return await script.exitOnItsOwn();
}

/** Reads `conn` until the peer closes it; returns what it sent. */
async function readToEnd(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  while (true) {
    const count = await conn.read(buffer);
    if (count === null) return text + decoder.decode();
    text += decoder.decode(buffer.subarray(0, count), { stream: true });
  }
}

/**
 * A stand-in server whose connection ends in a reset, as a server's does that crashed or closed
 * with our lines unread. Deno's `close()` sends its FIN first, which a reader takes for a proper
 * close; node:net's `resetAndDestroy()` sends the reset alone.
 */
class ResettingServer {
  readonly port: number;
  #server: net.Server;
  #socket: Promise<net.Socket>;
  #received = "";
  #ended: Promise<void>;

  private constructor(server: net.Server, socket: Promise<net.Socket>) {
    this.#server = server;
    this.#socket = socket;
    this.port = (server.address() as net.AddressInfo).port;
    this.#ended = socket.then((connection) => {
      connection.setEncoding("utf8");
      connection.on("data", (text: string) => this.#received += text);
      return new Promise((resolve) => connection.once("end", resolve));
    });
  }

  /** Listens on a free port, and says `greeting` to the first connection. */
  static async start(greeting: string): Promise<ResettingServer> {
    const accepted = Promise.withResolvers<net.Socket>();
    // Half-open allowed: node:net would otherwise answer the client's FIN with its own.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.write(greeting);
      accepted.resolve(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new ResettingServer(server, accepted.promise);
  }

  /** Resets the connection. */
  async reset(): Promise<void> {
    (await this.#socket).resetAndDestroy();
  }

  /** Resets the connection once the client has closed its side; returns what it sent. */
  async resetAtEnd(): Promise<string> {
    await this.#ended;
    await this.reset();
    return this.#received;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    (await this.#socket).destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

const withServer = (
  body: (port: number, log: string[]) => Promise<void>,
  options?: Partial<ThreadedServerOptions>,
) => withFlavorServer(startServer, body, options);

/** Starts client.ts as `id` and waits until `watcher` sees it enter. */
async function startClient(port: number, id: string, watcher: LineClient): Promise<Script> {
  const client = Script.start("client.ts", ["127.0.0.1", String(port), id]);
  await client.expect("Host connected");
  await watcher.expect(`client${id}- enter`);
  return client;
}

Deno.test("client.ts chats both ways and leaves with quit, exit 0", async () => {
  await withServer(async (port) => {
    const alice = await LineClient.join(port, "alice");
    const bob = await startClient(port, "bob", alice);
    await bob.write("hello 안녕\n");
    assert.equal(await alice.expect(/^\[bob\]/), "[bob]hello 안녕");
    await alice.send("hi \x1b[31mbob");
    assert.equal(await bob.expect(/^\[alice\]/), "[alice]hi ^[[31mbob");
    await bob.write("Quit\n");
    const { code, stdout } = await bob.exitOnItsOwn();
    assert.equal(code, 0);
    assert.equal(stdout.at(-1), "Host Disconnected");
    await alice.expect("clientbob- exit");
    await alice.close();
  });
});

Deno.test("client.ts leaves on Ctrl-D after sending everything piped in", async () => {
  await withServer(async (port) => {
    const alice = await LineClient.join(port, "alice");
    const bot = await startClient(port, "bot", alice);
    await bot.write(Array.from({ length: 200 }, (_, i) => `line ${i}`).join("\n") + "\n");
    const { code, stdout } = await bot.exit();
    assert.equal(code, 0);
    assert.equal(stdout.at(-1), "Host Disconnected");
    for (let i = 0; i < 200; i++) await alice.expect(`[bot]line ${i}`);
    await alice.expect("clientbot- exit");
    await alice.close();
  });
});

Deno.test("client.ts leaves on SIGINT, exit 0", async () => {
  await withServer(async (port) => {
    const alice = await LineClient.join(port, "alice");
    const bob = await startClient(port, "bob", alice);
    bob.process.kill("SIGINT");
    const { code, stdout } = await bob.exitOnItsOwn();
    assert.equal(code, 0);
    assert.equal(stdout.at(-1), "Host Disconnected");
    await alice.expect("clientbob- exit");
    await alice.close();
  });
});

Deno.test("client.ts exits 1 at once when the server goes away", async () => {
  const server = startServer({ hostname: "127.0.0.1", port: 0, log: () => {} });
  const watcher = await LineClient.join(server.addr.port, "watcher");
  const bob = await startClient(server.addr.port, "bob", watcher);
  await server.shutdown();
  // stdin stays open: the client must not wait for a key press.
  const { code, stdout } = await bob.exitOnItsOwn();
  assert.equal(code, 1);
  assert.deepEqual(stdout.slice(-2), ["Server: shutting down", "Host Disconnected"]);
  await watcher.close();
});

Deno.test("client.ts with piped input exits 1 when the server resets the connection", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const bob = Script.start("client.ts", ["127.0.0.1", String(listener.addr.port), "bob"]);
  const conn = await acceptWithin(listener);
  // Lines piped in all along, which this server never reads: closing it resets the connection.
  const piping = (async () => {
    try {
      while (true) await bob.write("typed\n".repeat(1000));
    } catch (error) {
      if (!(error instanceof TypeError || error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  })();
  // A backlog that the client is still printing after the reset, so that a failed send is what
  // tells it first that the server is gone.
  await writeAll(conn, encoder.encode(WELCOME + "[alice]x\n".repeat(200_000)));
  conn.close();
  const { code, stdout } = await bob.exitOnItsOwn();
  await piping;
  assert.equal(code, 1);
  assert.equal(stdout.at(-1), "Host Disconnected");
  assert.ok(stdout.includes("[alice]x"), "what arrived before the reset is shown");
});

for (
  const [script, args, greeting] of [
    ["client.ts", ["bob"], WELCOME],
    ["select_client.ts", [], ""],
  ] as const
) {
  Deno.test(`${script} leaves in bounded time on SIGTERM while its write is stuck`, async () => {
    // A server that has stopped reading, as ours do on purpose for up to --slow-timeout.
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const client = Script.start(script, ["127.0.0.1", String(listener.addr.port), ...args]);
    using conn = await acceptWithin(listener);
    await writeAll(conn, encoder.encode(greeting));
    await feedUntilStuck(client);
    client.process.kill("SIGTERM");
    const { code, stdout } = await exitWithin(client);
    assert.equal(code, 1, "what it could not send is not a clean exit");
    assert.ok(stdout.includes(UNCONFIRMED_LEAVE), stdout.join("\n"));
  });

  Deno.test(`${script} exits 1 when the server does not close after it leaves`, async () => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const client = Script.start(script, ["127.0.0.1", String(listener.addr.port), ...args]);
    using conn = await acceptWithin(listener); // read, but never closed until the test ends
    await writeAll(conn, encoder.encode(greeting));
    await client.write("last words\n");
    await client.closeStdin();
    assert.match(await readToEnd(conn), /^(bob\n)?last words\n/, "everything sent, then FIN");
    const { code, stdout } = await exitWithin(client);
    assert.equal(code, 1);
    assert.ok(stdout.includes(UNCONFIRMED_LEAVE), stdout.join("\n"));
  });

  Deno.test(`${script} exits 1 when the server resets the connection as it leaves`, async () => {
    await using server = await ResettingServer.start(greeting);
    const client = Script.start(script, ["127.0.0.1", String(server.port), ...args]);
    await client.write("last words\n");
    await client.closeStdin();
    // Once the client leaves (its FIN), as a server that crashed before reading its lines would.
    assert.match(await server.resetAtEnd(), /last words\n/);
    const { code, stdout } = await exitWithin(client);
    assert.equal(code, 1, "a reset confirms nothing");
    assert.ok(stdout.includes(RESET_LEAVE), stdout.join("\n"));
  });

  Deno.test(`${script} shows no line that a reset cut short`, async () => {
    await using server = await ResettingServer.start(
      `${greeting}[alice]whole\n[alice]I transfer th`,
    );
    const client = Script.start(script, ["127.0.0.1", String(server.port), ...args]);
    await client.expect("[alice]whole");
    await server.reset();
    const { code, stdout } = await exitWithin(client);
    assert.equal(code, 1);
    assert.ok(!stdout.some((line) => line.includes("transfer")), stdout.join("\n"));
  });

  Deno.test(`${script} exits at once on a second signal while leaving`, async () => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const client = Script.start(script, ["127.0.0.1", String(listener.addr.port), ...args]);
    using conn = await acceptWithin(listener);
    await writeAll(conn, encoder.encode(greeting));
    await feedUntilStuck(client);
    client.process.kill("SIGTERM"); // leave, which cannot end before its deadline here
    client.process.kill("SIGINT"); // no, now: 128 + the number of the one taken second
    const { code } = await exitWithin(client);
    assert.ok(code === 130 || code === 143, `exit status ${code}`);
  });
}

Deno.test("client.ts with --reconnect says what it could not send, then rejoins", async () => {
  const first = startServer({ hostname: "127.0.0.1", port: 0, log: () => {} });
  const port = first.addr.port;
  const alice = await LineClient.join(port, "alice");
  const bob = Script.start("client.ts", ["127.0.0.1", String(port), "bob", "--reconnect"]);
  await bob.expect("Host connected");
  await alice.expect("clientbob- enter");
  await first.shutdown();
  await bob.expect(/^Disconnected; reconnecting in 1 s/);
  await bob.write("lost \x1b[2Jwords\n");
  await bob.expect("Not connected, not sent: lost ^[[2Jwords");
  const second = startServer({ hostname: "127.0.0.1", port, log: () => {} });
  const carol = await LineClient.join(port, "carol");
  await bob.expect("Reconnected; joining as bob");
  await carol.expect("clientbob- enter");
  await bob.write("back\n");
  await carol.expect("[bob]back");
  assert.ok(!carol.lines.some((line) => line.includes("lost")), "nothing typed offline is sent");
  const { code } = await bob.exit();
  assert.equal(code, 0);
  await carol.expect("clientbob- exit");
  await Promise.all([alice.close(), carol.close()]);
  await second.shutdown();
});

/** bob, run with --reconnect, once his server has gone and he waits to reconnect. */
async function disconnectedBob(): Promise<Script> {
  const server = startServer({ hostname: "127.0.0.1", port: 0, log: () => {} });
  const bob = Script.start("client.ts", [
    "127.0.0.1",
    String(server.addr.port),
    "bob",
    "--reconnect",
  ]);
  await bob.expect(/^Server: welcome bob/);
  await server.shutdown();
  await bob.expect(/^Disconnected; reconnecting in 1 s/);
  return bob;
}

Deno.test("client.ts --reconnect leaving while disconnected exits 1: no server took its leave", async () => {
  const bob = await disconnectedBob();
  await bob.write("lost\n");
  await bob.expect("Not connected, not sent: lost");
  const { code, stdout } = await bob.exit(); // its input ends while it waits to reconnect
  assert.equal(code, 1);
  // Nothing to say of a leave no server was there to take: no reset, no deadline.
  assert.deepEqual(stdout.slice(-2), ["Not connected, not sent: lost", "Host Disconnected"]);
});

Deno.test("client.ts --reconnect leaves at once on quit typed while disconnected, exit 1", async () => {
  const bob = await disconnectedBob();
  await bob.write("/quit see you\n"); // its input stays open: quit alone must end it
  const status = await within(bob.status, WAIT_MS);
  if (status === undefined) bob.process.kill();
  const { code } = await bob.exit();
  assert.ok(status !== undefined, "it left without waiting to reconnect");
  assert.equal(code, 1, "no server took its leave");
  assert.ok(!bob.stdout.some((line) => line.startsWith("Not connected")), bob.stdout.join("\n"));
  assert.equal(
    bob.stdout.at(-2)?.startsWith("Disconnected; reconnecting"),
    true,
    bob.stdout.join("\n"),
  );
  assert.equal(bob.stdout.at(-1), "Host Disconnected");
});

Deno.test("client.ts --reconnect rejoins under a new name only if it is a valid ID", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(listener.addr.port);
  const bob = Script.start("client.ts", ["--reconnect", "127.0.0.1", port, "bob"]);
  const first = await acceptWithin(listener);
  await writeAll(
    first,
    encoder.encode(
      WELCOME + "Server: you are now robert\n" +
        "Server: you are now \x1b]0;PWNED\x07\x1b[41mEVIL\n",
    ),
  );
  first.close();
  const second = await acceptWithin(listener);
  assert.equal(await bob.expect(/^Reconnected; joining as /), "Reconnected; joining as robert");
  const exited = bob.exit();
  assert.match(await readToEnd(second), /^robert\n/); // its ID line first
  second.close();
  const { stdout } = await exited;
  assert.ok(!stdout.some((line) => /[\x00-\x1f\x7f]/.test(line)), JSON.stringify(stdout));
});

Deno.test("client.ts reads a command behind its own [ID] as the server does: [bob]/quit leaves", async () => {
  await withServer(async (port) => {
    const alice = await LineClient.join(port, "alice");
    const bob = Script.start("client.ts", ["--reconnect", "127.0.0.1", String(port), "bob"]);
    await alice.expect("clientbob- enter");
    await bob.write("[bob]/quit off\n");
    await alice.expect("clientbob- exit (off)");
    const { code, stdout } = await exitWithin(bob); // stdin still open: the quit ends it
    assert.equal(code, 0, stdout.join("\n"));
    assert.ok(!stdout.some((line) => line.startsWith("Disconnected")), stdout.join("\n"));
    await alice.close();
  });
});

Deno.test("client.ts --reconnect comes back after an Error: answering a command, not after a refusal", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(listener.addr.port);
  const bob = Script.start("client.ts", ["--reconnect", "127.0.0.1", port, "bob"]);
  const first = await acceptWithin(listener);
  const unknown = 'Error: unknown command "/x"; /help lists the commands';
  await writeAll(first, encoder.encode(`${WELCOME}${unknown}\n`));
  await bob.expect(unknown);
  first.close(); // the server crashed: no last line
  await bob.expect(/^Disconnected; reconnecting in 1 s/);
  const second = await acceptWithin(listener);
  await bob.expect("Reconnected; joining as bob");
  await writeAll(second, encoder.encode(WELCOME));
  await bob.expect(/^Server: welcome bob/);
  await bob.closeStdin();
  assert.equal(await readToEnd(second), "bob\nquit\n");
  second.close();
  const left = await bob.exitOnItsOwn();
  assert.equal(left.code, 0);

  const carol = Script.start("client.ts", ["--reconnect", "127.0.0.1", port, "bob"]);
  const third = await acceptWithin(listener);
  await writeAll(third, encoder.encode('Error: ID "bob" is already in the room\n'));
  third.close();
  const { code, stdout } = await carol.exitOnItsOwn(); // stdin open: it must not wait for it
  assert.equal(code, 1);
  assert.deepEqual(stdout, [
    "Host connected",
    'Error: ID "bob" is already in the room',
    "Host Disconnected",
  ]);
});

Deno.test("client.ts --reconnect tries a refused rejoin again, later each time", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const bob = Script.start("client.ts", [
    "--reconnect",
    "127.0.0.1",
    String(listener.addr.port),
    "bob",
  ]);
  const first = await acceptWithin(listener);
  await writeAll(first, encoder.encode(WELCOME));
  first.close(); // bob's Wi-Fi went: the server still holds bob's old connection
  await bob.expect(/^Disconnected; reconnecting in 1 s/);
  const second = await acceptWithin(listener);
  await writeAll(second, encoder.encode('Error: ID "bob" is already in the room\n'));
  second.close();
  await bob.expect(/^Disconnected; reconnecting in 2 s/); // a failure: the pause doubles
  const third = await acceptWithin(listener);
  await writeAll(third, encoder.encode(WELCOME));
  await bob.expect(/^Server: welcome bob/);
  third.close();
  await bob.expect(/^Disconnected; reconnecting in 1 s/); // a welcome starts the pauses over
  await bob.closeStdin();
  const { code } = await bob.exitOnItsOwn();
  assert.equal(code, 1, "it left while disconnected");
});

Deno.test("client.ts prints the server's refusal of a taken ID and exits 1", async () => {
  await withServer(async (port) => {
    const alice = await LineClient.join(port, "alice");
    await alice.send("ping");
    const client = Script.start("client.ts", ["127.0.0.1", String(port), "alice"]);
    const { code, stdout } = await client.exitOnItsOwn();
    assert.equal(code, 1);
    assert.deepEqual(stdout, [
      "Host connected",
      'Error: ID "alice" is already in the room',
      "Host Disconnected",
    ]);
    await alice.close();
  });
});

Deno.test("client.ts takes a refusal as final even when the server would ask again", async () => {
  // A stand-in server that answers a late ID as it would a person's: the error, then the prompt.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = Script.start("client.ts", ["127.0.0.1", String(listener.addr.port), "bob"]);
  const conn = await acceptWithin(listener);
  const answer = `Error: ID "bob" is already in the room\n${ID_PROMPT}\n`;
  await writeAll(conn, encoder.encode(answer));
  const { code, stdout } = await exitWithin(client); // stdin still open, the server still there
  assert.equal(code, 1);
  assert.ok(stdout.includes('Error: ID "bob" is already in the room'), stdout.join("\n"));
  assert.match(await readToEnd(conn), /^bob\n/); // it closed
  conn.close();
});

Deno.test("client.ts and select_client.ts exit 1 when refused, however early their input ended", async () => {
  // A stand-in server that answers only once the client has left: its piped input ended first.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(listener.addr.port);
  const cases = [
    ["client.ts", ["alice"], 'Error: ID "alice" is already in the room'],
    ["client.ts", ["bob"], undefined], // closed without a welcome
    ["select_client.ts", [], "Error: Server is full: 1 of 1 places are taken"],
  ] as const;
  for (const [script, args, answer] of cases) {
    const client = Script.start(script, ["127.0.0.1", port, ...args]);
    const conn = await acceptWithin(listener);
    await client.write("hi\n");
    await client.closeStdin();
    assert.match(await readToEnd(conn), /hi\n/); // it said everything and closed its side
    if (answer) await writeAll(conn, encoder.encode(answer + "\n"));
    conn.close();
    const { code, stdout } = await client.exitOnItsOwn();
    assert.equal(code, 1, `${script} ${answer}: ${stdout.join("\n")}`);
    if (answer) assert.ok(stdout.includes(answer), stdout.join("\n"));
  }

  // The real servers, whose answer may come before or after the input ends.
  await withServer(async (port) => {
    const alice = await LineClient.join(port, "alice");
    await alice.expect(/^Server: welcome/);
    const client = Script.start("client.ts", ["127.0.0.1", String(port), "alice"]);
    await client.write("hi\n");
    const { code, stdout } = await client.exit();
    assert.equal(code, 1, stdout.join("\n"));
    assert.ok(stdout.some((line) => line.startsWith("Error: ID")), stdout.join("\n"));
    await alice.close();
  });
  await withFlavorServer(startSelectServer, async (port) => {
    const watcher = await LineClient.connect(port);
    await watcher.expect(/entered room$/);
    const client = Script.start("select_client.ts", ["127.0.0.1", String(port)]);
    await client.write("hi\n");
    const { code, stdout } = await client.exit();
    assert.equal(code, 1, stdout.join("\n"));
    assert.ok(stdout.includes("Error: Server is full: 1 of 1 places are taken"), stdout.join("\n"));
    await watcher.close();
  }, { maxClients: 1 });
});

Deno.test("client.ts and select_client.ts say which line over 64 KiB they skipped, each way", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(listener.addr.port);
  const tooLong = "x".repeat(CLIENT_MAX_LINE_BYTES + 1);
  for (const [script, args] of [["client.ts", ["bob"]], ["select_client.ts", []]] as const) {
    const client = Script.start(script, ["127.0.0.1", port, ...args]);
    const conn = await acceptWithin(listener);
    // Split across writes, so that the client's reads end inside the long line.
    await writeAll(conn, encoder.encode(tooLong.slice(0, 1000)));
    await writeAll(conn, encoder.encode(tooLong.slice(1000) + "\nafter\n"));
    await client.expect(SERVER_LINE_TOO_LONG);
    await client.expect("after");
    await client.write(tooLong + "\nsent\n");
    await client.expect(INPUT_LINE_TOO_LONG);
    await client.closeStdin();
    const received = await readToEnd(conn);
    assert.match(received, /^(bob\n)?sent\n/, `${script}: ${JSON.stringify(received)}`);
    assert.ok(!received.includes("xxx"), `${script} sent the long line`);
    conn.close();
    await client.exitOnItsOwn();
  }
});

Deno.test("client.ts and select_client.ts say in one line that stdout failed, and exit 1", async () => {
  await withServer(async (port) => {
    for (const [script, args] of [["client.ts", ["full"]], ["select_client.ts", []]] as const) {
      // A full disk: every write to /dev/full fails.
      const client = new URL(`../${script}`, import.meta.url).pathname;
      const command = `exec "$0" run --quiet --allow-net "$@" > /dev/full`;
      const output = await new Deno.Command("sh", {
        args: ["-c", command, Deno.execPath(), client, "127.0.0.1", String(port), ...args],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 1, stderr);
      assert.equal(
        stderr,
        "Error: Cannot write to standard output: No space left on device (os error 28)\n",
      );
    }
  });
});

Deno.test("client.ts and server.ts answer bad arguments with usage and status 2", async () => {
  for (
    const [script, args] of [
      ["client.ts", ["127.0.0.1", "1234"]],
      ["client.ts", ["127.0.0.1", "port", "bob"]],
      ["client.ts", ["--bogus", "127.0.0.1", "1234", "bob"]],
      ["server.ts", []],
      ["server.ts", ["99999"]],
      ["server.ts", ["1234", "--max-clients", "many"]],
      ["server.ts", ["1234", "--idle-timeout", "3000000000"]], // setTimeout would fire at once
      ["client.ts", ["--connect-timeout", "2147483648", "127.0.0.1", "1234", "bob"]],
      ["client.ts", ["127.0.0.1", "1234", "bob\nI am the admin"]], // a second line, a message
      ["client.ts", ["127.0.0.1", "1234", " bob"]],
    ] as const
  ) {
    const { code, stderr } = await Script.start(script, [...args]).exit();
    assert.equal(code, 2, `${script} ${args.join(" ")}`);
    assert.ok(stderr.some((line) => line.startsWith("Usage: ")), stderr.join("\n"));
    assert.ok(!stderr.some((line) => /^\s+at /.test(line)), "no stack trace");
  }
  for (const script of ["client.ts", "server.ts", "select_client.ts", "select_server.ts"]) {
    const { code, stdout } = await Script.start(script, ["--help"]).exit();
    assert.equal(code, 0);
    assert.match(stdout[0], /^Usage: /);
  }
});

Deno.test("client.ts and select_client.ts refuse port 0 and a malformed host with status 2", async () => {
  const cases = [
    [["127.0.0.1", "0"], 'Invalid port "0": expected a whole number from 1 to 65535'],
    [["", "1234"], 'Invalid host "": expected a host name'],
    [["[::1", "1234"], 'Invalid host "[::1": expected a host name'],
    [["a b\x1b[2J", "1234"], 'Invalid host "a b^[[2J": expected a host name'],
  ] as const;
  for (const [script, more] of [["client.ts", ["bob"]], ["select_client.ts", []]] as const) {
    for (const [args, message] of cases) {
      const { code, stderr } = await Script.start(script, [...args, ...more]).exit();
      const what = `${script} ${JSON.stringify(args)}: ${stderr.join("\n")}`;
      assert.equal(code, 2, what);
      assert.ok(stderr[0].startsWith(message), what);
      assert.ok(stderr.some((line) => line.startsWith("Usage: ")), what);
      assert.ok(!stderr.some((line) => /^\s+at /.test(line)), `no stack trace: ${what}`);
    }
  }
});

Deno.test("server.ts and select_server.ts refuse a malformed --host with status 2", async () => {
  for (const script of ["server.ts", "select_server.ts"]) {
    for (const host of ["", "127.0.0.1:5", "[::1", "a b\x1b[2J"]) {
      const args = ["0", "--host", host, "--max-clients", "5"];
      const { code, stderr } = await Script.start(script, args).exit();
      const what = `${script} ${JSON.stringify(args)}: ${stderr.join("\n")}`;
      assert.equal(code, 2, what);
      assert.ok(stderr[0].startsWith(`Invalid --host ${quote(host)}: expected a host name`), what);
      assert.ok(stderr.some((line) => line.startsWith("Usage: ")), what);
      assert.ok(!stderr.some((line) => /^\s+at /.test(line)), `no stack trace: ${what}`);
    }
  }
});

Deno.test("client.ts and server.ts fail in one line on refused, unknown and busy addresses", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(busy.addr.port);
  const cases = [
    [
      "server.ts",
      [port, "--host", "127.0.0.1"],
      /^Error: Address 127\.0\.0\.1:\d+ is already in use$/,
    ],
    ["client.ts", ["127.0.0.1", "1", "bob"], /^Error: Connection refused by 127\.0\.0\.1:1$/],
    ["client.ts", ["no-such-host.invalid", "1234", "bob"], /^Error: Cannot resolve the host/],
  ] as const;
  for (const [script, args, pattern] of cases) {
    const { code, stderr } = await Script.start(script, [...args]).exit();
    assert.equal(code, 1);
    assert.equal(stderr.length, 1, stderr.join("\n"));
    assert.match(stderr[0], pattern);
  }
  busy.close();
});

Deno.test("server.ts exits 0 on SIGTERM after telling its members", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const server = Script.start("server.ts", [String(port), "--host", "127.0.0.1"]);
  await server.expect(`Listening on 127.0.0.1:${port}`);
  const alice = await LineClient.join(port, "alice");
  await server.expect(/^alice Client connect \(127\.0\.0\.1:\d+\)$/);
  server.process.kill("SIGTERM");
  await alice.expect("Server: shutting down");
  await alice.expectClose();
  assert.equal((await server.exit()).code, 0);
  // The log says why it ends, and why each member went.
  assert.deepEqual(server.stdout.slice(-2), [
    "Shutting down on SIGTERM",
    "alice Client disconnect (server shutdown)",
  ]);
  await alice.close();
});
