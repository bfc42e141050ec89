import assert from "node:assert/strict";
import {
  CLOSING_AFTER_REFUSAL,
  ID_PROMPT,
  startServer,
  type ThreadedServerOptions,
} from "../server.ts";
import { withServer as withFlavorServer } from "./flavors.ts";
import { until } from "./faults_kit.ts";
import { LineClient } from "./line_client.ts";
import { sleep } from "../lib/deadlines.ts";

const withServer = (
  body: (port: number, log: string[]) => Promise<void>,
  options?: Partial<ThreadedServerOptions>,
) => withFlavorServer(startServer, body, options);

/** Joins `ids` in order, each waiting until the previous one is announced. */
async function joinAll(port: number, ids: string[]): Promise<LineClient[]> {
  const clients: LineClient[] = [];
  for (const id of ids) {
    const client = await LineClient.join(port, id);
    if (clients.length > 0) await clients[0].expect(`client${id}- enter`);
    clients.push(client);
  }
  return clients;
}

/** Joins `id` as the report's client does, with no newline, once `alice` is in the room. */
async function joinAsReport(port: number, alice: LineClient, id: string): Promise<LineClient> {
  const report = await LineClient.connect(port);
  await report.sendRaw(id);
  await alice.expect(`client${id}- enter`);
  return report;
}

async function closeAll(clients: LineClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
}

Deno.test("startServer() relays between two members, stamped with the sender's ID", async () => {
  await withServer(async (port, log) => {
    const [alice, bob] = await joinAll(port, ["alice", "bob"]);
    await alice.send("hello bob");
    assert.equal(await bob.expect(/^\[alice\]/), "[alice]hello bob");
    await bob.send("안녕 alice 👋");
    assert.equal(await alice.expect(/^\[bob\]/), "[bob]안녕 alice 👋");
    assert.ok(log.includes(`alice Client connect (127.0.0.1:${alice.conn.localAddr.port})`));
    assert.ok(log.includes("[alice]hello bob"), "the console shows relayed messages");
    await closeAll([alice, bob]);
  });
});

Deno.test("startServer() relays among five members and never echoes to the sender", async () => {
  await withServer(async (port) => {
    const ids = ["m1", "m2", "m3", "m4", "m5"];
    const clients = await joinAll(port, ids);
    for (const [i, client] of clients.entries()) await client.send(`from ${ids[i]}`);
    for (const [i, client] of clients.entries()) {
      for (const [j, id] of ids.entries()) {
        if (i !== j) await client.expect(`[${id}]from ${id}`);
      }
    }
    // A last round trip proves nobody got their own message back in the meantime.
    await clients[1].send("done");
    await clients[0].expect("[m2]done");
    assert.ok(!clients[0].lines.includes("[m1]from m1"));
    await closeAll(clients);
  });
});

Deno.test("startServer() announces enter and exit, and quit in any case leaves", async () => {
  await withServer(async (port, log) => {
    const [alice, bob] = await joinAll(port, ["alice", "bob"]);
    await bob.send("QuIt");
    await alice.expect("clientbob- exit");
    await bob.expectClose();
    await bob.close();
    assert.ok(log.includes("bob Client disconnect"));
    assert.ok(!alice.lines.some((line) => line.includes("QuIt")), "quit is not relayed");
    const carol = await LineClient.join(port, "carol");
    await alice.expect("clientcarol- enter");
    await carol.close();
    await alice.expect("clientcarol- exit");
    await alice.close();
  });
});

Deno.test("startServer() refuses duplicate and invalid IDs and leaves the room alone", async () => {
  await withServer(async (port) => {
    const [alice] = await joinAll(port, ["alice"]);
    const cases: [string, RegExp][] = [
      ["alice", /^Error: ID "alice" is already in the room$/],
      ["ALICE", /already in the room/],
      ["x".repeat(33), /too long/],
      ["x".repeat(10_000), /too long/],
      ["bo b", /must not contain spaces/],
      ["bo\x1bb", /^Error: ID "bo\^\[b" must not contain/],
      ["\x07\x1b\x08", /must not contain/],
      ["[alice]", /brackets/],
    ];
    for (const [id, pattern] of cases) {
      const client = await LineClient.join(port, id);
      await client.expect(pattern);
      await client.expectClose();
      await client.close();
    }
    await alice.send("still here");
    const bob = await LineClient.join(port, "bob");
    await alice.expect("clientbob- enter");
    await alice.send("hi bob");
    await bob.expect("[alice]hi bob");
    assert.ok(!alice.lines.some((line) => line.includes("Error")), "others see no errors");
    assert.ok(
      !alice.lines.some((line) => /^client.*- (enter|exit)/.test(line) && !/bob/.test(line)),
    );
    await closeAll([alice, bob]);
  });
});

Deno.test("startServer() works with the report's client: no newlines, its own prefix", async () => {
  await withServer(async (port) => {
    const [alice] = await joinAll(port, ["alice"]);
    const report = await joinAsReport(port, alice, "bob");
    await report.sendRaw("[bob]hello from python");
    assert.equal(await alice.expect(/python/), "[bob]hello from python");
    await report.sendRaw("[bob]quit");
    await alice.expect("clientbob- exit");
    await closeAll([alice, report]);
  }, { partialLineMs: 20 });
});

Deno.test("startServer() cuts the report client's message only between characters", async () => {
  await withServer(async (port) => {
    const [alice] = await joinAll(port, ["alice"]);
    const report = await joinAsReport(port, alice, "bob");
    const bytes = new TextEncoder().encode("[bob]안녕");
    // The sender stalls inside "녕", past partialLineMs: the message so far goes out...
    await report.sendRaw(bytes.subarray(0, bytes.length - 2));
    assert.equal(await alice.expect(/^\[bob\]/), "[bob]안");
    // ...and the start of "녕" waits for the rest, to begin the next one.
    await report.sendRaw(bytes.subarray(bytes.length - 2));
    assert.equal(await alice.expect(/^\[bob\]/), "[bob]녕");
    await closeAll([alice, report]);
  }, { partialLineMs: 20 });
});

Deno.test("startServer() neither splits nor merges newline-terminated lines", async () => {
  await withServer(async (port) => {
    const [alice, bob] = await joinAll(port, ["alice", "bob"]);
    await alice.sendRaw("one\ntwo\r\nthree\n");
    await bob.expect("[alice]one");
    await bob.expect("[alice]two");
    await bob.expect("[alice]three");
    // A line-based client's partial line is never cut, however long it sits.
    await alice.sendRaw("hel");
    await sleep(50); // well past partialLineMs
    await alice.sendRaw("lo\n");
    assert.equal(await bob.expect(/^\[alice\]h/), "[alice]hello");
    await closeAll([alice, bob]);
  }, { partialLineMs: 5 });
});

Deno.test("startServer() reassembles UTF-8 split at every byte", async () => {
  await withServer(async (port) => {
    const [alice, bob] = await joinAll(port, ["alice", "bob"]);
    const bytes = new TextEncoder().encode("한국어 텍스트 🎉\n");
    for (let i = 0; i < bytes.length; i++) await alice.sendRaw(bytes.subarray(i, i + 1));
    assert.equal(await bob.expect(/^\[alice\]/), "[alice]한국어 텍스트 🎉");
    await alice.sendRaw(new Uint8Array([0x61, 0xfe, 0xc0, 0x62, 0x0a]));
    assert.equal(await bob.expect(/^\[alice\]a/), "[alice]a\ufffd\ufffdb");
    await closeAll([alice, bob]);
  });
});

Deno.test("startServer() turns control sequences into visible text", async () => {
  await withServer(async (port, log) => {
    const [alice, bob] = await joinAll(port, ["alice", "bob"]);
    await alice.send("\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x08\x08\u009b31m");
    const line = await bob.expect(/^\[alice\]/);
    assert.equal(line, "[alice]^[[2J^[]0;pwned^G^[]52;c;ZXZpbA==^G^H^HM-^[31m");
    // A bare carriage return cannot overwrite the line with a forged prefix.
    await alice.send("hi\r[bob]I owe alice $100");
    assert.equal(await bob.expect(/owe/), "[alice]hi^M[bob]I owe alice $100");
    assert.ok(log.every((entry) => !/[\x00-\x08\x0b-\x1f\x7f]/.test(entry)), "console is clean");
    await closeAll([alice, bob]);
  });
});

Deno.test("startServer() refuses an over-long line, tells the sender, and goes on", async () => {
  await withServer(async (port) => {
    const [alice, bob] = await joinAll(port, ["alice", "bob"]);
    await alice.send("y".repeat(200));
    await alice.expect("Error: line too long, the limit is 100 bytes");
    await alice.send("x".repeat(100));
    assert.equal(await bob.expect(/^\[alice\]/), `[alice]${"x".repeat(100)}`);
    // A huge line without a newline is discarded as it streams in.
    const chunk = "z".repeat(64 * 1024);
    for (let i = 0; i < 32; i++) await alice.sendRaw(chunk);
    await alice.sendRaw("\nafter\n");
    await alice.expect(/line too long/);
    assert.equal(await bob.expect(/^\[alice\]/), "[alice]after");
    await closeAll([alice, bob]);
  }, { maxLineBytes: 100 });
});

Deno.test("startServer() closes a connection that never sends its ID", async () => {
  await withServer(async (port, log) => {
    const silent = await LineClient.connect(port);
    await silent.expect(/^Error: No ID received within 50 ms$/);
    assert.deepEqual(await silent.expectClose(), [], "never prompted: told nothing more");
    await silent.close();
    assert.ok(log.some((line) => /^Refused 127\.0\.0\.1:\d+: No ID/.test(line)));
  }, { handshakeTimeoutMs: 50 });
});

Deno.test("startServer() tells a prompted person whose ID never comes that it closes", async () => {
  await withServer(async (port) => {
    const person = await LineClient.connect(port);
    await person.send(""); // Enter, and then nothing
    await person.expect(ID_PROMPT);
    await person.expect(/^Error: No ID received within 300 ms$/);
    assert.deepEqual(await person.expectClose(), [CLOSING_AFTER_REFUSAL]);
    await person.close();
  }, { handshakeTimeoutMs: 300 });
});

Deno.test("startServer() tells a connection silent for a second what to send, once", async () => {
  await withServer(async (port) => {
    // prompt: at nc, a person who does not know to type an ID first; quick: a client, at once.
    const quick = await LineClient.connect(port);
    const prompted = await LineClient.connect(port); // its second is up after quick's
    await quick.send("quick");
    await quick.expect(/^Server: welcome quick/);
    assert.equal(await prompted.expect(/^Server: type/), ID_PROMPT);
    await prompted.send("slow");
    await prompted.expect(/^Server: welcome slow/);
    await quick.send("/who"); // a prompt for quick would have come before the answer
    await quick.expect(/^Server: 2 here/);
    assert.ok(!quick.lines.includes(ID_PROMPT), "one who sent its ID at once is not prompted");
    assert.equal(prompted.lines.filter((line) => line === ID_PROMPT).length, 1);
    await closeAll([quick, prompted]);
  });
});

Deno.test("startServer() answers a line that is no ID with the prompt, and lets quit leave", async () => {
  await withServer(async (port, log) => {
    const [alice] = await joinAll(port, ["alice"]);
    // A person at nc: Enter, spaces, a bare CR (telnet), a command, then the ID.
    const person = await LineClient.connect(port);
    for (const line of ["", "   ", "\r", "/help"]) await person.send(line);
    await person.send("bob");
    await person.expect(/^Server: welcome bob/);
    assert.equal(person.lines.filter((line) => line === ID_PROMPT).length, 3, "three at most");
    for (const first of ["quit", "/QUIT bye"]) {
      const leaver = await LineClient.connect(port);
      await leaver.send(first);
      assert.deepEqual(await leaver.expectClose(), []);
      await leaver.close();
    }
    await until(
      () => log.filter((line) => / before its ID \(quit\)$/.test(line)).length === 2,
      "the log",
    );
    await alice.send("/who");
    assert.equal(await alice.expect(/^Server: \d+ here/), "Server: 2 here: alice, bob");
    assert.ok(!alice.lines.some((line) => /quit/i.test(line)), "nobody joined as quit");
    await closeAll([alice, person]);
  });
});

Deno.test("startServer() asks a prompted person again for a refused ID, three tries in all", async () => {
  await withServer(async (port) => {
    const [alice] = await joinAll(port, ["alice"]);
    // A person at nc, prompted: told why an ID is refused, and asked again.
    const person = await LineClient.connect(port);
    await person.send("");
    await person.expect(ID_PROMPT);
    await person.send("Alice");
    assert.equal(await person.expect(/^Error/), 'Error: ID "Alice" is already in the room');
    await person.expect(ID_PROMPT);
    await person.sendRaw("x".repeat(5000) + "\n");
    assert.equal(await person.expect(/^Error/), "Error: ID is too long");
    await person.expect(ID_PROMPT);
    await person.send("bob");
    await person.expect(/^Server: welcome bob; 2 here/);
    // Its third ID refused, it is closed, and told so; Enter on an empty line costs no try.
    const stubborn = await LineClient.connect(port);
    for (const line of ["", "", "a b", "alice", "bob"]) await stubborn.send(line);
    const last = await stubborn.expectClose();
    assert.deepEqual(last.slice(-2), [
      'Error: ID "bob" is already in the room',
      CLOSING_AFTER_REFUSAL,
    ]);
    assert.equal(stubborn.lines.filter((line) => line.startsWith("Error:")).length, 3);
    assert.equal(stubborn.lines.filter((line) => line === ID_PROMPT).length, 4);
    // A client, never prompted, is refused at once, in one line.
    const client = await LineClient.connect(port);
    await client.send("alice");
    assert.deepEqual(await client.expectClose(), ['Error: ID "alice" is already in the room']);
    await closeAll([alice, person, stubborn, client]);
  });
});

Deno.test("startServer() reads a newcomer's ID at once while a stuck member holds the room, joins it after", async () => {
  // The room pauses its members' reading while one is backlogged; a connection not yet in it
  // is read on: refused and closed at once, or joined once the room flows.
  const server = startServer({
    hostname: "127.0.0.1",
    port: 0,
    log: () => {},
    highWaterBytes: 4096,
    slowTimeoutMs: 60_000, // the stall outlasts the test
    rateLimit: 0, // the flood goes as fast as it can
  });
  const port = server.addr.port;
  const stuck = await LineClient.join(port, "stuck", { paused: true });
  const talker = await LineClient.join(port, "talker");
  await talker.expect(/^Server: welcome talker/);
  // Some 20 MB for stuck, more than the kernel's buffers take: its queue then pauses the room
  // (and the talker's reading with it, so this send ends only once stuck is gone).
  const flooding = talker.sendRaw(`${"x".repeat(1000)}\n`.repeat(20_000));
  await until(() => !server.room.flowing, "stuck to hold the room");
  const taken = await LineClient.connect(port);
  await taken.send("talker");
  assert.equal(await taken.expect(/^Error: /), 'Error: ID "talker" is already in the room');
  await taken.expectClose();
  assert.ok(!taken.lines.includes(ID_PROMPT), "sent its ID at once: never prompted");
  assert.equal(server.room.flowing, false, "all of this while the room was held");
  // A join is said to the room, so it waits for the room; its ID, read at once, is not asked for.
  const newcomer = await LineClient.join(port, "newcomer");
  await stuck.close(); // the room flows again
  await newcomer.expect(/^Server: welcome newcomer/);
  assert.ok(!newcomer.lines.includes(ID_PROMPT), "never prompted");
  await flooding;
  await Promise.all([talker, taken, newcomer].map((client) => client.close()));
  await server.shutdown();
});

Deno.test("startServer() closes a member whose join fails unexpectedly, and the room hears both", async () => {
  await withServer(async (port) => {
    const [alice] = await joinAll(port, ["alice"]);
    const mallory = await LineClient.connect(port);
    await mallory.send("mallory");
    await mallory.expectClose();
    await alice.expect("clientmallory- enter");
    await alice.expect("clientmallory- exit (server error)");
    await alice.send("/who");
    assert.equal(await alice.expect(/^Server: \d+ here/), "Server: 1 here: alice");
    await closeAll([alice, mallory]);
  }, {
    log: (line) => {
      if (line.startsWith("mallory Client connect")) throw new TypeError("Injected fault");
    },
  });
});

Deno.test("startServer() logs a connection closed as idle before it sent its ID", async () => {
  // --idle-timeout shorter than --handshake-timeout: the idle rule comes first.
  await withServer(async (port, log) => {
    const silent = await LineClient.connect(port);
    await silent.expect("Server: closing: silent for 0.1 s");
    await silent.expectClose();
    await silent.close();
    const closed = /^Closed 127\.0\.0\.1:\d+ before its ID \(idle\)$/;
    await until(() => log.some((line) => closed.test(line)), "the log line");
  }, { idleTimeoutMs: 100 });
});

Deno.test("ChatServer.shutdown() tells every member, closes them, and frees the port", async () => {
  const server = startServer({ hostname: "127.0.0.1", port: 0, log: () => {} });
  const port = server.addr.port;
  const clients = await joinAll(port, ["a", "b", "c"]);
  await server.shutdown();
  for (const client of clients) {
    await client.expect("Server: shutting down");
    await client.expectClose();
  }
  await closeAll(clients);
  const again = startServer({ hostname: "127.0.0.1", port, log: () => {} });
  assert.equal(again.addr.port, port);
  await again.shutdown();
});

Deno.test("ChatServer.shutdown() closes connections that have not sent their ID, and lets none in", async () => {
  const log: string[] = [];
  const server = startServer({ hostname: "127.0.0.1", port: 0, log: (line) => log.push(line) });
  const port = server.addr.port;
  const silent = await LineClient.connect(port); // would wait out the 10 s handshake timeout
  const late = await LineClient.connect(port);
  const [member] = await joinAll(port, ["member"]); // accepted after both: they are in
  await member.expect(/^Server: welcome/);
  const done = server.shutdown();
  await late.send("late"); // its ID arrives after the shutdown began
  for (const client of [silent, late, member]) {
    await client.expect("Server: shutting down");
    await client.expectClose();
  }
  await done;
  assert.ok(!late.lines.some((line) => line.startsWith("Server: welcome")), "late was not let in");
  assert.ok(!log.some((line) => line.startsWith("late ")), log.join("\n"));
  await closeAll([silent, late, member]);
});
