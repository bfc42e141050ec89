/**
 * A raw TCP chat member for tests: it sends bytes and waits for lines, with
 * no framing of its own beyond splitting on `\n`.
 *
 * @module
 */

import { isDisconnect } from "../lib/errors.ts";
import { writeAll } from "../lib/write_all.ts";
import { Changes } from "./changes.ts";

/** How long a test waits for an expected line before it fails, in ms. */
export const WAIT_MS = 10_000;

const encoder = new TextEncoder();

/**
 * One test member. Lines arrive in the background; {@linkcode LineClient.expect}
 * waits for one matching a pattern, failing after {@linkcode WAIT_MS}.
 *
 * @example Usage
 * ```ts ignore
 * import { LineClient } from "./line_client.ts";
 *
 * const bob = await LineClient.connect(1234);
 * await bob.send("bob");
 * await bob.expect(/enter/);
 * await bob.close();
 * ```
 */
export class LineClient {
  readonly conn: Deno.TcpConn;
  /** Every line received, in order. */
  readonly lines: string[] = [];
  #taken = 0;
  #changes = new Changes();
  #eof = false;
  #reading: Promise<void>;
  #paused: PromiseWithResolvers<void> | undefined;

  private constructor(conn: Deno.TcpConn, options: { paused?: boolean }) {
    this.conn = conn;
    if (options.paused) this.#paused = Promise.withResolvers();
    this.#reading = this.#read();
  }

  /** Connects to `port` on 127.0.0.1 (or `hostname`). With `paused`, reads nothing until {@linkcode LineClient.resume}. */
  static async connect(
    port: number,
    options: { hostname?: string; paused?: boolean } = {},
  ): Promise<LineClient> {
    const conn = await Deno.connect({ hostname: options.hostname ?? "127.0.0.1", port });
    conn.setNoDelay(true);
    return new LineClient(conn, options);
  }

  /** Connects and sends `id` as the first line; waits for nothing. */
  static async join(port: number, id: string, options: { paused?: boolean } = {}) {
    const client = await LineClient.connect(port, options);
    await client.send(id);
    return client;
  }

  /** Whether the server closed the connection. */
  get eof(): boolean {
    return this.#eof;
  }

  /** Sends `text` followed by a newline. */
  async send(text: string): Promise<void> {
    await this.sendRaw(encoder.encode(text + "\n"));
  }

  /** Sends bytes as they are. */
  async sendRaw(bytes: Uint8Array | string): Promise<void> {
    await writeAll(this.conn, typeof bytes === "string" ? encoder.encode(bytes) : bytes);
  }

  /** Starts reading, for a client connected with `paused`. */
  resume(): void {
    this.#paused?.resolve();
    this.#paused = undefined;
  }

  /**
   * Waits for the next line matching `pattern` and returns it; lines before it
   * are skipped. Fails when the connection ends or {@linkcode WAIT_MS} passes.
   */
  async expect(pattern: RegExp | string, waitMs = WAIT_MS): Promise<string> {
    const matches = (line: string) =>
      typeof pattern === "string" ? line === pattern : pattern.test(line);
    const deadline = Date.now() + waitMs;
    while (true) {
      while (this.#taken < this.lines.length) {
        const line = this.lines[this.#taken++];
        if (matches(line)) return line;
      }
      if (this.#eof) throw new Error(`Connection closed while waiting for ${pattern}`);
      if (!await this.#changes.wait(deadline - Date.now())) {
        throw new Error(
          `Timed out waiting for ${pattern}; last lines: ${JSON.stringify(this.lines.slice(-5))}`,
        );
      }
    }
  }

  /** Waits until the server closes the connection; returns the lines not yet taken. */
  async expectClose(waitMs = WAIT_MS): Promise<string[]> {
    const deadline = Date.now() + waitMs;
    while (!this.#eof) {
      if (!await this.#changes.wait(deadline - Date.now())) {
        throw new Error("Timed out waiting for the server to close the connection");
      }
    }
    return this.lines.slice(this.#taken);
  }

  /** Waits until `count` lines (those matching `filter`, if given) have arrived in all. */
  async expectCount(count: number, waitMs = WAIT_MS, filter?: (line: string) => boolean) {
    const deadline = Date.now() + waitMs;
    let seen = 0;
    let checked = 0;
    while (true) {
      for (; checked < this.lines.length; checked++) {
        if (!filter || filter(this.lines[checked])) seen++;
      }
      if (seen >= count) return;
      if (this.#eof) throw new Error(`Closed after ${seen} of ${count} lines`);
      if (!await this.#changes.wait(deadline - Date.now())) {
        throw new Error(`Timed out with ${seen} of ${count} lines`);
      }
    }
  }

  /** Closes the connection and waits for the reader to stop. */
  async close(): Promise<void> {
    this.resume();
    try {
      this.conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
    await this.#reading;
  }

  async #read(): Promise<void> {
    if (this.#paused) await this.#paused.promise;
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(64 * 1024);
    let partial = "";
    try {
      while (true) {
        const count = await this.conn.read(buffer);
        if (count === null) break;
        const parts = (partial + decoder.decode(buffer.subarray(0, count), { stream: true }))
          .split("\n");
        partial = parts.pop()!;
        if (parts.length > 0) {
          for (const part of parts) this.lines.push(part);
          this.#changes.notify();
        }
      }
    } catch (error) {
      if (!isDisconnect(error)) throw error;
    }
    this.#eof = true;
    this.#changes.notify();
  }
}
