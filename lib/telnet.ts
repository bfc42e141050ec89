/**
 * Telnet's commands in a member's byte stream: removed, and answered where
 * the client waits for an answer.
 *
 * A telnet client is a line client until its user presses Ctrl-C or Ctrl-Z:
 * then it sends Interrupt Process (or Suspend) and "do timing mark" (RFC 860),
 * and drops everything the server sends until the mark is answered. A server
 * that never answers goes silent for that member for good, and the command's
 * bytes (`IAC IP IAC DO TM`, from 0xFF) turn up as `����^F` at the start of its
 * next line. Here every command is taken out of the text; a request to turn an
 * option on is refused (RFC 1143, once per option), the timing mark is agreed
 * to, Are You There is answered `Server: [Yes]`, and Interrupt Process is reported, for
 * the server to say how to leave.
 *
 * Binary transmission from the client (RFC 856) is agreed to, and asked for at
 * the first command; binary to it is refused, as every other option.
 * Until a client sends in binary, it takes the top bit off each byte to look for
 * its special keys: in UTF-8 text, a byte that stands for Ctrl-C, Ctrl-O, Ctrl-Z
 * or Ctrl-\ with it, inside a character (한 is ED 95 9C), goes as that key's
 * command. Such a command amid a character is taken back for the byte it stood
 * for. Two more are lost before binary with nothing sent: Ctrl-E (telnet's echo
 * key) and Ctrl-] (its escape). In binary, Enter has no fixed bytes: CR alone
 * (PuTTY), CR LF or LF; each is made one LF.
 *
 * Text never holds these bytes: 0xFF is not UTF-8. A stream without 0xFF is
 * never touched, so a server builds a filter only for a member that sends one.
 *
 * @module
 */

import { bytesAwaited, sequenceLength } from "./utf8.ts";

/**
 * Interpret As Command: the byte that starts every telnet command.
 *
 * @example Usage
 * ```ts
 * import { IAC } from "./telnet.ts";
 * import assert from "node:assert/strict";
 *
 * // Only a stream with this byte in it needs a filter.
 * assert.equal(new TextEncoder().encode("hello ÿ 안녕").includes(IAC), false);
 * ```
 */
export const IAC = 0xff;

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;

const SE = 240; // end of subnegotiation
const BRK = 243; // Break: telnet's Ctrl-\
const IP = 244; // Interrupt Process: Ctrl-C
const AO = 245; // Abort Output: Ctrl-O
const SUSP = 237; // Suspend (RFC 1184): Ctrl-Z
const AYT = 246; // Are You There
const SB = 250; // start of subnegotiation
const WILL = 251;
const WONT = 252;
const DO = 253;
const DONT = 254;
/**
 * The lowest command byte (EOF, RFC 1184; Suspend is 237); after IAC, a
 * lower one is not telnet.
 */
const FIRST_COMMAND = 236;
/** The timing mark option (RFC 860). */
const TIMING_MARK = 6;
/** The binary transmission option (RFC 856). */
const BINARY = 0;
/**
 * The commands a telnet client not yet sending in binary sends for a byte whose low seven bits
 * are its key, with the byte each stands for inside a UTF-8 character (top bit set).
 */
const STRIPPED: ReadonlyMap<number, number> = new Map([
  [IP, 0x80 | 0x03], // Ctrl-C
  [AO, 0x80 | 0x0f], // Ctrl-O
  [SUSP, 0x80 | 0x1a], // Ctrl-Z
  [BRK, 0x80 | 0x1c], // Ctrl-\
]);
/** The answer to Are You There: something visible (BSD's telnetd prints `[Yes]`), a server line. */
const HERE = new TextEncoder().encode("Server: [Yes]\r\n");
/**
 * The most bytes skipped in one subnegotiation. Nothing is negotiated here, so a client has
 * none to send; a longer one is taken for bytes that were never telnet's.
 */
const MAX_SUBNEGOTIATION_BYTES = 1024;

// Where the filter is in a command that may span reads.
const TEXT = 0;
const COMMAND = 1; // after IAC
const OPTION = 2; // after IAC and WILL, WONT, DO or DONT
const SUBNEGOTIATION = 3; // after IAC SB
const SUBNEGOTIATION_COMMAND = 4; // after IAC within a subnegotiation

/** Options for {@linkcode TelnetFilter}. */
export interface TelnetFilterOptions {
  /** Takes the bytes that answer the client, once per {@linkcode TelnetFilter.push}. */
  reply: (bytes: Uint8Array) => void;
  /**
   * Called after `reply` when the client sent Interrupt Process (telnet's Ctrl-C), once per
   * {@linkcode TelnetFilter.push}.
   */
  onInterrupt?: () => void;
  /**
   * Called at the first telnet command in the stream, before anything is answered: the peer
   * is a telnet client (a stray 0xFF before a byte that is no command proves nothing).
   */
  onTelnet?: () => void;
  /**
   * For a filter started after the stream's start: how many bytes the character the text ends
   * in so far still needs (see `LineDecoder.bytesAwaited`).
   */
  bytesAwaited?: number;
}

/**
 * Removes telnet commands from a byte stream, across reads, and answers them.
 *
 * @example Usage
 * ```ts
 * import { TelnetFilter } from "./telnet.ts";
 * import assert from "node:assert/strict";
 *
 * const replies: number[][] = [];
 * let interrupted = false;
 * const telnet = new TelnetFilter({
 *   reply: (bytes) => replies.push([...bytes]),
 *   onInterrupt: () => interrupted = true,
 * });
 * // Ctrl-C in telnet: IAC IP, IAC DO TIMING-MARK; then the next line.
 * const text = telnet.push(new Uint8Array([0xff, 244, 0xff, 253, 6, 104, 105, 10]));
 * assert.equal(new TextDecoder().decode(text), "hi\n");
 * // IAC DO BINARY, asked at the first command; IAC WILL TIMING-MARK: it shows output again.
 * assert.deepEqual(replies, [[0xff, 253, 0, 0xff, 251, 6]]);
 * assert.equal(interrupted, true);
 * ```
 */
export class TelnetFilter {
  #state = TEXT;
  /** The verb of the option command being read: WILL, WONT, DO or DONT. */
  #verb = 0;
  #skipped = 0;
  /** The options already refused, by verb answered: a client asking again gets no answer. */
  #refused = new Set<number>();
  /** Binary from the client: off, asked for (our DO unanswered), or on. */
  #binaryIn: "off" | "asked" | "on" = "off";
  /** Whether the last byte of text was a CR, in binary: an LF or NUL right after it goes. */
  #afterCr = false;
  /** Continuation bytes the last UTF-8 character of the text still waits for. */
  #awaited: number;
  #reply: TelnetFilterOptions["reply"];
  #onInterrupt: TelnetFilterOptions["onInterrupt"];
  #onTelnet: TelnetFilterOptions["onTelnet"];
  /** Whether a telnet command has come: the peer is a telnet client. */
  #telnet = false;

  /** A filter for a stream from its start, or from where `options.bytesAwaited` says. */
  constructor(options: TelnetFilterOptions) {
    this.#awaited = options.bytesAwaited ?? 0;
    this.#reply = options.reply;
    this.#onInterrupt = options.onInterrupt;
    this.#onTelnet = options.onTelnet;
  }

  /**
   * The text in `chunk`, the next bytes of the stream, with telnet's commands
   * taken out. Works in place: the result is a view of `chunk`, whose bytes
   * it overwrites.
   *
   * @example Usage
   * ```ts
   * import { TelnetFilter } from "./telnet.ts";
   * import assert from "node:assert/strict";
   *
   * const telnet = new TelnetFilter({ reply: () => {} });
   * const decoder = new TextDecoder();
   * assert.equal(decoder.decode(telnet.push(new Uint8Array([104, 0xff]))), "h"); // IAC: more to come
   * assert.equal(decoder.decode(telnet.push(new Uint8Array([241, 105]))), "i"); // IAC NOP, then "i"
   * ```
   */
  push<T extends ArrayBufferLike>(chunk: Uint8Array<T>): Uint8Array<T> {
    const ends = this.#binaryIn === "on" && (this.#afterCr || chunk.includes(CR));
    if (this.#state === TEXT && !chunk.includes(IAC) && !ends) {
      // Only the last character can be unfinished, and a character is four bytes at most.
      if (chunk.length >= 4) this.#awaited = bytesAwaited(chunk);
      else for (const byte of chunk) this.#text(byte);
      return chunk;
    }
    const replies: number[] = [];
    let interrupted = false;
    let asked = false; // Are You There: answered once a read, lest two bytes buy fourteen
    let kept = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      switch (this.#state) {
        case TEXT:
          if (byte === IAC) this.#state = COMMAND;
          else if (this.#binaryIn !== "on") chunk[kept++] = this.#text(byte);
          else if (byte === CR) {
            // Enter, in binary: PuTTY sends CR alone, others CR LF (or LF alone, taken as it is).
            this.#afterCr = true;
            chunk[kept++] = this.#text(LF);
          } else if (this.#afterCr && (byte === LF || byte === NUL)) {
            this.#afterCr = false; // the rest of an Enter its CR ended
          } else {
            this.#afterCr = false;
            chunk[kept++] = this.#text(byte);
          }
          break;
        case COMMAND:
          this.#state = TEXT;
          if (byte === IAC || byte < FIRST_COMMAND) {
            // IAC IAC: the byte itself, escaped. Any other: not telnet; the 0xFF, never text, goes.
            chunk[kept++] = this.#text(byte);
            break;
          }
          if (!this.#telnet) {
            this.#telnet = true;
            this.#onTelnet?.();
            this.#binaryIn = "asked";
            replies.push(IAC, DO, BINARY);
          }
          if (this.#awaited > 0 && this.#binaryIn !== "on" && STRIPPED.has(byte)) {
            // Not a key: a byte inside a character, its top bit taken off. (The DO TM after it
            // is answered all the same: the client shows nothing until it is.)
            chunk[kept++] = this.#text(STRIPPED.get(byte)!);
          } else if (byte >= WILL) {
            this.#verb = byte;
            this.#state = OPTION;
          } else if (byte === SB) {
            this.#skipped = 0;
            this.#state = SUBNEGOTIATION;
          } else if (byte === IP) {
            interrupted = true;
          } else if (byte === AYT) {
            asked = true;
          } // any other command (NOP, Break, Go Ahead…) asks for nothing
          break;
        case OPTION:
          this.#state = TEXT;
          this.#answer(this.#verb, byte, replies);
          break;
        case SUBNEGOTIATION:
        case SUBNEGOTIATION_COMMAND:
          if (++this.#skipped > MAX_SUBNEGOTIATION_BYTES) {
            this.#state = TEXT;
            chunk[kept++] = byte;
          } else if (this.#state === SUBNEGOTIATION_COMMAND) {
            this.#state = byte === SE ? TEXT : SUBNEGOTIATION;
          } else if (byte === IAC) {
            this.#state = SUBNEGOTIATION_COMMAND;
          }
          break;
      }
    }
    if (asked) replies.push(...HERE);
    if (replies.length > 0) this.#reply(new Uint8Array(replies));
    if (interrupted) this.#onInterrupt?.();
    return chunk.subarray(0, kept);
  }

  /** Counts what the UTF-8 character in progress still waits for, once `byte` is text. */
  #text(byte: number): number {
    const length = sequenceLength(byte);
    if (length > 0) this.#awaited = length - 1;
    else if ((byte & 0xc0) === 0x80) this.#awaited = Math.max(0, this.#awaited - 1);
    else this.#awaited = 0;
    return byte;
  }

  /**
   * Answers a request about an option: yes to binary from the client (RFC 1143's rules: a reply
   * to our own request, or to a state already in force, is not answered), and to the timing
   * mark; no to everything else, binary to the client included (our lines already end in CR LF,
   * and telnet, told its output is binary, stops making its own echo of Enter return).
   */
  #answer(verb: number, option: number, replies: number[]): void {
    if (verb === DO && option === TIMING_MARK) {
      replies.push(IAC, WILL, TIMING_MARK); // every time: each Ctrl-C waits for its own
      return;
    }
    if (option === BINARY && (verb === WILL || verb === WONT)) {
      return this.#answerBinary(verb, replies);
    }
    // Off is where every option starts and stays: a WONT or DONT needs no answer.
    if (verb === WONT || verb === DONT) return;
    const answer = verb === DO ? WONT : DONT;
    const key = (answer << 8) | option;
    if (this.#refused.has(key)) return;
    this.#refused.add(key);
    replies.push(IAC, answer, option);
  }

  /** Answers the client's WILL or WONT BINARY: binary from it is what its UTF-8 needs. */
  #answerBinary(verb: number, replies: number[]): void {
    if (verb === WILL) {
      if (this.#binaryIn === "off") replies.push(IAC, DO, BINARY);
      this.#binaryIn = "on";
    } else {
      if (this.#binaryIn === "on") replies.push(IAC, DONT, BINARY);
      this.#binaryIn = "off";
    }
  }
}
