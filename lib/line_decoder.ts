/**
 * Framing: bytes in, lines out.
 *
 * TCP delivers a byte stream, not messages. One read may hold half a line, or
 * a thousand lines; a multi-byte UTF-8 character may be split between two
 * reads. {@linkcode LineDecoder} buffers bytes until a newline and only then
 * decodes them, so a split character is never seen half-way. Since `\n` (0x0A)
 * never occurs inside a UTF-8 sequence, splitting on the byte is always safe.
 *
 * @module
 */

import { bytesAwaited, incompleteTail } from "./utf8.ts";

/**
 * The default longest line, in bytes, not counting its line ending.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_MAX_LINE_BYTES, LINE_TOO_LONG, LineDecoder } from "./line_decoder.ts";
 * import assert from "node:assert/strict";
 *
 * const decoder = new LineDecoder();
 * const line = "x".repeat(DEFAULT_MAX_LINE_BYTES + 1) + "\n";
 * assert.deepEqual(decoder.push(new TextEncoder().encode(line)), [LINE_TOO_LONG]);
 * ```
 */
export const DEFAULT_MAX_LINE_BYTES = 4096;

/**
 * Returned by {@linkcode LineDecoder.push} in place of a line that was too long.
 *
 * @example Usage
 * ```ts
 * import { LINE_TOO_LONG, LineDecoder } from "./line_decoder.ts";
 * import assert from "node:assert/strict";
 *
 * const decoder = new LineDecoder({ maxLineBytes: 4 });
 * const bytes = new TextEncoder().encode("too long\nok\n");
 * assert.deepEqual(decoder.push(bytes), [LINE_TOO_LONG, "ok"]);
 * ```
 */
export const LINE_TOO_LONG: unique symbol = Symbol("line too long");

/** One result of decoding: a line, or the marker of a discarded long line. */
export type Frame = string | typeof LINE_TOO_LONG;

/** Options for {@linkcode LineDecoder}. */
export interface LineDecoderOptions {
  /** The longest line accepted, in bytes, not counting `\n` or `\r\n`. */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const INITIAL_CAPACITY = 256;
const EMPTY = new Uint8Array(0);
// Decoding whole lines needs no state, so every decoder can share one.
const utf8 = new TextDecoder();

/**
 * Splits a byte stream into lines. Accepts `\n` and `\r\n` endings. Invalid
 * UTF-8 becomes U+FFFD. A line longer than `maxLineBytes` is reported once, as
 * {@linkcode LINE_TOO_LONG}, as soon as it is known to be too long, and the
 * rest of it is skipped up to the next newline, so the decoder never holds more
 * than `maxLineBytes` bytes and the CR that may end them.
 *
 * @example Usage
 * ```ts
 * import { LineDecoder } from "./line_decoder.ts";
 * import assert from "node:assert/strict";
 *
 * const decoder = new LineDecoder();
 * const bytes = new TextEncoder().encode("안녕\r\nhel");
 * assert.deepEqual(decoder.push(bytes.subarray(0, 2)), []);
 * assert.deepEqual(decoder.push(bytes.subarray(2)), ["안녕"]);
 * assert.deepEqual(decoder.push(new TextEncoder().encode("lo\n")), ["hello"]);
 * ```
 */
export class LineDecoder {
  #maxLineBytes: number;
  // Allocated on the first partial line: thousands of quiet members need none.
  #buffer = EMPTY;
  #length = 0;
  #discarding = false;

  /** Makes a decoder; see {@linkcode LineDecoderOptions}. */
  constructor(options: LineDecoderOptions = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`Cannot use maxLineBytes ${max}: it must be a positive integer`);
    }
    this.#maxLineBytes = max;
  }

  /**
   * How many bytes of an unfinished line are buffered.
   *
   * @example Usage
   * ```ts
   * import { LineDecoder } from "./line_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const decoder = new LineDecoder();
   * decoder.push(new TextEncoder().encode("hel"));
   * assert.equal(decoder.pending, 3); // half a line, waiting for its newline
   * ```
   */
  get pending(): number {
    return this.#length;
  }

  /**
   * Whether a line has begun and not ended: bytes are buffered, or the rest
   * of a too-long line is being skipped. {@linkcode LineDecoder.flush} ends it.
   *
   * @example Usage
   * ```ts
   * import { LineDecoder } from "./line_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const decoder = new LineDecoder({ maxLineBytes: 4 });
   * decoder.push(new TextEncoder().encode("much too long"));
   * assert.equal(decoder.pending, 0); // nothing kept of it
   * assert.equal(decoder.unfinished, true); // but its end is still to come
   * decoder.flush();
   * assert.equal(decoder.unfinished, false);
   * ```
   */
  get unfinished(): boolean {
    return this.#length > 0 || this.#discarding;
  }

  /**
   * Whether {@linkcode LineDecoder.cut} would end something: an unfinished line
   * with at least one whole character, or the skipping of a too-long line. Not
   * so for nothing, nor for the start of a character waiting for its rest.
   *
   * @example Usage
   * ```ts
   * import { LineDecoder } from "./line_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const decoder = new LineDecoder();
   * decoder.push(new TextEncoder().encode("안").subarray(0, 2));
   * assert.equal(decoder.unfinished, true);
   * assert.equal(decoder.cuttable, false); // two bytes of three: no character yet
   * decoder.push(new TextEncoder().encode("안").subarray(2));
   * assert.equal(decoder.cuttable, true);
   * ```
   */
  get cuttable(): boolean {
    if (this.#discarding) return true;
    return this.#length > incompleteTail(this.#buffer.subarray(0, this.#length));
  }

  /**
   * How many more bytes the partial line's last character needs to be whole: 0 to 3 (0 too
   * while a too-long line is skipped).
   *
   * @example Usage
   * ```ts
   * import { LineDecoder } from "./line_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const decoder = new LineDecoder();
   * decoder.push(new TextEncoder().encode("a한").subarray(0, 2)); // "a", then ED of ED 95 9C
   * assert.equal(decoder.bytesAwaited, 2);
   * ```
   */
  get bytesAwaited(): number {
    return this.#discarding ? 0 : bytesAwaited(this.#buffer.subarray(0, this.#length));
  }

  /**
   * Feeds bytes in and returns the lines they complete, in order. The caller
   * may reuse `chunk` afterwards: nothing keeps a reference to it.
   *
   * @example Usage
   * ```ts
   * import { LINE_TOO_LONG, LineDecoder } from "./line_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const bytes = (text: string) => new TextEncoder().encode(text);
   * const decoder = new LineDecoder({ maxLineBytes: 8 });
   * assert.deepEqual(decoder.push(bytes("hel")), []);
   * const frames = decoder.push(bytes("lo\r\nbye\nmuch too long\n"));
   * assert.deepEqual(frames, ["hello", "bye", LINE_TOO_LONG]);
   * ```
   */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(LF, start);
      const end = newline === -1 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      if (this.#discarding) {
        this.#discarding = newline === -1;
      } else if (newline === -1) {
        // A trailing `\r` may still be half of a `\r\n`, so allow one byte more.
        if (this.#length + piece.length > this.#maxLineBytes + 1) {
          this.#length = 0;
          this.#shrink();
          this.#discarding = true;
          frames.push(LINE_TOO_LONG);
        } else {
          this.#append(piece);
        }
      } else if (this.#length === 0) {
        frames.push(this.#finish(piece));
      } else if (this.#length + piece.length > this.#maxLineBytes + 1) {
        this.#length = 0;
        this.#shrink();
        frames.push(LINE_TOO_LONG);
      } else {
        this.#append(piece);
        const line = this.#buffer.subarray(0, this.#length);
        this.#length = 0;
        frames.push(this.#finish(line));
        this.#shrink();
      }
      if (newline === -1) break;
      start = newline + 1;
    }
    return frames;
  }

  /**
   * Ends the unfinished line, if any, and returns it: for a peer that closed
   * without a final newline, or one that sends no newlines at all.
   *
   * @example Usage
   * ```ts
   * import { LineDecoder } from "./line_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const decoder = new LineDecoder();
   * decoder.push(new TextEncoder().encode("no newline"));
   * assert.equal(decoder.flush(), "no newline"); // the peer closed, say
   * assert.equal(decoder.flush(), undefined);
   * ```
   */
  flush(): Frame | undefined {
    if (this.#discarding) {
      this.#discarding = false;
      return undefined;
    }
    if (this.#length === 0) return undefined;
    const line = this.#finish(this.#buffer.subarray(0, this.#length));
    this.#length = 0;
    this.#shrink();
    return line;
  }

  /**
   * Ends the unfinished line at its last whole character and returns it, as
   * {@linkcode LineDecoder.flush} does, except that a UTF-8 character whose
   * last bytes have not come yet stays buffered, to begin the next line: for a
   * client that sends no newlines, whose message is cut after a silence that
   * may fall inside a character. Returns `undefined` when nothing but such a
   * part of a character is buffered, and, as `flush()` does, when nothing is
   * buffered or a too-long line ends unread.
   *
   * @example Usage
   * ```ts
   * import { LineDecoder } from "./line_decoder.ts";
   * import assert from "node:assert/strict";
   *
   * const bytes = new TextEncoder().encode("안녕"); // 3 bytes each
   * const decoder = new LineDecoder();
   * decoder.push(bytes.subarray(0, 4)); // "안" and the first byte of "녕"
   * assert.equal(decoder.cut(), "안");
   * assert.equal(decoder.cut(), undefined); // half a character is not a message
   * decoder.push(bytes.subarray(4));
   * assert.equal(decoder.cut(), "녕");
   * ```
   */
  cut(): Frame | undefined {
    const keep = this.#discarding ? 0 : incompleteTail(this.#buffer.subarray(0, this.#length));
    if (keep === 0) return this.flush();
    if (keep === this.#length) return undefined;
    const line = this.#finish(this.#buffer.subarray(0, this.#length - keep));
    const tail = this.#buffer.slice(this.#length - keep, this.#length);
    this.#length = 0;
    this.#shrink();
    this.#append(tail);
    return line;
  }

  /** With no line buffered, lets go of a buffer a long line grew: a quiet member keeps none. */
  #shrink(): void {
    if (this.#buffer.length > INITIAL_CAPACITY) this.#buffer = EMPTY;
  }

  #finish(bytes: Uint8Array): Frame {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CR
      ? bytes.length - 1
      : bytes.length;
    if (end > this.#maxLineBytes) return LINE_TOO_LONG;
    return utf8.decode(bytes.subarray(0, end));
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#length + bytes.length;
    if (needed > this.#buffer.length) {
      let capacity = Math.max(this.#buffer.length * 2, INITIAL_CAPACITY);
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length = needed;
  }
}
