/**
 * A chat client's terminal in raw mode, as in irssi or weechat: the line being typed stays on the
 * bottom line, never broken, and everything that arrives is printed above it.
 *
 * {@linkcode TerminalUi} owns raw mode, a {@linkcode LineEditor}, printing above the input line,
 * window resizes, Ctrl-L, and putting the terminal back the way it was, whatever ends the program.
 *
 * @module
 */

import { within } from "./deadlines.ts";
import { errorCode, isDisconnect } from "./errors.ts";
import { wrappedRows } from "./display_width.ts";
import { LineEditor, type LineEditorOptions } from "./line_editor.ts";
import { takesEscapes, terminalType } from "./terminal_style.ts";
import { type TypedInput } from "./terminal_input.ts";
import { writeAllSync } from "./write_all.ts";

/**
 * The terminal side {@linkcode TerminalUi} reads keys from: `Deno.stdin`, or a stand-in in tests.
 *
 * @example Usage
 * ```ts
 * import { type TerminalReader } from "./terminal_ui.ts";
 *
 * const stdin: TerminalReader = Deno.stdin;
 * ```
 */
export interface TerminalReader {
  /** Reads into `p`; resolves with the number of bytes read, or `null` at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Turns raw mode on or off. */
  setRaw(mode: boolean): void;
}

/**
 * The terminal side {@linkcode TerminalUi} draws on: `Deno.stdout`, or a stand-in in tests.
 *
 * @example Usage
 * ```ts
 * import { type TerminalWriter } from "./terminal_ui.ts";
 *
 * const stdout: TerminalWriter = Deno.stdout;
 * ```
 */
export interface TerminalWriter {
  /** Writes some of `p` at once; returns how many bytes were written. */
  writeSync(p: Uint8Array): number;
}

/**
 * The size of a terminal, in character cells.
 *
 * @example Usage
 * ```ts
 * import { type TerminalSize } from "./terminal_ui.ts";
 *
 * const size: TerminalSize = { columns: 80, rows: 24 };
 * ```
 */
export interface TerminalSize {
  /** Width, in columns. */
  columns: number;
  /** Height, in rows. */
  rows: number;
}

/**
 * Options for the {@linkcode TerminalUi} constructor.
 *
 * @example Usage
 * ```ts
 * import { TerminalUi, type TerminalUiOptions } from "./terminal_ui.ts";
 *
 * const options: TerminalUiOptions = { prompt: "bob> ", editor: { historySize: 100 } };
 * const ui = new TerminalUi(options);
 * ```
 */
export interface TerminalUiOptions {
  /**
   * Drawn before the line being typed; see {@linkcode RenderOptions.prompt} in line_editor.ts.
   *
   * @default {"> "}
   */
  prompt?: string;
  /**
   * Where keys come from.
   *
   * @default {Deno.stdin}
   */
  stdin?: TerminalReader;
  /**
   * Where the screen is drawn.
   *
   * @default {Deno.stdout}
   */
  stdout?: TerminalWriter;
  /**
   * Measures the terminal; asked on {@linkcode TerminalUi.start} and on every resize. A width or
   * height under 1 (a pseudo-terminal whose size was never set reports 0×0) counts as 80 or 24.
   *
   * @default {Deno.consoleSize, or 80×24 when that fails}
   */
  size?: () => TerminalSize;
  /** History and history size of the line editor. */
  editor?: LineEditorOptions;
  /**
   * How long a lone ESC (or an unfinished escape sequence) may wait for the rest of its
   * sequence before it is dropped, in ms, so that the key typed after Esc is not swallowed.
   *
   * @default {100}
   */
  escapeTimeoutMs?: number;
}

/**
 * The prompt when none is given.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_PROMPT, TerminalUi } from "./terminal_ui.ts";
 * import { equal } from "node:assert/strict";
 *
 * let screen = "";
 * const ui = new TerminalUi({
 *   stdin: { read: () => Promise.resolve(null), setRaw: () => {} },
 *   stdout: { writeSync: (p) => (screen += new TextDecoder().decode(p), p.length) },
 * });
 * ui.start();
 * equal(screen.endsWith(`\r${DEFAULT_PROMPT}\x1b[K\x1b[?7h`), true);
 * ui.restore();
 * ```
 */
export const DEFAULT_PROMPT = "> ";

/** The size assumed when the terminal cannot be measured. */
const DEFAULT_SIZE: TerminalSize = { columns: 80, rows: 24 };
/** Default for {@linkcode TerminalUiOptions.escapeTimeoutMs}, as vim's `ttimeoutlen`. */
const DEFAULT_ESCAPE_TIMEOUT_MS = 100;
/** The most printed lines kept for Ctrl-L to draw again. */
const REDRAW_LINES = 500;
/** Bytes asked for in one read of the keyboard; a paste may take several reads. */
const READ_BYTES = 4096;

/** Carriage return, then erase the whole line. */
const CLEAR_LINE = "\r\x1b[2K";
/**
 * Erases the whole screen and leaves the cursor home: the first row, then everything from the
 * second down. Not `ESC [ 2 J`, which tmux and VTE's terminals first scroll into their history
 * (a copy of the screen there at every resize), nor `ESC [ J` from home, which tmux takes alike.
 */
const CLEAR_SCREEN = "\x1b[H\x1b[2K\x1b[2H\x1b[J\x1b[H";
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
/**
 * DECAWM off and on again, around the input line: a line the terminal draws wider than counted
 * (an emoji it gives more columns than Unicode does) is cut at the edge rather than wrapped onto
 * a row the next redraw would leave behind.
 */
const NO_WRAP = "\x1b[?7l";
const WRAP = "\x1b[?7h";
/** Pasted text arrives between `ESC [ 200 ~` and `ESC [ 201 ~`, which the editor understands. */
const BRACKETED_PASTE_ON = "\x1b[?2004h";
const BRACKETED_PASTE_OFF = "\x1b[?2004l";
/** Resets colors and attributes, after a line that set some. */
const RESET_STYLE = "\x1b[0m";
/** Rung when the line editor is full and drops input. */
const BELL = "\x07";
/** SGR sequences, which take no columns. */
const SGR_SEQUENCE = /\x1b\[[0-9;:]*m/g;

/** The events at which a dying program must still give the terminal back. */
const FATAL_EVENTS = ["error", "unhandledrejection", "unload"] as const;

/**
 * Whether `error`, from reading, writing or setting a terminal, says that the terminal is gone: a
 * pty whose window was closed answers EIO, which `setRaw()` reports with no code, only a message.
 */
function hungUp(error: unknown): boolean {
  if (errorCode(error) === "EIO" || isDisconnect(error)) return true;
  return error instanceof Error && error.message.startsWith("EIO:");
}

/**
 * Whether stdin and stdout are both terminals, and not dumb ones: then a client chats in a
 * {@linkcode TerminalUi}; otherwise it reads and prints plain lines.
 *
 * @example Usage
 * ```ts
 * import { isInteractive } from "./terminal_ui.ts";
 * import { equal } from "node:assert/strict";
 *
 * const terminal = { isTerminal: () => true };
 * const pipe = { isTerminal: () => false };
 * equal(isInteractive(terminal, terminal, "xterm-256color"), true);
 * equal(isInteractive(pipe, terminal, "xterm-256color"), false);
 * equal(isInteractive(terminal, terminal, "dumb"), false); // Emacs's M-x shell
 * ```
 *
 * @param stdin The input, `Deno.stdin` by default.
 * @param stdout The output, `Deno.stdout` by default.
 * @param term The terminal type, `terminalType()` (`TERM`, if it may be read) by default.
 * @returns `true` when both are terminals and `term` is not `dumb`.
 */
export function isInteractive(
  stdin: { isTerminal(): boolean } = Deno.stdin,
  stdout: { isTerminal(): boolean } = Deno.stdout,
  term: string | undefined = terminalType(),
): boolean {
  return stdin.isTerminal() && takesEscapes(stdout, term);
}

/**
 * `Deno.consoleSize()`, or the default size when there is no console to measure: it measures
 * the first of stdin, stdout and stderr that is a terminal, and throws a plain `Error` when
 * none is, an error no `catch` could tell apart from others.
 */
function consoleSize(): TerminalSize {
  const streams = [Deno.stdin, Deno.stdout, Deno.stderr];
  return streams.some((stream) => stream.isTerminal()) ? Deno.consoleSize() : DEFAULT_SIZE;
}

/**
 * `size`, with {@linkcode DEFAULT_SIZE}'s width or height in place of one that is not at least 1:
 * a pseudo-terminal whose size was never set (`script` run from a pipe, `docker exec -t`)
 * reports 0×0.
 */
function usableSize(size: TerminalSize): TerminalSize {
  const { columns, rows } = size;
  return {
    columns: columns >= 1 ? columns : DEFAULT_SIZE.columns,
    rows: rows >= 1 ? rows : DEFAULT_SIZE.rows,
  };
}

/**
 * How many rows `text` takes on a terminal `columns` wide, each of its lines wrapped as the
 * terminal wraps it: a wide character that does not fit in what is left of a row starts the next.
 */
function rowsOf(text: string, columns: number): number {
  let rows = 0;
  for (const line of text.replace(SGR_SEQUENCE, "").split("\n")) rows += wrappedRows(line, columns);
  return rows;
}

/**
 * A chat screen on a raw-mode terminal. The line being typed is edited on the bottom line by a
 * {@linkcode LineEditor} (arrows, Home/End, Ctrl-A/E, Backspace, Delete, Ctrl-U/K/W, history on
 * Up/Down, bracketed paste), and {@linkcode TerminalUi.print} puts what arrives above it: it
 * clears the input line, prints, and draws the input line again, so what is being typed is never
 * broken up.
 *
 * - {@linkcode TerminalUi.start} turns raw mode on, and {@linkcode TerminalUi.input} then yields
 *   what the user does: a `line` on Enter, `interrupt` on Ctrl-C (raw mode turns off SIGINT),
 *   `eof` on Ctrl-D on an empty line or when stdin ends.
 * - Ctrl-L clears the screen and draws the latest printed lines and the input line again.
 * - On SIGWINCH the terminal is measured again and the screen redrawn to fit, as on Ctrl-L.
 * - {@linkcode TerminalUi.restore} gives the terminal back: the input line erased, raw mode off,
 *   the cursor shown, bracketed paste off. It also runs by itself on an uncaught error, an
 *   unhandled rejection and `Deno.exit()`, before the program dies, so the shell is never left in
 *   raw mode. Call it in a `finally` (or hold the UI with `using`) for everything else.
 *
 * @example Usage
 * ```ts ignore
 * import { TerminalUi } from "./terminal_ui.ts";
 *
 * using ui = new TerminalUi({ prompt: "> " });
 * ui.start();
 * ui.print("Type something; Ctrl-C to stop");
 * for await (const typed of ui.input()) {
 *   if (typed.type !== "line") break;
 *   ui.print(`You typed: ${typed.line}`);
 * }
 * ```
 */
export class TerminalUi {
  #prompt: string;
  #stdin: TerminalReader;
  #stdout: TerminalWriter;
  #measure: () => TerminalSize;
  #escapeTimeoutMs: number;
  #editor: LineEditor;
  #size: TerminalSize = DEFAULT_SIZE;
  #active = false;
  /** Whether the terminal is gone (hung up): nothing more is read from it or drawn on it. */
  #hungUp = false;
  /** The latest printed lines, oldest first, for Ctrl-L. */
  #printed: string[] = [];
  #onResize = () => this.resize();
  #onFatal = () => this.restore();

  /**
   * Makes the UI; nothing is drawn until {@linkcode TerminalUi.start}.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { equal } from "node:assert/strict";
   *
   * const ui = new TerminalUi({ prompt: "$ " });
   * equal(ui.active, false);
   * ```
   *
   * @param options The prompt, the terminal, and the editor's history.
   */
  constructor(options: TerminalUiOptions = {}) {
    const escapeTimeoutMs = options.escapeTimeoutMs ?? DEFAULT_ESCAPE_TIMEOUT_MS;
    if (!Number.isFinite(escapeTimeoutMs) || escapeTimeoutMs < 0) {
      throw new RangeError(
        "Cannot create terminal UI: escapeTimeoutMs must be a non-negative number, " +
          `received "${escapeTimeoutMs}"`,
      );
    }
    this.#prompt = options.prompt ?? DEFAULT_PROMPT;
    this.#stdin = options.stdin ?? Deno.stdin;
    this.#stdout = options.stdout ?? Deno.stdout;
    this.#measure = options.size ?? consoleSize;
    this.#escapeTimeoutMs = escapeTimeoutMs;
    this.#editor = new LineEditor(options.editor);
  }

  /**
   * Whether the UI is started and not yet restored: the terminal is in raw mode.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { equal } from "node:assert/strict";
   *
   * const ui = new TerminalUi({
   *   stdin: { read: () => Promise.resolve(null), setRaw: () => {} },
   *   stdout: { writeSync: (p) => p.length },
   * });
   * ui.start();
   * equal(ui.active, true);
   * ui.restore();
   * equal(ui.active, false);
   * ```
   *
   * @returns `true` between `start()` and `restore()`.
   */
  get active(): boolean {
    return this.#active;
  }

  /**
   * The line being typed.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { equal } from "node:assert/strict";
   *
   * equal(new TerminalUi().line, "");
   * ```
   *
   * @returns The editor's line.
   */
  get line(): string {
    return this.#editor.line;
  }

  /**
   * Turns raw mode on, draws the input line, and starts watching for resizes and for the program
   * dying. Does nothing when already started.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * const modes: boolean[] = [];
   * const ui = new TerminalUi({
   *   stdin: { read: () => Promise.resolve(null), setRaw: (mode) => void modes.push(mode) },
   *   stdout: { writeSync: (p) => p.length },
   * });
   * ui.start();
   * ui.restore();
   * deepEqual(modes, [true, false]);
   * ```
   */
  start(): void {
    if (this.#active) return;
    this.#stdin.setRaw(true);
    this.#active = true;
    for (const type of FATAL_EVENTS) globalThis.addEventListener(type, this.#onFatal);
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGWINCH", this.#onResize);
    this.#size = usableSize(this.#measure());
    this.#write(BRACKETED_PASTE_ON + this.#render());
  }

  /**
   * Prints one line above the input line, which is drawn again below it. Before
   * {@linkcode TerminalUi.start} and after {@linkcode TerminalUi.restore}, it just prints the
   * line. The text should be sanitized already (see sanitize.ts); SGR sequences are fine.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { equal } from "node:assert/strict";
   *
   * let screen = "";
   * const ui = new TerminalUi({
   *   stdin: { read: () => Promise.resolve(null), setRaw: () => {} },
   *   stdout: { writeSync: (p) => (screen += new TextDecoder().decode(p), p.length) },
   *   size: () => ({ columns: 80, rows: 24 }),
   * });
   * ui.start();
   * screen = "";
   * ui.print("[bob]hi");
   * equal(screen, "\x1b[?25l\r\x1b[2K[bob]hi\r\n\x1b[?7l\r> \x1b[K\x1b[?7h\x1b[?25h");
   * ui.restore();
   * ```
   *
   * @param text The line to print, without a line ending.
   */
  print(text: string): void {
    this.#printed.push(text);
    if (this.#printed.length > REDRAW_LINES) this.#printed.shift();
    if (!this.#active) {
      this.#write(text + "\n");
      return;
    }
    const reset = text.includes("\x1b") ? RESET_STYLE : "";
    this.#write(
      HIDE_CURSOR + CLEAR_LINE + text.replaceAll("\n", "\r\n") + reset + "\r\n" + this.#render() +
        SHOW_CURSOR,
    );
  }

  /**
   * Measures the terminal again and redraws the screen to fit, as {@linkcode TerminalUi.redraw}
   * does: what SIGWINCH does. A full redraw, because a terminal that rewraps its lines on a
   * resize would otherwise leave pieces of the old input line behind.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { equal } from "node:assert/strict";
   *
   * let screen = "";
   * let columns = 80;
   * const ui = new TerminalUi({
   *   stdin: { read: () => Promise.resolve(null), setRaw: () => {} },
   *   stdout: { writeSync: (p) => (screen += new TextDecoder().decode(p), p.length) },
   *   size: () => ({ columns, rows: 24 }),
   * });
   * ui.start();
   * ui.print("hello");
   * columns = 40;
   * screen = "";
   * ui.resize();
   * equal(screen, "\x1b[?25l\x1b[H\x1b[2K\x1b[2H\x1b[J\x1b[Hhello\r\n\x1b[?7l\r> \x1b[K\x1b[?7h\x1b[?25h");
   * ui.restore();
   * ```
   */
  resize(): void {
    this.#size = usableSize(this.#measure());
    this.redraw();
  }

  /**
   * Clears the screen and draws the latest printed lines that fit, then the input line: what
   * Ctrl-L does.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { equal } from "node:assert/strict";
   *
   * let screen = "";
   * const ui = new TerminalUi({
   *   stdin: { read: () => Promise.resolve(null), setRaw: () => {} },
   *   stdout: { writeSync: (p) => (screen += new TextDecoder().decode(p), p.length) },
   *   size: () => ({ columns: 80, rows: 3 }),
   * });
   * ui.start();
   * for (const line of ["one", "two", "three"]) ui.print(line);
   * screen = "";
   * ui.redraw();
   * equal(screen, "\x1b[?25l\x1b[H\x1b[2K\x1b[2H\x1b[J\x1b[Htwo\r\nthree\r\n\x1b[?7l\r> \x1b[K\x1b[?7h\x1b[?25h");
   * ui.restore();
   * ```
   */
  redraw(): void {
    if (!this.#active) return;
    const { columns, rows } = this.#size;
    const shown: string[] = [];
    let free = rows - 1;
    for (let index = this.#printed.length - 1; index >= 0; index--) {
      const text = this.#printed[index];
      free -= rowsOf(text, columns);
      if (free < 0) break;
      shown.unshift(text.includes("\x1b") ? text + RESET_STYLE : text);
    }
    const lines = shown.map((text) => text.replaceAll("\n", "\r\n") + "\r\n").join("");
    this.#write(HIDE_CURSOR + CLEAR_SCREEN + lines + this.#render() + SHOW_CURSOR);
  }

  /**
   * Reads keys until stdin ends, editing the input line, and yields what the user does: a `line`
   * on Enter, `interrupt` on Ctrl-C, `eof` on Ctrl-D on an empty line, and a last `eof` when
   * stdin ends. Call {@linkcode TerminalUi.start} first.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * const keys = [new TextEncoder().encode("hi\r\x03")];
   * const ui = new TerminalUi({
   *   stdin: {
   *     read(p: Uint8Array) {
   *       const chunk = keys.shift();
   *       if (chunk === undefined) return Promise.resolve(null);
   *       p.set(chunk);
   *       return Promise.resolve(chunk.length);
   *     },
   *     setRaw: () => {},
   *   },
   *   stdout: { writeSync: (p) => p.length },
   * });
   * ui.start();
   * deepEqual(await Array.fromAsync(ui.input()), [
   *   { type: "line", line: "hi" },
   *   { type: "interrupt" },
   *   { type: "eof" },
   * ]);
   * ui.restore();
   * ```
   *
   * @returns What the user typed, as it happens.
   */
  async *input(): AsyncGenerator<TypedInput, void, void> {
    const buffer = new Uint8Array(READ_BYTES);
    while (true) {
      const count = await this.#read(buffer);
      if (count === null) break;
      for (const action of this.#editor.feed(buffer.subarray(0, count))) {
        switch (action.type) {
          case "change":
            if (this.#active) this.#write(this.#render());
            break;
          case "redraw":
            this.redraw();
            break;
          case "full":
            if (this.#active) this.#write(BELL);
            break;
          case "submit":
            yield { type: "line", line: action.line };
            break;
          case "interrupt":
            yield { type: "interrupt" };
            break;
          case "eof":
            yield { type: "eof" };
            break;
        }
      }
    }
    yield { type: "eof" };
  }

  /**
   * Gives the terminal back: erases the input line, leaving the cursor at the start of an empty
   * line, turns bracketed paste off, shows the cursor and turns raw mode off. Safe to call more
   * than once; a terminal that is gone (hung up) is no error. Anything else is thrown, once raw
   * mode is off.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { equal } from "node:assert/strict";
   *
   * let screen = "";
   * const ui = new TerminalUi({
   *   stdin: { read: () => Promise.resolve(null), setRaw: () => {} },
   *   stdout: { writeSync: (p) => (screen += new TextDecoder().decode(p), p.length) },
   * });
   * ui.start();
   * screen = "";
   * ui.restore();
   * ui.restore();
   * equal(screen, "\r\x1b[2K\x1b[?2004l\x1b[?25h");
   * ```
   */
  restore(): void {
    if (!this.#active) return;
    this.#active = false;
    for (const type of FATAL_EVENTS) globalThis.removeEventListener(type, this.#onFatal);
    if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGWINCH", this.#onResize);
    // Raw mode goes off even if this write fails; a terminal that is gone is no error here.
    let failed: unknown;
    try {
      this.#write(CLEAR_LINE + BRACKETED_PASTE_OFF + SHOW_CURSOR);
    } catch (error) {
      failed = error;
    }
    try {
      if (!this.#hungUp) this.#stdin.setRaw(false);
    } catch (error) {
      if (!hungUp(error)) throw error;
    }
    if (failed !== undefined) throw failed;
  }

  /**
   * The same as {@linkcode TerminalUi.restore}, for `using`.
   *
   * @example Usage
   * ```ts
   * import { TerminalUi } from "./terminal_ui.ts";
   * import { equal } from "node:assert/strict";
   *
   * const modes: boolean[] = [];
   * {
   *   using ui = new TerminalUi({
   *     stdin: { read: () => Promise.resolve(null), setRaw: (mode) => void modes.push(mode) },
   *     stdout: { writeSync: (p) => p.length },
   *   });
   *   ui.start();
   * }
   * equal(modes.at(-1), false);
   * ```
   */
  [Symbol.dispose](): void {
    this.restore();
  }

  #render(): string {
    return NO_WRAP + this.#editor.render({ prompt: this.#prompt, columns: this.#size.columns }) +
      WRAP;
  }

  #write(text: string): void {
    if (this.#hungUp) return;
    try {
      writeAllSync(this.#stdout, text);
    } catch (error) {
      if (!hungUp(error)) throw error;
      this.#hungUp = true;
    }
  }

  /**
   * Reads keys; drops a pending escape sequence when nothing follows it in time. The editor says
   * whether one is pending, since the pieces of a sequence may come in several reads (ESC, then
   * `[`), and a later read may still leave it unfinished.
   */
  async #read(buffer: Uint8Array): Promise<number | null> {
    const reading = this.#stdin.read(buffer).catch((error) => {
      if (!hungUp(error)) throw error;
      this.#hungUp = true;
      return null; // no more keys will come
    });
    if (!this.#editor.escapePending) return await reading;
    const first = await within(reading, this.#escapeTimeoutMs);
    if (first !== undefined) return first;
    this.#editor.resetInput();
    return await reading;
  }
}
