/**
 * The read side of a member: its connection's bytes as lines, read only as
 * fast as the room and the member's rate limit allow.
 *
 * @module
 */

import { readChunks } from "./conn_reader.ts";
import { type Frame, LineDecoder } from "./line_decoder.ts";
import { type Member } from "./member.ts";
import { type Room } from "./room.ts";
import { TokenBucket } from "./token_bucket.ts";
import { FLUSH_ON_CLOSE_MS } from "./chat_server.ts";

/** The reason given when a silent member is closed. */
export const IDLE = "idle";

/** Options for {@linkcode memberLines}. */
export interface MemberLinesOptions {
  /** The room whose flow control pauses reading. */
  room: Room;
  /** The longest line, in bytes. */
  maxLineBytes?: number;
  /**
   * A partial line idle this long counts as a whole line, in ms (0: never). For
   * clients like the report's, which send no newlines at all. Once a
   * connection has ended one line with a newline it is a line-based client,
   * and its partial lines are never cut.
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
 * Yields a member's lines (and {@linkcode LINE_TOO_LONG} markers) until it
 * disconnects or is closed. Before each line it waits for the room to flow
 * and for the rate limit; while it waits, nothing more is read from the
 * socket, so TCP pushes back on the sender and nothing is lost.
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
  const { room, partialLineMs = 0, rateLimit = 0, idleTimeoutMs = 0 } = options;
  const decoder = new LineDecoder({ maxLineBytes: options.maxLineBytes });
  const bucket = rateLimit > 0
    ? new TokenBucket({ rate: rateLimit, burst: options.rateBurst ?? rateLimit })
    : undefined;
  const chunks = readChunks(member.conn);
  let lineBased = false;
  let reading = false;
  let lastHeard = performance.now();

  /** How long the next read may take before something must happen, if there is a limit. */
  function nextTimeout(): number | undefined {
    const partial = partialLineMs > 0 && !lineBased && decoder.pending > 0
      ? partialLineMs
      : Infinity;
    const idle = idleTimeoutMs > 0 ? lastHeard + idleTimeoutMs - performance.now() : Infinity;
    const timeout = Math.min(partial, idle);
    return timeout === Infinity ? undefined : Math.max(0, timeout);
  }
  try {
    yield* frames();
  } finally {
    // A read may still be in flight when a partial line was yielded; it ends
    // when the owner closes the connection. Otherwise end the reader now.
    if (!reading) await chunks.return();
  }

  async function* frames(): AsyncGenerator<Frame, void, void> {
    while (!member.closed) {
      reading = true;
      lastHeard = performance.now(); // silence counts only while we listen
      const read = chunks.next().finally(() => reading = false);
      let result = await within(read, nextTimeout());
      while (result === undefined) {
        if (idleTimeoutMs > 0 && performance.now() - lastHeard >= idleTimeoutMs) {
          member.sendLine(`Server: closing: silent for ${idleTimeoutMs / 1000} s`);
          await member.closeAfterFlush(FLUSH_ON_CLOSE_MS, IDLE);
          return;
        }
        // The partial line sat idle: it is a whole message from a newline-less client.
        const partial = decoder.flush();
        if (partial !== undefined) yield partial;
        result = await within(read, nextTimeout());
      }
      if (result.done) break;
      const frames = decoder.push(result.value);
      if (frames.length > 0) lineBased = true;
      for (const frame of frames) {
        if (!room.flowing) await room.whenFlowing();
        const wait = bucket?.take() ?? 0;
        if (wait > 0) await delay(wait);
        if (member.closed) return;
        yield frame;
      }
    }
    const last = decoder.flush();
    if (last !== undefined && !member.closed) yield last;
  }
}

/** `promise`, or `undefined` once `ms` passed (no limit when `ms` is undefined). */
function within<T>(promise: Promise<T>, ms: number | undefined): Promise<T | undefined> {
  if (ms === undefined) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
