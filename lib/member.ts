/**
 * A member: one connection, one writer, one bounded outbound queue.
 *
 * Nothing ever awaits a member. {@linkcode Member.send} appends to the queue
 * and returns; the member's single writer task drains the queue, joining
 * everything that piled up while the previous write was in flight into one
 * buffer, so a busy member costs one write per batch rather than one write per
 * line. Whoever owns the room watches {@linkcode Member.backlogged} through
 * the `onBacklog` callback to pause senders and to evict a stuck member.
 *
 * @module
 */

import { within } from "./deadlines.ts";
import { isDisconnect } from "./errors.ts";

/**
 * How long a graceful close waits for the peer to close its side, in ms.
 *
 * @example Usage
 * ```ts
 * import { LINGER_MS } from "./member.ts";
 * import assert from "node:assert/strict";
 *
 * // closeAfterFlush() waits at most this long for the peer's FIN before closing.
 * assert.ok(LINGER_MS < 1000);
 * ```
 */
export const LINGER_MS = 300;

/**
 * How long a last line (a refusal, the shutdown notice) may take to drain before the close, in ms.
 *
 * @example Usage
 * ```ts
 * import { FLUSH_ON_CLOSE_MS } from "./member.ts";
 * import assert from "node:assert/strict";
 *
 * // member.closeAfterFlush(FLUSH_ON_CLOSE_MS) sends a last line, then closes.
 * assert.ok(FLUSH_ON_CLOSE_MS >= 1000);
 * ```
 */
export const FLUSH_ON_CLOSE_MS = 1000;

/**
 * The close reason of a member whose serving failed with an error no one expected
 * (a bug): see {@linkcode MemberOptions.onFault}.
 *
 * @example Usage
 * ```ts
 * import { SERVER_ERROR } from "./member.ts";
 * import assert from "node:assert/strict";
 *
 * // The others read "clientbob- exit (server error)".
 * assert.equal(SERVER_ERROR, "server error");
 * ```
 */
export const SERVER_ERROR = "server error";

/**
 * The default high-water mark of a member's outbound queue, in bytes.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_HIGH_WATER_BYTES } from "./member.ts";
 * import assert from "node:assert/strict";
 *
 * // Thousands of 64-byte lines may wait for a member before the room pauses its senders.
 * assert.ok(DEFAULT_HIGH_WATER_BYTES / 64 > 1000);
 * ```
 */
export const DEFAULT_HIGH_WATER_BYTES = 256 * 1024;

const encoder = new TextEncoder();
const CR = 0x0d;
const LF = 0x0a;
const EMPTY = new Uint8Array(0);
/** The most bytes that small pieces queued behind a write are gathered into, per buffer. */
const TAIL_BYTES = 4096;
/**
 * How many pieces may wait behind a write, each in its own buffer, before
 * small ones are gathered.
 */
const GATHER_AFTER = 16;

/**
 * Encodes one outgoing line, adding the newline.
 *
 * @example Usage
 * ```ts
 * import { encodeLine } from "./member.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeLine("hi"), new Uint8Array([104, 105, 10]));
 * ```
 */
export function encodeLine(text: string): Uint8Array {
  return encoder.encode(text + "\n");
}

/**
 * Ends every line of `lines` in CR LF instead of LF, for a member whose
 * {@linkcode Member.crlf} is set; returns `lines` itself when it has no LF.
 *
 * @example Usage
 * ```ts
 * import { withCrlf } from "./member.ts";
 * import assert from "node:assert/strict";
 *
 * const lines = new TextEncoder().encode("a\nb\n");
 * assert.equal(new TextDecoder().decode(withCrlf(lines)), "a\r\nb\r\n");
 * ```
 */
export function withCrlf(lines: Uint8Array): Uint8Array {
  let count = 0;
  for (let at = lines.indexOf(LF); at !== -1; at = lines.indexOf(LF, at + 1)) count++;
  if (count === 0) return lines;
  const out = new Uint8Array(lines.length + count);
  let from = 0;
  let to = 0;
  for (let at = lines.indexOf(LF); at !== -1; at = lines.indexOf(LF, at + 1)) {
    out.set(lines.subarray(from, at), to);
    to += at - from;
    out[to++] = CR;
    out[to++] = LF;
    from = at + 1;
  }
  out.set(lines.subarray(from), to);
  return out;
}

/** Options for {@linkcode Member}. */
export interface MemberOptions {
  /** The name others know the member by. */
  name: string;
  /** Queued bytes above which the member counts as backlogged. */
  highWaterBytes?: number;
  /** Called when the member becomes backlogged, and when it catches up again. */
  onBacklog?: (member: Member, backlogged: boolean) => void;
  /**
   * Called when a write fails for a reason that is no disconnect (a bug), after the member
   * was closed with {@linkcode SERVER_ERROR}. A server logs it and goes on: one connection's
   * fault costs that connection. Without it, the error is reported as uncaught
   * (`reportError`), which ends the process unless an `error` listener prevents it.
   */
  onFault?: (member: Member, error: unknown) => void;
}

/**
 * One connected member of a room.
 *
 * @example Usage
 * ```ts ignore
 * import { encodeLine, Member } from "./member.ts";
 *
 * const conn = await Deno.connect({ port: 1234 });
 * const member = new Member(conn, { name: "bob" });
 * member.send(encodeLine("hello"));
 * await member.closeAfterFlush(1000);
 * ```
 */
export class Member {
  /** The member's connection. */
  readonly conn: Deno.TcpConn;
  /** The peer's address as `ip:port` (IPv6 in brackets). */
  readonly address: string;
  /** The name others know the member by. */
  name: string;
  /**
   * Whether its lines end in CR LF: a telnet client's virtual terminal (RFC 854) moves down on
   * LF alone, without going back to the start of the line. {@linkcode Member.sendLine} honours
   * it; bytes given to {@linkcode Member.send} go as they are (see {@linkcode withCrlf}).
   */
  crlf = false;
  #queue: Uint8Array[] = [];
  /**
   * A buffer of ours whose start is the queue's last entry, with room for more: small pieces
   * queued behind a write are copied in here (see {@linkcode Member.send}).
   */
  #tail: Uint8Array | undefined;
  /** The bytes being written, and how many of them are written. */
  #batch: Uint8Array = EMPTY;
  #offset = 0;
  #queued = 0;
  #highWater: number;
  #lowWater: number;
  #backlogged = false;
  #writing = false;
  /** While {@linkcode Member.sendLater}'s wait is on: the timer that ends it. */
  #deferred: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #closeReason: string | undefined;
  #closing = false;
  /** Whether a write failed because the peer is gone: nothing more is written, reading goes on. */
  #broken = false;
  #ended: PromiseWithResolvers<void> | undefined; // made by closeAfterFlush
  #written = 0;
  #idle: PromiseWithResolvers<void> | undefined;
  #writable: PromiseWithResolvers<void> | undefined;
  #onBacklog: MemberOptions["onBacklog"];
  #onFault: MemberOptions["onFault"];

  /** Wraps `conn`, turning Nagle off so every line leaves at once, and keepalive on. */
  constructor(conn: Deno.TcpConn, options: MemberOptions) {
    this.conn = conn;
    this.name = options.name;
    this.address = formatAddress(conn.remoteAddr);
    this.#highWater = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    this.#lowWater = Math.floor(this.#highWater / 2);
    this.#onBacklog = options.onBacklog;
    this.#onFault = options.onFault;
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(true);
    } catch (error) {
      if (!isDisconnect(error)) throw error;
    }
  }

  /**
   * Bytes waiting to be written.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.sendLine("hi");
   * assert.equal(member.queuedBytes, 3); // until the writer runs, after this turn
   * member.close();
   * ```
   */
  get queuedBytes(): number {
    return this.#queued;
  }

  /**
   * Whether the queue went over the high-water mark and has not yet drained to half of it.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob", highWaterBytes: 4 });
   * member.sendLine("hello");
   * assert.equal(member.backlogged, true); // 6 bytes queued, over the mark of 4
   * await member.whenWritable(); // written to the socket
   * assert.equal(member.backlogged, false);
   * member.close();
   * ```
   */
  get backlogged(): boolean {
    return this.#backlogged;
  }

  /**
   * Whether the member was closed.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * assert.equal(member.closed, false);
   * member.close();
   * assert.equal(member.closed, true);
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Whether a write failed because the peer went (a reset, a broken pipe): the
   * writing stopped then, and what was queued was dropped, while the reading
   * goes on to the end of what the peer sent.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.sendLine("hi");
   * await member.flush(1000);
   * peer.close(); // "hi" unread: the close resets the connection
   * member.sendLine("anyone?");
   * await member.flush(1000);
   * assert.equal(member.broken, true);
   * member.close();
   * ```
   */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Why the member was closed by the server, if it was (`"too slow"`, say).
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.close("too slow");
   * member.close("quit"); // the first reason stays
   * assert.equal(member.closeReason, "too slow");
   * ```
   */
  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /**
   * Queues bytes for the member. Never waits; bytes sent to a closed member are dropped.
   *
   * @example Usage
   * ```ts
   * import { encodeLine, Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.send(encodeLine("one"));
   * member.send(encodeLine("two")); // joins the first: one write for both
   * const buffer = new Uint8Array(64);
   * const count = await peer.read(buffer) ?? 0;
   * assert.equal(new TextDecoder().decode(buffer.subarray(0, count)), "one\ntwo\n");
   * member.close();
   * ```
   */
  send(bytes: Uint8Array): void {
    // Start writing once the current batch of sends is done, so it goes out as one write.
    if (this.#enqueueToStart(bytes)) queueMicrotask(this.#startDrain);
  }

  /**
   * Queues bytes like {@linkcode Member.send}, but when the writer is idle
   * starts writing them at once instead of once the current batch of sends is
   * done: for bytes that have nothing to wait for. Never waits.
   *
   * @example Usage
   * ```ts
   * import { encodeLine, Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.sendNow(encodeLine("one")); // being written already
   * member.sendNow(encodeLine("two")); // waits for that write, then goes out
   * let received = "";
   * const buffer = new Uint8Array(64);
   * while (!received.endsWith("two\n")) {
   *   const count = await peer.read(buffer) ?? 0;
   *   received += new TextDecoder().decode(buffer.subarray(0, count));
   * }
   * assert.equal(received, "one\ntwo\n");
   * member.close();
   * ```
   */
  sendNow(bytes: Uint8Array): void {
    if (this.#enqueueToStart(bytes)) this.#writeNext();
  }

  /**
   * Queues bytes like {@linkcode Member.send}, but when the writer is idle
   * starts writing them only `delayMs` from now, unless something sent sooner
   * takes them along: for bytes nobody waits for, so that the process first
   * goes back to sleep and the readers its other writes woke get the CPU.
   * {@linkcode Member.flush} waits for them too. Never waits.
   *
   * @example Usage
   * ```ts
   * import { encodeLine, Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.sendLater(encodeLine("[bob] hi"), 1); // bob's own line back to him
   * assert.equal(member.queuedBytes, 9); // for a millisecond
   * const buffer = new Uint8Array(64);
   * const count = await peer.read(buffer) ?? 0;
   * assert.equal(new TextDecoder().decode(buffer.subarray(0, count)), "[bob] hi\n");
   * member.close();
   * ```
   */
  sendLater(bytes: Uint8Array, delayMs: number): void {
    if (!this.#enqueue(bytes) || this.#writing) return;
    this.#writing = true;
    // Waiting is our choice, not a slow peer's: bytes over the high-water mark go at once,
    // lest the room count the wait against the member.
    if (this.#backlogged) return this.#writeNext();
    this.#deferred = setTimeout(this.#endWait, delayMs);
  }

  /**
   * Queues one line of text.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.sendLine("Server: welcome bob");
   * const buffer = new Uint8Array(64);
   * const count = await peer.read(buffer) ?? 0;
   * assert.equal(new TextDecoder().decode(buffer.subarray(0, count)), "Server: welcome bob\n");
   * member.close();
   * ```
   */
  sendLine(text: string): void {
    this.send(encoder.encode(text + (this.crlf ? "\r\n" : "\n")));
  }

  /**
   * Closes the connection at once, dropping what is queued. `reason` is kept
   * in {@linkcode Member.closeReason}. Closing twice is harmless.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.close("quit");
   * member.sendLine("too late"); // dropped: the member is closed
   * assert.equal(await peer.read(new Uint8Array(64)), null); // the peer sees the end
   * ```
   */
  close(reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason ??= reason;
    this.#queue = [];
    this.#tail = undefined;
    this.#queued = 0;
    if (this.#endDeferral()) this.#drained();
    if (this.#backlogged) this.#setBacklogged(false);
    try {
      this.conn.close();
    } catch (error) {
      if (!isDisconnect(error)) throw error;
    }
    this.#idle?.resolve();
    this.#ended?.resolve();
  }

  /**
   * Resolves once everything queued so far was written, or the member
   * closed, or `stallMs` passed without a single write completing (a member
   * that is slow but still reading is given more time), or `maxMs` passed in
   * all.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.sendLine("last words");
   * await member.flush(1000); // written, or stalled for a second
   * assert.equal(member.queuedBytes, 0);
   * member.close();
   * ```
   */
  async flush(stallMs: number, maxMs: number = Infinity): Promise<void> {
    const deadline = performance.now() + maxMs;
    while (this.#writing && !this.#closed) {
      const written = this.#written;
      const wait = Math.min(stallMs, deadline - performance.now());
      if (wait <= 0) return;
      this.#idle ??= Promise.withResolvers();
      const idle = await within(this.#idle.promise.then(() => true), wait);
      if (idle === undefined && this.#written === written) return;
    }
  }

  /**
   * Resolves when the member is not backlogged (or closed): for pacing what is sent to it.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob", highWaterBytes: 8 });
   * for (const line of ["first line", "second line"]) {
   *   await member.whenWritable(); // pace a long answer, as select_client.ts paces its input
   *   member.sendLine(line);
   * }
   * await member.flush(1000);
   * assert.equal(member.backlogged, false);
   * member.close();
   * ```
   */
  whenWritable(): Promise<void> {
    if (!this.#backlogged) return Promise.resolve();
    this.#writable ??= Promise.withResolvers();
    return this.#writable.promise;
  }

  /**
   * Closes gracefully, for a last error line or a shutdown notice: lets the
   * queue drain (see {@linkcode Member.flush}), sends FIN, and lingers up to
   * {@linkcode LINGER_MS} for the peer to close too before closing (at
   * once if the queue stalled: the peer is not reading). The linger ends
   * sooner only where the member's reader runs, and closes it at the peer's end. Closing
   * at once would make the kernel answer the peer's unread data with a reset,
   * which can destroy the last line before the peer reads it. Nothing more is
   * queued meanwhile.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * member.sendLine("Server is shutting down");
   * await member.closeAfterFlush(1000, "server shutdown"); // the peer here never closes: lingers
   * assert.equal(member.closeReason, "server shutdown");
   * const buffer = new Uint8Array(64);
   * const count = await peer.read(buffer) ?? 0;
   * assert.equal(new TextDecoder().decode(buffer.subarray(0, count)), "Server is shutting down\n");
   * assert.equal(await peer.read(buffer), null);
   * ```
   */
  async closeAfterFlush(timeoutMs: number, reason?: string): Promise<void> {
    if (!await this.#drainToClose(timeoutMs, reason)) return;
    // A write still pending means the peer stopped reading: the last line cannot reach it, and
    // Deno's closeWrite() would wait for that write, which is forever.
    if (!this.#closed && !this.#writing && !this.#broken) {
      this.#ended = Promise.withResolvers(); // resolved by close(), whenever it comes
      try {
        await this.conn.closeWrite();
      } catch (error) {
        if (!isDisconnect(error)) throw error;
      }
      await within(this.#ended.promise, LINGER_MS);
    }
    this.close(reason);
  }

  /**
   * Closes once what is queued was written (see {@linkcode Member.flush}): for a peer
   * that closed its side right after its last line and may still be reading, as
   * `echo hi | nc -N` does. It keeps what was meant for it, its own copy of that line included
   * ({@linkcode Member.sendLater}); a peer that is not reading is let go after `timeoutMs`.
   * Nothing more is queued meanwhile.
   *
   * @example Usage
   * ```ts
   * import { encodeLine, Member } from "./member.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const member = new Member(await listener.accept(), { name: "bob" });
   * await peer.closeWrite(); // "hi", then the end
   * member.sendLater(encodeLine("[bob] hi"), 1);
   * await member.closeWhenFlushed(1000);
   * const buffer = new Uint8Array(64);
   * const count = await peer.read(buffer) ?? 0;
   * assert.equal(new TextDecoder().decode(buffer.subarray(0, count)), "[bob] hi\n");
   * assert.equal(member.closed, true);
   * ```
   */
  async closeWhenFlushed(timeoutMs: number): Promise<void> {
    if (await this.#drainToClose(timeoutMs)) this.close();
  }

  /**
   * The start of a graceful close: nothing more is queued, and the queue drains (see
   * {@linkcode Member.flush}: a stalled one `timeoutMs`, in all half as long again).
   * `false`, doing nothing, when the member is closed or closing already.
   */
  async #drainToClose(timeoutMs: number, reason?: string): Promise<boolean> {
    if (this.#closed || this.#closing) return false;
    this.#closing = true;
    this.#closeReason = reason;
    // Nothing more is queued for it: senders need not wait while its last lines drain. (And
    // readers that wait keep bytes unread, which make the close a reset that drops those lines.)
    if (this.#backlogged) this.#setBacklogged(false);
    await this.flush(timeoutMs, timeoutMs + timeoutMs / 2);
    return true;
  }

  // The writer is a chain of callbacks, not an async function: one write costs
  // the write's own promise and little else, which matters at a million
  // deliveries a second.
  #startDrain = (): void => this.#writeNext();

  #endWait = (): void => {
    this.#deferred = undefined;
    this.#writeNext();
  };

  /** Ends {@linkcode Member.sendLater}'s wait early, if it is on; `true` if it was. */
  #endDeferral(): boolean {
    if (this.#deferred === undefined) return false;
    clearTimeout(this.#deferred);
    this.#deferred = undefined;
    return true;
  }

  #writeNext(): void {
    if (this.#closed || this.#queue.length === 0) return this.#drained();
    this.#batch = this.#take();
    this.#offset = 0;
    this.#write();
  }

  #write(): void {
    const batch = this.#batch;
    let written: Promise<number>;
    try {
      written = this.conn.write(this.#offset === 0 ? batch : batch.subarray(this.#offset));
    } catch (error) {
      return this.#failed(error);
    }
    written.then(this.#wrote, this.#failed);
  }

  #wrote = (count: number): void => {
    if (this.#closed) return this.#drained();
    this.#offset += count;
    if (this.#offset < this.#batch.length) return this.#write(); // conn.write may write less
    this.#queued -= this.#batch.length;
    this.#batch = EMPTY;
    this.#written++;
    if (this.#backlogged && this.#queued <= this.#lowWater) this.#setBacklogged(false);
    this.#writeNext();
  };

  #failed = (error: unknown): void => {
    if (!isDisconnect(error)) {
      // Not the network: a bug. Thrown from here it would be uncaught (the writer runs in
      // microtasks, timers and promise callbacks) or land in whoever sent last, another member.
      this.close(SERVER_ERROR);
      this.#drained();
      if (this.#onFault) this.#onFault(this, error);
      else reportError(error);
      return;
    }
    // The peer is gone, but what it sent before it went may still wait to be read: a sender
    // that closes without reading (`ncat --send-only < file`) is answered with a write that
    // fails long before its lines, held back by the rate limit, are all read. Closing here
    // would throw them away. So only the writing stops; the reading goes on to the end of
    // the stream, and whoever reads closes the member there.
    this.#broken = true;
    this.#queue = [];
    this.#tail = undefined;
    this.#queued = 0;
    if (this.#backlogged) this.#setBacklogged(false);
    this.#drained();
  };

  #drained(): void {
    this.#writing = false;
    this.#batch = EMPTY;
    this.#idle?.resolve();
    this.#idle = undefined;
  }

  /** Empties the queue (the array is kept for reuse) into one buffer. */
  #take(): Uint8Array {
    const queue = this.#queue;
    let batch = queue[0];
    if (queue.length > 1) {
      let size = 0;
      for (const chunk of queue) size += chunk.length;
      batch = new Uint8Array(size);
      let offset = 0;
      for (const chunk of queue) {
        batch.set(chunk, offset);
        offset += chunk.length;
      }
    }
    queue.length = 0;
    this.#tail = undefined;
    return batch;
  }

  /**
   * Adds `bytes` to the queue and claims the writer: `true` when the caller must start it,
   * because it was idle or only waiting out {@linkcode Member.sendLater}'s delay.
   */
  #enqueueToStart(bytes: Uint8Array): boolean {
    if (!this.#enqueue(bytes) || (this.#writing && !this.#endDeferral())) return false;
    this.#writing = true;
    return true;
  }

  /**
   * Adds `bytes` to the queue; `false` if the member is closed, closing or
   * broken, and drops them.
   */
  #enqueue(bytes: Uint8Array): boolean {
    if (this.#closed || this.#closing || this.#broken) return false;
    // Behind a write in flight, bytes may wait long, and the queue counts only their length. A
    // view much smaller than its buffer (a part of the room's batch) would keep all of that
    // alive, and thousands of one-line buffers cost far more than their bytes: such pieces are
    // copied into buffers of ours, many to a buffer.
    const small = bytes.length * 2 <= TAIL_BYTES && this.#queue.length >= GATHER_AFTER;
    if (this.#batch !== EMPTY && (small || bytes.length * 2 < bytes.buffer.byteLength)) {
      this.#appendToTail(bytes);
    } else {
      this.#queue.push(bytes);
      this.#tail = undefined;
    }
    this.#queued += bytes.length;
    if (!this.#backlogged && this.#queued > this.#highWater) this.#setBacklogged(true);
    return true;
  }

  #appendToTail(bytes: Uint8Array): void {
    const tail = this.#tail;
    const last = this.#queue.length - 1;
    const used = tail === undefined ? 0 : this.#queue[last].length; // the tail's bytes in use
    const length = used + bytes.length;
    if (tail !== undefined && length <= TAIL_BYTES) {
      // A piece alone costs its own size (a room of thousands may each queue one); a tail that
      // fills up doubles, so that many small pieces share a buffer.
      let into = tail;
      if (length > tail.length) {
        into = new Uint8Array(Math.min(TAIL_BYTES, Math.max(2 * tail.length, length)));
        into.set(tail.subarray(0, used));
        this.#tail = into;
      }
      into.set(bytes, used);
      this.#queue[last] = into.subarray(0, length);
      return;
    }
    this.#tail = bytes.slice();
    this.#queue.push(this.#tail);
  }

  #setBacklogged(backlogged: boolean): void {
    this.#backlogged = backlogged;
    if (!backlogged) {
      this.#writable?.resolve();
      this.#writable = undefined;
    }
    this.#onBacklog?.(this, backlogged);
  }
}

/**
 * Formats a network address as `ip:port`, with IPv6 in brackets.
 *
 * @example Usage
 * ```ts
 * import { formatAddress } from "./member.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatAddress({ transport: "tcp", hostname: "::1", port: 80 }), "[::1]:80");
 * ```
 */
export function formatAddress(addr: Deno.Addr): string {
  if (addr.transport !== "tcp" && addr.transport !== "udp") return addr.transport;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return `${host}:${addr.port}`;
}
