/**
 * A load generator for line-based TCP group-chat servers, a TypeScript port of
 * `chatbench.c` (see `../shared/bench/`) that runs inside one Deno process.
 *
 * It connects `members` members in waves (500 by default) and waits until the server
 * has taken each wave in: the last member connected sends the barrier line
 * `#s <round>` until every other member has received one. (A TCP connect
 * completes before the server accepts it; a client that connects faster than
 * the server accepts overflows the listen queue, and a server that announces
 * every join may be busy for a while.) Then it holds while the server settles,
 * calls {@linkcode LoadOptions.onHold} so a harness can read the server's
 * memory while everyone is connected, and the first `senders` members send
 * `messages` lines each at an aggregate `rate`. Every line has chatbench's
 * format `#m <sender> <seq> <t_ns> xxxx...\n`, `size` bytes with the newline.
 * Lines without `#m ` (join notices, barrier lines) are not deliveries.
 *
 * A delivery is a received line that contains `#m ` from another member,
 * wherever the server put its own prefix. Lines from the receiving member
 * itself (a server that echoes to the sender) and lines without `#m ` (notices)
 * are not deliveries. Latency runs from the send timestamp to the read that
 * brought the line, on one monotonic clock (`performance.now()`).
 *
 * To cost the server under test little, reads go into one large buffer per
 * member, lines are parsed by hand on bytes, writes carry many lines at once
 * when bursting, and Nagle's algorithm is off on every socket.
 *
 * Run it on its own (flags mirror chatbench's arguments):
 *
 * ```sh
 * deno run -A bench/loadgen.ts --port 7000 --members 100 --messages 300 --rate 0 --noid
 * ```
 *
 * @module
 */

import { setImmediate } from "node:timers";
import {
  type CommandSpec,
  parseCommand,
  parseInteger,
  parseRemotePort,
  runMain,
  UsageError,
} from "../lib/cli.ts";
import { isDisconnect } from "../lib/errors.ts";
import { writeAll } from "../lib/write_all.ts";
import { sleep } from "../lib/deadlines.ts";

/**
 * Whether each member first sends `u<index>\n` as its ID (the threaded server's handshake).
 *
 * @example
 * ```ts
 * import type { IdMode } from "./loadgen.ts";
 *
 * const forSelectServer: IdMode = "noid";
 * ```
 */
export type IdMode = "id" | "noid";

/**
 * What {@linkcode LoadOptions.onHold} is told once everyone is connected.
 *
 * @example
 * ```ts
 * import type { HoldInfo } from "./loadgen.ts";
 *
 * const onHold = (info: HoldInfo) => console.log(`${info.members} in ${info.connectMs} ms`);
 * ```
 */
export interface HoldInfo {
  /** Members connected. */
  members: number;
  /** Milliseconds it took to connect them all. */
  connectMs: number;
  /** Milliseconds from then until every member had received a barrier line. */
  readyMs: number;
  /** Members that had not received one when the wait gave up. */
  unready: number;
}

/**
 * Options for {@linkcode runLoad}.
 *
 * @example The steady scenario: 100 members, 5000 messages a second in all, for 3 seconds
 * ```ts
 * import type { LoadOptions } from "./loadgen.ts";
 *
 * const steady: LoadOptions = { port: 7000, members: 100, messages: 150, rate: 5000 };
 * ```
 */
export interface LoadOptions {
  /** Address of the server. @default {"127.0.0.1"} */
  hostname?: string;
  /** Port of the server. */
  port: number;
  /** Connections to open, one member each. */
  members: number;
  /** Messages each sender sends. */
  messages: number;
  /** Aggregate messages per second over all senders; 0 sends as fast as the sockets take them. @default {0} */
  rate?: number;
  /** Bytes per line, newline included (lines grow past it if the header needs more). @default {64} */
  size?: number;
  /** How many members send (the first ones); the rest only listen. @default {members - flooders} */
  senders?: number;
  /**
   * Members that flood (the ones right after the senders): each writes lines as fast as its
   * socket takes them until the senders have sent everything. Their lines count as flood
   * deliveries, not as deliveries, and get no latency. @default {0}
   */
  flooders?: number;
  /** Send `u<index>\n` first on each connection, or not. @default {"id"} */
  idMode?: IdMode;
  /**
   * Longest wait, in milliseconds, for one barrier (after each wave of connects, and once all
   * are connected); on expiry the run goes on and reports `unready`.
   * @default {until timeoutMs}
   */
  readyTimeoutMs?: number;
  /** Milliseconds to wait after everyone is ready, before sending. @default {500 + members / 5} */
  holdMs?: number;
  /** Stop once nothing has arrived for this many milliseconds after sending ends. @default {3000} */
  drainMs?: number;
  /** Give up on the whole run (connect included) after this many milliseconds. @default {120000} */
  timeoutMs?: number;
  /** Connection attempts in flight at once. @default {16} */
  connectConcurrency?: number;
  /**
   * Members connected before a barrier confirms that the server has taken them in. Keep it
   * under the server's listen backlog (`ncat` listens with a backlog of 10): past it, the
   * kernel drops connections the client believes are open. @default {500}
   */
  connectWave?: number;
  /** Bytes of each member's read buffer. @default {between 4 KiB and 256 KiB, 64 MiB over all} */
  readBufferBytes?: number;
  /** Bytes of lines per write when bursting or flooding. @default {8192} */
  burstChunkBytes?: number;
  /**
   * When bursting, how many messages may be sent but not yet delivered to everyone, over all
   * senders, so that the burst measures the server at full speed rather than the length of a
   * backlog the generator dumped at once (chatbench gets the same from its loop, which
   * interleaves sending with receiving). If deliveries stop coming for a while (a server that
   * drops lines), the window is dropped and the rest goes out unchecked. 0: no window.
   * @default {20 * senders}
   */
  burstWindow?: number;
  /** Called (and awaited) after the hold, while everyone is connected, before sending. */
  onHold?: (info: HoldInfo) => void | Promise<void>;
}

/**
 * Latency percentiles in milliseconds; `NaN` when nothing was delivered.
 *
 * @example
 * ```ts
 * import type { LatencyMs } from "./loadgen.ts";
 *
 * const spread = (latency: LatencyMs) => latency.p99 / latency.p50;
 * ```
 */
export interface LatencyMs {
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** Slowest delivery. */
  max: number;
}

/**
 * What {@linkcode runLoad} measured.
 *
 * @example
 * ```ts
 * import type { LoadResult } from "./loadgen.ts";
 *
 * const lossRate = (result: LoadResult) => result.lost / result.expected;
 * ```
 */
export interface LoadResult {
  /** Members connected. */
  members: number;
  /** Members that sent `messages` lines each. */
  senders: number;
  /** Members that flooded. */
  flooders: number;
  /** Messages per sender. */
  messages: number;
  /** Aggregate send rate asked for (0 = burst). */
  rate: number;
  /** Bytes per line. */
  size: number;
  /** Milliseconds to connect every member. */
  connectMs: number;
  /** Milliseconds from then until every member had received a barrier line. */
  readyMs: number;
  /** Members that never received a barrier line (the server had not taken them in). */
  unready: number;
  /** Lines the senders sent. */
  sent: number;
  /**
   * Lines from senders received by members other than their sender and the flooders, each
   * once: a line received again, or after a later one from the same sender, is a duplicate.
   */
  deliveries: number;
  /** `senders * messages * (members - 1 - flooders)`. */
  expected: number;
  /** `expected - deliveries`: a duplicate does not make up for a lost line. */
  lost: number;
  /** Lines from senders that a member received again, or after a later one of the same sender. */
  duplicates: number;
  /** Lines from senders received by the flooders: not the others', so not deliveries. */
  deliveriesToFlooders: number;
  /** Lines a member received that it had sent itself. */
  echoedToSelf: number;
  /** Lines the flooders sent. */
  floodSent: number;
  /** Flood lines received by members other than their sender. */
  floodDeliveries: number;
  /** Seconds from the start of sending to the last delivery. */
  seconds: number;
  /** `deliveries / seconds`. */
  deliveriesPerSec: number;
  /** `sent / seconds`. */
  messagesInPerSec: number;
  /** Send-to-receipt latency of the deliveries. */
  latencyMs: LatencyMs;
  /**
   * Send-to-receipt latency of the senders' lines echoed to their own sender, as the select
   * server does; `null` when none were. A flooder's echoes are counted in `echoedToSelf` but
   * not timed: its lines wait behind its own flood, for seconds under a rate limit.
   */
  echoLatencyMs: LatencyMs | null;
  /** Members whose connection the server closed (or broke) before the end. */
  disconnected: number;
  /** Whether the run hit `timeoutMs` before all deliveries arrived or the drain went quiet. */
  timedOut: boolean;
}

const DEFAULT_HOSTNAME = "127.0.0.1";
const DEFAULT_SIZE = 64;
const DEFAULT_DRAIN_MS = 3000;
const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_CONNECT_CONCURRENCY = 16;
const DEFAULT_BURST_CHUNK_BYTES = 8192;
const DEFAULT_BURST_WINDOW_PER_SENDER = 20;
/** A burst sender that has waited this long for deliveries with none coming drops the window. */
const BURST_STALL_MS = 200;
const HOLD_BASE_MS = 500;
const HOLD_MS_PER_MEMBER = 0.2;
const READ_BUFFER_TOTAL_BYTES = 64 * 1024 * 1024;
const READ_BUFFER_MIN_BYTES = 4 * 1024;
const READ_BUFFER_MAX_BYTES = 256 * 1024;
/** A partial line longer than this is junk; it is dropped rather than grown without end. */
const MAX_CARRY_BYTES = 1024 * 1024;
/** Room for the header `#m <sender> <seq> <t_ns> ` past `size`. */
const HEADER_SLACK_BYTES = 64;
const DRAIN_POLL_MS = 5;
const READY_POLL_MS = 10;
/**
 * Before sending starts, a member that has read what was there waits for the next tick of
 * this period before reading again, so that join notices (members² of them on a server that
 * announces every join) come in a few large reads rather than one small read each.
 */
const SETTLE_READ_TICK_MS = 5;
/** When the barrier line is first sent again while some member has not received it. */
const READY_RESEND_MS = 250;
/** The longest wait between two barrier lines. */
const READY_RESEND_MAX_MS = 2000;
const DEFAULT_CONNECT_WAVE = 500;
const LATENCY_INITIAL_CAPACITY = 1 << 16;
const LATENCY_PRESIZE_LIMIT = 1 << 24;
/** The numbers after `#m `: sender, sequence number, send time in ns. */
const HEADER_FIELDS = 3;
/** The most member-sender pairs whose order is kept (4 bytes each), to count duplicates. */
const MAX_ORDERED_PAIRS = 1 << 24;
const NS_PER_MS = 1e6;
const NS_PER_S = 1e9;

const LINE_FEED = 0x0a;
const SPACE = 0x20;
const HASH = 0x23;
const LETTER_M = 0x6d;
const LETTER_S = 0x73;
const LETTER_X = 0x78;
const DIGIT_ZERO = 0x30;

const encoder = new TextEncoder();

/** Nanoseconds on the process's monotonic clock. */
function nowNs(): number {
  return Math.floor(performance.now() * NS_PER_MS);
}

function writeUint(buf: Uint8Array, offset: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let at = offset + digits - 1;
  let rest = value;
  do {
    buf[at--] = DIGIT_ZERO + (rest % 10);
    rest = Math.floor(rest / 10);
  } while (rest > 0);
  return offset + digits;
}

/** Writes one line `#m <sender> <seq> <t_ns> xxx...\n` of `size` bytes at `offset`; returns its end. */
function writeLine(
  buf: Uint8Array,
  offset: number,
  sender: number,
  seq: number,
  tNs: number,
  size: number,
): number {
  let at = offset;
  buf[at++] = HASH;
  buf[at++] = LETTER_M;
  buf[at++] = SPACE;
  at = writeUint(buf, at, sender);
  buf[at++] = SPACE;
  at = writeUint(buf, at, seq);
  buf[at++] = SPACE;
  at = writeUint(buf, at, tNs);
  buf[at++] = SPACE;
  const padEnd = offset + size - 1;
  if (at < padEnd) {
    buf.fill(LETTER_X, at, padEnd);
    at = padEnd;
  }
  buf[at++] = LINE_FEED;
  return at;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function defaultReadBufferBytes(members: number): number {
  const share = READ_BUFFER_TOTAL_BYTES / Math.max(1, members);
  let bytes = READ_BUFFER_MIN_BYTES;
  while (bytes * 2 <= share && bytes < READ_BUFFER_MAX_BYTES) bytes *= 2;
  return bytes;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.floor((sorted.length - 1) * q)] / NS_PER_MS;
}

/** Latency samples in nanoseconds, in a buffer that doubles when full. */
class Samples {
  #values: Float64Array;
  #count = 0;

  constructor(capacity: number) {
    this.#values = new Float64Array(capacity);
  }

  get count(): number {
    return this.#count;
  }

  add(ns: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = ns;
  }

  clear(): void {
    this.#count = 0;
  }

  percentiles(): LatencyMs {
    const sorted = this.#values.subarray(0, this.#count).sort();
    return {
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: percentile(sorted, 1),
    };
  }
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Option ${name} must be an integer of at least ${min}: got "${value}"`);
  }
}

/** One connection and its parsing state. */
class Member {
  readonly index: number;
  readonly conn: Deno.TcpConn;
  /** The start of a line whose end has not arrived yet. */
  carry: Uint8Array | null = null;
  /** Lines queued while a write is in flight (paced sending). */
  pending: Uint8Array[] = [];
  writing = false;
  sent = 0;

  constructor(index: number, conn: Deno.TcpConn) {
    this.index = index;
    this.conn = conn;
  }
}

/** One run of the load generator; {@linkcode runLoad} is its public face. */
class LoadRun {
  readonly #hostname: string;
  readonly #port: number;
  readonly #members: number;
  readonly #messages: number;
  readonly #rate: number;
  readonly #size: number;
  readonly #senders: number;
  readonly #flooders: number;
  readonly #idMode: IdMode;
  readonly #holdMs: number;
  readonly #readyTimeoutMs: number | undefined;
  readonly #drainMs: number;
  readonly #deadlineNs: number;
  readonly #connectConcurrency: number;
  readonly #connectWave: number;
  readonly #readBufferBytes: number;
  readonly #burstChunkBytes: number;
  #burstWindow: number;
  readonly #onHold: LoadOptions["onHold"];

  readonly #conns: Member[] = [];
  readonly #tasks: Promise<unknown>[] = [];
  #closing = false;
  #sendingDone = false;
  #timedOut = false;

  #connectMs = 0;
  #readyMs = 0;
  /** Per member: 1 once it has received a barrier line. */
  #ready: Uint8Array;
  #readyCount = 0;
  #barrierRound = 0;
  /** Members the server closed before they received a barrier line. */
  #goneUnready = 0;
  #sent = 0;
  #floodSent = 0;
  #deliveries = 0;
  #floodDeliveries = 0;
  #echoedToSelf = 0;
  #duplicates = 0;
  #deliveriesToFlooders = 0;
  /**
   * Per member and sender (`member * senders + sender`), the last sequence number received,
   * or `null` when there are too many pairs to keep (duplicates then go uncounted).
   */
  #lastSeq: Int32Array | null;
  /** The header of the line being read: sender, sequence number and send time. */
  readonly #header = new Float64Array(HEADER_FIELDS);
  #disconnected = 0;
  #startNs = 0;
  #lastReadNs = 0;
  #lastDeliveryNs = 0;
  #latencies: Samples;
  #echoLatencies = new Samples(LATENCY_INITIAL_CAPACITY);
  /** Deliveries at which to wake the burst senders waiting for room in the window. */
  #wakeAt = Infinity;
  #wake: (() => void) | null = null;
  #progress: Promise<void> | null = null;
  /** True until sending starts. */
  #settling = true;
  #settleTick: Promise<void> | null = null;

  constructor(options: LoadOptions) {
    this.#hostname = options.hostname ?? DEFAULT_HOSTNAME;
    this.#port = options.port;
    this.#members = options.members;
    this.#messages = options.messages;
    this.#rate = options.rate ?? 0;
    this.#size = options.size ?? DEFAULT_SIZE;
    this.#flooders = options.flooders ?? 0;
    this.#senders = options.senders ?? this.#members - this.#flooders;
    this.#idMode = options.idMode ?? "id";
    this.#holdMs = options.holdMs ?? HOLD_BASE_MS + this.#members * HOLD_MS_PER_MEMBER;
    this.#readyTimeoutMs = options.readyTimeoutMs;
    this.#drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
    this.#deadlineNs = nowNs() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) * NS_PER_MS;
    this.#connectConcurrency = options.connectConcurrency ?? DEFAULT_CONNECT_CONCURRENCY;
    this.#connectWave = options.connectWave ?? DEFAULT_CONNECT_WAVE;
    this.#readBufferBytes = options.readBufferBytes ?? defaultReadBufferBytes(this.#members);
    this.#burstChunkBytes = options.burstChunkBytes ?? DEFAULT_BURST_CHUNK_BYTES;
    this.#burstWindow = options.burstWindow ?? DEFAULT_BURST_WINDOW_PER_SENDER * this.#senders;
    this.#onHold = options.onHold;

    checkCount("port", this.#port, 1);
    checkCount("members", this.#members, 1);
    checkCount("messages", this.#messages, 0);
    checkCount("senders", this.#senders, 0);
    checkCount("flooders", this.#flooders, 0);
    checkCount("size", this.#size, 1);
    checkCount("connectConcurrency", this.#connectConcurrency, 1);
    checkCount("connectWave", this.#connectWave, 1);
    checkCount("readBufferBytes", this.#readBufferBytes, 1);
    checkCount("burstChunkBytes", this.#burstChunkBytes, 1);
    checkCount("burstWindow", this.#burstWindow, 0);
    if (!(this.#rate >= 0) || !Number.isFinite(this.#rate)) {
      throw new RangeError(
        `Option rate must be a finite number of at least 0: got "${this.#rate}"`,
      );
    }
    if (this.#senders + this.#flooders > this.#members) {
      throw new RangeError(
        `Senders plus flooders must not exceed members: got "${this.#senders}" + ` +
          `"${this.#flooders}" > "${this.#members}"`,
      );
    }
    this.#ready = new Uint8Array(this.#members);
    const pairs = this.#members * this.#senders;
    this.#lastSeq = pairs <= MAX_ORDERED_PAIRS ? new Int32Array(pairs).fill(-1) : null;
    const expected = this.#expected();
    this.#latencies = new Samples(
      expected <= LATENCY_PRESIZE_LIMIT
        ? Math.max(expected, LATENCY_INITIAL_CAPACITY)
        : LATENCY_INITIAL_CAPACITY,
    );
  }

  #expected(): number {
    return this.#senders * this.#messages * (this.#members - 1 - this.#flooders);
  }

  async run(): Promise<LoadResult> {
    try {
      await this.#connectAll();
      await this.#waitUntilReady();
      await sleep(this.#holdMs);
      await this.#onHold?.({
        members: this.#members,
        connectMs: this.#connectMs,
        readyMs: this.#readyMs,
        unready: this.#members - this.#readyCount,
      });
      await this.#sendAndDrain();
      return this.#result();
    } finally {
      await this.#close();
    }
  }

  /**
   * Connects the members in waves of `connectWave`, each confirmed by a barrier
   * before the next, at the pace the server takes them in: a TCP connect completes before the
   * server accepts, and one that connects faster than the server accepts overflows the listen
   * queue (the client then believes it is connected while the server has dropped it for a
   * second or more).
   */
  async #connectAll(): Promise<void> {
    const started = nowNs();
    const abort = new AbortController();
    const remainingMs = Math.max(0, (this.#deadlineNs - started) / NS_PER_MS);
    const timer = setTimeout(() => abort.abort(), remainingMs);
    try {
      for (let first = 0; first < this.#members; first += this.#connectWave) {
        const end = Math.min(first + this.#connectWave, this.#members);
        await this.#connectRange(first, end, abort.signal);
        if (end < this.#members) await this.#barrier(end);
      }
    } finally {
      clearTimeout(timer);
    }
    this.#connectMs = (nowNs() - started) / NS_PER_MS;
  }

  /** Connects members `first` to `end - 1`, `connectConcurrency` at a time. */
  async #connectRange(first: number, end: number, signal: AbortSignal): Promise<void> {
    let next = first;
    let failure: Error | null = null;
    const worker = async () => {
      while (next < end && failure === null) {
        const index = next++;
        let conn: Deno.TcpConn;
        try {
          conn = await Deno.connect({ hostname: this.#hostname, port: this.#port, signal });
        } catch (error) {
          const reason = signal.aborted ? "timed out" : (error as Error).message;
          failure ??= new Error(
            `Cannot connect member ${index} of ${this.#members} to ` +
              `"${this.#hostname}:${this.#port}": ${reason}`,
          );
          return;
        }
        conn.setNoDelay(true);
        const member = new Member(index, conn);
        this.#conns[index] = member;
        this.#tasks.push(this.#readLoop(member));
        if (this.#idMode === "id") {
          try {
            await writeAll(conn, encoder.encode(`u${index}\n`));
          } catch (error) {
            // The server closed the member at once (it is full, say); the read loop counts it.
            if (!isDisconnect(error)) throw error;
          }
        }
      }
    };
    const workers = [];
    for (let i = 0; i < Math.min(this.#connectConcurrency, end - first); i++) {
      workers.push(worker());
    }
    await Promise.all(workers);
    if (failure !== null) throw failure;
  }

  /** Waits until every member has received a barrier line, then records how long it took. */
  async #waitUntilReady(): Promise<void> {
    const started = nowNs();
    await this.#barrier(this.#members);
    this.#readyMs = (nowNs() - started) / NS_PER_MS;
  }

  /**
   * Member `count - 1`, the last connected, sends `#s <round>` until every other member below
   * `count` has received one (or has been closed by the server), or the wait times out; it
   * sends again after {@linkcode READY_RESEND_MS}, then twice as long each time.
   */
  async #barrier(count: number): Promise<void> {
    if (count < 2) {
      if (count === 1 && !this.#ready[0]) {
        this.#ready[0] = 1;
        this.#readyCount++;
      }
      return;
    }
    const started = nowNs();
    const timeoutNs = (this.#readyTimeoutMs ?? Infinity) * NS_PER_MS;
    const sender = this.#conns[count - 1];
    const others = () => this.#readyCount - this.#ready[sender.index] + this.#goneUnready;
    let resendNs = READY_RESEND_MS * NS_PER_MS;
    let sentNs = -Infinity;
    while (others() < count - 1) {
      const now = nowNs();
      if (now - started > timeoutNs || now > this.#deadlineNs) break;
      if (now - sentNs >= resendNs) {
        if (sentNs > -Infinity) resendNs = Math.min(resendNs * 2, READY_RESEND_MAX_MS * NS_PER_MS);
        sentNs = now;
        try {
          await writeAll(sender.conn, encoder.encode(`#s ${++this.#barrierRound}\n`));
        } catch (error) {
          if (!isDisconnect(error)) throw error;
          break; // The server closed the sender; its read loop counts it.
        }
      }
      await sleep(READY_POLL_MS);
    }
    // The others got its line, so the server has taken the sender in too.
    if (!this.#ready[sender.index] && this.#readyCount > 0) {
      this.#ready[sender.index] = 1;
      this.#readyCount++;
    }
  }

  async #readLoop(member: Member): Promise<void> {
    const buf = new Uint8Array(this.#readBufferBytes);
    try {
      while (true) {
        const n = await member.conn.read(buf);
        if (n === null) break;
        const now = nowNs();
        this.#lastReadNs = now;
        if (n > 0) this.#scan(member, buf.subarray(0, n), now);
        if (this.#deliveries >= this.#wakeAt) this.#wakeSenders();
        if (this.#settling && n < buf.length) await this.#nextSettleTick();
      }
    } catch (error) {
      // Closed by us at the end, or reset by the server: counted below.
      if (!isDisconnect(error)) throw error;
    }
    if (!this.#closing) {
      this.#disconnected++;
      if (!this.#ready[member.index]) this.#goneUnready++;
    }
  }

  /** One timer for all members: resolves at the next settle tick. */
  #nextSettleTick(): Promise<void> {
    this.#settleTick ??= new Promise((resolve) =>
      setTimeout(() => {
        this.#settleTick = null;
        resolve();
      }, SETTLE_READ_TICK_MS)
    );
    return this.#settleTick;
  }

  #scan(member: Member, data: Uint8Array, now: number): void {
    let pos = 0;
    if (member.carry !== null) {
      const newline = data.indexOf(LINE_FEED);
      if (newline < 0) {
        member.carry = member.carry.length + data.length > MAX_CARRY_BYTES
          ? null
          : concatBytes([member.carry, data]);
        return;
      }
      this.#line(member.index, concatBytes([member.carry, data.subarray(0, newline + 1)]), 0, now);
      member.carry = null;
      pos = newline + 1;
    }
    const end = data.length;
    while (pos < end) {
      const newline = this.#line(member.index, data, pos, now);
      if (newline < 0) {
        member.carry = data.slice(pos);
        return;
      }
      pos = newline + 1;
    }
  }

  /**
   * Classifies the line that starts at `buf[start]`, received by member `self`, and returns
   * where its newline is, or -1 if `buf` ends first (the line is then counted once whole).
   *
   * Lines are not first split on newlines: the marker is looked for from the line's start, and
   * a line of ours ends `size` bytes after it, padded with x, so its newline is looked for there
   * first. Only other lines (notices, anything unexpected) are searched to their end. Searching
   * each line for its newline first took a fifth of the harness's CPU profile in a burst, and
   * went over the prefix twice, so that servers with longer prefixes read slower. A server that
   * shortens a line may have it taken to end where the next one does, which then counts as
   * lost: what it relayed was not what was sent.
   */
  #line(self: number, buf: Uint8Array, start: number, now: number): number {
    const end = buf.length;
    let at = start;
    // "#m " (a message) or "#s " (the barrier), wherever the server put its prefix
    for (; at < end; at++) {
      const byte = buf[at];
      if (byte === LINE_FEED) return at;
      if (byte !== HASH || buf[at + 2] !== SPACE) continue;
      if (buf[at + 1] === LETTER_M) break;
      if (buf[at + 1] === LETTER_S && !this.#ready[self]) {
        this.#ready[self] = 1;
        this.#readyCount++;
      }
    }
    if (at >= end) return -1;
    const marker = at;
    at += 3;
    // <sender> <seq> <t_ns>, each followed by a space (chatbench wants one after <t_ns> too)
    const header = this.#header;
    for (let field = 0; field < HEADER_FIELDS; field++) {
      const from = at;
      let value = 0;
      for (let digit = buf[at] - DIGIT_ZERO; at < end && digit >= 0 && digit <= 9;) {
        value = value * 10 + digit;
        digit = buf[++at] - DIGIT_ZERO;
      }
      if (at === from || at >= end || buf[at] !== SPACE) return buf.indexOf(LINE_FEED, at);
      header[field] = value;
      at++;
    }
    const sender = header[0];
    const seq = header[1];
    const sentNs = header[2];
    // As writeLine() made it: padded with x to `size` bytes, or the header alone if longer.
    const padded = marker + this.#size - 1;
    const newline = padded > at && buf[padded] === LINE_FEED && buf[padded - 1] === LETTER_X
      ? padded
      : buf.indexOf(LINE_FEED, at);
    if (newline < 0) return -1;
    const senders = this.#senders;
    if (sender === self) {
      this.#echoedToSelf++;
      if (sender < senders) this.#echoLatencies.add(now - sentNs);
    } else if (sender >= senders) {
      if (sender < senders + this.#flooders) this.#floodDeliveries++;
    } else if (self >= senders && self < senders + this.#flooders) {
      this.#deliveriesToFlooders++;
    } else if (this.#lastSeq !== null && seq <= this.#lastSeq[self * senders + sender]) {
      this.#duplicates++;
    } else {
      if (this.#lastSeq !== null) this.#lastSeq[self * senders + sender] = seq;
      this.#deliveries++;
      this.#lastDeliveryNs = now;
      this.#latencies.add(now - sentNs);
    }
    return newline;
  }

  async #sendAndDrain(): Promise<void> {
    // Whatever arrived during the hold (join notices) is not part of the measurement.
    this.#deliveries = 0;
    this.#floodDeliveries = 0;
    this.#echoedToSelf = 0;
    this.#duplicates = 0;
    this.#deliveriesToFlooders = 0;
    this.#latencies.clear();
    this.#echoLatencies.clear();
    this.#settling = false;
    this.#startNs = nowNs();
    this.#lastReadNs = this.#startNs;
    this.#lastDeliveryNs = this.#startNs;

    const senders = this.#conns.slice(0, this.#senders);
    const flooders = this.#conns.slice(this.#senders, this.#senders + this.#flooders);
    const floods = flooders.map((member) => this.#flood(member));
    const sending = (this.#rate > 0 ? this.#paced(senders) : this.#burst(senders)).finally(() => {
      this.#sendingDone = true;
    });
    this.#tasks.push(sending, ...floods);

    const expected = this.#expected();
    const drainNs = this.#drainMs * NS_PER_MS;
    while (true) {
      if (this.#sendingDone && this.#deliveries >= expected) break;
      const now = nowNs();
      if (now > this.#deadlineNs) {
        this.#timedOut = true;
        break;
      }
      if (this.#sendingDone && now - this.#lastReadNs > drainNs) break;
      await sleep(DRAIN_POLL_MS);
    }
    this.#sendingDone = true;
  }

  #stopSending(): boolean {
    return this.#sendingDone || this.#closing || nowNs() > this.#deadlineNs;
  }

  #wakeSenders(): void {
    this.#wakeAt = Infinity;
    this.#wake?.();
    this.#wake = null;
    this.#progress = null;
  }

  /** Messages sent but not yet delivered to every other member. */
  #inFlight(): number {
    return this.#sent - this.#deliveries / this.#recipients();
  }

  /** Members that count a sender's line as a delivery: all but it and the flooders. */
  #recipients(): number {
    return Math.max(1, this.#members - 1 - this.#flooders);
  }

  /** Waits until `lines` more fit in the burst window, or the window is dropped. */
  async #roomFor(lines: number): Promise<void> {
    const others = this.#recipients();
    while (this.#burstWindow > 0 && this.#inFlight() + lines > this.#burstWindow) {
      if (this.#stopSending()) return;
      if (this.#progress === null) {
        this.#progress = new Promise((resolve) => this.#wake = resolve);
        this.#wakeAt = Math.ceil((this.#sent + lines - this.#burstWindow) * others);
      }
      const before = this.#deliveries;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<void>((resolve) => timer = setTimeout(resolve, BURST_STALL_MS));
      await Promise.race([this.#progress, stalled]);
      clearTimeout(timer);
      if (this.#deliveries === before && this.#inFlight() + lines > this.#burstWindow) {
        this.#burstWindow = 0;
        this.#wakeSenders();
      }
    }
  }

  /**
   * Each sender writes its lines as fast as its socket takes them, many per write, keeping
   * at most `burstWindow` messages in flight over all senders.
   */
  async #burst(senders: Member[]): Promise<void> {
    const byChunk = Math.max(1, Math.floor(this.#burstChunkBytes / this.#size));
    const byWindow = this.#burstWindow > 0
      ? Math.max(1, Math.floor(this.#burstWindow / Math.max(1, senders.length)))
      : byChunk;
    const linesPerWrite = Math.min(byChunk, byWindow);
    await Promise.all(senders.map(async (member) => {
      const buf = new Uint8Array(linesPerWrite * (this.#size + HEADER_SLACK_BYTES));
      try {
        while (member.sent < this.#messages && !this.#stopSending()) {
          const lines = Math.min(linesPerWrite, this.#messages - member.sent);
          await this.#roomFor(lines);
          if (this.#stopSending()) break;
          const now = nowNs();
          let length = 0;
          for (let i = 0; i < lines; i++) {
            length = writeLine(buf, length, member.index, member.sent++, now, this.#size);
          }
          this.#sent += lines;
          await writeAll(member.conn, buf.subarray(0, length));
        }
      } catch (error) {
        // The server closed this member; the read loop counts it.
        if (!isDisconnect(error)) throw error;
      }
    }));
  }

  /** Lines go out round-robin over the senders on a schedule of `rate` per second. */
  async #paced(senders: Member[]): Promise<void> {
    const total = senders.length * this.#messages;
    const intervalNs = NS_PER_S / this.#rate;
    let next = 0;
    while (this.#sent < total && !this.#stopSending()) {
      const now = nowNs();
      const touched = new Set<Member>();
      while (this.#sent < total && now - this.#startNs >= this.#sent * intervalNs) {
        const member = senders[next];
        next = (next + 1) % senders.length;
        const line = new Uint8Array(this.#size + HEADER_SLACK_BYTES);
        const length = writeLine(line, 0, member.index, member.sent++, nowNs(), this.#size);
        member.pending.push(line.subarray(0, length));
        touched.add(member);
        this.#sent++;
      }
      for (const member of touched) {
        if (!member.writing) this.#tasks.push(this.#pump(member));
      }
      if (this.#sent >= total) break;
      const waitMs = (this.#startNs + this.#sent * intervalNs - nowNs()) / NS_PER_MS;
      await sleep(waitMs);
    }
  }

  /** Writes what is queued for a member, all of it at once, until nothing is left. */
  async #pump(member: Member): Promise<void> {
    member.writing = true;
    try {
      while (member.pending.length > 0 && !this.#closing) {
        const chunk = member.pending.length === 1 ? member.pending[0] : concatBytes(member.pending);
        member.pending = [];
        await writeAll(member.conn, chunk);
      }
    } catch (error) {
      if (!isDisconnect(error)) throw error;
      member.pending = []; // the server closed this member; the read loop counts it
    } finally {
      member.writing = false;
    }
  }

  /**
   * A flooder writes lines as fast as its socket takes them until the senders are done. It
   * lets the event loop poll between writes: a write the kernel takes at once completes
   * without one, and the flood would then starve this process's own reads of the others'
   * lines for as long as socket buffers take to fill (20-40 ms at its start), which the
   * others' latency would wrongly charge to the server.
   */
  async #flood(member: Member): Promise<void> {
    const linesPerWrite = Math.max(1, Math.floor(this.#burstChunkBytes / this.#size));
    const buf = new Uint8Array(linesPerWrite * (this.#size + HEADER_SLACK_BYTES));
    try {
      while (!this.#stopSending()) {
        const now = nowNs();
        let length = 0;
        for (let i = 0; i < linesPerWrite; i++) {
          length = writeLine(buf, length, member.index, member.sent++, now, this.#size);
        }
        this.#floodSent += linesPerWrite;
        await writeAll(member.conn, buf.subarray(0, length));
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      // The server closed the flooder, which is one fair answer to a flood.
      if (!isDisconnect(error)) throw error;
    }
  }

  #result(): LoadResult {
    const expected = this.#expected();
    const seconds = Math.max(this.#lastDeliveryNs - this.#startNs, 1) / NS_PER_S;
    return {
      members: this.#members,
      senders: this.#senders,
      flooders: this.#flooders,
      messages: this.#messages,
      rate: this.#rate,
      size: this.#size,
      connectMs: this.#connectMs,
      readyMs: this.#readyMs,
      unready: this.#members - this.#readyCount,
      sent: this.#sent,
      deliveries: this.#deliveries,
      expected,
      lost: expected - this.#deliveries,
      duplicates: this.#duplicates,
      deliveriesToFlooders: this.#deliveriesToFlooders,
      echoedToSelf: this.#echoedToSelf,
      floodSent: this.#floodSent,
      floodDeliveries: this.#floodDeliveries,
      seconds,
      deliveriesPerSec: this.#deliveries / seconds,
      messagesInPerSec: this.#sent / seconds,
      latencyMs: this.#latencies.percentiles(),
      echoLatencyMs: this.#echoLatencies.count > 0 ? this.#echoLatencies.percentiles() : null,
      disconnected: this.#disconnected,
      timedOut: this.#timedOut,
    };
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#sendingDone = true;
    this.#wakeSenders();
    for (const member of this.#conns) {
      if (member === undefined) continue;
      try {
        member.conn.close();
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error; // closed already
      }
    }
    await Promise.allSettled(this.#tasks);
  }
}

/**
 * Connects `members` members to a chat server, sends chatbench's lines and measures the
 * deliveries. It always stops by itself: when every expected delivery has arrived, when
 * nothing has arrived for `drainMs` after sending, or at `timeoutMs`. It rejects only if
 * some member cannot connect.
 *
 * @example Burst 100 members × 300 messages against a server on port 7000
 * ```ts ignore
 * import { runLoad } from "./loadgen.ts";
 *
 * const result = await runLoad({
 *   port: 7000,
 *   members: 100,
 *   messages: 300,
 *   rate: 0,
 *   idMode: "noid",
 *   onHold: () => console.log("everyone is connected"),
 * });
 * console.log(result.deliveriesPerSec, result.lost, result.latencyMs.p99);
 * ```
 *
 * @param options Where to connect and what load to send.
 * @returns The deliveries, losses, throughput and latency of the run.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new LoadRun(options).run();
}

function formatMs(ms: number): string {
  return Number.isNaN(ms) ? "-" : ms.toFixed(2);
}

/**
 * Formats a result in chatbench's output format, so the two can be compared line by line.
 *
 * @example
 * ```ts ignore
 * import { formatResult, runLoad } from "./loadgen.ts";
 *
 * console.log(formatResult(await runLoad({ port: 7000, members: 2, messages: 10 })));
 * ```
 *
 * @param result A result of {@linkcode runLoad}.
 * @returns Four lines of `key=value` pairs.
 */
export function formatResult(result: LoadResult): string {
  const r = result;
  return [
    `clients=${r.members} senders=${r.senders} flooders=${r.flooders} msgs/sender=${r.messages} ` +
    `size=${r.size} rate=${r.rate} connect_s=${(r.connectMs / 1000).toFixed(3)} ` +
    `ready_s=${(r.readyMs / 1000).toFixed(3)} unready=${r.unready}`,
    `deliveries=${r.deliveries} expected=${r.expected} lost=${r.lost} ` +
    `duplicates=${r.duplicates} echoed_to_self=${r.echoedToSelf} flood_sent=${r.floodSent} ` +
    `flood_deliveries=${r.floodDeliveries} to_flooders=${r.deliveriesToFlooders} ` +
    `disconnected=${r.disconnected} timed_out=${r.timedOut}`,
    `seconds=${r.seconds.toFixed(3)} deliveries_per_s=${r.deliveriesPerSec.toFixed(0)} ` +
    `msgs_in_per_s=${r.messagesInPerSec.toFixed(0)}`,
    `latency_ms p50=${formatMs(r.latencyMs.p50)} p90=${formatMs(r.latencyMs.p90)} ` +
    `p99=${formatMs(r.latencyMs.p99)} max=${formatMs(r.latencyMs.max)}`,
    ...(r.echoLatencyMs
      ? [
        `echo_latency_ms p50=${formatMs(r.echoLatencyMs.p50)} ` +
        `p99=${formatMs(r.echoLatencyMs.p99)} max=${formatMs(r.echoLatencyMs.max)}`,
      ]
      : []),
  ].join("\n");
}

/** A number option's name, its value's name in the help, and its one line of help. */
const NUMBER_OPTIONS: [name: string, arg: string, help: string][] = [
  ["port", "PORT", "Server port (required)."],
  ["members", "N", "Connections, one member each (default 100)."],
  ["messages", "M", "Messages per sender (default 300)."],
  ["rate", "R", "Aggregate messages/s, 0 = as fast as possible (default 0)."],
  ["size", "BYTES", `Bytes per line, newline included (default ${DEFAULT_SIZE}).`],
  ["senders", "S", "How many members send, the first ones (default all)."],
  ["flooders", "F", "Members after the senders that flood (default 0)."],
  [
    "wave",
    "N",
    `Members connected per barrier, under the listen backlog (default ${DEFAULT_CONNECT_WAVE}).`,
  ],
  ["ready-timeout-ms", "MS", "Longest wait for every member to get the barrier line."],
  ["hold-ms", "MS", "Wait once all are ready (default 500 + 0.2 per member)."],
  ["drain-ms", "MS", `Stop after this long with nothing new (default ${DEFAULT_DRAIN_MS}).`],
  ["timeout-ms", "MS", `Give up on the run after this long (default ${DEFAULT_TIMEOUT_MS}).`],
  [
    "chunk-bytes",
    "BYTES",
    `Bytes of lines per write when bursting (default ${DEFAULT_BURST_CHUNK_BYTES}).`,
  ],
  [
    "window",
    "W",
    "Burst messages in flight over all senders, 0 = no limit " +
    `(default ${DEFAULT_BURST_WINDOW_PER_SENDER} per sender).`,
  ],
];

const COMMAND: CommandSpec = {
  usage: "deno run -A bench/loadgen.ts --port PORT [options]",
  summary: "Drives a line-based chat server and prints deliveries/s, losses and latency.",
  options: {
    host: { type: "string", arg: "HOST", help: `Server address (default ${DEFAULT_HOSTNAME}).` },
    ...Object.fromEntries(
      NUMBER_OPTIONS.map(([name, arg, help]) => [name, { type: "string", arg, help }]),
    ),
    noid: { type: "boolean", help: 'Do not send "u<index>" first (default: send it).' },
  },
  positionals: [0, 0],
};

async function main(args: string[]): Promise<number> {
  const { values } = parseCommand(args, COMMAND);
  const number = (name: string): number | undefined => {
    const text = values[name];
    return typeof text === "string" ? parseInteger(text, `--${name}`) : undefined;
  };
  if (typeof values.port !== "string") throw new UsageError('Option "--port" is required');
  const port = parseRemotePort(values.port);
  const result = await runLoad({
    hostname: typeof values.host === "string" ? values.host : undefined,
    port,
    members: number("members") ?? 100,
    messages: number("messages") ?? 300,
    rate: number("rate"),
    size: number("size"),
    senders: number("senders"),
    flooders: number("flooders"),
    idMode: values.noid === true ? "noid" : "id",
    holdMs: number("hold-ms"),
    readyTimeoutMs: number("ready-timeout-ms"),
    connectWave: number("wave"),
    drainMs: number("drain-ms"),
    timeoutMs: number("timeout-ms"),
    burstChunkBytes: number("chunk-bytes"),
    burstWindow: number("window"),
    onHold: ({ members }) => console.log(`connected=${members}`),
  });
  console.log(formatResult(result));
  return 0;
}

if (import.meta.main) await runMain(main, COMMAND);
