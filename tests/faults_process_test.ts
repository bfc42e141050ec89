/**
 * Fault suite, the server as a process: a 10 MB line against its resident
 * memory, SIGTERM while fifty members chat, a second signal, and a port that
 * is taken.
 */
import assert from "node:assert/strict";
import { type Flavor, FLAVORS } from "./flavors.ts";
import { Script } from "./script.ts";
import {
  joinMember,
  joinTally,
  leaveOf,
  MIB,
  mib,
  said,
  scriptOf,
  ServerProcess,
  type Tally,
  withFaultProcess,
} from "./faults_kit.ts";
import { SHUTDOWN_NOTICE } from "../lib/chat_server.ts";
import { isDisconnect } from "../lib/errors.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../lib/line_decoder.ts";
import { writeAll } from "../lib/write_all.ts";

const encoder = new TextEncoder();

/** How much a 10 MB line may add to the server's peak RSS: less than the line itself. */
const LONG_LINE_RSS_GROWTH = 8 * MIB;

/** The longest a server may take from SIGTERM to its exit, in ms: a stated guarantee. */
const SHUTDOWN_MS = 2000;

for (const flavor of FLAVORS) {
  Deno.test(`${flavor.name}: a 10 MB line leaves the server's RSS bounded`, async () => {
    await withFaultProcess(
      flavor,
      { rssBound: 150 * MIB },
      async ({ server, port, witnesses, watcher }) => {
        const { client: mallory, id } = await joinMember(flavor, port, "mallory");
        const before = await server.memory();
        const chunk = new Uint8Array(64 * 1024).fill(0x7a);
        await witnesses.during((async () => {
          for (let sent = 0; sent < 10 * 1000 * 1000; sent += chunk.length) {
            await mallory.sendRaw(chunk);
          }
          await mallory.expect(
            `Error: line too long, the limit is ${DEFAULT_MAX_LINE_BYTES} bytes`,
          );
          await mallory.sendRaw("\nafter the long line\n");
          await watcher.expect(said(flavor, mallory, id, "after the long line"));
        })());
        const after = await server.memory();
        const growth = after.peak - before.rss;
        console.log(`${flavor.name}: a 10 MB line added ${mib(growth)} to the peak RSS`);
        assert.ok(growth < LONG_LINE_RSS_GROWTH, `the line was not buffered: +${mib(growth)}`);
        assert.ok(!watcher.lines.some((line) => line.includes("zzzz")), "nothing of it relayed");
        await mallory.close();
        await watcher.expect(leaveOf(flavor, mallory, id));
      },
    );
  });

  Deno.test(`${flavor.name}: SIGTERM with 50 members chatting exits 0 within 2 s`, async () => {
    const { status, elapsed, members, stderr } = await sigtermUnderLoad(flavor);
    assert.equal(status.code, 0, "exit status 0");
    assert.ok(elapsed < SHUTDOWN_MS, `exited within ${SHUTDOWN_MS} ms: ${elapsed.toFixed(0)} ms`);
    assert.ok(members.every((member) => member.eof), "every member's connection was closed");
    assert.ok(members.every((member) => member.controls === 0));
    assert.deepEqual(stderr, [], "nothing went to stderr");
  });

  Deno.test(`${flavor.name}: a second signal during the shutdown exits at once`, async () => {
    const server = await ServerProcess.start(scriptOf(flavor));
    // A member that never closes its side holds the shutdown in its linger for a while.
    const { client } = await joinMember(flavor, server.port, "stays");
    try {
      server.child.kill("SIGTERM"); // shut down, which cannot end before the linger does
      server.child.kill("SIGINT"); // no, now: 128 + the number of the one taken second
      const { code } = await server.status;
      assert.ok(code === 130 || code === 143, `exit status ${code}`);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  Deno.test({
    name: `${flavor.name}: SIGTERM with 50 members chatting tells every one of them`,
    fn: async () => {
      // They stop sending at the signal. One still sending when the server closes its socket
      // is answered with a reset, which by TCP discards what it has not read yet: here the
      // notice, behind megabytes of chat in the sockets, on a slow enough machine.
      const { members } = await sigtermUnderLoad(flavor, { quietAtSignal: true });
      const untold = members.flatMap((member, i) =>
        member.notices.includes(SHUTDOWN_NOTICE) ? [] : [i]
      );
      assert.deepEqual(untold, [], "every member got the shutdown notice");
    },
  });
}

/**
 * Starts `flavor`'s script, joins 50 members that all chat at full speed,
 * sends SIGTERM once every member is receiving, and waits for the exit and
 * for every member's connection to end. The members chat until the server has
 * exited, or with `quietAtSignal` stop sending at the signal (and read on).
 */
async function sigtermUnderLoad(
  flavor: Flavor,
  { quietAtSignal = false } = {},
): Promise<{
  status: Deno.CommandStatus;
  elapsed: number;
  members: Tally[];
  stderr: string[];
}> {
  const server = await ServerProcess.start(scriptOf(flavor));
  const members: Tally[] = [];
  try {
    for (let i = 0; i < 50; i++) members.push((await joinTally(flavor, server.port, "m")).tally);
    let chatting = true;
    const talking = members.map(async (member, i) => {
      const burst = encoder.encode(`m${i} chats ${"x".repeat(80)}\n`.repeat(20));
      while (chatting) {
        try {
          await writeAll(member.conn, burst);
        } catch (error) {
          if (isDisconnect(error)) return;
          throw error;
        }
      }
    });
    // Under load: every member is receiving the others' chat.
    for (const member of members) {
      await member.until(() => member.payloads >= 200, "the chat to reach every member");
    }
    const killed = performance.now();
    server.child.kill("SIGTERM");
    if (quietAtSignal) chatting = false;
    const status = await server.status;
    const elapsed = performance.now() - killed;
    console.log(`${flavor.name}: exited ${elapsed.toFixed(0)} ms after SIGTERM`);
    chatting = false;
    await Promise.all(talking);
    for (const member of members) await member.untilClosed();
    return { status, elapsed, members, stderr: server.stderr };
  } finally {
    await Promise.all(members.map((member) => member.close()));
    await server.stop();
  }
}

for (const script of ["server.ts", "select_server.ts"]) {
  Deno.test(`${script}: a taken port: one line on stderr, non-zero exit`, async () => {
    const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = holder.addr.port;
    try {
      for (
        const [args, address] of [
          [["--host", "127.0.0.1"], `127.0.0.1:${port}`],
          [[], `0.0.0.0:${port}`], // the default host overlaps 127.0.0.1
        ] as const
      ) {
        const started = performance.now();
        const { code, stdout, stderr } = await Script.start(script, [String(port), ...args]).exit();
        assert.notEqual(code, 0, `${script} ${args.join(" ")} exits non-zero`);
        assert.deepEqual(stderr, [`Error: Address ${address} is already in use`]);
        assert.ok(!stdout.some((line) => /^\s+at /.test(line)), "no stack trace");
        assert.ok(performance.now() - started < 10_000);
      }
    } finally {
      holder.close();
    }
  });
}
