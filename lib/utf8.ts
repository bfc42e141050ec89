/**
 * Where UTF-8 characters begin and end in bytes that may stop in the middle
 * of one: a read, a line cut short, a telnet command between two bytes.
 *
 * @module
 */

/**
 * The length of the UTF-8 character that `lead` begins: 0 if it begins none
 * (a continuation byte, or a byte that UTF-8 never uses).
 *
 * @example Usage
 * ```ts
 * import { sequenceLength } from "./utf8.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sequenceLength(0x61), 0); // "a": ASCII is no sequence
 * assert.equal(sequenceLength(0xed), 3); // the first byte of "한"
 * assert.equal(sequenceLength(0x95), 0); // its second
 * ```
 */
export function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * How many bytes at the end of `bytes` begin a UTF-8 character that needs
 * more bytes to be whole: 0 to 3. Anything else, valid or not, counts as
 * whole, since no later byte can change how it decodes.
 *
 * @example Usage
 * ```ts
 * import { incompleteTail } from "./utf8.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("a한"); // 61 ED 95 9C
 * assert.equal(incompleteTail(bytes), 0);
 * assert.equal(incompleteTail(bytes.subarray(0, 3)), 2); // ED 95: the start of "한"
 * ```
 */
export function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    return back < sequenceLength(byte) ? back : 0;
  }
  return 0;
}

/**
 * How many more bytes the character at the end of `bytes` needs to be whole:
 * 0 to 3.
 *
 * @example Usage
 * ```ts
 * import { bytesAwaited } from "./utf8.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("한"); // ED 95 9C
 * assert.equal(bytesAwaited(bytes.subarray(0, 1)), 2);
 * assert.equal(bytesAwaited(bytes), 0);
 * ```
 */
export function bytesAwaited(bytes: Uint8Array): number {
  const tail = incompleteTail(bytes);
  return tail === 0 ? 0 : sequenceLength(bytes[bytes.length - tail]) - tail;
}
