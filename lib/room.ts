/**
 * The room: who is here, broadcast, and the policy for slow members.
 *
 * The policy keeps delivery lossless and memory bounded at once:
 *
 * - When a member's outbound queue passes its high-water mark, the room stops
 *   *flowing*: every connection task waits on {@linkcode Room.whenFlowing}
 *   before it handles its next line, so senders stop being read and TCP pushes
 *   back on them. Nothing is dropped, and no queue grows past the mark by more
 *   than the lines already in flight.
 * - When the member's queue drains to half the mark, the room flows again. A
 *   member that is slow but keeps up only ever causes short pauses.
 * - A member that keeps the room waiting for `slowTimeoutMs` is too slow: it
 *   is closed with the reason `"too slow"`, and the room flows again. The
 *   time counts in all, not only in one spell: a member earns back one ms of
 *   it for every {@linkcode SLOW_RECOVERY} ms it is not backlogged. So no
 *   delivery to the others is held up for longer than that, and a member
 *   that reads in fits, just enough each time to let the room go for a
 *   moment, holds it up at most a fifth of the time before it is evicted.
 *   What a member still owes when it leaves, evicted or not, passes to the
 *   next members to come from its address (`slowKey`), so that leaving and
 *   coming back does not buy another `slowTimeoutMs`.
 *
 * @module
 */

import { type Member, withCrlf } from "./member.ts";

// The end of the turn comes from the global `setImmediate`, not one imported from
// `node:timers`: Deno loads its Node layer for either, but for the global only when it
// is first called, after the server listens, rather than in every start-up.

const encoder = new TextEncoder();
const LF = 0x0a;
const INITIAL_BATCH_BYTES = 4096;
const MAX_BATCH_BYTES = 64 * 1024;
const MAX_REUSED_BATCH_BYTES = 2 * MAX_BATCH_BYTES;
/**
 * In a small room, how long a sender's own line waits before it is written back
 * to it, in ms: long enough for the server to sleep once, so that the members
 * the line woke run first, on a busy machine on this very CPU.
 */
const ECHO_DELAY_MS = 1;

/**
 * The default size up to which a room is small, in members: see
 * {@linkcode RoomOptions.smallRoomMembers}.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_SMALL_ROOM_MEMBERS, Room } from "./room.ts";
 * import assert from "node:assert/strict";
 *
 * // A room that batches every line, however few its members:
 * const room = new Room({ smallRoomMembers: 0 });
 * assert.ok(DEFAULT_SMALL_ROOM_MEMBERS > 2); // two people talking get their lines at once
 * assert.equal(room.size, 0);
 * ```
 */
export const DEFAULT_SMALL_ROOM_MEMBERS = 8;

/**
 * The default time a member may stay backlogged before it is evicted, in ms.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_SLOW_TIMEOUT_MS, Room } from "./room.ts";
 * import assert from "node:assert/strict";
 *
 * // A room that gives a stuck member half the default time:
 * const room = new Room({ slowTimeoutMs: DEFAULT_SLOW_TIMEOUT_MS / 2 });
 * assert.equal(room.size, 0);
 * ```
 */
export const DEFAULT_SLOW_TIMEOUT_MS = 5000;

/**
 * For every this many ms a member is not backlogged, one ms of the time it kept the room
 * waiting is forgiven: a member backlogged more than a fifth of the time is evicted in the end.
 *
 * @example Usage
 * ```ts
 * import { SLOW_RECOVERY } from "./room.ts";
 * import assert from "node:assert/strict";
 *
 * // Backlogged 1 s, then flowing 4 s: that second is forgiven.
 * assert.equal(4000 / SLOW_RECOVERY, 1000);
 * ```
 */
export const SLOW_RECOVERY = 4;

/**
 * The reason given when a stuck member is evicted.
 *
 * @example Usage
 * ```ts
 * import { TOO_SLOW } from "./room.ts";
 * import assert from "node:assert/strict";
 *
 * // An evicted member has this as its closeReason.
 * assert.equal(TOO_SLOW, "too slow");
 * ```
 */
export const TOO_SLOW = "too slow";

/** Options for {@linkcode Room}. */
export interface RoomOptions {
  /**
   * How long a member may keep the room waiting, in all, before it is evicted, in ms; see
   * {@linkcode SLOW_RECOVERY} for how that time is forgiven.
   */
  slowTimeoutMs?: number;
  /** Called when a stuck member is evicted, after it was closed. */
  onEvict?: (member: Member) => void;
  /**
   * Whose waiting time a member inherits: a member added while another with the same key
   * (its address, say) has left owing some starts owing as much, and then earns it back as
   * any member does. `undefined` for a member whose debts end with it. By default every
   * member's do.
   */
  slowKey?: (member: Member) => string | undefined;
  /**
   * Up to how many members the room is small: there the first line of each
   * turn of the event loop is written to every member at once, which costs
   * a few writes, instead of at the end of the turn, which costs the rest of
   * the turn in latency. A larger room always waits, so that a turn's lines
   * share one write per member. 0: always wait.
   * Defaults to {@linkcode DEFAULT_SMALL_ROOM_MEMBERS}.
   */
  smallRoomMembers?: number;
}

/**
 * The set of members, keyed by a name, with broadcast and flow control.
 *
 * @example Usage
 * ```ts ignore
 * import { Member } from "./member.ts";
 * import { Room } from "./room.ts";
 *
 * const room = new Room();
 * const conn = await Deno.connect({ port: 1234 });
 * const bob = new Member(conn, { name: "bob", onBacklog: room.onBacklog });
 * room.add(bob);
 * room.broadcastLine("hello everyone", bob);
 * ```
 */
export class Room {
  #members = new Map<string, Member>();
  /** The members, by object: the room's flow control is for them, not for who is yet to join. */
  #in = new WeakSet<Member>();
  #batch = new Uint8Array(INITIAL_BATCH_BYTES);
  #length = 0;
  /** Per member, the [start, end) ranges of the batch it sent itself and must not get back. */
  #excluded = new Map<Member, number[]>();
  /** Members that get the batch after everyone else (see {@linkcode Room.echoLine}). */
  #servedLast = new Set<Member>();
  #flushScheduled = false;
  #backlogged = new Set<Member>();
  /** Per member that was ever backlogged: how long it kept the room waiting, and since when. */
  #stalls = new Map<Member, Stall>();
  /** Per slow key, the most that a member who left under it owed (as of `since`). */
  #debts = new Map<string, Debt>();
  #slowKey: RoomOptions["slowKey"];
  #flow: PromiseWithResolvers<void> | undefined;
  #slowTimeoutMs: number;
  #onEvict: RoomOptions["onEvict"];
  #smallRoomMembers: number;

  /** Makes an empty room; see {@linkcode RoomOptions}. */
  constructor(options: RoomOptions = {}) {
    this.#slowTimeoutMs = options.slowTimeoutMs ?? DEFAULT_SLOW_TIMEOUT_MS;
    this.#onEvict = options.onEvict;
    this.#slowKey = options.slowKey;
    this.#smallRoomMembers = options.smallRoomMembers ?? DEFAULT_SMALL_ROOM_MEMBERS;
  }

  /**
   * How many members are in the room.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * room.add(bob);
   * assert.equal(room.size, 1);
   * bob.close();
   * ```
   */
  get size(): number {
    return this.#members.size;
  }

  /**
   * The members, in order of joining.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * room.add(bob);
   * assert.deepEqual([...room].map((member) => member.name), ["bob"]);
   * bob.close();
   * ```
   */
  [Symbol.iterator](): IterableIterator<Member> {
    return this.#members.values();
  }

  /**
   * Whether a member is here under `key`.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * room.add(bob);
   * assert.equal(room.has("bob"), true);
   * assert.equal(room.has("amy"), false);
   * bob.close();
   * ```
   */
  has(key: string): boolean {
    return this.#members.has(key);
  }

  /**
   * Whether `member` is in the room (under any key).
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * assert.equal(room.includes(bob), false); // still giving its ID, say
   * room.add(bob);
   * assert.equal(room.includes(bob), true);
   * bob.close();
   * ```
   */
  includes(member: Member): boolean {
    return this.#in.has(member);
  }

  /**
   * Adds `member` under `key`; returns `false`, changing nothing, when the key is taken.
   * What was broadcast earlier in this turn goes to the members already here, not to it.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * assert.equal(room.add(bob), true);
   * assert.equal(room.add(bob), false); // "bob" is taken
   * bob.close();
   * ```
   */
  add(member: Member, key: string = member.name): boolean {
    if (this.#members.has(key)) return false;
    this.flush(); // the lines gathered so far were said before it came
    this.#members.set(key, member);
    this.#in.add(member);
    const slowKey = this.#slowKey?.(member);
    const debt = slowKey === undefined ? undefined : this.#debts.get(slowKey);
    if (debt !== undefined) {
      this.#stalls.set(member, { waitedMs: debt.waitedMs, since: debt.since, evict: undefined });
    }
    if (member.backlogged) this.onBacklog(member, true); // with what it was sent before
    return true;
  }

  /**
   * Removes the member under `key`, if it is `member`, once it has been handed
   * the lines gathered so far: a peer that has only closed its own side still
   * reads them.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * room.add(bob);
   * assert.equal(room.delete(bob), true);
   * assert.equal(room.delete(bob), false); // gone already
   * assert.equal(room.size, 0);
   * bob.close();
   * ```
   */
  delete(member: Member, key: string = member.name): boolean {
    if (this.#members.get(key) !== member) return false;
    this.flush(); // the lines gathered so far were said while it was here
    this.#members.delete(key);
    this.#in.delete(member);
    this.#servedLast.delete(member);
    this.onBacklog(member, false);
    this.#forget(member);
    return true;
  }

  /**
   * Moves `member` from `oldKey` to `newKey`; returns `false` when `newKey` is taken.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * room.add(bob);
   * assert.equal(room.rekey(bob, "bob", "robert"), true); // /nick robert
   * assert.equal(room.add(bob, "robert"), false);
   * assert.equal(room.delete(bob, "robert"), true);
   * bob.close();
   * ```
   */
  rekey(member: Member, oldKey: string, newKey: string): boolean {
    if (oldKey === newKey) return true;
    if (this.#members.has(newKey) || this.#members.get(oldKey) !== member) return false;
    this.#members.delete(oldKey);
    this.#members.set(newKey, member);
    return true;
  }

  /**
   * Queues one line for every member but `except`. Never waits. The text is
   * encoded once, straight into the batch; lines broadcast in one turn of the
   * event loop are handed to every member at once (see {@linkcode Room.flush}).
   * In a small room (see {@linkcode RoomOptions.smallRoomMembers}) the first
   * line of a turn is not kept for the rest: it is written to everyone at once.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * room.add(bob);
   * room.broadcastLine("[alice] hi"); // a small room: written at once
   * room.broadcastLine("[bob] hello", bob); // not back to bob
   * room.broadcastLine("[alice] how are you?"); // these two go out at the end of this turn
   * const buffer = new Uint8Array(64);
   * let received = "";
   * while (!received.endsWith("?\n")) {
   *   const count = await peer.read(buffer) ?? 0;
   *   received += new TextDecoder().decode(buffer.subarray(0, count));
   * }
   * assert.equal(received, "[alice] hi\n[alice] how are you?\n");
   * bob.close();
   * ```
   */
  broadcastLine(text: string, except?: Member): void {
    this.#reserve(text.length * 3 + 1);
    const start = this.#length;
    const { written } = encoder.encodeInto(text, this.#batch.subarray(start));
    this.#batch[start + written] = LF;
    this.#length += written + 1;
    this.#appended(start, except);
  }

  /**
   * Queues one line for every member, `from` included, as the report's select
   * server echoes a line to its sender too. In each flush `from` gets its copy
   * after everyone else: it needs its own line least, and one more write ahead
   * of the others would be one more wake-up ahead of them. In a small room,
   * where the line is written at once, `from`'s copy waits a millisecond more,
   * unless another line for `from` takes it along sooner: the server goes back
   * to sleep first, and the members it woke get the CPU.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * room.add(bob);
   * room.echoLine("[127.0.0.1:5000] : hi", bob); // the select server's way: bob gets his own line
   * const buffer = new Uint8Array(64);
   * const count = await peer.read(buffer) ?? 0;
   * assert.equal(new TextDecoder().decode(buffer.subarray(0, count)), "[127.0.0.1:5000] : hi\n");
   * bob.close();
   * ```
   */
  echoLine(text: string, from: Member): void {
    this.#servedLast.add(from); // before the line: it may be written at once
    this.broadcastLine(text);
  }

  /**
   * Queues one line for `member` alone, after everything broadcast before it,
   * so a reply never overtakes the room's earlier lines.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * room.add(bob);
   * room.broadcastLine("[alice] hi");
   * room.sendLineTo(bob, "Server: 2 here"); // after the line broadcast before it
   * const buffer = new Uint8Array(64);
   * let received = "";
   * while (!received.endsWith("here\n")) {
   *   const count = await peer.read(buffer) ?? 0;
   *   received += new TextDecoder().decode(buffer.subarray(0, count));
   * }
   * assert.equal(received, "[alice] hi\nServer: 2 here\n");
   * bob.close();
   * ```
   */
  sendLineTo(member: Member, text: string): void {
    this.flush();
    member.sendLine(text);
  }

  /**
   * Hands the gathered batch to every member now. Each member gets the batch
   * itself, by reference, less the lines it sent: one buffer and one write per
   * member for a whole turn of traffic, instead of one per line. Runs by itself
   * once per turn of the event loop; call it to flush sooner.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room({ smallRoomMembers: 0 }); // no line is written before the turn ends
   * const bob = new Member(await listener.accept(), { name: "bob" });
   * room.add(bob);
   * room.broadcastLine("hi");
   * assert.equal(bob.queuedBytes, 0); // gathered in the room
   * room.flush();
   * assert.equal(bob.queuedBytes, 3); // handed to bob
   * bob.close();
   * ```
   */
  flush(): void {
    this.#handOverBatch(false);
  }

  /** Hands the batch over as {@linkcode Room.flush} does; `now`: members start writing at once. */
  #handOverBatch(now: boolean): void {
    const length = this.#length;
    if (length === 0) return;
    let batch: Uint8Array;
    if (length * 2 < this.#batch.length) {
      // Most turns carry a line or two: hand over a copy of just those bytes, which members may
      // hold a long while, and keep the buffer for the next turn.
      batch = this.#batch.slice(0, length);
    } else {
      batch = this.#batch.subarray(0, length);
      this.#batch = new Uint8Array(
        Math.min(Math.max(INITIAL_BATCH_BYTES, length), MAX_REUSED_BATCH_BYTES),
      );
    }
    const excluded = this.#excluded;
    this.#length = 0;
    this.#excluded = new Map();
    const last = this.#servedLast;
    const crlf = new CrlfBatch(batch); // converted only if a telnet member is here
    for (const member of this.#members.values()) {
      if (!last.has(member)) {
        handOver(member, batch, crlf, excluded.get(member), now ? "now" : "turn");
      }
    }
    for (const member of last) {
      handOver(member, batch, crlf, excluded.get(member), now ? "later" : "turn");
    }
    last.clear();
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#batch.length) return;
    const grown = new Uint8Array(Math.max(needed, this.#batch.length * 2));
    grown.set(this.#batch.subarray(0, this.#length));
    this.#batch = grown;
  }

  #appended(start: number, except: Member | undefined): void {
    const end = this.#length;
    if (except !== undefined) {
      const ranges = this.#excluded.get(except);
      if (ranges === undefined) this.#excluded.set(except, [start, end]);
      else if (ranges[ranges.length - 1] === start) ranges[ranges.length - 1] = end;
      else ranges.push(start, end);
    }
    if (this.#length >= MAX_BATCH_BYTES) {
      // Hand a big batch over now, so members' queues (and flow control) see it.
      this.flush();
    } else if (!this.#flushScheduled) {
      // The first line of this turn: later ones wait for the end of the turn, to share its writes.
      this.#flushScheduled = true;
      setImmediate(this.#scheduledFlush);
      // In a small room the few writes cost less than the wait: this one goes out now.
      if (this.#members.size <= this.#smallRoomMembers) this.#handOverBatch(true);
    }
  }

  #scheduledFlush = (): void => {
    this.#flushScheduled = false;
    this.flush();
  };

  /**
   * Whether senders may be read: no member is backlogged.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), { name: "bob", onBacklog: room.onBacklog });
   * room.add(bob);
   * assert.equal(room.flowing, true);
   * bob.close();
   * ```
   */
  get flowing(): boolean {
    return this.#backlogged.size === 0;
  }

  /**
   * Resolves when the room flows; at once if it does.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room();
   * const bob = new Member(await listener.accept(), {
   *   name: "bob",
   *   highWaterBytes: 4,
   *   onBacklog: room.onBacklog,
   * });
   * room.add(bob);
   * room.broadcastLine("hello");
   * room.flush();
   * assert.equal(room.flowing, false); // bob is over his mark: senders wait
   * await room.whenFlowing(); // bob's writer caught up
   * assert.equal(room.flowing, true);
   * bob.close();
   * ```
   */
  whenFlowing(): Promise<void> {
    if (this.flowing) return Promise.resolve();
    this.#flow ??= Promise.withResolvers();
    return this.#flow.promise;
  }

  /**
   * Pass this as a member's `onBacklog` option, so the room sees the member's
   * queue cross its marks. Only members in the room hold it back: one that has
   * yet to join does not, and {@linkcode Room.add} takes in a backlog it brings.
   *
   * @example Usage
   * ```ts
   * import { Member } from "./member.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * using peer = await Deno.connect({ port: listener.addr.port });
   * const room = new Room({ slowTimeoutMs: 1000 });
   * const bob = new Member(await listener.accept(), { name: "bob", onBacklog: room.onBacklog });
   * room.add(bob);
   * room.onBacklog(bob, true); // as bob's queue reports it; bob has a second to catch up
   * assert.equal(room.flowing, false);
   * room.onBacklog(bob, false);
   * assert.equal(room.flowing, true);
   * bob.close();
   * ```
   */
  readonly onBacklog = (member: Member, backlogged: boolean): void => {
    if (backlogged && !member.closed) {
      // One yet to join (telnet's answers pile up before an ID) is not the room's to wait for,
      // nor to remember as slow: it would stay in #stalls for good. add() takes it in.
      if (this.#backlogged.has(member) || !this.#in.has(member)) return;
      this.#backlogged.add(member);
      const now = performance.now();
      const owed = owedMs(this.#stalls.get(member), now);
      // A debt may pass the timeout by a fraction of a millisecond: a timer that fired late.
      const leftMs = Math.max(0, this.#slowTimeoutMs - owed);
      const evict = setTimeout(() => this.#evict(member), leftMs);
      this.#stalls.set(member, { waitedMs: owed, since: now, evict });
      return;
    }
    if (!this.#backlogged.delete(member)) return;
    const stall = this.#stalls.get(member)!;
    clearTimeout(stall.evict);
    const now = performance.now();
    stall.waitedMs += now - stall.since;
    stall.since = now;
    stall.evict = undefined;
    if (member.closed) this.#forget(member);
    if (this.flowing && this.#flow) {
      this.#flow.resolve();
      this.#flow = undefined;
    }
  };

  /** Drops `member`'s stall, leaving what it still owes to its slow key. */
  #forget(member: Member): void {
    const stall = this.#stalls.get(member);
    if (stall === undefined) return;
    this.#stalls.delete(member);
    const key = this.#slowKey?.(member);
    if (key === undefined) return;
    const now = performance.now();
    for (const [other, debt] of this.#debts) {
      if (owedMs(debt, now) === 0) this.#debts.delete(other); // forgiven: forgotten
    }
    const owed = owedMs(stall, now);
    if (owed > owedMs(this.#debts.get(key), now)) {
      this.#debts.set(key, { waitedMs: owed, since: now });
    }
  }

  #evict(member: Member): void {
    member.close(TOO_SLOW);
    this.onBacklog(member, false);
    this.#onEvict?.(member);
  }
}

/**
 * How long a member kept the room waiting (`waitedMs`, as of `since`), and while it is
 * backlogged, the timer that evicts it.
 */
interface Stall extends Debt {
  evict: ReturnType<typeof setTimeout> | undefined;
}

/** How long a member kept the room waiting, as of `since`, while it was not backlogged. */
interface Debt {
  waitedMs: number;
  since: number;
}

/** What `debt` comes to at `now`, one ms forgiven per {@linkcode SLOW_RECOVERY} ms. */
function owedMs(debt: Debt | undefined, now: number): number {
  return debt === undefined ? 0 : Math.max(0, debt.waitedMs - (now - debt.since) / SLOW_RECOVERY);
}

/**
 * When a member starts writing what it was handed: once the current batch of
 * sends is done (`"turn"`, {@linkcode Member.send}), at once (`"now"`,
 * {@linkcode Member.sendNow}), or after {@linkcode ECHO_DELAY_MS} (`"later"`,
 * {@linkcode Member.sendLater}).
 */
type Start = "turn" | "now" | "later";

/**
 * A batch with CR LF line ends, for the telnet members: made once a hand-over, when the first of
 * them needs it, and shared by all of them, as the batch itself is by the rest.
 */
class CrlfBatch {
  #batch: Uint8Array;
  #converted: Uint8Array | undefined;
  /** Where the batch's LFs are, found once: every telnet member's pieces are placed by them. */
  #lineEnds: number[] | undefined;

  constructor(batch: Uint8Array) {
    this.#batch = batch;
  }

  /** `batch.subarray(from, to)`, whole lines, with CR LF line ends: a view of the shared copy. */
  slice(from: number, to: number): Uint8Array {
    this.#converted ??= withCrlf(this.#batch);
    // Each line end before an offset moves it one byte on.
    return this.#converted.subarray(
      from + this.#lineEndsBefore(from),
      to + this.#lineEndsBefore(to),
    );
  }

  /** How many LFs the batch has before `offset`: a binary search of their offsets. */
  #lineEndsBefore(offset: number): number {
    if (this.#lineEnds === undefined) {
      this.#lineEnds = [];
      for (let at = this.#batch.indexOf(LF); at !== -1; at = this.#batch.indexOf(LF, at + 1)) {
        this.#lineEnds.push(at);
      }
    }
    const ends = this.#lineEnds;
    let low = 0;
    let high = ends.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (ends[middle] < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** Queues `batch` for `member`, less the `[start, end)` ranges in `excluded`. */
function handOver(
  member: Member,
  batch: Uint8Array,
  crlf: CrlfBatch,
  excluded: number[] | undefined,
  start: Start,
): void {
  let at = 0;
  if (excluded !== undefined) {
    for (let i = 0; i < excluded.length; i += 2) {
      if (excluded[i] > at) member.send(piece(member, batch, crlf, at, excluded[i]));
      at = excluded[i + 1];
    }
  }
  if (at === batch.length) return;
  const rest = at === 0 && !member.crlf ? batch : piece(member, batch, crlf, at, batch.length);
  if (start === "now") member.sendNow(rest);
  else if (start === "later") member.sendLater(rest, ECHO_DELAY_MS);
  else member.send(rest);
}

/** Bytes `from` to `to` of the batch, in the line ends `member` wants (a telnet client: CR LF). */
function piece(
  member: Member,
  batch: Uint8Array,
  crlf: CrlfBatch,
  from: number,
  to: number,
): Uint8Array {
  return member.crlf ? crlf.slice(from, to) : batch.subarray(from, to);
}
