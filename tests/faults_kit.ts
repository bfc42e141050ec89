/**
 * The fault suite's kit: how large the faults are, a seeded PRNG, a pair of
 * well-behaved witnesses that chat through every fault, a server as a real
 * subprocess whose memory and file descriptors can be read, and the checks
 * every fault case ends with:
 *
 * 1. the server is still up and serving: a fresh pair of members can chat;
 * 2. the other members lost nothing: every witness message arrived, once, in
 *    order, and no control code reached anyone;
 * 3. memory stayed bounded: every member's queue stayed under a bound, the
 *    room and the admission count came back to normal, and no file
 *    descriptor leaked (a subprocess server's RSS is checked too).
 *
 * Set `FAULT_SCALE=full` for the large sizes, `FAULT_SEED=N` to replay a
 * seeded run.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { Changes } from "./changes.ts";
import net from "node:net";
import { once } from "node:events";
import { type Flavor, type ServerUnderTest } from "./flavors.ts";
import { LineClient, WAIT_MS } from "./line_client.ts";
import { type ServerOptions } from "../lib/server_options.ts";
import { isDisconnect } from "../lib/errors.ts";
import { DEFAULT_HIGH_WATER_BYTES } from "../lib/member.ts";
import { TelnetFilter } from "../lib/telnet.ts";
import { writeAll } from "../lib/write_all.ts";
import { parseMemoryMiB } from "../bench/proc.ts";
import { sleep } from "../lib/deadlines.ts";

/** Whether the faults run at full size (`FAULT_SCALE=full`) rather than CI size. */
export const FULL_SCALE = Deno.env.get("FAULT_SCALE") === "full";

/** `ci` at CI size, `full` with `FAULT_SCALE=full`. */
export function atScale<T>(ci: T, full: T): T {
  return FULL_SCALE ? full : ci;
}

/** One mebibyte. */
export const MIB = 1024 * 1024;

/**
 * The most any member's outbound queue may hold during a fault, with default
 * options: four times the high-water mark at which the room pauses senders.
 */
export const QUEUE_BOUND = 4 * DEFAULT_HIGH_WATER_BYTES;

/** What must never reach a member: C0 controls, DEL and the C1 controls U+0080–U+009F. */
export const CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f]/;

const encoder = new TextEncoder();

/**
 * A small seeded PRNG (mulberry32), so a failing fuzz run can be replayed.
 *
 * @example Usage
 * ```ts
 * import { Prng } from "./faults_kit.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new Prng(7).next(), new Prng(7).next());
 * ```
 */
export class Prng {
  #state: number;

  /** Makes a generator from `seed` (any 32-bit integer). */
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next 32-bit unsigned integer. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer from 0 up to, not including, `n`. */
  int(n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n);
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = this.next() & 0xff;
    return bytes;
  }
}

/**
 * The seed for a seeded case: `FAULT_SEED` if set, else a fresh one. It is
 * printed, so any failure can be replayed with `FAULT_SEED=N`.
 */
export function faultSeed(what: string): number {
  const given = Deno.env.get("FAULT_SEED");
  const seed = given ? Number(given) >>> 0 : crypto.getRandomValues(new Uint32Array(1))[0];
  console.log(`${what}: seed ${seed} (FAULT_SEED=${seed} replays it)`);
  return seed;
}

/** Resolves once `check` holds, checking every few ms; fails after `waitMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  waitMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function commandOutput(command: string, args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command(command, { args, stderr: "null" }).output();
  return new TextDecoder().decode(stdout);
}

/** A process's resident memory now and at its peak, in bytes, from `/proc/PID/status`. */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  // Through cat: Deno asks for --allow-all to read /proc directly.
  const memory = parseMemoryMiB(await commandOutput("cat", [`/proc/${pid}/status`]));
  if (memory === null) throw new Error(`No memory figures for process ${pid}: is it gone?`);
  return { rss: memory.rss * MIB, peak: memory.peak * MIB };
}

/** Values of the `tr` field of /proc/net/tcp: which timer of a socket is pending. */
export const TCP_TIMER = { none: "00", retransmit: "01", keepalive: "02" } as const;

/**
 * The pending-timer fields (see {@linkcode TCP_TIMER}) of both ends of the
 * established loopback TCP connection between `port` and `peerPort`, from one
 * read of /proc/net/tcp: `[port's end, peerPort's end]`.
 */
export async function tcpTimers(port: number, peerPort: number): Promise<[string, string]> {
  const address = (port: number) => `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const ESTABLISHED = "01";
  const timers = new Map<string, string>();
  for (const row of (await commandOutput("cat", ["/proc/net/tcp"])).split("\n").slice(1)) {
    const [, from, to, state, , timer] = row.trim().split(/\s+/); // sl local rem st tx:rx tr:when
    if (state === ESTABLISHED) timers.set(`${from} ${to}`, timer.slice(0, 2));
  }
  const end = (from: number, to: number) => {
    const timer = timers.get(`${address(from)} ${address(to)}`);
    if (timer === undefined) {
      throw new Error(`No connection from port ${from} to port ${to} in /proc/net/tcp`);
    }
    return timer;
  };
  return [end(port, peerPort), end(peerPort, port)];
}

/** How many file descriptors a process has open, from `ls /proc/PID/fd`. */
export async function openFds(pid: number): Promise<number> {
  return (await commandOutput("ls", [`/proc/${pid}/fd`])).split("\n").filter(Boolean).length;
}

/** Waits until `pid` has no more open descriptors than `baseline`; returns the count. */
export async function fdsBackTo(pid: number, baseline: number, what: string): Promise<number> {
  let count = Infinity;
  await until(async () => (count = await openFds(pid)) <= baseline, `${what}: ${count} fds`);
  return count;
}

/**
 * Connects with node:net, which can reset a connection (SO_LINGER 0, which
 * Deno's own sockets cannot); resolves once connected.
 */
export async function nodeConnect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await once(socket, "connect");
  socket.setNoDelay(true);
  return socket;
}

/** Resets `socket`: the peer gets an RST, not a FIN. Resolves once it is closed. */
export async function reset(socket: net.Socket): Promise<void> {
  const closed = once(socket, "close");
  socket.resetAndDestroy();
  await closed;
}

/**
 * Connects and at once closes `count` connections, `lanes` at a time; with
 * `resets`, every other one with a reset (RST) rather than a FIN.
 */
export async function connectAndClose(
  port: number,
  count: number,
  options: { lanes?: number; resets?: boolean } = {},
): Promise<void> {
  const { lanes = 10, resets = false } = options;
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    for (let i = lane; i < count; i += lanes) {
      if (!resets || i % 2 === 0) {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      } else {
        await reset(await nodeConnect(port));
      }
    }
  }));
}

/** Formats bytes as MiB for messages. */
export function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/** Every line `client` received that holds a control code. */
export function controlLines(client: LineClient): string[] {
  return client.lines.filter((line) => CONTROL_CHARS.test(line));
}

let joins = 0;

/** A fresh ID, so no two joins in a run collide. */
export function freshId(stem: string): string {
  return `${stem}${++joins}`;
}

/**
 * Connects a member and waits until it is in the room. On the threaded
 * server it joins as a fresh ID made from `stem`; `id` is what to expect in
 * its messages' prefix there.
 */
export async function joinMember(
  flavor: Flavor,
  port: number,
  stem: string,
  options: { paused?: boolean } = {},
): Promise<{ client: LineClient; id: string }> {
  const id = freshId(stem);
  const client = await flavor.join(port, id, options);
  if (!options.paused) await flavor.joined(client);
  return { client, id };
}

/** The notice the room gets when the member called `name` (its ID, or `ip:port`) enters. */
export function enterNotice(flavor: Flavor, name: string): string {
  return flavor.handshake ? `client${name}- enter` : `Client (${name}) entered room`;
}

/** The name the room knows a member by: its ID, or the `ip:port` of `conn`. */
export function nameOf(flavor: Flavor, conn: Deno.TcpConn, id: string): string {
  return flavor.handshake ? id : `127.0.0.1:${conn.localAddr.port}`;
}

/**
 * Joins a {@linkcode Tally} as a fresh ID made from `stem` (where IDs are
 * chosen) and waits until it is in the room.
 */
export async function joinTally(
  flavor: Flavor,
  port: number,
  stem: string,
): Promise<{ tally: Tally; id: string; name: string }> {
  const id = freshId(stem);
  const tally = await Tally.connect(port, flavor.handshake ? id : undefined);
  const name = nameOf(flavor, tally.conn, id);
  const joined = flavor.handshake ? /^Server: welcome/ : enterNotice(flavor, name);
  await tally.until(
    () => tally.notices.some((n) => typeof joined === "string" ? n === joined : joined.test(n)),
    `${name} to join`,
  );
  return { tally, id, name };
}

/** How a message `text` from `client` (joined as `id`) reads to the others. */
export function said(flavor: Flavor, client: LineClient, id: string, text: string): string {
  return flavor.handshake ? `[${id}]${text}` : `[${flavor.nameOf(client)}] : ${text}`;
}

/** The notice the room gets when `client` (joined as `id`) leaves, for `reason`. */
export function leaveOf(flavor: Flavor, client: LineClient, id: string, reason?: string) {
  return flavor.leaveNotice(flavor.handshake ? id : flavor.nameOf(client), reason);
}

/**
 * Two well-behaved members, alice and bob, that chat through a fault: each
 * message is sent only when the last one arrived, so the chat goes on for as
 * long as the fault does, and a lost message shows as a timeout.
 *
 * While {@linkcode WitnessPair.during} runs, only it may wait on alice or
 * bob: a {@linkcode LineClient} wakes one waiter at a time.
 */
export class WitnessPair {
  #sent: [string[], string[]] = [[], []];
  #count = 0;

  private constructor(
    readonly flavor: Flavor,
    readonly alice: LineClient,
    readonly aliceId: string,
    readonly bob: LineClient,
    readonly bobId: string,
  ) {}

  /** Joins alice, then bob, and waits until both are in. */
  static async join(flavor: Flavor, port: number): Promise<WitnessPair> {
    const alice = await joinMember(flavor, port, "alice");
    const bob = await joinMember(flavor, port, "bob");
    return new WitnessPair(flavor, alice.client, alice.id, bob.client, bob.id);
  }

  /** How many messages the pair exchanged. */
  get exchanged(): number {
    return this.#count;
  }

  /** One message, alice to bob or bob to alice in turn, awaited until it arrives. */
  async exchange(): Promise<void> {
    const k = this.#count++;
    const fromAlice = k % 2 === 0;
    const [from, fromId, to] = fromAlice
      ? [this.alice, this.aliceId, this.bob]
      : [this.bob, this.bobId, this.alice];
    const text = `witness ${k}`;
    this.#sent[fromAlice ? 0 : 1].push(said(this.flavor, from, fromId, text));
    await from.send(text);
    await to.expect(said(this.flavor, from, fromId, text));
  }

  /**
   * Chats until `fault` settles, and at least `min` messages, then returns
   * what `fault` resolved to (or throws what it threw).
   */
  async during<T>(fault: Promise<T>, min = 4): Promise<T> {
    let done = false;
    // Observed at once, so that a fault failing mid-chat is no unhandled rejection; what it
    // threw is thrown below, once the chat stops.
    const outcome = fault
      .then((value) => ({ value }), (error: unknown) => ({ error }))
      .finally(() => done = true);
    try {
      for (let i = 0; !done || i < min; i++) await this.exchange();
    } catch (error) {
      const result = await outcome;
      if (!("error" in result)) throw error;
      throw new AggregateError([error, result.error], "Both the chat and the fault failed");
    }
    const result = await outcome;
    if ("error" in result) throw result.error;
    return result.value;
  }

  /**
   * Asserts that every witness message arrived exactly once and in order, and
   * that nothing either witness received holds a control code.
   */
  verify(): void {
    const [fromAlice, fromBob] = this.#sent;
    const got = (client: LineClient, sent: string[]) =>
      client.lines.filter((line) => sent.length > 0 && sameSender(line, sent[0]));
    assert.deepEqual(got(this.bob, fromAlice), fromAlice, "bob got all of alice's messages");
    assert.deepEqual(got(this.alice, fromBob), fromBob, "alice got all of bob's messages");
    for (const witness of [this.alice, this.bob]) {
      assert.deepEqual(controlLines(witness), [], "no control code reached a witness");
    }
  }

  /** Closes both witnesses. */
  async close(): Promise<void> {
    await Promise.all([this.alice.close(), this.bob.close()]);
  }
}

/** Whether `line` is a witness message from the sender of `sample`. */
function sameSender(line: string, sample: string): boolean {
  const prefix = sample.slice(0, sample.indexOf("witness "));
  return line.startsWith(prefix) && /witness \d+$/.test(line);
}

/**
 * Asserts the server at `port` is serving: a fresh pair joins and chats both
 * ways. With `watcher`, waits until the watcher saw them leave again.
 */
export async function assertServing(
  flavor: Flavor,
  port: number,
  watcher?: LineClient,
): Promise<void> {
  const a = await joinMember(flavor, port, "fresh");
  const b = await joinMember(flavor, port, "fresh");
  await a.client.send("ping after the fault");
  await b.client.expect(said(flavor, a.client, a.id, "ping after the fault"));
  await b.client.send("pong after the fault");
  await a.client.expect(said(flavor, b.client, b.id, "pong after the fault"));
  for (const { client, id } of [a, b]) {
    await client.close();
    await watcher?.expect(leaveOf(flavor, client, id));
  }
}

/**
 * Asserts the server admits exactly `free` more members: `free` join, and the
 * next one is refused as full. Then they all leave and `watcher` sees them go.
 */
export async function assertAdmits(
  flavor: Flavor,
  port: number,
  free: number,
  watcher: LineClient,
): Promise<void> {
  const members: { client: LineClient; id: string }[] = [];
  for (let i = 0; i < free; i++) members.push(await joinMember(flavor, port, "fill"));
  // The extra one sends nothing: its refusal comes before any ID is read.
  const extra = await LineClient.connect(port);
  assert.match(await extra.expect(/^Error/), /^Error: Server is full: (\d+) of \1 places/);
  await extra.expectClose();
  await extra.close();
  for (const { client, id } of members) {
    await client.close();
    await watcher.expect(leaveOf(flavor, client, id));
  }
}

/** Options of {@linkcode withFaultRoom}: the server's, plus the queue bound. */
export interface FaultRoomOptions extends Partial<ServerOptions> {
  /** The threaded server's partial-line time, in ms. */
  partialLineMs?: number;
  /** The most a member's queue may hold at any time, in bytes. */
  queueBound?: number;
}

/** An in-process server under fault, its log, and its witness pair. */
export interface FaultRoom {
  readonly flavor: Flavor;
  readonly server: ServerUnderTest;
  readonly port: number;
  /** Every line the server logged. */
  readonly log: string[];
  readonly witnesses: WitnessPair;
  /** A third well-behaved member, for the fault to wait on while the witnesses chat. */
  readonly watcher: LineClient;
  /** The largest queue any member had so far, in bytes. */
  readonly maxQueued: number;
}

/** The maxClients of a fault room unless a case sets it. */
export const FAULT_ROOM_MAX_CLIENTS = 10;

/**
 * Runs `fault` against an in-process server of `flavor` with a witness pair
 * and a watcher in its room, then checks that the server survived it: the
 * room is back to those three, no descriptor leaked, no queue passed its
 * bound, the witnesses lost nothing, a fresh pair can chat, and exactly
 * `maxClients` members fit again.
 */
export async function withFaultRoom(
  flavor: Flavor,
  options: FaultRoomOptions,
  fault: (room: FaultRoom) => Promise<void>,
): Promise<void> {
  const { queueBound = QUEUE_BOUND, ...serverOptions } = options;
  const maxClients = serverOptions.maxClients ?? FAULT_ROOM_MAX_CLIENTS;
  const log: string[] = [];
  const server = flavor.start({ log: (line) => log.push(line), maxClients, ...serverOptions });
  const port = server.addr.port;
  let witnesses: WitnessPair | undefined;
  let watcher: LineClient | undefined;
  let maxQueued = 0;
  const watch = setInterval(() => {
    for (const member of server.room) maxQueued = Math.max(maxQueued, member.queuedBytes);
  }, 2);
  try {
    witnesses = await WitnessPair.join(flavor, port);
    watcher = (await joinMember(flavor, port, "watcher")).client;
    await openFds(Deno.pid); // the first child process opens descriptors that stay
    const fdBaseline = await openFds(Deno.pid);
    const room: FaultRoom = {
      flavor,
      server,
      port,
      log,
      witnesses,
      watcher,
      get maxQueued() {
        return maxQueued;
      },
    };
    await fault(room);
    await until(() => server.room.size === 3, "the room to be back to its first three");
    await fdsBackTo(Deno.pid, fdBaseline, "every descriptor of the fault to be closed");
    clearInterval(watch);
    console.log(`${flavor.name}: largest member queue ${maxQueued} bytes (bound ${queueBound})`);
    assert.ok(maxQueued < queueBound, `queues stayed under ${queueBound} bytes: ${maxQueued}`);
    await witnesses.exchange();
    witnesses.verify();
    assert.deepEqual(controlLines(watcher), [], "no control code reached the watcher");
    await assertServing(flavor, port, watcher);
    await assertAdmits(flavor, port, maxClients - 3, watcher);
    assert.equal(server.room.size, 3);
  } finally {
    clearInterval(watch);
    await witnesses?.close();
    await watcher?.close();
    await server.shutdown();
  }
}

/** The two server scripts, as subprocesses. */
export type ServerScript = "server.ts" | "select_server.ts";

/** The script of each flavor. */
export function scriptOf(flavor: Flavor): ServerScript {
  return flavor.handshake ? "server.ts" : "select_server.ts";
}

/** The console line by which each server script says it listens. */
export const LISTENING: Record<ServerScript, RegExp> = {
  "server.ts": /^Listening on /,
  "select_server.ts": /^Server started!$/,
};

/** The command line that runs `script` on `port` of 127.0.0.1 with `args`, the program first. */
export function serverCommandLine(script: ServerScript, port: number, args: string[] = []) {
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    "--allow-net",
    fileURLToPath(new URL(`../${script}`, import.meta.url)),
    String(port),
    "--host",
    "127.0.0.1",
    ...args,
  ];
}

/** A free port on 127.0.0.1, as far as anyone can know before using it. */
export function freePort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = probe.addr;
  probe.close();
  return port;
}

/**
 * A server script as a real subprocess on 127.0.0.1. Its console is read as
 * it comes; chat messages are counted, not kept, so a long fuzz does not
 * fill the test's memory.
 */
export class ServerProcess {
  readonly child: Deno.ChildProcess;
  readonly port: number;
  /** Console lines other than chat messages. */
  readonly log: string[] = [];
  /** Chat messages logged (lines starting with `[` or `* `). */
  messages = 0;
  readonly stderr: string[] = [];
  readonly status: Promise<Deno.CommandStatus>;
  #changes = new Changes();
  #exited = false;

  private constructor(child: Deno.ChildProcess, port: number) {
    this.child = child;
    this.port = port;
    const reading = Promise.all([
      this.#collect(child.stdout, (line) => {
        if (line.startsWith("[") || line.startsWith("* ")) this.messages++;
        else this.log.push(line);
      }),
      this.#collect(child.stderr, (line) => this.stderr.push(line)),
    ]);
    this.status = reading.then(() => child.status).finally(() => {
      this.#exited = true;
      this.#changes.notify();
    });
  }

  /**
   * Starts `script` on a free port of 127.0.0.1 with `args`, and waits until
   * it listens. With `maxOpenFiles`, runs it under that open-file limit.
   */
  static async start(
    script: ServerScript,
    args: string[] = [],
    options: { maxOpenFiles?: number; port?: number } = {},
  ): Promise<ServerProcess> {
    const port = options.port ?? freePort();
    const deno = serverCommandLine(script, port, args);
    const [command, ...commandArgs] = options.maxOpenFiles
      ? ["prlimit", `--nofile=${options.maxOpenFiles}`, ...deno]
      : deno;
    const child = new Deno.Command(command, {
      args: commandArgs,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const server = new ServerProcess(child, port);
    await server.expectLog(LISTENING[script]);
    return server;
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid;
  }

  /** Whether the process ended. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Waits for a console line (other than a chat message) matching `pattern`. */
  async expectLog(
    pattern: RegExp | string | ((line: string) => boolean),
    waitMs = WAIT_MS,
  ): Promise<string> {
    const matches = (line: string) =>
      typeof pattern === "string"
        ? line === pattern
        : typeof pattern === "function"
        ? pattern(line)
        : pattern.test(line);
    const deadline = Date.now() + waitMs;
    while (true) {
      const line = this.log.find(matches);
      if (line !== undefined) return line;
      if (this.#exited || !await this.#changes.wait(deadline - Date.now())) {
        throw new Error(
          `No console line matching ${pattern}; last: ${JSON.stringify(this.log.slice(-5))}, ` +
            `stderr: ${JSON.stringify(this.stderr.slice(-5))}`,
        );
      }
    }
  }

  /** Its memory now and at its peak, in bytes. */
  memory(): Promise<{ rss: number; peak: number }> {
    return memoryOf(this.pid);
  }

  /** Its open file descriptors. */
  fds(): Promise<number> {
    return openFds(this.pid);
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    if (!this.#exited) this.child.kill(signal);
    return await this.status;
  }

  async #collect(stream: ReadableStream<Uint8Array>, take: (line: string) => void) {
    let partial = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (partial + text).split("\n");
      partial = parts.pop()!;
      parts.forEach(take);
      this.#changes.notify();
    }
    if (partial) take(partial);
  }
}

/**
 * A raw member that reads as fast as it can and keeps only counts: lines,
 * chat messages (lines starting with `[`), payload lines (messages ending
 * in `x`), control bytes seen, and the text of notices (other lines, the
 * first 1000). For many members or much traffic, where a
 * {@linkcode LineClient} would keep every line.
 */
export class Tally {
  lines = 0;
  messages = 0;
  payloads = 0;
  /** Control characters received: C0 other than `\n`, DEL, or C1. */
  controls = 0;
  /** How the connection ended, if not with a clean end of stream: `"ConnectionReset"`, say. */
  resetBy: string | undefined;
  /** When the connection ended, as `performance.now()`. */
  endedAt: number | undefined;
  /** Whether any byte received was not valid UTF-8. */
  invalidUtf8 = false;
  #utf8 = new TextDecoder("utf-8", { fatal: true });
  #telnet: TelnetFilter | undefined;
  /** A telnet member's last chunk ended in CR: is it the start of a CR LF? */
  #cr = false;
  readonly notices: string[] = [];
  #eof = false;
  #reading: Promise<void>;
  #changes = new Changes();

  /**
   * Reads `conn` with a buffer of `bufferSize` bytes: small for many idle connections. With
   * `telnet`, for a member that sends 0xFF, the server's answers to its telnet commands are
   * taken out before anything is counted: they are telnet's, not text; and so is the CR of the
   * CR LF its lines may end in.
   */
  constructor(readonly conn: Deno.TcpConn, bufferSize = 64 * 1024, options: TallyOptions = {}) {
    if (options.telnet) this.#telnet = new TelnetFilter({ reply: () => {} });
    this.#reading = this.#read(bufferSize);
  }

  /** Connects to `port` on 127.0.0.1, sending `id` first when given. */
  static async connect(
    port: number,
    id?: string,
    bufferSize?: number,
    options?: TallyOptions,
  ): Promise<Tally> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    if (id !== undefined) await writeAll(conn, encoder.encode(`${id}\n`));
    return new Tally(conn, bufferSize, options);
  }

  /** Whether the server closed the connection. */
  get eof(): boolean {
    return this.#eof;
  }

  /** Waits until `check` holds, re-checking whenever bytes arrive. */
  async until(check: () => boolean, what: string, waitMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (!check()) {
      if (this.#eof) throw new Error(`Closed while waiting for ${what}`);
      if (!await this.#changes.wait(deadline - Date.now())) {
        throw new Error(`Timed out waiting for ${what}; notices: ${this.notices.slice(-3)}`);
      }
    }
  }

  /** Waits until the server closes the connection. */
  async untilClosed(waitMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (!this.#eof) {
      if (!await this.#changes.wait(deadline - Date.now())) {
        throw new Error("Timed out waiting for the server to close the connection");
      }
    }
  }

  /** Closes the connection and waits for the reader to stop. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
    await this.#reading;
  }

  async #read(bufferSize: number): Promise<void> {
    const buffer = new Uint8Array(bufferSize);
    const decoder = new TextDecoder();
    let lineStart = true;
    let message = false;
    let last = 0x0a;
    let notice: Uint8Array[] = [];
    try {
      while (true) {
        const read = await this.conn.read(buffer);
        if (read === null) break;
        let chunk = buffer.subarray(0, read);
        if (this.#telnet) chunk = this.#withoutCr(this.#telnet.push(chunk));
        const count = chunk.length;
        if (count === 0) continue;
        this.#scan(chunk);
        for (let start = 0; start < count;) {
          if (lineStart) message = chunk[start] === 0x5b;
          lineStart = false;
          const end = chunk.indexOf(0x0a, start);
          const keep = !message && this.notices.length < 1000;
          if (end === -1) {
            if (keep) notice.push(chunk.slice(start));
            break;
          }
          this.lines++;
          if (message) {
            this.messages++;
            if ((end > start ? chunk[end - 1] : last) === 0x78) this.payloads++;
          } else if (keep) {
            notice.push(chunk.slice(start, end));
            this.notices.push(decoder.decode(concat(notice)));
          }
          notice = [];
          lineStart = true;
          start = end + 1;
        }
        last = chunk[count - 1];
        this.#changes.notify();
      }
    } catch (error) {
      if (!isDisconnect(error)) throw error;
      this.resetBy = error instanceof Error ? error.name : String(error);
    }
    this.endedAt = performance.now();
    this.#eof = true;
    this.#changes.notify();
  }

  /**
   * Takes the CR out of each CR LF, which ends a telnet client's lines (a CR alone stays, to be
   * counted); a CR at the end of a chunk waits for the next.
   */
  #withoutCr(chunk: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    if (chunk.length === 0) return chunk;
    const out = new Uint8Array(chunk.length + 1);
    let length = 0;
    if (this.#cr && chunk[0] !== LF) out[length++] = CR;
    this.#cr = chunk[chunk.length - 1] === CR;
    const end = this.#cr ? chunk.length - 1 : chunk.length;
    for (let i = 0; i < end; i++) {
      if (chunk[i] !== CR || chunk[i + 1] !== LF) out[length++] = chunk[i];
    }
    return out.subarray(0, length);
  }

  /** Checks a chunk for invalid UTF-8 and control codes, with the platform's decoder. */
  #scan(chunk: Uint8Array): void {
    let text: string;
    try {
      text = this.#utf8.decode(chunk, { stream: true });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // TypeError: not valid UTF-8
      this.invalidUtf8 = true;
      this.#utf8 = new TextDecoder("utf-8", { fatal: true });
      text = new TextDecoder().decode(chunk);
    }
    this.controls += text.match(CONTROLS_BUT_NEWLINE)?.length ?? 0;
  }
}

const CONTROLS_BUT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g;
const CR = 0x0d;
const LF = 0x0a;

/** Options for {@linkcode Tally}. */
export interface TallyOptions {
  /** Take the server's telnet answers and CR LF's CR out of what is read: for one that sent 0xFF. */
  telnet?: boolean;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Whether `line` is a server's log line for refusing a peer, for any reason. */
export function isRefusal(line: string): boolean {
  return /^Refused (127\.0\.0\.1:\d+|\(127\.0\.0\.1, \d+\)): /.test(line);
}

/**
 * How many refusals a server's log accounts for: those logged, and those
 * past its ten a second that it counted instead.
 */
export function refusalCount(log: readonly string[]): number {
  let count = 0;
  for (const line of log) {
    if (isRefusal(line)) count++;
    else count += Number(/^\((\d+) more refusals not logged: /.exec(line)?.[1] ?? 0);
  }
  return count;
}

/** How `flavor`'s log names a refused peer on 127.0.0.1. */
export function refusalPrefix(flavor: Flavor): RegExp {
  return flavor.handshake ? /^Refused 127\.0\.0\.1:\d+: / : /^Refused \(127\.0\.0\.1, \d+\): /;
}

/**
 * Opens `count` connections at once, `batch` at a time (so the listen queue
 * never overflows), each read by a small {@linkcode Tally}.
 */
export async function openConnections(port: number, count: number, batch = 200): Promise<Tally[]> {
  const tallies: Tally[] = [];
  for (let i = 0; i < count; i += batch) {
    const size = Math.min(batch, count - i);
    tallies.push(
      ...await Promise.all(Array.from({ length: size }, () => Tally.connect(port, undefined, 512))),
    );
  }
  return tallies;
}

/**
 * Asserts the server admits exactly `free` more connections: it refuses
 * none of `free` bare connections and then refuses the next one as full.
 * Connections are made one after another, so they are accepted in order and
 * any early refusal would be logged before the last one.
 */
export async function assertAdmitsConnections(
  flavor: Flavor,
  server: ServerProcess,
  free: number,
): Promise<void> {
  const refusalsBefore = refusalCount(server.log);
  const linesBefore = server.log.filter(isRefusal).length;
  const conns: Tally[] = [];
  try {
    for (let i = 0; i < free; i++) conns.push(await Tally.connect(server.port, undefined, 512));
    const extra = await Tally.connect(server.port, undefined, 512);
    conns.push(extra);
    await extra.until(() => extra.notices.length > 0, "the refusal");
    assert.match(extra.notices[0], /^Error: Server is full: (\d+) of \1 places are taken$/);
    await until(() => refusalCount(server.log) > refusalsBefore, "the refusal's log");
    const refusals = server.log.filter(isRefusal).slice(linesBefore);
    const count = refusalCount(server.log) - refusalsBefore;
    assert.equal(count, 1, `only the extra one was refused: ${refusals.slice(0, 3)}`);
    for (const line of refusals) assert.match(line, refusalPrefix(flavor)); // unless counted
    assert.ok(conns.slice(0, -1).every((conn) => !conn.eof), "the others stay connected");
  } finally {
    await Promise.all(conns.map((conn) => conn.close()));
  }
}

/** A server subprocess under fault, and its witness pair and watcher. */
export interface FaultProcess {
  readonly flavor: Flavor;
  readonly server: ServerProcess;
  readonly port: number;
  readonly witnesses: WitnessPair;
  /** A third well-behaved member, for the fault to wait on while the witnesses chat. */
  readonly watcher: LineClient;
}

/** Options of {@linkcode withFaultProcess}. */
export interface FaultProcessOptions {
  /** The server's command-line options (`--max-clients` aside). */
  args?: string[];
  /** The server's `--max-clients`; when given, exactly that many must fit again afterwards. */
  maxClients?: number;
  /**
   * How to check that exactly `maxClients` fit again: as members that join
   * (the default), or as bare connections, for sizes where every join's
   * notices to everyone would cost too much.
   */
  refill?: "members" | "connections";
  /** The most resident memory the server may ever use, in bytes. */
  rssBound: number;
  /** The server's open-file limit, if lower than the test's. */
  maxOpenFiles?: number;
}

/**
 * Runs `fault` against a server script of `flavor` in a subprocess with a
 * witness pair and a watcher connected, then checks that it survived: no
 * descriptor leaked (its fd count is back to where it was), its peak RSS
 * stayed under the bound, the witnesses lost nothing, a fresh pair can chat,
 * with `maxClients` exactly that many fit again, it wrote nothing to stderr,
 * and SIGTERM ends it with status 0.
 */
export async function withFaultProcess(
  flavor: Flavor,
  options: FaultProcessOptions,
  fault: (fault: FaultProcess) => Promise<void>,
): Promise<void> {
  const { maxClients, rssBound } = options;
  const args = [...options.args ?? []];
  if (maxClients) args.push("--max-clients", String(maxClients));
  const server = await ServerProcess.start(scriptOf(flavor), args, options);
  const port = server.port;
  let witnesses: WitnessPair | undefined;
  let watcher: LineClient | undefined;
  try {
    witnesses = await WitnessPair.join(flavor, port);
    watcher = (await joinMember(flavor, port, "watcher")).client;
    const fdBaseline = await server.fds();
    await fault({ flavor, server, port, witnesses, watcher });
    await fdsBackTo(server.pid, fdBaseline, "the server to close every descriptor of the fault");
    const { peak } = await server.memory();
    console.log(`${flavor.name}: peak RSS ${mib(peak)} (bound ${mib(rssBound)})`);
    assert.ok(peak < rssBound, `peak RSS ${mib(peak)} stayed under ${mib(rssBound)}`);
    await witnesses.exchange();
    witnesses.verify();
    assert.deepEqual(controlLines(watcher), [], "no control code reached the watcher");
    await assertServing(flavor, port, watcher);
    if (maxClients && options.refill === "connections") {
      await assertAdmitsConnections(flavor, server, maxClients - 3);
    } else if (maxClients) {
      await assertAdmits(flavor, port, maxClients - 3, watcher);
    }
    assert.equal(server.exited, false, "the server is still running");
    await Promise.all([witnesses.close(), watcher.close()]);
    assert.equal((await server.stop()).code, 0, "SIGTERM ends it with status 0");
    assert.deepEqual(server.stderr, [], "nothing went to stderr");
  } finally {
    await witnesses?.close();
    await watcher?.close();
    await server.stop();
  }
}
