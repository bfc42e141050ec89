/**
 * Reading a connection with a small buffer that grows only when needed.
 *
 * Every pending read holds its buffer. `conn.readable` reads into a fresh
 * 64 KiB buffer each time, so 5000 idle members would pin about 330 MB. Here a
 * connection starts with {@linkcode INITIAL_READ_BYTES}, grows when a read fills
 * the buffer (a busy sender), and falls back to the small buffer when it goes
 * quiet again.
 *
 * @module
 */

import { isDisconnect } from "./errors.ts";

/**
 * The read buffer of a quiet connection, in bytes.
 *
 * @example Usage
 * ```ts
 * import { INITIAL_READ_BYTES, nextReadBuffer } from "./conn_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const quiet = new Uint8Array(INITIAL_READ_BYTES);
 * assert.equal(nextReadBuffer(quiet, 20), quiet); // a short read keeps the small buffer
 * ```
 */
export const INITIAL_READ_BYTES = 128;
/**
 * The largest read buffer a busy connection grows to, in bytes.
 *
 * @example Usage
 * ```ts
 * import { MAX_READ_BYTES, nextReadBuffer } from "./conn_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const busy = new Uint8Array(MAX_READ_BYTES);
 * assert.equal(nextReadBuffer(busy, MAX_READ_BYTES), busy); // full, but it grows no further
 * ```
 */
export const MAX_READ_BYTES = 64 * 1024;

/**
 * The buffer for the next read, after one of `count` bytes into `buffer`:
 * eight times larger when the read filled it (up to {@linkcode MAX_READ_BYTES}),
 * back to {@linkcode INITIAL_READ_BYTES} when a larger buffer was not filled
 * (the connection caught up, and may now go quiet with its read pending),
 * else `buffer` itself. A reader that reuses the buffer must consume the bytes
 * it read before the next read.
 *
 * @example Usage
 * ```ts
 * import { INITIAL_READ_BYTES, nextReadBuffer } from "./conn_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const small = new Uint8Array(INITIAL_READ_BYTES);
 * assert.equal(nextReadBuffer(small, 10), small);
 * assert.equal(nextReadBuffer(small, INITIAL_READ_BYTES).length, INITIAL_READ_BYTES * 8);
 * ```
 */
export function nextReadBuffer(buffer: Uint8Array, count: number): Uint8Array {
  if (count === buffer.length && buffer.length < MAX_READ_BYTES) {
    return new Uint8Array(Math.min(buffer.length * 8, MAX_READ_BYTES));
  }
  if (count < buffer.length && buffer.length > INITIAL_READ_BYTES) {
    return new Uint8Array(INITIAL_READ_BYTES);
  }
  return buffer;
}

/** Anything with Deno's `read(p)`: a connection, stdin. */
export interface Reader {
  /** Reads into `p`; resolves to the byte count, or `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Options for {@linkcode readChunks}. */
export interface ReadChunksOptions {
  /**
   * Called when a disconnect ends the chunks rather than the end of stream: a
   * reset, or the reader closed under us. The peer then did not close its side
   * as it meant to, and may not have read all that was sent to it.
   */
  onCut?: () => void;
}

/**
 * Yields the bytes read from `reader` until end of stream or disconnect, in a
 * buffer that grows while reads fill it and shrinks back when the reader goes
 * quiet (see {@linkcode nextReadBuffer}). Each chunk is a view valid until the
 * next one is asked for. A reset or closed connection ends the iteration like
 * end of stream, but tells `onCut`; any other error is thrown.
 *
 * @example Usage
 * ```ts ignore
 * import { readChunks } from "./conn_reader.ts";
 *
 * const conn = await Deno.connect({ port: 1234 });
 * const onCut = () => console.log("reset: the server may not have read everything");
 * for await (const chunk of readChunks(conn, { onCut })) console.log(chunk.length);
 * ```
 */
export async function* readChunks(
  reader: Reader,
  options: ReadChunksOptions = {},
): AsyncGenerator<Uint8Array, void, void> {
  let buffer: Uint8Array = new Uint8Array(INITIAL_READ_BYTES);
  while (true) {
    let count: number | null;
    try {
      count = await reader.read(buffer);
    } catch (error) {
      if (!isDisconnect(error)) throw error;
      options.onCut?.();
      return;
    }
    if (count === null) return;
    yield buffer.subarray(0, count);
    buffer = nextReadBuffer(buffer, count);
  }
}
