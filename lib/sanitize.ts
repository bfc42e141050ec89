/**
 * Sanitizing: nothing one member sends may drive another member's terminal.
 *
 * Control characters are shown visibly instead, in the notation of `cat -v`:
 * ESC becomes `^[`, BEL `^G`, a bare carriage return `^M`, DEL `^?`, and the C1
 * controls (U+0080–U+009F) `M-^[` and so on. A tab becomes a space. Unicode
 * bidirectional overrides and isolates, and the line and paragraph separators,
 * are shown as `<U+202E>`, so text cannot be reordered or broken behind the
 * reader's back. Everything printable, Hangul and emoji included, passes
 * unchanged.
 *
 * @module
 */

// C0, DEL, C1, LINE/PARAGRAPH SEPARATOR, bidi embeddings/overrides, bidi isolates.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

function visible(char: string): string {
  const code = char.charCodeAt(0);
  if (code === 0x09) return " ";
  if (code < 0x20) return "^" + String.fromCharCode(code + 0x40);
  if (code === 0x7f) return "^?";
  if (code <= 0x9f) return "M-^" + String.fromCharCode(code - 0x40);
  return `<U+${code.toString(16).toUpperCase()}>`;
}

/**
 * Returns `text` with every terminal control character made visible. Text
 * without any is returned as it is, without copying.
 *
 * @example Usage
 * ```ts
 * import { sanitize } from "./sanitize.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitize("\x1b[2Jhi\x07"), "^[[2Jhi^G");
 * assert.equal(sanitize("안녕 👋"), "안녕 👋");
 * ```
 */
export function sanitize(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, visible) : text;
}

/**
 * Quotes a value for an error message: sanitized, and cut to `max`
 * characters so a 10 KB ID does not become a 10 KB log line.
 *
 * @example Usage
 * ```ts
 * import { quote } from "./sanitize.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(quote("a\x1bb"), '"a^[b"');
 * assert.equal(quote("x".repeat(100), 5), '"xxxxx…"');
 * ```
 */
export function quote(value: string, max = 40): string {
  const chars = Array.from(value);
  const cut = chars.length > max ? chars.slice(0, max).join("") + "…" : value;
  return `"${sanitize(cut)}"`;
}
