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

/** The read buffer of a quiet connection, in bytes. */
export const INITIAL_READ_BYTES = 1024;
/** The largest read buffer a busy connection grows to, in bytes. */
export const MAX_READ_BYTES = 64 * 1024;

/**
 * Yields the bytes read from `reader` until end of stream or disconnect. Each
 * chunk is a view of a buffer that is reused: consume it before asking for the
 * next one. A reset or closed connection ends the iteration like end of stream;
 * any other error is thrown.
 *
 * @example Usage
 * ```ts ignore
 * import { readChunks } from "./conn_reader.ts";
 *
 * const conn = await Deno.connect({ port: 1234 });
 * for await (const chunk of readChunks(conn)) console.log(chunk.length);
 * ```
 */
export async function* readChunks(
  reader: { read(p: Uint8Array): Promise<number | null> },
): AsyncGenerator<Uint8Array, void, void> {
  let buffer = new Uint8Array(INITIAL_READ_BYTES);
  while (true) {
    let count: number | null;
    try {
      count = await reader.read(buffer);
    } catch (error) {
      if (isDisconnect(error)) return;
      throw error;
    }
    if (count === null) return;
    yield buffer.subarray(0, count);
    if (count === buffer.length && buffer.length < MAX_READ_BYTES) {
      buffer = new Uint8Array(Math.min(buffer.length * 8, MAX_READ_BYTES));
    } else if (count <= INITIAL_READ_BYTES / 2 && buffer.length > INITIAL_READ_BYTES) {
      buffer = new Uint8Array(INITIAL_READ_BYTES);
    }
  }
}
