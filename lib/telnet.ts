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
 * Text never holds these bytes: 0xFF is not UTF-8. A stream without 0xFF is
 * never touched, so a server builds a filter only for a member that sends one.
 *
 * @module
 */

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

const SE = 240; // end of subnegotiation
const IP = 244; // Interrupt Process
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
 * assert.deepEqual(replies, [[0xff, 251, 6]]); // IAC WILL TIMING-MARK: the client shows output again
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
  #reply: TelnetFilterOptions["reply"];
  #onInterrupt: TelnetFilterOptions["onInterrupt"];
  #onTelnet: TelnetFilterOptions["onTelnet"];

  /** A filter at the start of a stream. */
  constructor(options: TelnetFilterOptions) {
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
    if (this.#state === TEXT && !chunk.includes(IAC)) return chunk;
    const replies: number[] = [];
    let interrupted = false;
    let asked = false; // Are You There: answered once a read, lest two bytes buy fourteen
    let kept = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      switch (this.#state) {
        case TEXT:
          if (byte === IAC) this.#state = COMMAND;
          else chunk[kept++] = byte;
          break;
        case COMMAND:
          this.#state = TEXT;
          if (byte === IAC || byte < FIRST_COMMAND) {
            // IAC IAC: the byte itself, escaped. Any other: not telnet; the 0xFF, never text, goes.
            chunk[kept++] = byte;
            break;
          }
          if (this.#onTelnet) {
            this.#onTelnet();
            this.#onTelnet = undefined;
          }
          if (byte >= WILL) {
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

  /** Answers a request about an option: no to everything but the timing mark. */
  #answer(verb: number, option: number, replies: number[]): void {
    if (verb === DO && option === TIMING_MARK) {
      replies.push(IAC, WILL, TIMING_MARK); // every time: each Ctrl-C waits for its own
      return;
    }
    // Off is where every option starts and stays: a WONT or DONT needs no answer.
    if (verb === WONT || verb === DONT) return;
    const answer = verb === DO ? WONT : DONT;
    const key = (answer << 8) | option;
    if (this.#refused.has(key)) return;
    this.#refused.add(key);
    replies.push(IAC, answer, option);
  }
}
