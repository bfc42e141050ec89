/**
 * The servers' console (stdout), as the scripts run it: a console that stops
 * reading (a terminal paused with Ctrl-S, `| less` left alone) never stops the
 * room, and one that goes away (`| head`) never stops the server.
 */
import assert from "node:assert/strict";
import { type Flavor, FLAVORS } from "./flavors.ts";
import {
  freePort,
  LISTENING,
  scriptOf,
  serverCommandLine,
  type ServerScript,
} from "./faults_kit.ts";

/** A server script whose stdout this test reads only when it chooses to. */
async function startQuietly(script: ServerScript) {
  const port = freePort();
  const [program, ...args] = serverCommandLine(script, port, ["--rate-limit", "0"]);
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.getReader();
  const decoder = new TextDecoder();
  let output = "";
  while (!output.split("\n").some((line) => LISTENING[script].test(line))) {
    const { value, done } = await stdout.read();
    if (done) assert.fail(`the server ended before it listened: ${await stderr}`);
    output += decoder.decode(value, { stream: true });
  }
  /** Reads the rest of stdout, stops the server with SIGTERM, and returns all it wrote. */
  const stop = async () => {
    const rest = (async () => {
      while (true) {
        const { value, done } = await stdout.read();
        if (done) return;
        output += decoder.decode(value, { stream: true });
      }
    })();
    child.kill("SIGTERM");
    const { code } = await child.status;
    await rest;
    return { code, output, stderr: await stderr };
  };
  return { port, child, stdout, stop, stderr };
}

/** Connects to `port` once something listens there, within `waitMs`. */
async function connectOnceUp(port: number, waitMs = 10_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (true) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** Two members join `port` and each hears the other: the room still serves. */
async function chatBothWays(flavor: Flavor, port: number): Promise<void> {
  const alice = await flavor.join(port, "alice");
  await flavor.joined(alice);
  const bob = await flavor.join(port, "bob");
  await flavor.joined(bob);
  await alice.send("hello");
  await bob.expect(/hello$/);
  await bob.send("still here");
  await alice.expect(/still here$/);
  await Promise.all([alice.close(), bob.close()]);
}

for (const flavor of FLAVORS) {
  const script = scriptOf(flavor);

  Deno.test(`${script}: a console that fails (a full disk) does not stop the server`, async () => {
    const port = freePort();
    const child = new Deno.Command("sh", {
      // Every write to /dev/full fails with ENOSPC, as a log on a full disk does.
      args: ["-c", 'exec "$0" "$@" >/dev/full', ...serverCommandLine(script, port)],
      stdin: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    await connectOnceUp(port); // its first line, `Listening on`, has failed by now
    await chatBothWays(flavor, port);
    child.kill("SIGTERM");
    const { code } = await child.status;
    assert.equal(code, 0, await stderr);
    assert.equal(await stderr, "");
  });

  Deno.test(`${script}: a console that stops reading does not stop the room`, async () => {
    const server = await startQuietly(script); // and nobody reads its stdout from here on
    const alice = await flavor.join(server.port, "alice");
    await flavor.joined(alice);
    const bob = await flavor.join(server.port, "bob");
    await flavor.joined(bob);
    // Some 1.6 MB of console lines: far more than the pipe holds, or the log keeps waiting.
    const count = 15_000;
    const lines = Array.from({ length: count }, (_, i) => `line ${i} ${"x".repeat(100)}`);
    await alice.sendRaw(lines.join("\n") + "\n");
    await bob.expectCount(count, undefined, (line) => /line \d+ x+$/.test(line));
    await Promise.all([alice.close(), bob.close()]);
    const { code, output, stderr } = await server.stop();
    assert.equal(code, 0, stderr);
    assert.match(output, /\(\d+ lines not logged: the console fell behind\)/);
  });

  Deno.test(`${script}: a console that goes away does not stop the server`, async () => {
    const server = await startQuietly(script);
    await server.stdout.cancel(); // as `| head -1` does
    await chatBothWays(flavor, server.port);
    server.child.kill("SIGTERM");
    const { code } = await server.child.status;
    const stderr = await server.stderr;
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
  });
}
