/**
 * A single-line editor state machine for a raw-mode terminal: raw input bytes in, editor actions
 * and a redraw escape string out. It performs no I/O.
 *
 * @module
 */

import { displayWidth, graphemes } from "./display_width.ts";

/**
 * What the caller should do after {@linkcode LineEditor.feed}:
 *
 * - `change`: the line or the cursor changed; redraw with {@linkcode LineEditor.render}.
 * - `submit`: Enter was pressed; `line` is the submitted text. The editor has already emptied its
 *   line, and stored `line` in its history unless it is blank.
 * - `redraw`: Ctrl-L was pressed; clear the screen and redraw everything.
 * - `interrupt`: Ctrl-C was pressed. The line is left as it is; call
 *   {@linkcode LineEditor.clear} to discard it.
 * - `eof`: Ctrl-D was pressed on an empty line.
 * - `full`: some of the input was dropped, because the line holds
 *   {@linkcode LineEditorOptions.maxLength} characters already; ring the bell.
 *
 * @example Usage
 * ```ts
 * import { type EditorAction, LineEditor } from "./line_editor.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const actions: EditorAction[] = new LineEditor().feed("hi\r");
 * deepEqual(actions, [{ type: "submit", line: "hi" }, { type: "change" }]);
 * ```
 */
export type EditorAction =
  | { type: "change" }
  | { type: "submit"; line: string }
  | { type: "redraw" }
  | { type: "interrupt" }
  | { type: "eof" }
  | { type: "full" };

/**
 * Options for the {@linkcode LineEditor} constructor.
 *
 * @example Usage
 * ```ts
 * import { LineEditor, type LineEditorOptions } from "./line_editor.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: LineEditorOptions = { history: ["/nick bob", "hello"], historySize: 100 };
 * const editor = new LineEditor(options);
 * editor.feed("\x1b[A");
 * equal(editor.line, "hello");
 * ```
 */
export interface LineEditorOptions {
  /** Lines to pre-load into the history, oldest first. Blank lines are skipped. */
  history?: readonly string[];
  /**
   * The most lines the history keeps; the oldest are dropped first.
   *
   * @default {1000}
   */
  historySize?: number;
  /**
   * The most UTF-16 code units the line holds: typing or pasting past it is dropped (with a
   * `full` action), so a huge paste cannot make every later keystroke slow.
   *
   * @default {65536}
   */
  maxLength?: number;
}

/**
 * Options for {@linkcode LineEditor.render}.
 *
 * @example Usage
 * ```ts
 * import { LineEditor, type RenderOptions } from "./line_editor.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: RenderOptions = { prompt: "> ", columns: 80 };
 * equal(new LineEditor().render(options), "\r> \x1b[K");
 * ```
 */
export interface RenderOptions {
  /**
   * Text drawn before the line. It may contain SGR sequences (`ESC [ ... m`), which take no
   * columns, but no other control characters. It is left out when it is wider than half the
   * usable columns, so that the line keeps room.
   */
  prompt: string;
  /** Width of the terminal in columns; a positive integer. */
  columns: number;
}

/** Default for {@linkcode LineEditorOptions.historySize}. */
const DEFAULT_HISTORY_SIZE = 1000;
/** A line of 64 Ki code units still takes a keystroke in a few milliseconds. */
const DEFAULT_MAX_LENGTH = 64 * 1024;

/** The longest incomplete escape sequence kept between feeds; the excess is dropped. */
const MAX_ESCAPE_LENGTH = 32;

const ESC = "\x1b";
const CTRL_A = 0x01;
const CTRL_B = 0x02;
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_E = 0x05;
const CTRL_F = 0x06;
const BACKSPACE = 0x08;
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CTRL_K = 0x0b;
const CTRL_L = 0x0c;
const CARRIAGE_RETURN = 0x0d;
const CTRL_U = 0x15;
const CTRL_W = 0x17;
const DELETE = 0x7f;

/** Erase from the cursor to the end of the line. */
const ERASE_TO_END_OF_LINE = "\x1b[K";
/** DECSC and DECRC: save the cursor's position, and go back to it. */
const SAVE_CURSOR = "\x1b7";
const RESTORE_CURSOR = "\x1b8";

/** SGR sequences in a prompt; they take no columns. */
// deno-lint-ignore no-control-regex
const SGR_SEQUENCE = /\x1b\[[0-9;:]*m/g;

/** Whitespace, for Ctrl-W word boundaries. */
const WHITESPACE = /^\s+$/u;

/** Editing keys decoded from escape sequences. */
type Key = "up" | "down" | "left" | "right" | "home" | "end" | "delete" | "pasteStart" | "pasteEnd";

/** Keys of `ESC [ <letter>` and `ESC O <letter>` without parameters. */
const LETTER_KEYS: Record<string, Key> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
};

/** Keys of `ESC [ <number> ~`. */
const TILDE_KEYS: Record<string, Key> = {
  1: "home",
  3: "delete",
  4: "end",
  7: "home",
  8: "end",
  200: "pasteStart",
  201: "pasteEnd",
};

/** A decoded escape sequence: where it ends in the input, and its key if it is a known one. */
type EscapeSequence = { end: number; key: Key | undefined };

/**
 * Decodes the escape sequence starting at `data[start]` (an ESC). Returns `undefined` when the
 * sequence is incomplete and more input is needed.
 */
function parseEscape(data: string, start: number): EscapeSequence | undefined {
  if (start + 1 >= data.length) return undefined;
  const introducer = data[start + 1];
  if (introducer === ESC) return { end: start + 1, key: undefined };
  if (introducer !== "[" && introducer !== "O") {
    // Alt+key: ignore ESC together with the key's code point.
    const codePoint = data.codePointAt(start + 1)!;
    return { end: start + 1 + (codePoint > 0xffff ? 2 : 1), key: undefined };
  }
  let index = start + 2;
  while (index < data.length) {
    const code = data.charCodeAt(index);
    if (code >= 0x20 && code <= 0x3f) {
      // Parameter (0x30-0x3f) and intermediate (0x20-0x2f) bytes.
      index++;
      continue;
    }
    if (code >= 0x40 && code <= 0x7e) {
      const params = data.slice(start + 2, index);
      const final = data[index];
      let key: Key | undefined;
      if (params === "") key = LETTER_KEYS[final];
      else if (introducer === "[" && final === "~") key = TILDE_KEYS[params];
      return { end: index + 1, key };
    }
    // Malformed: drop what came before and let the caller handle this character normally.
    return { end: index, key: undefined };
  }
  return undefined;
}

/**
 * A single-line editor for a terminal in raw mode.
 *
 * Feed it the bytes read from stdin with {@linkcode LineEditor.feed}; it returns what happened as
 * {@linkcode EditorAction}s, and {@linkcode LineEditor.render} gives the escape string that redraws
 * the input line.
 *
 * Keys:
 *
 * | Key                                                  | Effect                              |
 * | ---------------------------------------------------- | ----------------------------------- |
 * | Enter (`\r`, `\n`; `\r\n` counts once)               | submit the line                     |
 * | Left, Ctrl-B / Right, Ctrl-F                         | move by one grapheme cluster        |
 * | Home, Ctrl-A / End, Ctrl-E                           | move to the start / end             |
 * | Backspace (0x7f, 0x08) / Delete (`ESC [ 3 ~`)        | delete before / under the cursor    |
 * | Ctrl-U / Ctrl-K                                      | delete to the start / end           |
 * | Ctrl-W                                               | delete the word before the cursor   |
 * | Up / Down                                            | older / newer history line          |
 * | Ctrl-L                                               | `redraw` action                     |
 * | Ctrl-C                                               | `interrupt` action                  |
 * | Ctrl-D                                               | `eof` on an empty line, else Delete |
 *
 * Arrows, Home and End are understood in both `ESC [` and `ESC O` forms, and Home and End also as
 * `ESC [ 1 ~`, `ESC [ 7 ~`, `ESC [ 4 ~` and `ESC [ 8 ~`. Tab inserts a space, as the server would
 * make of a tab anyway. Other control characters and escape
 * sequences (including modified keys such as `ESC [ 1 ; 5 D`) are ignored, as is Alt+key (ESC
 * followed by a key).
 *
 * Input details:
 *
 * - Bytes are decoded as UTF-8; a sequence split across `feed()` calls is reassembled, and invalid
 *   bytes become U+FFFD.
 * - An escape sequence split across `feed()` calls is buffered until it is complete. That includes
 *   a lone ESC at the end of the input: it stays pending until the next `feed()`, which decides
 *   what it was. Call {@linkcode LineEditor.resetInput} to drop it, for example after a timeout.
 * - Bracketed paste (`ESC [ 200 ~` ... `ESC [ 201 ~`): the pasted text is inserted at the cursor.
 *   Line breaks (`\r`, `\n`, `\r\n`) and tabs in it become single spaces, so a multi-line paste
 *   is never sent by accident; the user reviews it and presses Enter. Other control characters and
 *   escape sequences inside a paste are dropped.
 *
 * History: submitted lines that are not blank are appended, except a repeat of the newest one.
 * Up saves the line being typed as a draft; Down past the newest entry restores it. Edits to a
 * recalled line are not written back to the history.
 *
 * @example Usage
 * ```ts
 * import { LineEditor } from "./line_editor.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const editor = new LineEditor();
 * deepEqual(editor.feed(new TextEncoder().encode("안녕")), [{ type: "change" }]);
 * editor.feed("\x1b[D"); // Left
 * equal(editor.cursor, 1);
 * equal(editor.render({ prompt: "> ", columns: 80 }), "\r> 안\x1b7녕\x1b[K\x1b8");
 * deepEqual(editor.feed("\r"), [{ type: "submit", line: "안녕" }, { type: "change" }]);
 * equal(editor.line, "");
 * ```
 */
export class LineEditor {
  #line = "";
  #cursor = 0;
  #changed = false;
  #history: string[];
  #historySize: number;
  #maxLength: number;
  /** Input was dropped by this feed, the line being full. */
  #overflowed = false;
  /** Index into #history of the recalled line; #history.length while editing the draft. */
  #historyIndex: number;
  #draft = "";
  /** First grapheme cluster shown by render(), for horizontal scrolling. */
  #viewStart = 0;
  #decoder = new TextDecoder();
  /** An incomplete escape sequence waiting for more input. */
  #pending = "";
  /** The previous character was `\r`, so a `\n` right after it is part of the same line break. */
  #afterCarriageReturn = false;
  #pasting = false;

  /**
   * Creates an empty editor.
   *
   * @example Usage
   * ```ts
   * import { LineEditor } from "./line_editor.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * const editor = new LineEditor({ history: ["first", "second"] });
   * deepEqual(editor.history, ["first", "second"]);
   * ```
   *
   * @param options Pre-loaded history and history size.
   */
  constructor(options: LineEditorOptions = {}) {
    const { history = [], historySize = DEFAULT_HISTORY_SIZE, maxLength = DEFAULT_MAX_LENGTH } =
      options;
    if (!Number.isInteger(historySize) || historySize < 0) {
      throw new RangeError(
        `Cannot create line editor: historySize must be a non-negative integer, received "${historySize}"`,
      );
    }
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      throw new RangeError(
        `Cannot create line editor: maxLength must be a positive integer, received "${maxLength}"`,
      );
    }
    this.#historySize = historySize;
    this.#maxLength = maxLength;
    const lines = history.filter((line) => line.trim() !== "");
    this.#history = historySize === 0 ? [] : lines.slice(-historySize);
    this.#historyIndex = this.#history.length;
  }

  /**
   * The text being edited.
   *
   * @example Usage
   * ```ts
   * import { LineEditor } from "./line_editor.ts";
   * import { equal } from "node:assert/strict";
   *
   * const editor = new LineEditor();
   * editor.feed("hello");
   * equal(editor.line, "hello");
   * ```
   *
   * @returns The current line.
   */
  get line(): string {
    return this.#line;
  }

  /**
   * The cursor position as an index into {@linkcode LineEditor.line} in UTF-16 code units, the
   * unit of `String.prototype.slice`: `line.slice(0, cursor)` is the text before the cursor. It
   * always falls on a grapheme cluster boundary.
   *
   * @example Usage
   * ```ts
   * import { LineEditor } from "./line_editor.ts";
   * import { equal } from "node:assert/strict";
   *
   * const editor = new LineEditor();
   * editor.feed("a👍🏽b\x1b[D");
   * equal(editor.cursor, 5);
   * equal(editor.line.slice(0, editor.cursor), "a👍🏽");
   * ```
   *
   * @returns The cursor position.
   */
  get cursor(): number {
    return this.#cursor;
  }

  /**
   * Whether input ended inside an escape sequence (a lone ESC, or `ESC [` still without its final
   * byte), which the editor holds until the next {@linkcode LineEditor.feed} completes it or
   * {@linkcode LineEditor.resetInput} drops it. However the sequence was split across feeds.
   *
   * @example Usage
   * ```ts
   * import { LineEditor } from "./line_editor.ts";
   * import { equal } from "node:assert/strict";
   *
   * const editor = new LineEditor();
   * editor.feed("\x1b");
   * editor.feed("[");
   * equal(editor.escapePending, true); // ESC [ waits for its final byte
   * editor.feed("D"); // Left
   * equal(editor.escapePending, false);
   * ```
   *
   * @returns `true` while an escape sequence waits for more input.
   */
  get escapePending(): boolean {
    return this.#pending !== "";
  }

  /**
   * A copy of the history, oldest first.
   *
   * @example Usage
   * ```ts
   * import { LineEditor } from "./line_editor.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * const editor = new LineEditor();
   * editor.feed("one\rtwo\r\r");
   * deepEqual(editor.history, ["one", "two"]);
   * ```
   *
   * @returns The history lines.
   */
  get history(): string[] {
    return [...this.#history];
  }

  /**
   * Processes raw terminal input.
   *
   * @example Usage
   * ```ts
   * import { LineEditor } from "./line_editor.ts";
   * import { deepEqual } from "node:assert/strict";
   *
   * const editor = new LineEditor();
   * deepEqual(editor.feed("\x03"), [{ type: "interrupt" }]);
   * deepEqual(editor.feed("\x04"), [{ type: "eof" }]);
   * ```
   *
   * @param input Bytes read from the terminal, or text already decoded.
   * @returns The actions, in input order, then at most one `full` and one `change`, in that order.
   */
  feed(input: Uint8Array | string): EditorAction[] {
    const text = typeof input === "string" ? input : this.#decoder.decode(input, { stream: true });
    const data = this.#pending + text;
    this.#pending = "";
    const actions: EditorAction[] = [];
    let typed = "";
    const insertTyped = () => {
      if (typed !== "") this.#insert(typed);
      typed = "";
    };
    let index = 0;
    while (index < data.length) {
      const char = data[index];
      const code = char.charCodeAt(0);
      if (char === ESC) {
        const sequence = parseEscape(data, index);
        if (sequence === undefined) {
          // Truncating keeps an overlong sequence unrecognised, so it is still ignored as a whole.
          this.#pending = data.slice(index, index + MAX_ESCAPE_LENGTH);
          break;
        }
        insertTyped();
        this.#afterCarriageReturn = false;
        this.#handleKey(sequence.key);
        index = sequence.end;
        continue;
      }
      index++;
      if (code === LINE_FEED && this.#afterCarriageReturn) {
        this.#afterCarriageReturn = false;
        continue;
      }
      this.#afterCarriageReturn = code === CARRIAGE_RETURN;
      const isControl = code < 0x20 || (code >= DELETE && code <= 0x9f);
      if (!isControl) {
        typed += char;
      } else if (this.#pasting || code === TAB) {
        if (code === CARRIAGE_RETURN || code === LINE_FEED || code === TAB) typed += " ";
      } else {
        insertTyped();
        this.#handleControl(code, actions);
      }
    }
    insertTyped();
    if (this.#overflowed) actions.push({ type: "full" });
    this.#overflowed = false;
    if (this.#changed) actions.push({ type: "change" });
    this.#changed = false;
    return actions;
  }

  /**
   * Empties the line and returns to the draft end of the history. Submitting already does this;
   * use it, for example, to discard the line after an `interrupt`.
   *
   * @example Usage
   * ```ts
   * import { LineEditor } from "./line_editor.ts";
   * import { equal } from "node:assert/strict";
   *
   * const editor = new LineEditor();
   * editor.feed("oops\x03");
   * editor.clear();
   * equal(editor.line, "");
   * equal(editor.cursor, 0);
   * ```
   */
  clear(): void {
    this.#setLine("", 0);
    this.#changed = false;
    this.#historyIndex = this.#history.length;
    this.#draft = "";
    this.#viewStart = 0;
  }

  /**
   * Drops partial input: a pending escape sequence (such as a lone ESC), an incomplete UTF-8
   * sequence, an unfinished bracketed paste and a pending `\r\n` pairing. The line is kept.
   *
   * @example Usage
   * ```ts
   * import { LineEditor } from "./line_editor.ts";
   * import { equal } from "node:assert/strict";
   *
   * const editor = new LineEditor();
   * editor.feed("\x1b"); // a lone ESC stays pending
   * editor.resetInput();
   * editor.feed("x"); // typed normally, not taken as Alt-x
   * equal(editor.line, "x");
   * ```
   */
  resetInput(): void {
    this.#pending = "";
    this.#decoder = new TextDecoder();
    this.#pasting = false;
    this.#afterCarriageReturn = false;
  }

  /**
   * Returns the escape string that redraws the input line in place: `\r`, the prompt, the visible
   * part of the line, erase to end of line (`ESC [ K`), then a cursor move left (`ESC [ n D`) if
   * the cursor is not at the end of the visible text.
   *
   * At most `columns - 1` columns are drawn, so the terminal never wraps. When the line does not
   * fit, it scrolls horizontally to keep the cursor and the character under it visible, and wide
   * characters are never cut at an edge. The scroll position is kept between calls, so the view
   * only moves when the cursor would leave it.
   *
   * @example Usage
   * ```ts
   * import { LineEditor } from "./line_editor.ts";
   * import { equal } from "node:assert/strict";
   *
   * const editor = new LineEditor();
   * editor.feed("abcdef");
   * equal(editor.render({ prompt: "> ", columns: 6 }), "\r> def\x1b[K");
   * editor.feed("\x01"); // Ctrl-A
   * equal(editor.render({ prompt: "> ", columns: 6 }), "\r> \x1b7abc\x1b[K\x1b8");
   * ```
   *
   * @param options The prompt and the terminal width.
   * @returns The escape string to write to the terminal.
   */
  render(options: RenderOptions): string {
    const { prompt, columns } = options;
    if (!Number.isInteger(columns) || columns < 1) {
      throw new RangeError(
        `Cannot render line: columns must be a positive integer, received "${columns}"`,
      );
    }
    const usable = Math.max(1, columns - 1);
    let promptText = prompt;
    let promptWidth = displayWidth(prompt.replace(SGR_SEQUENCE, ""));
    if (promptWidth > usable / 2) {
      promptText = "";
      promptWidth = 0;
    }
    const room = usable - promptWidth;

    const clusters = graphemes(this.#line);
    const widths = clusters.map(displayWidth);
    let cursorIndex = 0;
    for (let offset = 0; offset < this.#cursor; cursorIndex++) {
      offset += clusters[cursorIndex].length;
    }
    const underCursor = widths[cursorIndex] ?? 0;
    const prefix = [0];
    for (const width of widths) prefix.push(prefix[prefix.length - 1] + width);
    const sum = (from: number, to: number) => prefix[to] - prefix[from];

    let start = Math.min(this.#viewStart, cursorIndex);
    while (start < cursorIndex && sum(start, cursorIndex) + underCursor > room) start++;
    while (start > 0 && sum(start - 1, clusters.length) <= room) start--;
    this.#viewStart = start;

    let end = start;
    let visibleWidth = 0;
    while (end < clusters.length && visibleWidth + widths[end] <= room) {
      visibleWidth += widths[end];
      end++;
    }
    // The cursor is put back where the terminal drew it, not moved by the widths counted here:
    // a terminal may draw an emoji one or two columns off what Unicode says.
    const cut = Math.min(cursorIndex, end);
    const line = "\r" + promptText + clusters.slice(start, cut).join("");
    if (cut === end) return line + ERASE_TO_END_OF_LINE;
    return line + SAVE_CURSOR + clusters.slice(cut, end).join("") + ERASE_TO_END_OF_LINE +
      RESTORE_CURSOR;
  }

  #setLine(line: string, cursor: number): void {
    if (line !== this.#line || cursor !== this.#cursor) this.#changed = true;
    this.#line = line;
    this.#cursor = cursor;
  }

  /** Offsets of all grapheme cluster boundaries in the line, from 0 to its length. */
  #boundaries(): number[] {
    const boundaries = [0];
    let offset = 0;
    for (const cluster of graphemes(this.#line)) {
      offset += cluster.length;
      boundaries.push(offset);
    }
    return boundaries;
  }

  #previousBoundary(): number {
    return this.#boundaries().findLast((offset) => offset < this.#cursor) ?? 0;
  }

  #nextBoundary(): number {
    return this.#boundaries().find((offset) => offset > this.#cursor) ?? this.#line.length;
  }

  #insert(text: string): void {
    const room = this.#maxLength - this.#line.length;
    if (text.length > room) {
      this.#overflowed = true;
      // Half a surrogate pair would decode as U+FFFD: the character goes whole, or not at all.
      const cut = room > 0 && isHighSurrogate(text.charCodeAt(room - 1)) ? room - 1 : room;
      if (cut <= 0) return;
      text = text.slice(0, cut);
    }
    const line = this.#line.slice(0, this.#cursor) + text + this.#line.slice(this.#cursor);
    this.#edit(line, this.#cursor + text.length);
  }

  #deleteRange(from: number, to: number): void {
    this.#edit(this.#line.slice(0, from) + this.#line.slice(to), from);
  }

  /**
   * Sets the edited line and the cursor. An edit can merge the clusters on either side of the
   * cursor (a ZWJ typed before an emoji, the x deleted from 🇺x🇸): the cursor then moves past
   * the merged cluster, so that it stays on a boundary.
   */
  #edit(line: string, cursor: number): void {
    this.#setLine(line, cursor);
    const boundaries = this.#boundaries();
    if (!boundaries.includes(cursor)) {
      this.#setLine(line, boundaries.find((offset) => offset > cursor) ?? line.length);
    }
  }

  #deleteWordBefore(): void {
    const clusters = graphemes(this.#line.slice(0, this.#cursor));
    let count = clusters.length;
    while (count > 0 && WHITESPACE.test(clusters[count - 1])) count--;
    while (count > 0 && !WHITESPACE.test(clusters[count - 1])) count--;
    this.#deleteRange(clusters.slice(0, count).join("").length, this.#cursor);
  }

  #submit(actions: EditorAction[]): void {
    const line = this.#line;
    if (line.trim() !== "" && line !== this.#history.at(-1) && this.#historySize > 0) {
      this.#history.push(line);
      if (this.#history.length > this.#historySize) this.#history.shift();
    }
    this.#historyIndex = this.#history.length;
    this.#draft = "";
    this.#viewStart = 0;
    this.#setLine("", 0);
    actions.push({ type: "submit", line });
  }

  #recall(index: number): void {
    if (index < 0 || index > this.#history.length || index === this.#historyIndex) return;
    if (this.#historyIndex === this.#history.length) this.#draft = this.#line;
    this.#historyIndex = index;
    const line = index === this.#history.length ? this.#draft : this.#history[index];
    this.#setLine(line, line.length);
  }

  #handleKey(key: Key | undefined): void {
    if (key === "pasteStart") this.#pasting = true;
    else if (key === "pasteEnd") this.#pasting = false;
    else if (this.#pasting || key === undefined) return;
    else if (key === "left") this.#setLine(this.#line, this.#previousBoundary());
    else if (key === "right") this.#setLine(this.#line, this.#nextBoundary());
    else if (key === "home") this.#setLine(this.#line, 0);
    else if (key === "end") this.#setLine(this.#line, this.#line.length);
    else if (key === "delete") this.#deleteRange(this.#cursor, this.#nextBoundary());
    else if (key === "up") this.#recall(this.#historyIndex - 1);
    else if (key === "down") this.#recall(this.#historyIndex + 1);
  }

  #handleControl(code: number, actions: EditorAction[]): void {
    switch (code) {
      case CARRIAGE_RETURN:
      case LINE_FEED:
        return this.#submit(actions);
      case CTRL_A:
        return this.#handleKey("home");
      case CTRL_E:
        return this.#handleKey("end");
      case CTRL_B:
        return this.#handleKey("left");
      case CTRL_F:
        return this.#handleKey("right");
      case BACKSPACE:
      case DELETE:
        return this.#deleteRange(this.#previousBoundary(), this.#cursor);
      case CTRL_D:
        if (this.#line === "") actions.push({ type: "eof" });
        else this.#handleKey("delete");
        return;
      case CTRL_U:
        return this.#deleteRange(0, this.#cursor);
      case CTRL_K:
        return this.#deleteRange(this.#cursor, this.#line.length);
      case CTRL_W:
        return this.#deleteWordBefore();
      case CTRL_L:
        actions.push({ type: "redraw" });
        return;
      case CTRL_C:
        actions.push({ type: "interrupt" });
        return;
    }
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
