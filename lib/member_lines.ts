/**
 * The read side of a member: its connection's bytes as lines, read only as
 * fast as the room and the member's rate limit allow.
 *
 * @module
 */

import { INITIAL_READ_BYTES, nextReadBuffer } from "./conn_reader.ts";
import { sleep, within } from "./deadlines.ts";
import { isDisconnect } from "./errors.ts";
import { type Frame, LINE_TOO_LONG, LineDecoder } from "./line_decoder.ts";
import { FLUSH_ON_CLOSE_MS, type Member } from "./member.ts";
import { type Room } from "./room.ts";
import { IAC, TelnetFilter } from "./telnet.ts";
import { TokenBucket } from "./token_bucket.ts";

/**
 * The reason given when a silent member is closed.
 *
 * @example Usage
 * ```ts
 * import { IDLE } from "./member_lines.ts";
 * import assert from "node:assert/strict";
 *
 * // A member closed for silence has this as its closeReason.
 * assert.equal(IDLE, "idle");
 * ```
 */
export const IDLE = "idle";

/**
 * What a telnet user is told on pressing Ctrl-C, which telnet sends as a command rather than
 * closing the connection as nc does. Once a connection.
 *
 * @example Usage
 * ```ts
 * import { INTERRUPT_HINT } from "./member_lines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(INTERRUPT_HINT, /type quit/);
 * ```
 */
export const INTERRUPT_HINT = "Server: Ctrl-C does not leave the chat here; type quit to leave";

/**
 * What a telnet user is told on pressing Ctrl-D, which telnet sends as the byte 0x04 (EOT)
 * where nc would end its input. The EOT is taken off the line it starts. Once a connection.
 *
 * @example Usage
 * ```ts
 * import { EOF_HINT } from "./member_lines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(EOF_HINT, /^Server: Ctrl-D does not leave/);
 * ```
 */
export const EOF_HINT = "Server: Ctrl-D does not leave the chat here; type quit to leave";

/** End of transmission: telnet's Ctrl-D. */
const EOT = 0x04;

/** Options for {@linkcode memberLines}. */
export interface MemberLinesOptions {
  /** The room whose flow control pauses reading. */
  room: Room;
  /** The longest line, in bytes. */
  maxLineBytes?: number;
  /**
   * A partial line idle this long counts as a whole line, in ms (0: never), up
   * to its last whole character. For clients like the report's, which send no
   * newlines at all. Once a connection has ended one line with a newline it is
   * a line-based client, and its partial lines are never cut.
   */
  partialLineMs?: number;
  /** Messages per second allowed on average (0: no limit). */
  rateLimit?: number;
  /** Messages allowed at once before the rate limit applies. */
  rateBurst?: number;
  /** A member silent this long is told and closed with the reason `"idle"`, in ms (0: never). */
  idleTimeoutMs?: number;
}

/**
 * The one options object a server gives {@linkcode memberLines} for all its members,
 * picked from the server's own options (which carry much else) and frozen, so that no
 * member's reader can change what the others read with.
 *
 * @example Usage
 * ```ts
 * import { memberLinesOptions } from "./member_lines.ts";
 * import { Room } from "./room.ts";
 * import assert from "node:assert/strict";
 *
 * const room = new Room();
 * const config = { port: 1234, maxLineBytes: 4096, rateLimit: 10, rateBurst: 20 };
 * const options = memberLinesOptions(room, config);
 * assert.equal(options.room, room);
 * assert.equal(options.maxLineBytes, 4096);
 * assert.equal("port" in options, false); // only what the reader needs
 * assert.equal(Object.isFrozen(options), true);
 * ```
 *
 * @param room The room whose flow control pauses reading.
 * @param config The server's options: those of {@linkcode MemberLinesOptions} are taken.
 * @returns The options, frozen.
 */
export function memberLinesOptions(
  room: Room,
  config: Omit<MemberLinesOptions, "room">,
): Readonly<MemberLinesOptions> {
  const { maxLineBytes, partialLineMs, rateLimit, rateBurst, idleTimeoutMs } = config;
  return Object.freeze({ room, maxLineBytes, partialLineMs, rateLimit, rateBurst, idleTimeoutMs });
}

/**
 * Yields a member's lines (and {@linkcode LINE_TOO_LONG} markers) until it
 * disconnects or is closed. Before each line it waits for the room to flow
 * and for the rate limit; while it waits, nothing more is read from the
 * socket, so TCP pushes back on the sender and nothing is lost. `options` is
 * only read: a server shares one object between all its members.
 *
 * @example Usage
 * ```ts ignore
 * import { memberLines } from "./member_lines.ts";
 *
 * for await (const line of memberLines(member, { room })) console.log(line);
 * ```
 */
export async function* memberLines(
  member: Member,
  options: MemberLinesOptions,
): AsyncGenerator<Frame, void, void> {
  // One generator per connection and nothing else pending: a server holds thousands of these.
  const { room, partialLineMs = 0, rateLimit = 0, idleTimeoutMs = 0 } = options;
  const decoder = new LineDecoder({ maxLineBytes: options.maxLineBytes });
  const bucket = rateLimit > 0
    ? new TokenBucket({ rate: rateLimit, burst: options.rateBurst ?? rateLimit })
    : undefined;
  const timed = partialLineMs > 0 || idleTimeoutMs > 0;
  let buffer: Uint8Array = new Uint8Array(INITIAL_READ_BYTES);
  let lineBased = false;
  let telnet: TelnetFilter | undefined; // made at the first 0xFF, which only telnet sends
  let eofHinted = false;
  /**
   * Since when the member has been silent: its last line, or the last time we went back to
   * listening after a wait of ours. Bytes that end no line are silence: a member that sends a
   * byte a second and never a newline is idle all the same.
   */
  let spoke = performance.now();
  while (!member.closed) {
    // What the member is sent may pile up with no line of its own to wait on (telnet's answers,
    // before it has even joined a room): while it is backlogged, nothing more is read.
    if (member.backlogged) {
      await member.whenWritable();
      spoke = performance.now(); // silence counts only while we listen
      continue;
    }
    const heard = performance.now(); // the partial line's silence: since this read began
    // Read straight from the connection: a helper in between would be one more
    // pending frame and promise chain per quiet member.
    const read = member.conn.read(buffer);
    let count: number | null | undefined;
    try {
      while (true) {
        // What a cut leaves, the start of a character, waits for its rest however long.
        const partialMs = lineBased || !decoder.cuttable ? 0 : partialLineMs;
        const ms = timed ? timeLeft(spoke, heard, { idleTimeoutMs, partialMs }) : Infinity;
        count = timed ? await within(read, ms) : await read;
        if (count !== undefined) break;
        // A timer may fire a little early: each wait below counts only once it is really over.
        const now = performance.now();
        if (idleTimeoutMs > 0 && now - spoke >= idleTimeoutMs) {
          member.sendLine(`Server: closing: silent for ${idleTimeoutMs / 1000} s`);
          await member.closeAfterFlush(FLUSH_ON_CLOSE_MS, IDLE);
          return; // the pending read fails with the connection; within() observed it
        }
        if (partialMs > 0 && now - heard >= partialMs) {
          // The partial line sat idle: a whole message from a newline-less client (or the
          // end of a too-long one, which is dropped), up to its last whole character.
          const partial = decoder.cut();
          if (partial === undefined) continue;
          if (!await admitted(member, room, bucket)) return;
          yield partial;
          spoke = performance.now();
        }
      }
    } catch (error) {
      if (!isDisconnect(error)) throw error;
      count = null;
    }
    if (count === null) break;
    const chunk = buffer.subarray(0, count);
    buffer = nextReadBuffer(buffer, count);
    if (telnet === undefined && chunk.includes(IAC)) {
      telnet = telnetFilter(member, decoder.bytesAwaited);
    }
    const data = telnet === undefined ? chunk : telnet.push(chunk);
    // telnet sends Ctrl-D at once and alone; the line it starts comes later.
    if (data[0] === EOT && !eofHinted) {
      member.sendLine(EOF_HINT);
      eofHinted = true;
    }
    const frames = decoder.push(data);
    // A too-long line may have no newline yet: only a line proves the client sends them.
    lineBased ||= frames.some((frame) => frame !== LINE_TOO_LONG);
    for (let frame of frames) {
      if (typeof frame === "string" && frame.charCodeAt(0) === EOT) {
        frame = frame.replace(/^\x04+/, "");
      }
      if (!await admitted(member, room, bucket)) return;
      yield frame;
    }
    if (timed && frames.length > 0) spoke = performance.now(); // after our waits, too
  }
  const last = decoder.flush();
  if (last !== undefined && await admitted(member, room, bucket)) yield last;
}

/**
 * Takes a telnet client's commands out of its lines, and answers them; `bytesAwaited` says
 * where the stream is, in the middle of a character or not.
 */
function telnetFilter(member: Member, bytesAwaited: number): TelnetFilter {
  let hinted = false;
  return new TelnetFilter({
    bytesAwaited,
    reply: (bytes) => member.send(bytes),
    onTelnet: () => member.crlf = true, // lines end as its network virtual terminal wants them
    onInterrupt: () => {
      if (!hinted) member.sendLine(INTERRUPT_HINT);
      hinted = true;
    },
  });
}

/**
 * Waits until the room flows (for a member in it) and the rate limit allows
 * one more line; `false` if the member was closed meanwhile. Every line a
 * member sends passes here.
 */
async function admitted(member: Member, room: Room, bucket?: TokenBucket): Promise<boolean> {
  // A connection still giving its ID says nothing to the room: a stall there must not keep its
  // ID unread (it would be prompted, as if silent, and held until the handshake times out).
  if (!room.flowing && room.includes(member)) await room.whenFlowing();
  const wait = bucket?.take() ?? 0;
  if (wait > 0) await sleep(wait);
  return !member.closed;
}

/**
 * How long the next read may take, in ms: until the member has said no line
 * since `spoke` for `idleTimeoutMs`, or its partial line has had nothing added
 * since `heard` for `partialMs` (0: never, for either).
 */
function timeLeft(
  spoke: number,
  heard: number,
  { idleTimeoutMs, partialMs }: { idleTimeoutMs: number; partialMs: number },
): number {
  const until = Math.min(
    idleTimeoutMs > 0 ? spoke + idleTimeoutMs : Infinity,
    partialMs > 0 ? heard + partialMs : Infinity,
  );
  return until - performance.now();
}
