/**
 * Lines of text from any byte reader, through the same framing as the
 * servers: stdin for the clients, a socket for the clients' receive side.
 *
 * @module
 */

import { readChunks } from "./conn_reader.ts";
import { LINE_TOO_LONG, LineDecoder } from "./line_decoder.ts";

/** The longest line the clients accept from stdin or the server, in bytes. */
const CLIENT_MAX_LINE_BYTES = 64 * 1024;

/**
 * Yields the lines read from `reader`, the last one even without a newline,
 * until end of stream or disconnect. An over-long line is skipped.
 *
 * @example Usage
 * ```ts ignore
 * import { textLines } from "./text_lines.ts";
 *
 * for await (const line of textLines(Deno.stdin)) console.log(line.length);
 * ```
 */
export async function* textLines(
  reader: { read(p: Uint8Array): Promise<number | null> },
  maxLineBytes: number = CLIENT_MAX_LINE_BYTES,
): AsyncGenerator<string, void, void> {
  const decoder = new LineDecoder({ maxLineBytes });
  for await (const chunk of readChunks(reader)) {
    for (const frame of decoder.push(chunk)) {
      if (frame !== LINE_TOO_LONG) yield frame;
    }
  }
  const last = decoder.flush();
  if (last !== undefined && last !== LINE_TOO_LONG) yield last;
}
