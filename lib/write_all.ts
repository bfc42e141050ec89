/**
 * Writing a whole buffer to a connection. `Deno.Conn.write` may write fewer
 * bytes than it was given, so a single call is never enough.
 *
 * @module
 */

/**
 * Writes every byte of `bytes` to `writer`, looping over short writes.
 *
 * @example Usage
 * ```ts
 * import { writeAll } from "./write_all.ts";
 *
 * await writeAll(Deno.stdout, new TextEncoder().encode("hello\n"));
 * ```
 */
export async function writeAll(
  writer: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await writer.write(bytes.subarray(offset));
  }
}

/**
 * Writes every byte of `text` to `writer` synchronously: for a terminal,
 * where escape sequences must go out whole and in order with printed lines.
 *
 * @example Usage
 * ```ts
 * import { writeAllSync } from "./write_all.ts";
 *
 * writeAllSync(Deno.stdout, "\n");
 * ```
 */
export function writeAllSync(
  writer: { writeSync(p: Uint8Array): number },
  text: string | Uint8Array,
): void {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  let offset = 0;
  while (offset < bytes.length) offset += writer.writeSync(bytes.subarray(offset));
}

/**
 * Writes whole buffers to one writer, one after another: a write starts once the one before it
 * has ended, so a buffer is never cut in two by another's bytes, as {@linkcode writeAll}s run
 * side by side on one socket can be (each of their `write` calls may write only part). A failed
 * write fails only its own caller; the next one still runs.
 *
 * @example Usage
 * ```ts
 * import { SerialWriter } from "./write_all.ts";
 * import { equal } from "node:assert/strict";
 *
 * let written = "";
 * const halves = { // writes at most half of what it is given, as a full socket may
 *   write(p: Uint8Array) {
 *     const count = Math.ceil(p.length / 2);
 *     written += new TextDecoder().decode(p.subarray(0, count));
 *     return Promise.resolve(count);
 *   },
 * };
 * const writer = new SerialWriter(halves);
 * const encoder = new TextEncoder();
 * await Promise.all([writer.write(encoder.encode("hello\n")), writer.write(encoder.encode("quit\n"))]);
 * equal(written, "hello\nquit\n");
 * ```
 */
export class SerialWriter {
  #writer: { write(p: Uint8Array): Promise<number> };
  /** Settles when the last write asked for has ended, however it ended. */
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;

  /**
   * Writes to `writer`.
   *
   * @example Usage
   * ```ts
   * import { SerialWriter } from "./write_all.ts";
   *
   * const writer = new SerialWriter(Deno.stdout);
   * await writer.write(new TextEncoder().encode("hello\n"));
   * ```
   *
   * @param writer Where the bytes go: a socket, say.
   */
  constructor(writer: { write(p: Uint8Array): Promise<number> }) {
    this.#writer = writer;
  }

  /**
   * How many writes were asked for and have not ended: while there is one, the socket's own
   * `closeWrite()` would wait for it.
   *
   * @example Usage
   * ```ts
   * import { SerialWriter } from "./write_all.ts";
   * import { equal } from "node:assert/strict";
   *
   * const writer = new SerialWriter(Deno.stdout);
   * const written = writer.write(new TextEncoder().encode("hello\n"));
   * equal(writer.pending, 1);
   * await written;
   * equal(writer.pending, 0);
   * ```
   *
   * @returns The number of writes under way or waiting their turn.
   */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Writes every byte of `bytes` once the writes asked for before have ended.
   *
   * @example Usage
   * ```ts
   * import { SerialWriter } from "./write_all.ts";
   *
   * const writer = new SerialWriter(Deno.stdout);
   * await writer.write(new TextEncoder().encode("hello\n"));
   * ```
   *
   * @param bytes What to write.
   * @returns Resolves once all of it is written; rejects with the writer's error.
   */
  write(bytes: Uint8Array): Promise<void> {
    this.#pending++;
    const written = this.#tail
      .then(() => writeAll(this.#writer, bytes))
      .finally(() => this.#pending--);
    // The error is the caller's, through `written`; the next write goes ahead all the same.
    this.#tail = written.then(() => {}, () => {});
    return written;
  }
}
