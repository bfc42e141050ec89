/**
 * The clients' terminal UI: TerminalUi against a stand-in terminal, both
 * clients in a real pseudo-terminal under tmux, and both clients piped, where
 * they must stay plain. The tmux tests are skipped, with the reason printed,
 * where tmux is not installed.
 */
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { runClient } from "../client.ts";
import { runSelectClient } from "../select_client.ts";
import { lineInput, type TypedInput, typedInput } from "../lib/terminal_input.ts";
import { displayStyle, formatReceived, PLAIN_STYLE } from "../lib/terminal_style.ts";
import { isInteractive, type TerminalSize, TerminalUi } from "../lib/terminal_ui.ts";
import { type Flavor, select, threaded } from "./flavors.ts";
import { LineClient, WAIT_MS } from "./line_client.ts";
import { EOF_HINT, INTERRUPT_HINT } from "../lib/member_lines.ts";
import { sleep } from "../lib/deadlines.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// --- A stand-in terminal ----------------------------------------------------

/** Keys typed into a {@linkcode TerminalUi}, and everything it draws. */
class FakeTerminal {
  readonly modes: boolean[] = [];
  screen = "";
  size: TerminalSize = { columns: 80, rows: 24 };
  /** Resolves when the UI asks for keys. */
  reading = Promise.withResolvers<void>();
  #chunks: (Uint8Array | null)[] = [];
  #waiting: (() => void) | undefined;

  readonly stdin = {
    read: async (p: Uint8Array): Promise<number | null> => {
      while (this.#chunks.length === 0) {
        const { promise, resolve } = Promise.withResolvers<void>();
        this.#waiting = resolve;
        this.reading.resolve();
        await promise;
      }
      const chunk = this.#chunks.shift()!;
      if (chunk === null) return null;
      p.set(chunk);
      return chunk.length;
    },
    setRaw: (mode: boolean) => void this.modes.push(mode),
  };
  readonly stdout = {
    writeSync: (p: Uint8Array): number => {
      this.screen += decoder.decode(p);
      return p.length;
    },
  };

  ui(options: { escapeTimeoutMs?: number } = {}): TerminalUi {
    return new TerminalUi({
      stdin: this.stdin,
      stdout: this.stdout,
      size: () => this.size,
      ...options,
    });
  }

  /** Types keys (a string, or null for the end of input). */
  type(keys: string | null): void {
    this.#chunks.push(keys === null ? null : encoder.encode(keys));
    this.reading = Promise.withResolvers<void>();
    this.#waiting?.();
    this.#waiting = undefined;
  }

  /** Takes what was drawn since the last call. */
  take(): string {
    const screen = this.screen;
    this.screen = "";
    return screen;
  }
}

Deno.test("TerminalUi.start() and restore() turn raw mode on and off, once each", () => {
  const terminal = new FakeTerminal();
  const ui = terminal.ui();
  ui.start();
  ui.start();
  assert.equal(ui.active, true);
  assert.equal(terminal.take(), "\x1b[?2004h\x1b[?7l\r> \x1b[K\x1b[?7h");
  ui.restore();
  ui.restore();
  assert.equal(ui.active, false);
  assert.deepEqual(terminal.modes, [true, false]);
  assert.equal(terminal.take(), "\r\x1b[2K\x1b[?2004l\x1b[?25h");
  ui.print("after");
  assert.equal(terminal.take(), "after\n", "plain once restored");
});

Deno.test("TerminalUi.restore() runs by itself on an uncaught error, a rejection, an exit", () => {
  for (const type of ["error", "unhandledrejection", "unload"]) {
    const terminal = new FakeTerminal();
    const ui = terminal.ui();
    ui.start();
    globalThis.dispatchEvent(new Event(type));
    assert.deepEqual(terminal.modes, [true, false], type);
    assert.equal(ui.active, false);
    globalThis.dispatchEvent(new Event(type));
    assert.deepEqual(terminal.modes, [true, false], `${type}: listener removed`);
  }
});

Deno.test("TerminalUi.print() prints above the line being typed, which stays whole", async () => {
  const terminal = new FakeTerminal();
  const ui = terminal.ui();
  ui.start();
  const input = ui.input();
  const next = input.next();
  terminal.type("안녕 반가");
  await terminal.reading.promise;
  assert.equal(ui.line, "안녕 반가");
  terminal.take();
  ui.print("\x1b[1m[alice]\x1b[0mhi");
  assert.equal(
    terminal.take(),
    "\x1b[?25l\r\x1b[2K\x1b[1m[alice]\x1b[0mhi\x1b[0m\r\n\x1b[?7l\r> 안녕 반가\x1b[K\x1b[?7h\x1b[?25h",
  );
  terminal.type("워요\r");
  assert.deepEqual(await next, { done: false, value: { type: "line", line: "안녕 반가워요" } });
  await input.return();
  ui.restore();
});

Deno.test("TerminalUi.input() yields lines, interrupt and eof, and edits in between", async () => {
  const terminal = new FakeTerminal();
  const ui = terminal.ui();
  ui.start();
  // Left twice, insert, Ctrl-A, Ctrl-K; Ctrl-W; history; Ctrl-D on an empty line; Ctrl-C.
  terminal.type("wrld\x1b[D\x1b[D\x1b[Do\r");
  terminal.type("one two\x17\x17three\r\x1b[A\x1b[A\r");
  terminal.type("\x04x\x03");
  terminal.type(null);
  assert.deepEqual(await Array.fromAsync(ui.input()), [
    { type: "line", line: "world" },
    { type: "line", line: "three" },
    { type: "line", line: "world" },
    { type: "eof" },
    { type: "interrupt" },
    { type: "eof" },
  ]);
  assert.equal(ui.line, "x");
  ui.restore();
});

Deno.test("TerminalUi.input() rings the bell for keys a full line drops", async () => {
  const terminal = new FakeTerminal();
  const ui = terminal.ui();
  ui.start();
  const input = ui.input();
  const next = input.next();
  for (let i = 0; i < 64; i++) terminal.type("x".repeat(1024)); // a paste, read by read
  await terminal.reading.promise;
  assert.ok(!terminal.take().includes("\x07"), "the line is full, nothing dropped yet");
  terminal.type("y");
  await terminal.reading.promise;
  assert.equal(terminal.take(), "\x07", "the key is dropped, the line is not redrawn");
  terminal.type("\r");
  assert.deepEqual((await next).value, { type: "line", line: "x".repeat(64 * 1024) });
  ui.restore();
  terminal.type(null);
  assert.deepEqual(await Array.fromAsync(input), [{ type: "eof" }]);
});

Deno.test("TerminalUi.input() clears the screen on Ctrl-L, draws the lines that fit", async () => {
  const terminal = new FakeTerminal();
  terminal.size = { columns: 10, rows: 4 };
  const ui = terminal.ui();
  ui.start();
  for (const line of ["one", "two", "a line of 15 co"]) ui.print(line);
  terminal.take();
  terminal.type("hi\x0c");
  terminal.type(null);
  assert.deepEqual(await Array.fromAsync(ui.input()), [{ type: "eof" }]);
  // The long line takes two rows, so only it and "two" fit above the input line.
  assert.match(
    terminal.take(),
    /\x1b\[H\x1b\[2K\x1b\[2H\x1b\[J\x1b\[Htwo\r\na line of 15 co\r\n\x1b\[\?7l\r> hi\x1b\[K/,
  );
  ui.restore();
});

Deno.test("TerminalUi.resize() measures the terminal again and redraws to fit it", async () => {
  const terminal = new FakeTerminal();
  const ui = terminal.ui();
  ui.start();
  const input = ui.input();
  const next = input.next();
  terminal.type("abcdefghij");
  await terminal.reading.promise;
  ui.print("0123456789");
  terminal.size = { columns: 8, rows: 3 };
  terminal.take();
  ui.resize();
  // The printed line takes two rows now; the input line has 7 usable columns: the prompt and the
  // last five characters, the cursor after them.
  assert.equal(
    terminal.take(),
    "\x1b[?25l\x1b[H\x1b[2K\x1b[2H\x1b[J\x1b[H0123456789\r\n\x1b[?7l\r> fghij\x1b[K\x1b[?7h\x1b[?25h",
  );
  terminal.type(null);
  assert.deepEqual(await next, { done: false, value: { type: "eof" } });
  await input.return();
  ui.restore();
});

Deno.test("TerminalUi.resize() counts the rows a wide character's early wrap and a newline add", () => {
  const terminal = new FakeTerminal();
  const ui = terminal.ui();
  ui.start();
  ui.print("old");
  ui.print("x\ny"); // two rows
  // Three columns: "1한" fills one row, and each 한 after it takes a row of its own: four rows,
  // not the three its width of nine would make.
  ui.print("1한한한한");
  terminal.size = { columns: 3, rows: 7 };
  terminal.take();
  ui.resize();
  const lines = terminal.take().split("\x1b[H\x1b[2K\x1b[2H\x1b[J\x1b[H")[1].split("\x1b[?7l")[0];
  assert.equal(lines, "x\r\ny\r\n1한한한한\r\n"); // six rows and the input line: "old" does not fit
  ui.restore();
});

Deno.test("TerminalUi stops drawing and reading once its terminal hangs up (EIO)", async () => {
  const hangUp = () => Object.assign(new Error("Input/output error (os error 5)"), { code: "EIO" });
  let writes = 0;
  let gone = false;
  const ui = new TerminalUi({
    stdin: { read: () => Promise.reject(hangUp()), setRaw: () => {} },
    stdout: {
      writeSync: (p) => {
        writes++;
        if (gone) throw hangUp();
        return p.length;
      },
    },
    size: () => ({ columns: 80, rows: 24 }),
  });
  ui.start();
  gone = true;
  ui.print("to a window that was closed");
  ui.print("and another line");
  assert.equal(writes, 2, "one failed write, then no more tries");
  assert.deepEqual(await Array.fromAsync(ui.input()), [{ type: "eof" }]);
  ui.restore();
  const other = new TerminalUi({
    stdin: { read: () => Promise.resolve(null), setRaw: () => {} },
    stdout: {
      writeSync: () => {
        throw new Error("Something else");
      },
    },
  });
  assert.throws(() => other.start(), /Something else/, "other errors still surface");
  assert.throws(() => other.restore(), /Something else/);
  assert.equal(other.active, false, "restored all the same");
});

Deno.test("TerminalUi takes a terminal that reports 0×0 (a pty never sized) for 80×24", async () => {
  const terminal = new FakeTerminal();
  terminal.size = { columns: 0, rows: 0 };
  const ui = terminal.ui();
  ui.start();
  assert.equal(terminal.take(), "\x1b[?2004h\x1b[?7l\r> \x1b[K\x1b[?7h");
  const input = ui.input();
  const next = input.next();
  terminal.type("x".repeat(100));
  await terminal.reading.promise;
  // 79 usable columns: the prompt and the last 77 characters.
  assert.equal(terminal.take(), `\x1b[?7l\r> ${"x".repeat(77)}\x1b[K\x1b[?7h`);
  terminal.size = { columns: 40, rows: 0 };
  ui.print("one");
  ui.resize(); // the width is taken, the height is not
  assert.equal(
    terminal.take().split("\x1b[H\x1b[2K\x1b[2H\x1b[J\x1b[H")[1],
    `one\r\n\x1b[?7l\r> ${"x".repeat(37)}\x1b[K\x1b[?7h\x1b[?25h`,
  );
  terminal.type(null);
  assert.deepEqual(await next, { done: false, value: { type: "eof" } });
  await input.return();
  ui.restore();
});

Deno.test("runClient() and runSelectClient() restore a terminal that failed to start", async () => {
  for (const run of [runClient, runSelectClient]) {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    const terminal = new FakeTerminal();
    const ui = new TerminalUi({
      stdin: terminal.stdin,
      stdout: terminal.stdout,
      size: () => {
        throw new Error("Cannot measure the terminal");
      },
    });
    const options = { host: "127.0.0.1", port: listener.addr.port, id: "bob", terminal: ui };
    await assert.rejects(run(options), /Cannot measure the terminal/);
    (await accepted).close();
    assert.deepEqual(terminal.modes, [true, false], `${run.name}: raw mode on, then off`);
  }
});

Deno.test("TerminalUi.input() drops an escape sequence nothing ends in time, however it was split", async () => {
  // A lone ESC in one read; ESC [ over two, waiting for its final byte.
  for (const reads of [["a\x1b"], ["a\x1b", "["]]) {
    const terminal = new FakeTerminal();
    const ui = terminal.ui({ escapeTimeoutMs: 0 });
    ui.start();
    const input = ui.input();
    const next = input.next();
    for (const read of reads) {
      terminal.type(read);
      await terminal.reading.promise;
    }
    // The UI's 0 ms escape timer was set before this one, so it has fired when this one does.
    await sleep(0);
    terminal.type("b\r"); // a key of its own, not the end of the sequence
    const expected = { done: false, value: { type: "line", line: "ab" } };
    assert.deepEqual(await next, expected, JSON.stringify(reads));
    await input.return();
    ui.restore();
  }
});

Deno.test("TerminalUi() rejects a negative escape timeout, quoting it", () => {
  assert.throws(() => new TerminalUi({ escapeTimeoutMs: -1 }), /received "-1"/);
});

Deno.test("isInteractive() needs stdin and stdout to be terminals, and not dumb ones", () => {
  const terminal = { isTerminal: () => true };
  const pipe = { isTerminal: () => false };
  assert.equal(isInteractive(terminal, terminal, "xterm"), true);
  assert.equal(isInteractive(terminal, pipe, "xterm"), false);
  assert.equal(isInteractive(pipe, terminal, "xterm"), false);
  assert.equal(isInteractive(terminal, terminal, "dumb"), false);
});

Deno.test("displayStyle() colors only a terminal, not a dumb one, and not with --no-color or NO_COLOR", () => {
  const terminal = { isTerminal: () => true };
  const pipe = { isTerminal: () => false };
  const term = "xterm";
  assert.equal(displayStyle({ stdout: terminal, term, noColorEnv: false }).color, true);
  assert.equal(
    displayStyle({ stdout: terminal, term, noColorEnv: false, noColor: true }).color,
    false,
  );
  assert.equal(displayStyle({ stdout: terminal, term, noColorEnv: true }).color, false);
  assert.deepEqual(
    displayStyle({ stdout: terminal, term: "dumb", noColorEnv: false }),
    PLAIN_STYLE,
  );
  assert.deepEqual(displayStyle({ stdout: pipe, term, noColorEnv: false }), PLAIN_STYLE);
  assert.equal(displayStyle({ stdout: pipe, timestamps: true }).timestamps, true);
});

Deno.test("formatReceived() marks own lines only when asked, and stamps the time", () => {
  const at = new Date(2024, 0, 1, 23, 7);
  const style = { color: false, markSelf: true, timestamps: true };
  assert.equal(formatReceived("[bob]hi", style, "bob", at), "23:07 » [bob]hi");
  assert.equal(formatReceived("[bob]hi", PLAIN_STYLE, "bob", at), "[bob]hi");
  assert.match(
    formatReceived("[bob]hi", { ...style, color: true }, "alice", at),
    /\x1b\[38;5;\d+m\[bob\]/,
  );
});

Deno.test("lineInput() yields each line, the last even without a newline, then eof", async () => {
  const chunks = ["one\ntw", "o\nthree"].map((text) => encoder.encode(text));
  const reader = {
    read(p: Uint8Array): Promise<number | null> {
      const chunk = chunks.shift();
      if (chunk === undefined) return Promise.resolve(null);
      p.set(chunk);
      return Promise.resolve(chunk.length);
    },
  };
  assert.deepEqual(await Array.fromAsync(lineInput(reader)), [
    { type: "line", line: "one" },
    { type: "line", line: "two" },
    { type: "line", line: "three" },
    { type: "eof" },
  ]);
});

Deno.test("typedInput() reads the lines without keys, and takes Ctrl-C out of the keys", async () => {
  const delivered: Deno.Signal[] = [];
  const stop = { deliver: (signal: Deno.Signal) => delivered.push(signal) };
  const bytes = encoder.encode("piped\n");
  let piped = false;
  const reader = {
    read(p: Uint8Array): Promise<number | null> {
      if (piped) return Promise.resolve(null);
      piped = true;
      p.set(bytes);
      return Promise.resolve(bytes.length);
    },
  };
  assert.deepEqual(await Array.fromAsync(typedInput({ reader, stop })), [
    { type: "line", line: "piped" },
    { type: "eof" },
  ]);
  async function* keys(): AsyncGenerator<TypedInput> {
    yield { type: "line", line: "typed" };
    yield { type: "interrupt" };
    yield { type: "eof" };
  }
  assert.deepEqual(await Array.fromAsync(typedInput({ keys: keys(), reader, stop })), [
    { type: "line", line: "typed" },
    { type: "eof" },
  ]);
  assert.deepEqual(delivered, ["SIGINT"]);
});

// --- Servers to talk to -----------------------------------------------------

/** A server on a free port with a member in its room to watch it; disposing closes both. */
interface WatchedRoom extends AsyncDisposable {
  port: number;
  /** alice on the threaded server; an anonymous member on the select server. */
  watcher: LineClient;
  shutdown(): Promise<void>;
}

/** Starts a server of `flavor` and puts a watcher in its room (`port` 0: any free one). */
async function watchedRoom(flavor: Flavor, port = 0): Promise<WatchedRoom> {
  const server = flavor.start({ port });
  await using owned = new AsyncDisposableStack();
  owned.defer(() => server.shutdown());
  const watcher = await flavor.join(server.addr.port, "alice");
  owned.defer(() => watcher.close());
  await flavor.joined(watcher);
  const cleanup = owned.move(); // from here on, the room's disposal closes them
  return {
    port: server.addr.port,
    watcher,
    shutdown: () => server.shutdown(),
    [Symbol.asyncDispose]: () => cleanup.disposeAsync(),
  };
}

/** Waits for the next member to enter the select server's room; returns its name. */
async function enteredName(watcher: LineClient): Promise<string> {
  const entered = await watcher.expect(/^Client \(.*\) entered room$/);
  return entered.slice("Client (".length, -") entered room".length);
}

// --- Piped: plain lines -----------------------------------------------------

/** The environment without NO_COLOR, so that only the pipe keeps the output plain. */
function envWithoutNoColor(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.NO_COLOR;
  return env;
}

/** A client script with stdin and stdout piped and NO_COLOR unset. */
class PipedClient {
  readonly process: Deno.ChildProcess;
  /** All of stdout so far. */
  stdout = "";
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #changed = Promise.withResolvers<void>();
  #reading: Promise<void>;

  constructor(script: string, args: string[]) {
    const process = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-net", ROOT + script, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      clearEnv: true,
      env: envWithoutNoColor(),
    }).spawn();
    this.process = process;
    this.#writer = process.stdin.getWriter();
    this.#reading = (async () => {
      for await (const text of process.stdout.pipeThrough(new TextDecoderStream())) {
        this.stdout += text;
        this.#changed.resolve();
        this.#changed = Promise.withResolvers();
      }
    })();
  }

  async write(text: string): Promise<void> {
    await this.#writer.write(encoder.encode(text));
  }

  /** Waits until stdout has a line matching `pattern`. */
  async expect(pattern: RegExp): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    while (true) {
      const line = this.stdout.split("\n").find((each) => pattern.test(each));
      if (line !== undefined) return line;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        this.#changed.promise.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) throw new Error(`No line matching ${pattern}; stdout: ${this.stdout}`);
    }
  }

  /** Waits for the exit without touching stdin. */
  async exit(): Promise<number> {
    const { code } = await this.process.status;
    await this.close();
    return code;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Ends the process if it still runs, and lets go of its pipes. */
  async close(): Promise<void> {
    try {
      this.process.kill();
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // it has exited already
    }
    await this.process.status;
    await this.#reading;
    await this.#writer.close().catch((error) => {
      if (!(error instanceof TypeError || error instanceof Deno.errors.BrokenPipe)) throw error;
    });
  }
}

Deno.test("client.ts piped prints plain lines without NO_COLOR, and leaves on /quit", async () => {
  await using room = await watchedRoom(threaded);
  const { port, watcher: alice } = room;
  await using bot = new PipedClient("client.ts", ["127.0.0.1", String(port), "bot"]);
  await alice.expect("clientbot- enter");
  await alice.send("hi \x1b[31mbot");
  await bot.expect(/\[alice\]/);
  await bot.write("one\n/quit done for today\ntwo\n");
  assert.equal(await bot.exit(), 0);
  await alice.expect("[bot]one");
  assert.equal(await alice.expect(/^clientbot- exit/), "clientbot- exit (done for today)");
  assert.ok(!alice.lines.includes("[bot]two"), "nothing is sent after /quit");
  assert.ok(!bot.stdout.includes("\x1b"), "no escape codes in piped output");
  assert.ok(bot.stdout.includes("\n[alice]hi ^[[31mbot\n"), bot.stdout);
  assert.ok(bot.stdout.endsWith("Host Disconnected\n"), bot.stdout);
});

Deno.test("select_client.ts piped prints plain lines, stamps them with --timestamps", async () => {
  await using room = await watchedRoom(select);
  const { port, watcher } = room;
  const args = ["127.0.0.1", String(port), "--timestamps"];
  await using client = new PipedClient("select_client.ts", args);
  const name = await enteredName(watcher);
  await client.write("hello\n");
  // Own lines come back unmarked: marks are for a terminal.
  await client.expect(new RegExp(`^\\d\\d:\\d\\d \\[${name}\\] : hello$`));
  await client.write("quit\n");
  assert.equal(await client.exit(), 0);
  await watcher.expect(/is offline/);
  assert.ok(!client.stdout.includes("\x1b"), "no escape codes in piped output");
});

// --- In a real terminal: tmux -----------------------------------------------

function tmuxMissing(): string | undefined {
  try {
    const { success } = new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync();
    return success ? undefined : "tmux -V failed";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "tmux is not installed";
    throw error;
  }
}

const tmuxSkip = tmuxMissing();
if (tmuxSkip) console.log(`terminal_test.ts: the tests in a terminal are skipped: ${tmuxSkip}`);

const telnetSkip = tmuxSkip ?? (() => {
  const { success } = new Deno.Command("sh", { args: ["-c", "command -v telnet"], stdout: "null" })
    .outputSync();
  return success ? undefined : "telnet is not installed";
})();
if (telnetSkip && !tmuxSkip) {
  console.log(`terminal_test.ts: the telnet test is skipped: ${telnetSkip}`);
}

/** How often the screen is looked at while waiting for it to change, in ms. */
const POLL_MS = 25;

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** How a program left the terminal. */
interface Ending {
  /** The exit status. */
  code: number;
  /** The words of the `stty -a` run after it. */
  stty: string[];
  /** Whether the cursor is shown. */
  cursorShown: boolean;
}

/**
 * A shell command in a detached 80×24 tmux session of its own: type into it,
 * read its screen, and learn how it ended.
 */
class Pane {
  #dir: string;
  #socket: string;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = `${dir}/tmux.sock`;
  }

  /**
   * Runs `command` (shell syntax) in the repository's directory, with `env`
   * set and NO_COLOR unset unless `env` sets it. With `outliveWindow`, the
   * pane's shell ignores SIGHUP, so that it still writes down how the command
   * ended after {@linkcode Pane.hangUp}.
   */
  static async start(
    command: string,
    env: Record<string, string> = {},
    { outliveWindow = false } = {},
  ): Promise<Pane> {
    const pane = new Pane(await Deno.makeTempDir({ prefix: "groupchat_tmux_" }));
    const settings = Object.entries(env).map(([key, value]) => `${key}=${shellQuote(value)}`);
    const status = shellQuote(`${pane.#dir}/status`);
    const modes = `tmux -S ${shellQuote(pane.#socket)} display-message -p ` +
      shellQuote("CURSOR=#{cursor_flag}");
    // After the command: its status, the terminal's settings and modes, while the pane lives.
    const script = (outliveWindow ? "trap '' HUP; " : "") +
      `cd ${shellQuote(ROOT)} && env -u NO_COLOR ${settings.join(" ")} ${command}; ` +
      `echo "EXIT=$?" > ${status}.tmp; stty -a >> ${status}.tmp; ${modes} >> ${status}.tmp; ` +
      `mv ${status}.tmp ${status}`;
    await pane.#tmux(
      ["new-session", "-d", "-s", "chat", "-x", "80", "-y", "24", script],
      [";", "set-option", "-t", "chat", "remain-on-exit", "on"],
    );
    return pane;
  }

  /** A client script as it is run by hand. */
  static client(script: string, args: string[], env: Record<string, string> = {}) {
    const deno = shellQuote(Deno.execPath());
    const words = [script, ...args].map(shellQuote).join(" ");
    return Pane.start(`${deno} run --quiet --allow-net ${words}`, env);
  }

  /** Types text as it is. */
  async type(text: string): Promise<void> {
    await this.#tmux(["send-keys", "-t", "chat", "-l", text]);
  }

  /** Pastes text, as from the clipboard. */
  async paste(text: string): Promise<void> {
    const file = `${this.#dir}/paste`;
    await Deno.writeTextFile(file, text);
    await this.#tmux(["load-buffer", file]);
    await this.#tmux(["paste-buffer", "-t", "chat"]);
  }

  /** Makes the window `columns` wide, as a user dragging its edge. */
  async resize(columns: number): Promise<void> {
    await this.#tmux(["resize-window", "-t", "chat", "-x", String(columns), "-y", "24"]);
  }

  /** Presses keys by tmux name: `Enter`, `C-c`, `Left`… */
  async press(...keys: string[]): Promise<void> {
    await this.#tmux(["send-keys", "-t", "chat", ...keys]);
  }

  /** The screen's rows, and the cursor's position. With `escapes`, rows keep their SGR. */
  async screen(escapes = false): Promise<{ rows: string[]; x: number; y: number }> {
    const capture = await this.#tmux(["capture-pane", "-p", ...(escapes ? ["-e"] : [])]);
    const cursor = await this.#tmux(["display-message", "-p", "#{cursor_x} #{cursor_y}"]);
    const [x, y] = cursor.trim().split(" ").map(Number);
    return { rows: capture.split("\n").map((row) => row.trimEnd()), x, y };
  }

  /** Every row tmux keeps: its history (what scrolled off the top), then the screen. */
  async history(): Promise<string[]> {
    const capture = await this.#tmux(["capture-pane", "-p", "-S", "-"]);
    return capture.split("\n").map((row) => row.trimEnd());
  }

  /** Looks at the screen until `check` passes, and returns it; fails after {@linkcode WAIT_MS}. */
  async waitFor(
    what: string,
    check: (screen: { rows: string[]; x: number; y: number }) => boolean,
  ): Promise<{ rows: string[]; x: number; y: number }> {
    const deadline = Date.now() + WAIT_MS;
    while (true) {
      const screen = await this.screen();
      if (check(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${what}; screen:\n${screen.rows.join("\n")}`);
      }
      await sleep(POLL_MS);
    }
  }

  /** The process ID of the command's process, a child of the pane's shell. */
  async pid(): Promise<number> {
    const shell = (await this.#tmux(["display-message", "-p", "#{pane_pid}"])).trim();
    const { success, stdout } = await new Deno.Command("pgrep", { args: ["-P", shell] }).output();
    if (!success) throw new Error(`The pane's shell ${shell} has no child process`);
    const [pid] = decoder.decode(stdout).trim().split("\n").map(Number);
    return pid;
  }

  /** Waits for the command to end; returns its status and the terminal's settings after it. */
  async ending(): Promise<Ending> {
    const deadline = Date.now() + WAIT_MS;
    while (true) {
      try {
        const text = await Deno.readTextFile(`${this.#dir}/status`);
        const code = Number(/^EXIT=(\d+)$/m.exec(text)![1]);
        const cursorShown = /^CURSOR=1$/m.test(text);
        return { code, stty: text.split(/\s+/), cursorShown };
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      if (Date.now() > deadline) {
        const { rows } = await this.screen();
        throw new Error(`Timed out waiting for the command to end; screen:\n${rows.join("\n")}`);
      }
      await sleep(POLL_MS);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Closes the window: tmux goes, the pane's processes get SIGHUP, and its terminal answers EIO. */
  async hangUp(): Promise<void> {
    await this.#tmux(["kill-server"]);
  }

  /** Ends the session and removes its files. */
  async close(): Promise<void> {
    await new Deno.Command("tmux", { args: ["-S", this.#socket, "kill-server"], stderr: "null" })
      .output();
    await Deno.remove(this.#dir, { recursive: true });
  }

  async #tmux(args: string[], more: string[] = []): Promise<string> {
    const { success, stdout, stderr } = await new Deno.Command("tmux", {
      args: ["-u", "-f", "/dev/null", "-S", this.#socket, ...args, ...more],
    }).output();
    if (!success) throw new Error(`tmux ${args[0]} failed: ${decoder.decode(stderr)}`);
    return decoder.decode(stdout);
  }
}

/** The row the cursor is on: the input line. */
const inputRow = (screen: { rows: string[]; y: number }) => screen.rows[screen.y];

/**
 * Whether the terminal was given back: canonical input and echo on, and the cursor shown. (Deno
 * itself turns raw mode off when it exits, but the cursor is up to the program.)
 */
function restored({ stty, cursorShown }: Ending): boolean {
  return stty.includes("icanon") && stty.includes("echo") && !stty.includes("-icanon") &&
    cursorShown;
}

/** Waits for the client in `pane` to exit with `code`, and checks it restored the terminal. */
async function expectRestoredExit(pane: Pane, code: number): Promise<void> {
  const ending = await pane.ending();
  assert.equal(ending.code, code);
  assert.ok(restored(ending), JSON.stringify(ending));
}

/** The SGR sequences that set a color. */
const COLOR = /\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])(?:;[0-9;]*)?m/;

for (const flavor of [threaded, select]) {
  const script = flavor === threaded ? "client.ts" : "select_client.ts";
  Deno.test({
    name: `${script} on a dumb terminal (Emacs's shell) prints plain lines: no prompt, no colors`,
    ignore: tmuxSkip !== undefined,
    async fn() {
      await using room = await watchedRoom(flavor);
      const { port, watcher } = room;
      const args = ["127.0.0.1", String(port), ...(flavor === threaded ? ["bob"] : [])];
      const command = [Deno.execPath(), "run", "--quiet", "--allow-net", "--allow-env=TERM"]
        .concat([script, ...args]);
      await using pane = await Pane.start(command.map(shellQuote).join(" "), { TERM: "dumb" });
      if (flavor === threaded) await watcher.expect("clientbob- enter");
      else await enteredName(watcher);
      await watcher.send("hello there");
      await pane.waitFor("the message", ({ rows }) => rows.some((row) => row.endsWith("there")));
      await pane.type("hi all");
      await pane.press("Enter");
      await watcher.expect(/hi all$/);
      if (flavor.echoes) {
        await pane.waitFor(
          "the echo",
          ({ rows }) => rows.some((row) => row.endsWith("] : hi all")),
        );
      }
      const { rows } = await pane.screen(true);
      assert.ok(!rows.some((row) => row.startsWith(">")), `a prompt: ${rows.join("\n")}`);
      assert.ok(!rows.some((row) => COLOR.test(row)), `colors: ${rows.join("\n")}`);
      // What was typed stays, as the terminal echoed it: nothing moves the cursor to erase it.
      assert.ok(rows.includes("hi all"), `the typed line erased: ${rows.join("\n")}`);
      await pane.press("C-d");
      await expectRestoredExit(pane, 0);
    },
  });
}

Deno.test({
  name: "client.ts in a terminal prints above the half-typed line and restores on Ctrl-C",
  ignore: tmuxSkip !== undefined,
  async fn() {
    await using room = await watchedRoom(threaded);
    const { port, watcher: alice } = room;
    await using pane = await Pane.client("client.ts", ["127.0.0.1", String(port), "bob"]);
    await alice.expect("clientbob- enter");
    await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
    await pane.type("안녕 반가");
    await pane.waitFor("the half line", (screen) => inputRow(screen) === "> 안녕 반가");
    await alice.send("hello bob");
    // Both in one look: tmux may show the message before the redrawn input line.
    const screen = await pane.waitFor("alice's message above the half line", ({ rows, y }) => {
      return rows.slice(0, y).includes("[alice]hello bob") && rows[y] === "> 안녕 반가";
    });
    assert.equal(screen.x, 11, "the cursor is after the half line: 2 + 4 + 1 + 4 columns");
    assert.deepEqual(screen.rows.slice(screen.y + 1).filter((row) => row !== ""), []);
    const colored = (await pane.screen(true)).rows.find((row) => row.includes("[alice]"))!;
    assert.match(colored, COLOR, "names are colored");

    await pane.type("워요");
    await pane.press("Enter");
    await alice.expect("[bob]안녕 반가워요");
    await pane.waitFor("bob's own line, marked", ({ rows, y }) => {
      return rows.slice(0, y).includes("» [bob]안녕 반가워요") && rows[y] === ">";
    });
    await pane.type("[bob]as the report's client wrote");
    await pane.press("Enter");
    await alice.expect("[bob]as the report's client wrote");
    await pane.waitFor("the report's prefix, not shown twice", ({ rows, y }) => {
      return rows.slice(0, y).includes("» [bob]as the report's client wrote") && rows[y] === ">";
    });
    // Blank to String.trim(), not to the server, which shows it: the echo agrees with the room.
    await pane.type("\u2028");
    await pane.press("Enter");
    await alice.expect("[bob]<U+2028>");
    await pane.waitFor("bob's own line, as the room got it", ({ rows, y }) => {
      return rows.slice(0, y).includes("» [bob]<U+2028>") && rows[y] === ">";
    });

    await pane.type("half a thought");
    await pane.press("C-c");
    await expectRestoredExit(pane, 0);
    await alice.expect("clientbob- exit");
    const { rows } = await pane.screen();
    assert.ok(rows.includes("Host Disconnected"));
    assert.ok(!rows.some((row) => row.includes("half a thought")), "the input line is erased");
  },
});

Deno.test({
  name: "select_client.ts in a terminal edits the line, prints above it, restores on Ctrl-C",
  ignore: tmuxSkip !== undefined,
  async fn() {
    await using room = await watchedRoom(select);
    const { port, watcher } = room;
    await using pane = await Pane.client("select_client.ts", ["127.0.0.1", String(port)]);
    const name = await enteredName(watcher);
    await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
    await pane.type("안녕 wrld");
    await pane.press("Left", "Left", "Left");
    await pane.type("o");
    await pane.waitFor("the edited half line", (screen) => inputRow(screen) === "> 안녕 world");
    await pane.press("Home");
    await pane.waitFor("the cursor at the start", (screen) => screen.x === 2);
    await pane.press("End");
    await pane.type(" 반가");
    await pane.waitFor("the half line", (screen) => inputRow(screen) === "> 안녕 world 반가");
    await watcher.send("hello there");
    const screen = await pane.waitFor("the watcher's message", ({ rows, y }) => {
      return rows.slice(0, y).some((row) => row.endsWith("] : hello there"));
    });
    assert.equal(inputRow(screen), "> 안녕 world 반가", "the half line is intact");
    assert.equal(screen.x, 17, "the cursor is after the half line");

    // Narrower than the line: it scrolls, and the rewrapped old one leaves nothing behind.
    await pane.resize(12);
    const narrow = await pane.waitFor("the line redrawn narrow", ({ rows, y }) => {
      return rows[y] === "> orld 반가" && rows.filter((row) => row.startsWith(">")).length === 1;
    });
    assert.ok(narrow.rows.some((row) => row.endsWith("there")), "messages redrawn");
    await pane.resize(80);
    await pane.waitFor("the line redrawn wide", (screen) => {
      return inputRow(screen) === "> 안녕 world 반가" && screen.x === 17;
    });
    const copies = (await pane.history()).filter((row) => row.endsWith("there"));
    assert.equal(copies.length, 1, `redraws left copies in the history: ${copies}`);

    await pane.press("Enter");
    await watcher.expect(`[${name}] : 안녕 world 반가`);
    await pane.waitFor("our own line, echoed and marked", ({ rows, y }) => {
      return rows.slice(0, y).includes(`» [${name}] : 안녕 world 반가`) && rows[y] === ">";
    });
    const colored = (await pane.screen(true)).rows.find((row) => row.includes(" : hello there"))!;
    assert.match(colored, COLOR, "names are colored");

    await pane.press("C-c");
    await expectRestoredExit(pane, 0);
    await watcher.expect(/is offline/);
  },
});

Deno.test({
  name: "client.ts and select_client.ts chat in a terminal that reports 0×0, as 80×24",
  ignore: tmuxSkip !== undefined,
  async fn() {
    for (const flavor of [threaded, select]) {
      await using room = await watchedRoom(flavor);
      const { port, watcher } = room;
      const deno = shellQuote(Deno.execPath());
      const args = flavor === threaded
        ? `client.ts 127.0.0.1 ${port} bob`
        : `select_client.ts 127.0.0.1 ${port}`;
      // As a pty that was never sized: script(1) run from a pipe, docker exec -t.
      await using pane = await Pane.start(
        `stty cols 0 rows 0; ${deno} run --quiet --allow-net ${args}`,
      );
      const name = flavor === threaded ? "bob" : await enteredName(watcher);
      await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
      await pane.type("zero by zero");
      await pane.press("Enter");
      await watcher.expect(flavor === threaded ? "[bob]zero by zero" : `[${name}] : zero by zero`);
      await pane.press("C-c");
      await expectRestoredExit(pane, 0);
    }
  },
});

/** Why a select server on `::` cannot be reached on ::1 and 127.0.0.1 here, or `undefined`. */
async function dualStackMissing(): Promise<string | undefined> {
  try {
    using listener = Deno.listen({ hostname: "::", port: 0 });
    for (const hostname of ["::1", "127.0.0.1"]) {
      const conn = await Deno.connect({ hostname, port: listener.addr.port });
      (await listener.accept()).close();
      conn.close();
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const dualStackSkip = tmuxSkip ?? await dualStackMissing();

Deno.test({
  name: "select_client.ts in a terminal marks its own lines from ::1 and from IPv4 on ::",
  ignore: dualStackSkip !== undefined,
  async fn() {
    await using stack = new AsyncDisposableStack();
    const server = select.start({ hostname: "::" });
    stack.defer(() => server.shutdown());
    const port = server.addr.port;
    const watcher = await LineClient.connect(port);
    stack.defer(() => watcher.close());
    await enteredName(watcher);
    // The server names the first [::1]:port, the second [::ffff:127.0.0.1]:port.
    for (const host of ["::1", "127.0.0.1"]) {
      await using pane = await Pane.client("select_client.ts", [host, String(port)]);
      const name = await enteredName(watcher);
      await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
      await pane.type("mine");
      await pane.press("Enter");
      await watcher.expect(`[${name}] : mine`);
      await pane.waitFor(`our own line from ${host}, marked`, ({ rows, y }) => {
        return rows.slice(0, y).includes(`» [${name}] : mine`);
      });
      await pane.press("C-c");
      await expectRestoredExit(pane, 0);
    }
  },
});

Deno.test({
  name: "client.ts in a terminal with --no-color prints no color, restores when the server goes",
  ignore: tmuxSkip !== undefined,
  async fn() {
    await using room = await watchedRoom(threaded);
    const { port, watcher: alice } = room;
    const args = ["127.0.0.1", String(port), "bob", "--no-color"];
    await using pane = await Pane.client("client.ts", args);
    await alice.expect("clientbob- enter");
    await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
    await alice.send("plain, please");
    await pane.waitFor("alice's message", ({ rows }) => rows.includes("[alice]plain, please"));
    await pane.type("unsent");
    const { rows } = await pane.screen(true);
    assert.ok(!rows.some((row) => COLOR.test(row)), JSON.stringify(rows));
    await room.shutdown();
    await expectRestoredExit(pane, 1);
    const after = await pane.screen();
    assert.ok(after.rows.includes("Host Disconnected"));
  },
});

Deno.test({
  name: "select_client.ts in a terminal with NO_COLOR prints no color, leaves on /quit",
  ignore: tmuxSkip !== undefined,
  async fn() {
    await using room = await watchedRoom(select);
    const { port, watcher } = room;
    const args = ["127.0.0.1", String(port), "--timestamps"];
    await using pane = await Pane.client("select_client.ts", args, { NO_COLOR: "1" });
    await enteredName(watcher);
    await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
    await watcher.send("no color");
    await pane.waitFor("the message, stamped", ({ rows }) => {
      return rows.some((row) => /^\d\d:\d\d \[.*\] : no color$/.test(row));
    });
    const { rows } = await pane.screen(true);
    assert.ok(!rows.some((row) => COLOR.test(row)), JSON.stringify(rows));
    await pane.type("/quit see you");
    await pane.press("Enter");
    await expectRestoredExit(pane, 0);
    await watcher.expect(/is offline/);
  },
});

Deno.test({
  name: "client.ts in a terminal with --reconnect rejoins a restarted server under its ID",
  ignore: tmuxSkip !== undefined,
  async fn() {
    await using first = await watchedRoom(threaded);
    const { port, watcher: alice } = first;
    const args = ["127.0.0.1", String(port), "bob", "--reconnect"];
    await using pane = await Pane.client("client.ts", args);
    await alice.expect("clientbob- enter");
    await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
    await pane.type("still typing");
    await first.shutdown();
    const screen = await pane.waitFor("the reconnect notice", ({ rows }) => {
      return rows.some((row) => row.startsWith("Disconnected; reconnecting in 1 s"));
    });
    assert.equal(inputRow(screen), "> still typing");
    await using second = await watchedRoom(threaded, port);
    await second.watcher.expect("clientbob- enter");
    await pane.waitFor("the rejoin notice", ({ rows }) => {
      return rows.includes("Reconnected; joining as bob");
    });
    await pane.press("Enter");
    await second.watcher.expect("[bob]still typing");
    await pane.press("C-c");
    await expectRestoredExit(pane, 0);
    await second.watcher.expect("clientbob- exit");
  },
});

for (const signal of ["SIGTERM", "SIGHUP"] as const) {
  for (const flavor of [threaded, select]) {
    const script = flavor === threaded ? "client.ts" : "select_client.ts";
    Deno.test({
      name: `${script} in a terminal leaves on ${signal} and restores the terminal`,
      ignore: tmuxSkip !== undefined,
      async fn() {
        await using room = await watchedRoom(flavor);
        const { port, watcher } = room;
        const args = ["127.0.0.1", String(port), ...(flavor === threaded ? ["bob"] : [])];
        await using pane = await Pane.client(script, args);
        if (flavor === threaded) await watcher.expect("clientbob- enter");
        else await enteredName(watcher);
        await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
        await pane.type("never sent");
        await pane.waitFor("the half line", (screen) => inputRow(screen) === "> never sent");
        Deno.kill(await pane.pid(), signal);
        await expectRestoredExit(pane, 0);
        await watcher.expect(flavor === threaded ? "clientbob- exit" : /is offline/);
        assert.ok(!watcher.lines.some((line) => line.includes("never sent")));
      },
    });
  }
}

for (const flavor of [threaded, select]) {
  const script = flavor === threaded ? "client.ts" : "select_client.ts";
  Deno.test({
    name: `${script} in a terminal whose window is closed leaves, without an error`,
    ignore: tmuxSkip !== undefined,
    async fn() {
      await using room = await watchedRoom(flavor);
      const { port, watcher } = room;
      const args = ["127.0.0.1", String(port), ...(flavor === threaded ? ["bob"] : [])];
      const command = [Deno.execPath(), "run", "--quiet", "--allow-net", script, ...args];
      const dir = await Deno.makeTempDir({ prefix: "groupchat_hangup_" });
      const errors = `${dir}/stderr`;
      try {
        await using pane = await Pane.start(
          `${command.map(shellQuote).join(" ")} 2> ${shellQuote(errors)}`,
          {},
          { outliveWindow: true },
        );
        if (flavor === threaded) await watcher.expect("clientbob- enter");
        else await enteredName(watcher);
        await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
        await pane.type("never sent");
        await pane.waitFor("the half line", (screen) => inputRow(screen) === "> never sent");
        await pane.hangUp();
        await watcher.expect(flavor === threaded ? "clientbob- exit" : /is offline/);
        assert.equal((await pane.ending()).code, 0);
        assert.equal(await Deno.readTextFile(errors), "");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "client.ts in a terminal keeps its input line whole however the terminal draws an emoji",
  ignore: tmuxSkip !== undefined,
  async fn() {
    // tmux 3.3 draws 👋🏽 (a wave and a skin tone) four columns wide where Unicode says two.
    await using room = await watchedRoom(threaded);
    await using pane = await Pane.client("client.ts", ["127.0.0.1", String(room.port), "bob"]);
    await room.watcher.expect("clientbob- enter");
    await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
    await pane.type("ab👋🏽cd");
    await pane.press("Home");
    await pane.waitFor("the cursor after the prompt", (screen) => screen.x === 2);
    await pane.press("End", "C-u");
    await pane.type("a".repeat(75) + "👋🏽");
    await pane.press("Left", "Left", "Left", "Home", "Right");
    const screen = await pane.waitFor("the cursor after the first a", (screen) => screen.x === 3);
    const drawn = screen.rows.filter((row) => row.startsWith("> a"));
    assert.equal(drawn.length, 1, `one input line:\n${screen.rows.join("\n")}`);
    await pane.press("C-c");
    await expectRestoredExit(pane, 0);
  },
});

/**
 * A server that takes a connection, welcomes it if `handshake` (after its ID), and then never
 * reads again: what a client writes piles up in the sockets until its write waits.
 */
function deafServer(handshake: boolean) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conn = (async () => {
    const conn = await listener.accept();
    if (handshake) {
      await conn.read(new Uint8Array(64));
      await conn.write(new TextEncoder().encode("Server: welcome bob; 1 here\n"));
    }
    return conn;
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      (await conn).close();
    },
  };
}

for (const [script, args] of [["client.ts", ["bob"]], ["select_client.ts", []]] as const) {
  Deno.test({
    name: `${script} in a terminal leaves on Ctrl-C while its lines wait for a server`,
    ignore: tmuxSkip !== undefined,
    async fn() {
      await using server = deafServer(script === "client.ts");
      await using pane = await Pane.client(script, ["127.0.0.1", String(server.port), ...args]);
      await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
      // Six megabytes: more than the sockets hold, so the client's write waits.
      for (let i = 0; i < 60; i++) {
        await pane.paste("y".repeat(100_000));
        await pane.press("Enter");
      }
      // The keys are still read (here, every line) while the write waits, and so is Ctrl-C.
      await pane.waitFor("every line taken", (screen) => inputRow(screen) === ">");
      await pane.press("C-c");
      await expectRestoredExit(pane, 1); // 2 s after: the server never took its leave
    },
  });
}

for (const flavor of [threaded, select]) {
  const script = flavor === threaded ? "client.ts" : "select_client.ts";
  Deno.test({
    name: `${script} in a terminal sends a paste of 300 lines whole`,
    ignore: tmuxSkip !== undefined,
    async fn() {
      await using room = await watchedRoom(flavor);
      const { port, watcher } = room;
      const args = ["127.0.0.1", String(port), ...(flavor === threaded ? ["bob"] : [])];
      await using pane = await Pane.client(script, args);
      await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
      const count = 300;
      const lines = Array.from({ length: count }, (_, i) => `paste line ${i + 1}`);
      await pane.paste(lines.join("\n") + "\n"); // one write to the terminal: one or two reads
      await watcher.expect(new RegExp(`[\\] ]paste line ${count}$`));
      const received = watcher.lines.flatMap((line) =>
        /[\] ](paste line \d+)$/.exec(line)?.[1] ?? []
      );
      assert.deepEqual(received, lines);
      await pane.press("C-d");
      await expectRestoredExit(pane, 0);
    },
  });
}

Deno.test({
  name: "client.ts in a terminal with stdin piped sends, leaves, and never enters raw mode",
  ignore: tmuxSkip !== undefined,
  async fn() {
    await using room = await watchedRoom(threaded);
    const { port, watcher: alice } = room;
    const deno = shellQuote(Deno.execPath());
    const client = `${deno} run --quiet --allow-net client.ts 127.0.0.1 ${port} bot`;
    await using pane = await Pane.start(`printf 'hi from a pipe\\n' | ${client}`);
    await alice.expect("[bot]hi from a pipe");
    await expectRestoredExit(pane, 0);
    const { rows } = await pane.screen();
    assert.ok(rows.includes("Host Disconnected"));
    assert.ok(!rows.some((row) => row.startsWith(">")), "no input line");
  },
});

Deno.test({
  name: "select_client.ts typing on a terminal into a file writes plain lines, erases on screen",
  ignore: tmuxSkip !== undefined,
  async fn() {
    await using room = await watchedRoom(select);
    const { port, watcher } = room;
    const out = await Deno.makeTempFile({ prefix: "groupchat_out_" });
    await using _out = { [Symbol.asyncDispose]: () => Deno.remove(out) };
    const deno = shellQuote(Deno.execPath());
    const client = `${deno} run --quiet --allow-net select_client.ts 127.0.0.1 ${port}`;
    await using pane = await Pane.start(`${client} > ${shellQuote(out)}`);
    const name = await enteredName(watcher);
    await pane.type("typed in line mode");
    await pane.press("Enter");
    await watcher.expect(`[${name}] : typed in line mode`);
    await pane.waitFor("the typed line erased", ({ rows }) => {
      return !rows.some((row) => row.includes("typed in line mode"));
    });
    const wide = `${"w".repeat(100)} wrapped in two rows`; // the pane is 80 columns wide
    await pane.type(wide);
    await pane.press("Enter");
    await watcher.expect(`[${name}] : ${wide}`);
    await pane.waitFor("both rows of the wide line erased", ({ rows }) => {
      return !rows.some((row) => row.includes("wwwwwwwwww") || row.includes("wrapped in two"));
    });
    // 160 columns, in three rows: a 가 does not fit in the last column of the first two.
    const korean = `x${"가".repeat(40)}x${"가".repeat(39)}`;
    await pane.type(korean);
    await pane.press("Enter");
    await watcher.expect(`[${name}] : ${korean}`);
    await pane.waitFor("all three rows of the Korean line erased", ({ rows }) => {
      return !rows.some((row) => row.includes("가가가"));
    });
    await pane.press("C-d");
    const ending = await pane.ending();
    assert.equal(ending.code, 0);
    const written = await Deno.readTextFile(out);
    assert.ok(!written.includes("\x1b"), JSON.stringify(written));
    assert.ok(written.includes(`\n[${name}] : typed in line mode\n`), written);
  },
});

Deno.test({
  name: "TerminalUi restores a real terminal when the program dies of an uncaught error",
  ignore: tmuxSkip !== undefined,
  async fn() {
    const deno = shellQuote(Deno.execPath());
    const module = shellQuote(new URL("../lib/terminal_ui.ts", import.meta.url).href);
    const program = `import { TerminalUi } from ${module}; new TerminalUi().start(); ` +
      `setTimeout(() => { throw new Error("boom"); }, 0);`;
    await using pane = await Pane.start(`${deno} eval --quiet ${shellQuote(program)}`);
    await expectRestoredExit(pane, 1);
    const { rows } = await pane.screen();
    assert.ok(rows.some((row) => row.includes("boom")));
  },
});

/** telnet in a pane into the threaded server of `room`, joined as `id` once its watcher hears. */
async function telnetJoined(room: WatchedRoom, id: string): Promise<Pane> {
  const pane = await Pane.start(`telnet 127.0.0.1 ${room.port}`);
  try {
    await pane.waitFor("telnet to connect", ({ rows }) => rows.includes("Connected to 127.0.0.1."));
    await pane.type(id);
    await pane.press("Enter");
    await room.watcher.expect(`client${id}- enter`);
    return pane;
  } catch (error) {
    await pane.close();
    throw error;
  }
}

Deno.test({
  name:
    "telnet in a terminal: Ctrl-C and Ctrl-D are told how to leave, and the chat goes on showing",
  ignore: telnetSkip !== undefined,
  async fn() {
    // telnet sends Ctrl-C as a command and then shows nothing until the server answers it.
    await using room = await watchedRoom(threaded);
    const alice = room.watcher;
    await using pane = await telnetJoined(room, "bob");
    await pane.press("C-c");
    await pane.waitFor("the hint", ({ rows }) => rows.some((row) => row.endsWith(INTERRUPT_HINT)));
    await alice.send("still here");
    await pane.waitFor("alice's line", ({ rows }) => rows.includes("[alice]still here"));
    await pane.press("C-d");
    await pane.waitFor("the Ctrl-D hint", ({ rows }) => rows.some((row) => row.endsWith(EOF_HINT)));
    await pane.type("after");
    await pane.press("Enter");
    assert.equal(await alice.expect(/^\[bob\]/), "[bob]after");
    await pane.type("quit");
    await pane.press("Enter");
    await alice.expect("clientbob- exit");
    await pane.waitFor("telnet to end", ({ rows }) => {
      return rows.includes("Connection closed by foreign host.");
    });
  },
});

Deno.test({
  name: "telnet in a terminal: Korean reaches the room whole, before binary and after",
  ignore: telnetSkip !== undefined,
  async fn() {
    await using room = await watchedRoom(threaded);
    const alice = room.watcher;
    await using pane = await telnetJoined(room, "민수");
    // Not yet in binary, telnet sends the 0x83 of 상 and the 0x9C of 한 as Ctrl-C and Ctrl-\.
    await pane.type("상한 글");
    await pane.press("Enter");
    assert.equal(await alice.expect(/^\[민수\]/), "[민수]상한 글");
    // Asked at that first command, it sends in binary from then on: 의 (EC 9D 98) would have
    // been its escape key, Ctrl-].
    await pane.type("의자에 앉다");
    await pane.press("Enter");
    assert.equal(await alice.expect(/^\[민수\]/), "[민수]의자에 앉다");
    const { rows } = await pane.screen();
    assert.ok(!rows.some((row) => row.includes("telnet>")), rows.join("\n"));
    assert.ok(!rows.some((row) => row.includes(INTERRUPT_HINT)), "no Ctrl-C was pressed");
  },
});

Deno.test({
  name:
    "client.ts and select_client.ts in a terminal exit at once on a second Ctrl-C while leaving",
  ignore: tmuxSkip !== undefined,
  async fn() {
    const clients = [
      ["client.ts", ["bob"], "Server: welcome bob; 1 here: bob; /help lists the commands\n"],
      ["select_client.ts", [], ""],
    ] as const;
    for (const [script, args, greeting] of clients) {
      // A stand-in server that never closes: the leave could only end at its deadline.
      using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = String(listener.addr.port);
      await using pane = await Pane.client(script, ["127.0.0.1", port, ...args]);
      using conn = await listener.accept();
      if (greeting) await conn.write(encoder.encode(greeting));
      await pane.waitFor("the prompt", (screen) => inputRow(screen) === ">");
      await pane.press("C-c");
      const buffer = new Uint8Array(1024);
      while (await conn.read(buffer) !== null); // until its FIN: it is leaving, and waits for ours
      await pane.press("C-c");
      await expectRestoredExit(pane, 130);
    }
  },
});

Deno.test({
  name: "select_server.ts asks a terminal for the number of clients, again after a wrong answer",
  ignore: tmuxSkip !== undefined,
  async fn() {
    const deno = shellQuote(Deno.execPath());
    const server = `${deno} run --quiet --allow-net select_server.ts 0 --host 127.0.0.1`;
    await using pane = await Pane.start(server);
    const prompted = (rows: string[]) => rows.filter((row) => row.includes("client 개수")).length;
    await pane.waitFor("the prompt", ({ rows }) => prompted(rows) === 1);
    await pane.type("x");
    await pane.press("Enter");
    const { rows } = await pane.waitFor("the prompt again", ({ rows }) => prompted(rows) === 2);
    assert.ok(rows.some((row) => row.startsWith('Error: Invalid number of clients "x"')));
    await pane.type(`${"9".repeat(300)}2`); // more than one read: still one wrong answer
    await pane.press("Enter");
    const after = await pane.waitFor("one prompt more", ({ rows }) => prompted(rows) === 3);
    assert.ok(after.rows.some((row) => row.endsWith("that line is too long")));
    assert.ok(!after.rows.some((row) => row.startsWith("Listening")));
    await pane.type("2");
    await pane.press("Enter");
    await pane.waitFor(
      "it to listen",
      ({ rows }) => rows.some((row) => row.startsWith("Listening")),
    );
    await pane.press("C-c");
    assert.equal((await pane.ending()).code, 0);

    // With its output going elsewhere, no one could see the prompt: it does not ask.
    await using piped = await Pane.start(`${server} | cat`);
    await piped.waitFor(
      "it to listen",
      ({ rows }) => rows.some((row) => row.startsWith("Listening")),
    );
    assert.equal(prompted((await piped.screen()).rows), 0);
  },
});
