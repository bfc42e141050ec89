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
