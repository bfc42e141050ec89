/**
 * Lines of text from any byte reader, through the same framing as the
 * servers: stdin for the clients, a socket for the clients' receive side.
 *
 * @module
 */

import { readChunks } from "./conn_reader.ts";
import { LINE_TOO_LONG, LineDecoder } from "./line_decoder.ts";

/**
 * The longest line the clients accept from stdin or the server, in bytes.
 *
 * @example Usage
 * ```ts
 * import { CLIENT_MAX_LINE_BYTES } from "./text_lines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CLIENT_MAX_LINE_BYTES, 65536);
 * ```
 */
export const CLIENT_MAX_LINE_BYTES = 64 * 1024;

/**
 * What a client prints for a line from the server it skipped for being too long.
 *
 * @example Usage
 * ```ts
 * import { SERVER_LINE_TOO_LONG } from "./text_lines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(SERVER_LINE_TOO_LONG, /^Not shown: /);
 * ```
 */
export const SERVER_LINE_TOO_LONG =
  `Not shown: a line from the server over ${CLIENT_MAX_LINE_BYTES} bytes`;

/**
 * What a client prints for a line of its input it skipped for being too long.
 *
 * @example Usage
 * ```ts
 * import { INPUT_LINE_TOO_LONG } from "./text_lines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(INPUT_LINE_TOO_LONG, /^Not sent: /);
 * ```
 */
export const INPUT_LINE_TOO_LONG = `Not sent: a line over ${CLIENT_MAX_LINE_BYTES} bytes`;

/** Options for {@linkcode textLines}. */
export interface TextLinesOptions {
  /** The longest line kept, in bytes. Defaults to {@linkcode CLIENT_MAX_LINE_BYTES}. */
  maxLineBytes?: number;
  /** Called for each line skipped for being longer, so that the user can be told. */
  onTooLong?: () => void;
  /**
   * Called when the stream is cut rather than ended: a reset, or the reader closed under us (see
   * {@linkcode readChunks}). An unfinished last line is dropped then, not passed on as if whole:
   * it is a fragment.
   */
  onCut?: () => void;
}

/**
 * Yields the lines read from `reader` until end of stream or disconnect: at the
 * end of stream, the last one even without a newline; after a disconnect, only
 * whole lines, and `onCut` told. An over-long line is skipped, and `onTooLong`
 * told.
 *
 * @example Usage
 * ```ts ignore
 * import { textLines } from "./text_lines.ts";
 *
 * const onTooLong = () => console.error("Skipped a line over 64 KiB");
 * for await (const line of textLines(Deno.stdin, { onTooLong })) console.log(line.length);
 * ```
 */
export async function* textLines(
  reader: { read(p: Uint8Array): Promise<number | null> },
  options: TextLinesOptions = {},
): AsyncGenerator<string, void, void> {
  const { maxLineBytes = CLIENT_MAX_LINE_BYTES, onTooLong } = options;
  const decoder = new LineDecoder({ maxLineBytes });
  let cut = false;
  const onCut = () => {
    cut = true;
    options.onCut?.();
  };
  for await (const chunk of readChunks(reader, { onCut })) {
    for (const frame of decoder.push(chunk)) {
      if (frame !== LINE_TOO_LONG) yield frame;
      else onTooLong?.();
    }
  }
  if (cut) return;
  const last = decoder.flush();
  if (last === LINE_TOO_LONG) onTooLong?.();
  else if (last !== undefined) yield last;
}
