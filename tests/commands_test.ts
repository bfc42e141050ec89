/**
 * The in-room commands, answered by both servers, as a netcat user types them.
 */
import assert from "node:assert/strict";
import { ME_NEEDS_ACTION } from "../lib/chat_command.ts";
import { startSelectServer } from "../select_server.ts";
import { startServer } from "../server.ts";
import { LineClient } from "./line_client.ts";

Deno.test("startServer() answers /who, /me, /help, /nick, /quit and unknown commands", async () => {
  const server = startServer({ hostname: "127.0.0.1", port: 0, log: () => {} });
  const port = server.addr.port;
  const alice = await LineClient.join(port, "alice");
  assert.equal(
    await alice.expect(/^Server: welcome/),
    "Server: welcome alice; 1 here: alice; /help lists the commands",
  );
  const bob = await LineClient.join(port, "bob");
  await alice.expect("clientbob- enter");
  await bob.send("/who");
  assert.equal(await bob.expect(/^Server: \d+ here/), "Server: 2 here: alice, bob");
  await bob.send("/help");
  assert.match(await bob.expect(/^Server: commands/), /\/who, \/me ACTION, \/nick NEW, \/quit/);
  await bob.send("/me");
  assert.equal(await bob.expect(/^Error/), ME_NEEDS_ACTION);
  await bob.send("/me waves 👋");
  assert.equal(await alice.expect(/^\*/), "* bob waves 👋");
  await bob.send("/dance");
  assert.equal(
    await bob.expect(/^Error/),
    'Error: unknown command "/dance"; /help lists the commands',
  );
  await bob.send("//etc/hosts is a path");
  assert.equal(await alice.expect(/^\[bob\]/), "[bob]/etc/hosts is a path");
  await bob.send("/nick Alice");
  assert.equal(await bob.expect(/^Error/), 'Error: ID "Alice" is already in the room');
  await bob.send("/nick bad name");
  assert.match(await bob.expect(/^Error/), /must not contain spaces/);
  await bob.send("/nick bob");
  assert.equal(await bob.expect(/^Server: you/), "Server: you are already bob");
  await bob.send("/nick robert");
  assert.equal(await bob.expect(/^Server: you/), "Server: you are now robert");
  assert.equal(await alice.expect(/^clientbob/), "clientbob- is now robert", "only the real one");
  await bob.send("still me");
  assert.equal(await alice.expect(/^\[robert\]/), "[robert]still me");
  const carol = await LineClient.join(port, "bob"); // the old name is free again
  await alice.expect("clientbob- enter");
  await bob.send("/quit off to lunch");
  assert.equal(await alice.expect(/^clientrobert/), "clientrobert- exit (off to lunch)");
  await bob.expectClose();
  assert.ok(
    !alice.lines.some((line) =>
      /dance|Server: 2 here|Server: commands|Server: you|needs an action/.test(line)
    ),
    "commands and their answers stay private",
  );
  await Promise.all([alice.close(), bob.close(), carol.close()]);
  await server.shutdown();
});

Deno.test("startSelectServer() answers /who, /me, /help, /quit; /nick is refused", async () => {
  const server = startSelectServer({ hostname: "127.0.0.1", port: 0, log: () => {} });
  const port = server.addr.port;
  const a = await LineClient.connect(port);
  const name = `127.0.0.1:${a.conn.localAddr.port}`;
  await a.expect(`Client (${name}) entered room`);
  const b = await LineClient.connect(port);
  const bName = `127.0.0.1:${b.conn.localAddr.port}`;
  await b.expect(`Client (${bName}) entered room`);
  await a.send("/who");
  assert.equal(await a.expect(/^Server: \d+ here/), `Server: 2 here: ${name}, ${bName}`);
  await a.send("/help");
  assert.match(await a.expect(/^Server: commands/), /\/who, \/me ACTION, \/quit/);
  await a.send("/me  ");
  assert.equal(await a.expect(/^Error/), ME_NEEDS_ACTION);
  await a.send("/me waves");
  assert.equal(await b.expect(/^\*/), `* ${name} waves`);
  assert.equal(await a.expect(/^\*/), `* ${name} waves`, "the select server echoes actions");
  await a.send("/nick bob");
  assert.match(await a.expect(/^Error/), /^Error: \/nick is not available here/);
  await a.send("/bogus");
  assert.match(await a.expect(/^Error/), /unknown command "\/bogus"/);
  await a.send("QUIT");
  await b.expect(`Client (127.0.0.1, ${a.conn.localAddr.port}) is offline`);
  await a.expectClose();
  const c = await LineClient.connect(port);
  await c.expect(/entered room$/);
  await c.send("/quit bye now");
  await b.expect(`Client (127.0.0.1, ${c.conn.localAddr.port}) is offline (bye now)`);
  await Promise.all([a.close(), b.close(), c.close()]);
  await server.shutdown();
});

Deno.test("startServer() welcomes with 20 names at most, and /who lists all in short lines", async () => {
  const server = startServer({ hostname: "127.0.0.1", port: 0, log: () => {} });
  const port = server.addr.port;
  // 32 IDs of 32 characters: more than one /who line of 1000 characters.
  const ids = Array.from(
    { length: 32 },
    (_, i) => `member${String(i).padStart(2, "0")}`.padEnd(32, "x"),
  );
  const clients: LineClient[] = [];
  try {
    for (const id of ids) clients.push(await LineClient.join(port, id));
    const welcome = await clients[31].expect(/^Server: welcome/);
    assert.equal(
      welcome,
      `Server: welcome ${ids[31]}; 32 here: ${ids.slice(0, 20).join(", ")} and 12 more; ` +
        "/help lists the commands",
    );
    await clients[0].send("/who");
    const first = await clients[0].expect(/^Server: 32 here: /);
    const rest = await clients[0].expect(/^Server: (?!32 here)/);
    assert.ok(first.length <= 1000 && rest.length <= 1000, `${first.length}, ${rest.length}`);
    const listed = (first.slice("Server: 32 here: ".length) + " " + rest.slice("Server: ".length))
      .split(/,? /);
    assert.deepEqual(listed, ids);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await server.shutdown();
  }
});
