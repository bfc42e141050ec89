/**
 * `../shared/bench/chatbench.c`, the C load generator, as a cross-check of
 * `loadgen.ts`: one epoll loop costs the machine less than a Deno process, so
 * where a figure sits near the harness's own floor (light p50), the benchmark
 * also measures it with chatbench in the same pass.
 *
 * @module
 */

import { type IdMode } from "./loadgen.ts";
import { median } from "./rounds.ts";

/** What chatbench measured. */
export interface ChatbenchResult {
  /** Lines from another member that arrived. */
  deliveries: number;
  /** Deliveries expected but missing. */
  lost: number;
  /** Median latency, send to receipt, in ms. */
  p50Ms: number;
  /** 90th percentile latency, send to receipt, in ms. */
  p90Ms: number;
  /** 99th percentile latency, send to receipt, in ms. */
  p99Ms: number;
}

/** One chatbench run. */
export interface ChatbenchOptions {
  /** The server's loopback port. */
  port: number;
  /** Connections, every one of them sending. */
  members: number;
  /** Messages per member. */
  messages: number;
  /** Messages per second over all members. */
  rate: number;
  /** Bytes per line, newline included. */
  size: number;
  /** Whether each member sends `u<index>` first. */
  idMode: IdMode;
  /** How long to wait for stragglers once all is sent, in ms. */
  drainMs: number;
  /**
   * How long chatbench may run before it is stopped and the run fails, in ms.
   * chatbench itself waits forever on a server that dies with members
   * connected. @default {twice the sending time, plus the drain, plus 30 s}
   */
  timeoutMs?: number;
}

/** Beyond its sending and draining, how long chatbench may take, in ms. */
const CHATBENCH_GRACE_MS = 30_000;
/** The sending time assumed for a burst (rate 0), whose length is not known ahead, in ms. */
const BURST_SENDING_MS = 60_000;

/**
 * Reads chatbench's summary lines (`deliveries=… lost=…`, `latency_ms p50=…`).
 * Returns `null` when they are missing.
 *
 * @example Usage
 * ```ts
 * import { parseChatbench } from "./chatbench.ts";
 * import assert from "node:assert/strict";
 *
 * const output = "deliveries=10 expected=10 lost=0 echoed_to_self=0\n" +
 *   "latency_ms p50=0.07 p90=0.12 p99=0.40 max=1.00\n";
 * assert.deepEqual(parseChatbench(output), {
 *   deliveries: 10,
 *   lost: 0,
 *   p50Ms: 0.07,
 *   p90Ms: 0.12,
 *   p99Ms: 0.4,
 * });
 * ```
 */
export function parseChatbench(output: string): ChatbenchResult | null {
  const field = (name: string) => {
    const match = output.match(new RegExp(`\\b${name}=([0-9.]+)`));
    return match ? Number(match[1]) : NaN;
  };
  const result = {
    deliveries: field("deliveries"),
    lost: field("lost"),
    p50Ms: field("p50"),
    p90Ms: field("p90"),
    p99Ms: field("p99"),
  };
  return Object.values(result).some(Number.isNaN) ? null : result;
}

/**
 * Runs the chatbench binary against a server on the loopback.
 *
 * @example Usage
 * ```ts ignore
 * import { runChatbench } from "./chatbench.ts";
 *
 * const result = await runChatbench("/tmp/chatbench", {
 *   port: 1234, members: 2, messages: 1000, rate: 200, size: 64, idMode: "id", drainMs: 1000,
 * });
 * ```
 */
export async function runChatbench(
  binary: string,
  options: ChatbenchOptions,
): Promise<ChatbenchResult> {
  const { port, members, messages, rate, size, idMode, drainMs } = options;
  const args = ["127.0.0.1", port, members, messages, rate, size, idMode, drainMs].map(String);
  const sendingMs = rate > 0 ? members * messages / rate * 1000 : BURST_SENDING_MS;
  const timeoutMs = options.timeoutMs ?? 2 * sendingMs + drainMs + CHATBENCH_GRACE_MS;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  const { stdout, stderr, signal } = await new Deno.Command(binary, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: stop.signal,
  }).output().finally(() => clearTimeout(timer));
  if (stop.signal.aborted) {
    throw new Error(`Chatbench did not finish within ${timeoutMs} ms (stopped by ${signal})`);
  }
  const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  const result = parseChatbench(output);
  if (result === null) {
    throw new Error(`Cannot read chatbench's summary: ${JSON.stringify(output.slice(-200))}`);
  }
  // chatbench prints percentiles of no samples as 0: a figure of nothing, not a fast server.
  if (result.deliveries === 0) {
    throw new Error(`Chatbench received no deliveries from the server on port ${port}`);
  }
  return result;
}

/**
 * Several runs as one: the median of their latency percentiles, their
 * deliveries and losses summed. One run caught in a burst of noise from the
 * machine then decides nothing, and runs interleaved across servers see the
 * same machine.
 *
 * @example Usage
 * ```ts
 * import { medianOfRuns } from "./chatbench.ts";
 * import assert from "node:assert/strict";
 *
 * const run = (p50Ms: number) => ({ deliveries: 10, lost: 0, p50Ms, p90Ms: 1, p99Ms: 2 });
 * assert.equal(medianOfRuns([run(0.3), run(0.1), run(0.2)]).p50Ms, 0.2);
 * ```
 *
 * @param runs At least one run.
 * @returns The runs' medians and sums.
 */
export function medianOfRuns(runs: ChatbenchResult[]): ChatbenchResult {
  if (runs.length === 0) throw new RangeError("Cannot take the median of no runs");
  return {
    deliveries: runs.reduce((sum, run) => sum + run.deliveries, 0),
    lost: runs.reduce((sum, run) => sum + run.lost, 0),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p90Ms: median(runs.map((run) => run.p90Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
  };
}
