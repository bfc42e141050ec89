/**
 * One of the top-level scripts as a real subprocess, stdin piped, for tests:
 * write lines to it, wait for lines on its stdout, wait for its exit.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { WAIT_MS } from "./line_client.ts";
import { Changes } from "./changes.ts";

const ROOT = new URL("../", import.meta.url);

/**
 * A running script. Output lines are collected in the background;
 * {@linkcode Script.expect} waits for one that matches.
 *
 * @example Usage
 * ```ts ignore
 * const client = Script.start("client.ts", ["127.0.0.1", "1234", "bob"]);
 * await client.expect("Host connected");
 * await client.write("quit\n");
 * assert.equal((await client.status).code, 0);
 * ```
 */
export class Script {
  readonly process: Deno.ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly status: Promise<Deno.CommandStatus>;
  #taken = 0;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #changes = new Changes();
  #reading: Promise<void>;
  #ended = false;

  private constructor(process: Deno.ChildProcess) {
    this.process = process;
    this.#writer = process.stdin.getWriter();
    this.#reading = Promise.all([
      this.#collect(process.stdout, this.stdout),
      this.#collect(process.stderr, this.stderr),
    ]).then(() => {
      this.#ended = true;
      this.#changes.notify();
    });
    this.status = this.#reading.then(() => process.status);
  }

  /** Starts `deno run` on a script of this repository with network access to loopback. */
  static start(script: string, args: string[], permissions = ["--allow-net"]): Script {
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        ...permissions,
        fileURLToPath(new URL(script, ROOT)),
        ...args,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    });
    return new Script(command.spawn());
  }

  /** Writes text to the script's stdin. */
  async write(text: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /** Closes the script's stdin: Ctrl-D. */
  async closeStdin(): Promise<void> {
    await this.#writer.close().catch((error) => {
      if (!(error instanceof TypeError || error instanceof Deno.errors.BrokenPipe)) throw error;
    });
  }

  /** Waits for the next stdout line matching `pattern`, skipping others. */
  async expect(pattern: RegExp | string, waitMs = WAIT_MS): Promise<string> {
    const deadline = Date.now() + waitMs;
    const matches = (line: string) =>
      typeof pattern === "string" ? line === pattern : pattern.test(line);
    while (true) {
      while (this.#taken < this.stdout.length) {
        const line = this.stdout[this.#taken++];
        if (matches(line)) return line;
      }
      if (this.#ended || !await this.#changes.wait(deadline - Date.now())) {
        throw new Error(
          `No line matching ${pattern}; stdout: ${JSON.stringify(this.stdout)}, stderr: ${
            JSON.stringify(this.stderr)
          }`,
        );
      }
    }
  }

  /** Waits for the exit; closes stdin first if still open. Returns the status and all output. */
  async exit(): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
    await this.closeStdin();
    const { code } = await this.status;
    return { code, stdout: this.stdout, stderr: this.stderr };
  }

  /** Waits for the exit without touching stdin, then closes it. */
  async exitOnItsOwn(): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
    const { code } = await this.status;
    await this.closeStdin();
    return { code, stdout: this.stdout, stderr: this.stderr };
  }

  async #collect(stream: ReadableStream<Uint8Array>, lines: string[]): Promise<void> {
    let partial = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (partial + text).split("\n");
      partial = parts.pop()!;
      lines.push(...parts);
      this.#changes.notify();
    }
    if (partial) lines.push(partial);
  }
}
