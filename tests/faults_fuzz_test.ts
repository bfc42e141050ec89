/**
 * Fault suite, fuzz: fifty clients send random bytes, random fragments,
 * escape sequences, over-long lines, commands and valid chat, reconnect and
 * reset, against a server in its own process, while a witness pair chats.
 * The server must stay up, stay under its RSS bound, send nobody a control
 * code or invalid UTF-8, and deliver every witness message.
 *
 * Runs for 5 s per server at CI size, 30 s with FAULT_SCALE=full. The seed is
 * printed; FAULT_SEED=N replays a run.
 */
import assert from "node:assert/strict";
import { type Flavor, FLAVORS } from "./flavors.ts";
import {
  atScale,
  faultSeed,
  MIB,
  nodeConnect,
  Prng,
  reset,
  Tally,
  withFaultProcess,
} from "./faults_kit.ts";
import { isDisconnect } from "../lib/errors.ts";
import { writeAll } from "../lib/write_all.ts";

/** How long the fuzz runs, in ms. */
const FUZZ_MS = atScale(5_000, 30_000);
/** How many clients fuzz at once. */
const FUZZERS = 50;
/** The most resident memory the server may use during the fuzz. */
const FUZZ_RSS_BOUND = 200 * MIB;

const encoder = new TextEncoder();

const WORDS = ["hello", "안녕하세요", "👋", "chat", "ü", "日本語", "🎉🎉", "ok", "x", "—", "é"];
const ESCAPES = [
  "\x1b[2J",
  "\x1b]0;owned\x07",
  "\x1b]52;c;ZXZpbA==\x07",
  "\x07",
  "\x08\x08",
  "\r",
  "\x00",
  "\x7f",
  "\u009b31m",
  "\u0085",
  "\u202e",
  "\x1bP1$r\x1b\\",
];
const COMMANDS = ["/who", "/help", "/me dances", "/nick", "/quit fuzzed", "/bogus", "//x", "quit"];

/** What the fuzzers did, for the report and to prove they did it. */
interface FuzzStats {
  actions: number;
  connections: number;
  resets: number;
  bytes: number;
  refusals: number;
  controls: number;
  invalidUtf8: number;
}

/** A random line of valid chat, without its newline. */
function chat(prng: Prng): string {
  return Array.from({ length: 1 + prng.int(12) }, () => prng.pick(WORDS)).join(" ");
}

/** Random bytes for one action. */
function action(prng: Prng): Uint8Array {
  switch (prng.int(8)) {
    case 0:
      return prng.bytes(1 + prng.int(2000)); // binary, newlines included now and then
    case 1: {
      const lines = Array.from({ length: 20 + prng.int(200) }, () => chat(prng));
      return encoder.encode(lines.join("\n") + "\n"); // a burst in one write
    }
    case 2:
      return encoder.encode(`${chat(prng)}${prng.pick(ESCAPES)}${chat(prng)}\n`);
    case 3:
      return encoder.encode("z".repeat(5000 + prng.int(15_000)) + (prng.chance(0.5) ? "\n" : ""));
    case 4:
      return encoder.encode(`${prng.pick(COMMANDS)} ${prng.chance(0.5) ? chat(prng) : ""}\n`);
    default:
      return encoder.encode(chat(prng) + "\n");
  }
}

/** An ID: mostly valid, sometimes garbage. */
function fuzzId(prng: Prng, n: number): Uint8Array {
  if (prng.chance(0.7)) return encoder.encode(`fz${prng.seed % 100000}x${n}\n`);
  return prng.chance(0.5)
    ? prng.bytes(1 + prng.int(60))
    : encoder.encode(`${prng.pick(ESCAPES)}${chat(prng)}\n`);
}

/**
 * One fuzzing client until `deadline`: connection after connection, each a
 * random series of actions, some written in random fragments; now and then a
 * connection is reset instead of closed.
 */
async function fuzz(
  flavor: Flavor,
  port: number,
  prng: Prng,
  deadline: number,
  stats: FuzzStats,
  live: Set<Tally>,
): Promise<void> {
  for (let n = 0; performance.now() < deadline; n++) {
    if (prng.chance(0.05)) {
      // Hit and run: connect, spray, reset.
      const socket = await nodeConnect(port);
      socket.write(prng.bytes(1 + prng.int(500)));
      await reset(socket);
      stats.resets++;
      continue;
    }
    // Random bytes hold telnet commands (0xFF…), which the server answers: not text.
    const tally = await Tally.connect(port, undefined, 4096, { telnet: true });
    live.add(tally);
    stats.connections++;
    try {
      const send = async (bytes: Uint8Array) => {
        stats.bytes += bytes.length;
        if (prng.chance(0.3)) {
          // In random fragments.
          for (let offset = 0; offset < bytes.length;) {
            const size = 1 + prng.int(64);
            await writeAll(tally.conn, bytes.subarray(offset, offset + size));
            offset += size;
          }
        } else {
          await writeAll(tally.conn, bytes);
        }
      };
      if (flavor.handshake) await send(fuzzId(prng, n));
      const actions = 1 + prng.int(40);
      for (let i = 0; i < actions && performance.now() < deadline && !tally.eof; i++) {
        await send(action(prng));
        stats.actions++;
        // Pacing, part of the fuzz: a human-ish pause now and then.
        if (prng.chance(0.3)) await new Promise((r) => setTimeout(r, prng.int(30)));
      }
    } catch (error) {
      if (!isDisconnect(error)) throw error;
    } finally {
      live.delete(tally);
      await tally.close();
      stats.controls += tally.controls;
      if (tally.invalidUtf8) stats.invalidUtf8++;
      if (tally.notices.some((line) => line.startsWith("Error: ID"))) stats.refusals++;
    }
  }
}

for (const flavor of FLAVORS) {
  Deno.test(`${flavor.name}: ${FUZZERS} clients fuzz it: it stays up and bounded`, async () => {
    const seed = faultSeed(`${flavor.name} fuzz`);
    const options = {
      args: flavor.handshake ? ["--handshake-timeout", "2000"] : [],
      rssBound: FUZZ_RSS_BOUND,
    };
    await withFaultProcess(flavor, options, async ({ server, port, witnesses }) => {
      const stats: FuzzStats = {
        actions: 0,
        connections: 0,
        resets: 0,
        bytes: 0,
        refusals: 0,
        controls: 0,
        invalidUtf8: 0,
      };
      const live = new Set<Tally>();
      const deadline = performance.now() + FUZZ_MS;
      // At the deadline, end the connections still open: a write the server is
      // holding back (flow control, rate limit) must not outlast the fuzz.
      const stop = setTimeout(() => live.forEach((tally) => tally.conn.close()), FUZZ_MS);
      try {
        await witnesses.during(Promise.all(
          Array.from(
            { length: FUZZERS },
            (_, i) => fuzz(flavor, port, new Prng(seed + i), deadline, stats, live),
          ),
        ));
      } finally {
        clearTimeout(stop);
      }
      console.log(
        `${flavor.name} fuzz: ${stats.actions} actions, ${(stats.bytes / MIB).toFixed(1)} MiB, ` +
          `${stats.connections} connections, ${stats.resets} resets, ${stats.refusals} IDs ` +
          `refused, ${server.messages} messages relayed, ${witnesses.exchanged} witness ` +
          `messages, ${
            server.log.filter((l) => l.startsWith("Accept failed")).length
          } failed accepts`,
      );
      assert.ok(stats.actions >= FUZZERS * 10, `the fuzz ran: ${stats.actions} actions`);
      assert.ok(server.messages > 1000, `the server relayed the valid chat: ${server.messages}`);
      assert.equal(stats.controls, 0, "no fuzzer was sent a control code");
      assert.equal(stats.invalidUtf8, 0, "no fuzzer was sent invalid UTF-8");
    });
  });
}
