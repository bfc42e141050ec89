import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { displayWidth, graphemes } from "./display_width.ts";
import { type EditorAction, LineEditor } from "./line_editor.ts";

const LEFT = "\x1b[D";
const RIGHT = "\x1b[C";
const UP = "\x1b[A";
const DOWN = "\x1b[B";
const HOME = "\x1b[H";
const END = "\x1b[F";
const DELETE = "\x1b[3~";
const BACKSPACE = "\x7f";
const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";
const CHANGE: EditorAction = { type: "change" };

const encoder = new TextEncoder();

/** An editor that has been fed `input` in one piece. */
function editorWith(input: string): LineEditor {
  const editor = new LineEditor();
  editor.feed(input);
  return editor;
}

/** Feeds each piece in turn and returns all actions. */
function feedAll(editor: LineEditor, pieces: Iterable<Uint8Array | string>): EditorAction[] {
  const actions: EditorAction[] = [];
  for (const piece of pieces) actions.push(...editor.feed(piece));
  return actions;
}

/** Only the actions that are not `change`. */
function events(actions: EditorAction[]): EditorAction[] {
  return actions.filter((action) => action.type !== "change");
}

Deno.test("LineEditor.feed() behaviour with typed text", () => {
  const editor = new LineEditor();
  deepEqual(editor.feed("hi "), [CHANGE]);
  deepEqual(editor.feed(encoder.encode("한글 👍🏽👩‍💻")), [CHANGE]);
  equal(editor.line, "hi 한글 👍🏽👩‍💻");
  equal(editor.cursor, editor.line.length);
  editor.feed(HOME + RIGHT + RIGHT);
  editor.feed("→");
  equal(editor.line, "hi→ 한글 👍🏽👩‍💻");
  equal(editor.cursor, 3);
});

Deno.test("LineEditor.feed() behaviour with a typed Tab: a space", () => {
  const editor = new LineEditor();
  deepEqual(editor.feed("tab\there"), [CHANGE]);
  equal(editor.line, "tab here");
});

Deno.test("LineEditor.feed() behaviour with UTF-8 split at every byte boundary", () => {
  const text = "a한글👍🏽é👩‍💻🇰🇷b";
  const bytes = encoder.encode(text);
  for (let split = 0; split <= bytes.length; split++) {
    const editor = new LineEditor();
    feedAll(editor, [bytes.subarray(0, split), bytes.subarray(split)]);
    equal(editor.line, text, `split at byte ${split}`);
    equal(editor.cursor, text.length, `split at byte ${split}`);
  }
  const editor = new LineEditor();
  const actions = feedAll(editor, Array.from(bytes, (byte) => Uint8Array.of(byte)));
  equal(editor.line, text);
  ok(actions.every((action) => action.type === "change"));
});

Deno.test("LineEditor.feed() behaviour with a Korean IME composing syllables", () => {
  // An IME commits whole syllables, each as one complete UTF-8 sequence.
  const editor = new LineEditor();
  for (const syllable of ["안", "녕", "하", "세", "요"]) {
    deepEqual(editor.feed(encoder.encode(syllable)), [CHANGE]);
  }
  equal(editor.line, "안녕하세요");
  editor.feed(BACKSPACE);
  equal(editor.line, "안녕하세");
  editor.feed(LEFT + LEFT + BACKSPACE);
  equal(editor.line, "안하세");
  equal(editor.cursor, 1);
});

Deno.test("LineEditor.feed() behaviour with escape sequences split at every byte boundary", () => {
  const input = "ab" + LEFT + "한" + DELETE + "\x1bOH" + "👍🏽" + END + "\x1b[1;5D" + PASTE_START +
    "x\r\ny" + PASTE_END + "\x1b[4~" + "!" + "\x1b[7~" + "\x06" + "\r\nnext";
  const whole = new LineEditor();
  const wholeActions = whole.feed(input);
  deepEqual(wholeActions, [{ type: "submit", line: "👍🏽a한x y!" }, CHANGE]);
  equal(whole.line, "next");
  deepEqual(whole.history, ["👍🏽a한x y!"]);

  const bytes = encoder.encode(input);
  for (let split = 0; split <= bytes.length; split++) {
    const editor = new LineEditor();
    const actions = feedAll(editor, [bytes.subarray(0, split), bytes.subarray(split)]);
    deepEqual(events(actions), events(wholeActions), `split at byte ${split}`);
    equal(editor.line, "next", `split at byte ${split}`);
    equal(editor.cursor, 4, `split at byte ${split}`);
  }
  const editor = new LineEditor();
  const actions = feedAll(editor, Array.from(bytes, (byte) => Uint8Array.of(byte)));
  deepEqual(events(actions), events(wholeActions));
  equal(editor.line, "next");
});

Deno.test("LineEditor.feed() behaviour moving by grapheme cluster", () => {
  const editor = editorWith("a👍🏽한👩‍💻e\u0301");
  const positions = [editor.cursor];
  for (let step = 0; step < 6; step++) {
    editor.feed(LEFT);
    positions.push(editor.cursor);
  }
  deepEqual(positions, [13, 11, 6, 5, 1, 0, 0]);
  deepEqual(positions.map((position) => editor.line.slice(0, position)), [
    "a👍🏽한👩‍💻e\u0301",
    "a👍🏽한👩‍💻",
    "a👍🏽한",
    "a👍🏽",
    "a",
    "",
    "",
  ]);
  editor.feed(RIGHT + "\x06");
  equal(editor.cursor, 5);
  editor.feed("\x02");
  equal(editor.cursor, 1);
  deepEqual(editor.feed("\x1bOC\x1bOD\x1bOC"), [CHANGE]);
  equal(editor.cursor, 5);
});

Deno.test("LineEditor.feed() behaviour with Home and End keys", () => {
  const homes = ["\x1b[H", "\x1b[1~", "\x1b[7~", "\x1bOH", "\x01"];
  const ends = ["\x1b[F", "\x1b[4~", "\x1b[8~", "\x1bOF", "\x05"];
  for (const home of homes) {
    const editor = editorWith("한글 text");
    deepEqual(editor.feed(home), [CHANGE], JSON.stringify(home));
    equal(editor.cursor, 0, JSON.stringify(home));
    deepEqual(editor.feed(home), [], `${JSON.stringify(home)} again changes nothing`);
  }
  for (const end of ends) {
    const editor = editorWith("한글 text" + "\x01");
    deepEqual(editor.feed(end), [CHANGE], JSON.stringify(end));
    equal(editor.cursor, 7, JSON.stringify(end));
  }
});

Deno.test("LineEditor.feed() behaviour with Backspace, Delete and Ctrl-D", () => {
  const editor = editorWith("x👍🏽한");
  editor.feed(BACKSPACE);
  equal(editor.line, "x👍🏽");
  editor.feed("\x08");
  equal(editor.line, "x");
  editor.feed(BACKSPACE);
  equal(editor.line, "");
  deepEqual(editor.feed(BACKSPACE), [], "Backspace on an empty line changes nothing");

  editor.feed("a👩‍💻b" + HOME);
  deepEqual(editor.feed(DELETE), [CHANGE]);
  equal(editor.line, "👩‍💻b");
  deepEqual(editor.feed("\x04"), [CHANGE], "Ctrl-D deletes under the cursor");
  equal(editor.line, "b");
  editor.feed(END);
  deepEqual(editor.feed("\x04"), [], "Ctrl-D at the end of a line does nothing");
  deepEqual(editor.feed(DELETE), []);
  equal(editor.line, "b");
  editor.feed(BACKSPACE);
  deepEqual(editor.feed("\x04"), [{ type: "eof" }], "Ctrl-D on an empty line is eof");
});

Deno.test("LineEditor.feed() behaviour with Ctrl-U and Ctrl-K", () => {
  const editor = editorWith("안녕 hello 👍🏽" + LEFT + LEFT);
  equal(editor.line.slice(0, editor.cursor), "안녕 hello");
  deepEqual(editor.feed("\x0b"), [CHANGE]);
  equal(editor.line, "안녕 hello");
  equal(editor.cursor, editor.line.length);
  editor.feed(LEFT.repeat(5));
  deepEqual(editor.feed("\x15"), [CHANGE]);
  equal(editor.line, "hello");
  equal(editor.cursor, 0);
  deepEqual(editor.feed("\x15"), [], "Ctrl-U at the start changes nothing");
  editor.feed(END);
  deepEqual(editor.feed("\x0b"), [], "Ctrl-K at the end changes nothing");
});

Deno.test("LineEditor.feed() behaviour with Ctrl-W", () => {
  const editor = editorWith("say  안녕하세요  to 👩‍💻👍🏽  ");
  editor.feed("\x17");
  equal(editor.line, "say  안녕하세요  to ");
  editor.feed("\x17");
  equal(editor.line, "say  안녕하세요  ");
  editor.feed("\x17");
  equal(editor.line, "say  ");
  editor.feed("\x17");
  equal(editor.line, "");
  deepEqual(editor.feed("\x17"), []);

  const middle = editorWith("one two three" + LEFT.repeat(5));
  middle.feed("\x17");
  equal(middle.line, "one three");
  equal(middle.cursor, 4);
  middle.feed(LEFT + "\x17");
  equal(middle.line, " three", "deletes the word and the blanks after the cursor stay");
});

Deno.test("LineEditor.feed() behaviour with Enter", () => {
  const editor = new LineEditor();
  deepEqual(editor.feed("hello\r"), [{ type: "submit", line: "hello" }, CHANGE]);
  equal(editor.line, "");
  equal(editor.cursor, 0);
  deepEqual(editor.feed("a\nb\r\nc\r"), [
    { type: "submit", line: "a" },
    { type: "submit", line: "b" },
    { type: "submit", line: "c" },
    CHANGE,
  ]);
  deepEqual(editor.feed("\n"), [], "\\r\\n split across feeds counts once");
  deepEqual(editor.feed("\r\r"), [{ type: "submit", line: "" }, { type: "submit", line: "" }]);
  deepEqual(editor.feed("\n\n"), [{ type: "submit", line: "" }], "only \\r\\n pairs");
  editor.feed("x" + LEFT + "\r");
  deepEqual(editor.history, ["hello", "a", "b", "c", "x"]);
});

Deno.test("LineEditor.feed() behaviour with history", () => {
  const editor = new LineEditor();
  editor.feed("first\r\r   \rsecond\rsecond\rthird\r");
  deepEqual(editor.history, ["first", "second", "third"], "blank lines and repeats are skipped");

  editor.feed("draft 한");
  deepEqual(editor.feed(UP), [CHANGE]);
  equal(editor.line, "third");
  equal(editor.cursor, 5);
  editor.feed("\x1bOA");
  equal(editor.line, "second");
  editor.feed(UP);
  equal(editor.line, "first");
  deepEqual(editor.feed(UP), [], "Up at the oldest line stays");
  equal(editor.line, "first");
  editor.feed(DOWN);
  equal(editor.line, "second");
  editor.feed(DOWN + "\x1bOB");
  equal(editor.line, "draft 한", "Down past the newest restores the draft");
  equal(editor.cursor, "draft 한".length);
  deepEqual(editor.feed(DOWN), [], "Down at the draft stays");

  editor.feed(UP + "!" + "\r");
  deepEqual(editor.history, ["first", "second", "third", "third!"]);
  editor.feed(UP);
  equal(editor.line, "third!");
  editor.feed(DOWN);
  equal(editor.line, "", "the draft is gone after a submit");
});

Deno.test("LineEditor() behaviour with options", () => {
  const editor = new LineEditor({ history: ["a", "", "b", "c"], historySize: 2 });
  deepEqual(editor.history, ["b", "c"]);
  editor.feed("d\r");
  deepEqual(editor.history, ["c", "d"]);
  editor.feed(UP + UP + UP);
  equal(editor.line, "c");

  const none = new LineEditor({ history: ["a"], historySize: 0 });
  none.feed("b\r" + UP);
  deepEqual(none.history, []);
  equal(none.line, "");

  throws(() => new LineEditor({ historySize: -1 }), {
    name: "RangeError",
    message: 'Cannot create line editor: historySize must be a non-negative integer, received "-1"',
  });
});

Deno.test("LineEditor.feed() behaviour with Ctrl-L, Ctrl-C and clear()", () => {
  const editor = editorWith("typed");
  deepEqual(editor.feed("\x0c"), [{ type: "redraw" }]);
  deepEqual(editor.feed("\x03"), [{ type: "interrupt" }]);
  equal(editor.line, "typed", "interrupt leaves the line to the caller");
  editor.feed(UP);
  editor.clear();
  equal(editor.line, "");
  equal(editor.cursor, 0);
  editor.feed("new");
  deepEqual(editor.feed(DOWN), [], "clear() returns to the draft end of the history");
});

Deno.test("LineEditor.feed() behaviour ignoring other input", () => {
  const editor = editorWith("ab" + LEFT);
  const ignored = [
    "\x00",
    "\x07",
    "\x0e",
    "\x10",
    "\x1a",
    "\x1f",
    "\x85",
    "\x1b[1;5D", // Ctrl-Left
    "\x1b[1;2H", // Shift-Home
    "\x1b[15~", // F5
    "\x1b[2~", // Insert
    "\x1b[5~", // Page Up
    "\x1bOP", // F1
    "\x1b[Z", // Shift-Tab
    "\x1b[?1;2c", // device attributes report
    "\x1b[12;40R", // cursor position report
    "\x1bx", // Alt-x
    "\x1b한", // Alt with a non-ASCII key
    "\x1b\r", // Alt-Enter
    PASTE_END, // a paste end marker without a paste
  ];
  for (const input of ignored) {
    deepEqual(editor.feed(input), [], JSON.stringify(input));
    equal(editor.line, "ab", JSON.stringify(input));
    equal(editor.cursor, 1, JSON.stringify(input));
  }
  deepEqual(editor.feed("\x1b" + LEFT), [CHANGE], "ESC ESC [ D is ESC then Left");
  equal(editor.cursor, 0);
  editor.feed("\x1b[" + "9".repeat(100) + "~z");
  equal(editor.line, "zab", "an overlong sequence is ignored as a whole");
  editor.feed("\x1b[");
  for (let chunk = 0; chunk < 100; chunk++) {
    deepEqual(editor.feed("1".repeat(100)), [], "an overlong sequence split across feeds");
  }
  deepEqual(editor.feed("1" + "A" + BACKSPACE), [CHANGE]);
  equal(editor.line, "ab", "an overlong sequence is ignored as a whole across feeds");
  editor.feed("z\x1b[1\x7f");
  equal(editor.line, "ab", "a malformed sequence ends where a control character starts");
});

Deno.test("LineEditor.feed() behaviour with a lone ESC", () => {
  const editor = editorWith("ab");
  deepEqual(editor.feed("\x1b"), [], "a lone ESC is pending");
  deepEqual(editor.feed("["), []);
  deepEqual(editor.feed("D"), [CHANGE]);
  equal(editor.cursor, 1);

  editor.feed("\x1b");
  deepEqual(editor.feed("c"), [], "the next feed decides: ESC c is Alt-c");
  equal(editor.line, "ab");

  editor.feed("\x1b");
  editor.resetInput();
  deepEqual(editor.feed("c"), [CHANGE], "resetInput() drops the pending ESC");
  equal(editor.line, "acb");
});

Deno.test("LineEditor.resetInput() behaviour", () => {
  const editor = new LineEditor();
  editor.feed(encoder.encode("한").subarray(0, 2));
  editor.feed(PASTE_START + "a\rb");
  equal(editor.line, "a b");
  editor.resetInput();
  deepEqual(editor.feed("\r"), [{ type: "submit", line: "a b" }, CHANGE]);
  editor.feed(encoder.encode("글"));
  equal(editor.line, "글", "the partial UTF-8 sequence was dropped");
});

Deno.test("LineEditor.feed() behaviour with bracketed paste", () => {
  const editor = editorWith("<>" + LEFT);
  const actions = editor.feed(
    PASTE_START + "line 1\r\nline 2\nline\t3\r\x03\x1b[D\x04end" + PASTE_END,
  );
  deepEqual(actions, [CHANGE], "control characters in a paste are not keys");
  equal(editor.line, "<line 1 line 2 line 3 end>");
  equal(editor.cursor, editor.line.length - 1);
  deepEqual(editor.feed("\r"), [{ type: "submit", line: "<line 1 line 2 line 3 end>" }, CHANGE]);

  const split = new LineEditor();
  const pieces = [
    PASTE_START.slice(0, 3),
    PASTE_START.slice(3) + "x\r",
    "\ny",
    PASTE_END.slice(0, 4),
  ];
  feedAll(split, pieces);
  feedAll(split, [PASTE_END.slice(4), "\r"]);
  deepEqual(split.history, ["x y"]);
});

Deno.test("LineEditor.feed() behaviour with a full line", () => {
  const FULL: EditorAction = { type: "full" };
  const editor = new LineEditor({ maxLength: 8 });
  deepEqual(editor.feed("abcd"), [CHANGE]);
  deepEqual(editor.feed(PASTE_START + "ef"), [CHANGE], "a paste split across reads");
  deepEqual(editor.feed("g😀h" + PASTE_END), [FULL, CHANGE], "the emoji goes whole or not at all");
  equal(editor.line, "abcdefg");
  deepEqual(editor.feed("ijk"), [FULL, CHANGE]);
  equal(editor.line, "abcdefgi");
  deepEqual(editor.feed("z"), [FULL], "nothing changed, nothing to redraw");
  deepEqual(editor.feed(LEFT), [CHANGE], "keys still work");
  deepEqual(editor.feed(BACKSPACE + BACKSPACE + "😀"), [CHANGE]);
  deepEqual(editor.feed("\r"), [{ type: "submit", line: "abcde😀i" }, CHANGE]);
  deepEqual(editor.feed("😀".repeat(4)), [CHANGE], "a pair fills the last two code units");
  equal(editor.line, "😀".repeat(4));

  throws(() => new LineEditor({ maxLength: 0 }), {
    name: "RangeError",
    message: 'Cannot create line editor: maxLength must be a positive integer, received "0"',
  });
});

Deno.test("LineEditor.feed() behaviour with inserted zero-width joiners", () => {
  const editor = editorWith("👩💻" + LEFT);
  equal(editor.cursor, 2);
  editor.feed("\u200d");
  equal(editor.line, "👩‍💻");
  equal(editor.cursor, 5, "the cursor stays on a cluster boundary");
  editor.feed(BACKSPACE);
  equal(editor.line, "");
});

Deno.test("LineEditor.feed() behaviour deleting what kept two clusters apart", () => {
  // Deleting the x joins the regional indicators into one flag, the jamo into one syllable,
  // and the emoji on either side of the ZWJ into one: the cursor lands after the cluster.
  for (const [before, after] of [["🇺", "🇸"], ["ᄀ", "가"], ["👩\u200d", "💻"]]) {
    const editor = editorWith(before + "x" + after + LEFT);
    editor.feed(BACKSPACE);
    equal(editor.line, before + after);
    const boundaries = [
      0,
      ...graphemes(editor.line).map((_, i, all) => all.slice(0, i + 1).join("").length),
    ];
    ok(
      boundaries.includes(editor.cursor),
      `cursor ${editor.cursor} in ${JSON.stringify(editor.line)}`,
    );
    editor.feed(BACKSPACE);
    equal(editor.line, "", `Backspace deletes ${JSON.stringify(before + after)} whole`);
  }
  const editor = editorWith("🇺x🇸" + HOME);
  editor.feed(DELETE.repeat(2));
  equal(editor.line, "🇸", "Delete takes one cluster at a time: 🇺, then x");
  equal(editor.cursor, 0);
});

Deno.test("LineEditor.render() behaviour", () => {
  const editor = new LineEditor();
  equal(editor.render({ prompt: "> ", columns: 80 }), "\r> \x1b[K");
  editor.feed("hi 한글👍🏽!");
  equal(editor.render({ prompt: "> ", columns: 80 }), "\r> hi 한글👍🏽!\x1b[K");
  editor.feed(LEFT);
  equal(editor.render({ prompt: "> ", columns: 80 }), "\r> hi 한글👍🏽\x1b7!\x1b[K\x1b8");
  editor.feed(LEFT);
  equal(editor.render({ prompt: "> ", columns: 80 }), "\r> hi 한글\x1b7👍🏽!\x1b[K\x1b8");
  editor.feed(LEFT);
  equal(editor.render({ prompt: "> ", columns: 80 }), "\r> hi 한\x1b7글👍🏽!\x1b[K\x1b8");
  editor.feed(HOME);
  equal(editor.render({ prompt: "", columns: 80 }), "\r\x1b7hi 한글👍🏽!\x1b[K\x1b8");
  equal(
    editor.render({ prompt: "\x1b[1mme\x1b[0m> ", columns: 20 }),
    "\r\x1b[1mme\x1b[0m> \x1b7hi 한글👍🏽!\x1b[K\x1b8",
    "SGR sequences in the prompt take no columns",
  );
  equal(
    editor.render({ prompt: "a very long prompt> ", columns: 20 }),
    "\r\x1b7hi 한글👍🏽!\x1b[K\x1b8",
    "a prompt wider than half the line is left out",
  );
  throws(() => editor.render({ prompt: "> ", columns: 0 }), {
    name: "RangeError",
    message: 'Cannot render line: columns must be a positive integer, received "0"',
  });
});

Deno.test("LineEditor.render() behaviour scrolling horizontally with wide characters", () => {
  // 8 columns: 7 usable, so 5 for the text after "> ".
  const options = { prompt: "> ", columns: 8 };
  const editor = editorWith("한글한글");
  equal(editor.render(options), "\r> 한글\x1b[K", "the end is shown");
  editor.feed(LEFT);
  equal(
    editor.render(options),
    "\r> 한\x1b7글\x1b[K\x1b8",
    "the view stays while the cursor is in it",
  );
  editor.feed(LEFT);
  equal(editor.render(options), "\r> \x1b7한글\x1b[K\x1b8");
  editor.feed(LEFT);
  equal(editor.render(options), "\r> \x1b7글한\x1b[K\x1b8", "scrolled left by one cluster");
  editor.feed(LEFT);
  equal(editor.render(options), "\r> \x1b7한글\x1b[K\x1b8");
  editor.feed(RIGHT);
  equal(editor.render(options), "\r> 한\x1b7글\x1b[K\x1b8");
  editor.feed(RIGHT);
  equal(
    editor.render(options),
    "\r> 글\x1b7한\x1b[K\x1b8",
    "scrolled to show the cluster under the cursor",
  );
  editor.feed(END);
  equal(editor.render(options), "\r> 한글\x1b[K");
  equal(editor.render({ prompt: "> ", columns: 12 }), "\r> 한글한글\x1b[K", "wider terminal");

  // 7 columns: 6 usable, so 4 for the text after "> ".
  options.columns = 7;
  const odd = editorWith("a한글" + HOME);
  equal(
    odd.render(options),
    "\r> \x1b7a한\x1b[K\x1b8",
    "a wide character is never cut at the edge",
  );
  odd.feed(END);
  equal(odd.render(options), "\r> 한글\x1b[K");
  odd.feed(BACKSPACE);
  equal(odd.render(options), "\r> a한\x1b[K", "the view scrolls back when the line shrinks");
  odd.feed("👍🏽");
  equal(odd.render(options), "\r> 한👍🏽\x1b[K");
});

Deno.test("LineEditor.render() behaviour keeping the cursor visible at every position", () => {
  const text = "chat 한글 and 👍🏽👩‍💻 emoji, 안녕하세요 e\u0301 🇰🇷 end";
  const clusters = graphemes(text);
  for (const columns of [5, 6, 7, 10, 13, 80]) {
    const prompt = "> ";
    const editor = editorWith(text + HOME);
    const moves = [...Array(clusters.length).fill(RIGHT), ...Array(clusters.length).fill(LEFT)];
    for (const move of ["", ...moves]) {
      editor.feed(move);
      const output = editor.render({ prompt, columns });
      // The text before the cursor, then (unless the cursor is at the end) the cursor saved,
      // the text after it, and the cursor put back.
      const match = /^\r> (.*?)(?:\x1b7(.*)\x1b\[K\x1b8|\x1b\[K)$/su.exec(output);
      ok(match, `unexpected output ${JSON.stringify(output)}`);
      const [, shown, after = ""] = match;
      const visible = shown + after;
      const width = displayWidth(visible);
      ok(width <= columns - 1 - 2, `${JSON.stringify(visible)} too wide for ${columns} columns`);
      ok(text.includes(visible), `${JSON.stringify(visible)} is not a slice of the line`);
      // The text left of the terminal cursor ends right before the cursor in the line.
      ok(editor.line.slice(0, editor.cursor).endsWith(shown), `cursor misplaced in ${output}`);
      const under = graphemes(editor.line.slice(editor.cursor))[0];
      if (under !== undefined) {
        ok(visible.slice(shown.length).startsWith(under), `cluster under cursor hidden: ${output}`);
      }
    }
  }
});
