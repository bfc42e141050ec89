/**
 * What the benchmark reads of processes from Linux's `/proc`: which process holds a
 * listening socket, its memory, and the CPU time of a process or of one thread.
 *
 * Each reader returns `null` (or falls back) when the process has gone meanwhile; the text
 * of each file is parsed by a pure function, so the parsing is tested on crafted text too.
 * Deno asks for all permissions (`-A`) to read another process's files there.
 *
 * @module
 */

/**
 * Kernel clock ticks per second, the unit of the CPU times in `/proc/<pid>/stat`
 * (`getconf CLK_TCK`, 100 on Linux's usual builds).
 *
 * @example Usage
 * ```ts
 * import { CLOCK_TICKS_PER_S } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(250 / CLOCK_TICKS_PER_S, 2.5); // 250 ticks are two and a half seconds
 * ```
 */
export const CLOCK_TICKS_PER_S = 100;

/**
 * KiB in a MiB: `/proc` counts memory in kB, which are KiB.
 *
 * @example Usage
 * ```ts
 * import { KIB_PER_MIB } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(102400 / KIB_PER_MIB, 100);
 * ```
 */
export const KIB_PER_MIB = 1024;

// Fields of /proc/<pid>/stat counted from the one after the command's closing parenthesis.
const UTIME_FIELD = 11;
const STIME_FIELD = 12;
// Columns of /proc/net/tcp: the local address, the state and the socket's inode.
const LOCAL_ADDRESS_COLUMN = 1;
const STATE_COLUMN = 3;
const INODE_COLUMN = 9;
const LISTEN_STATE = "0A";

/**
 * For reads of /proc and signals to processes that may have ended meanwhile (`NotFound`,
 * which is also how `ESRCH` arrives) or are not ours (`PermissionDenied`): anything else is
 * thrown on.
 *
 * @example Usage
 * ```ts
 * import { ignoreGoneProcess } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * ignoreGoneProcess(new Deno.errors.NotFound("gone")); // ignored
 * assert.throws(() => ignoreGoneProcess(new TypeError("a bug")), TypeError);
 * ```
 *
 * @param error What a read of /proc or a signal threw.
 */
export function ignoreGoneProcess(error: unknown): void {
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
    return;
  }
  throw error;
}

/**
 * User plus system CPU seconds in the text of a `/proc/<pid>/stat` (or of a thread's,
 * `/proc/<pid>/task/<tid>/stat`). The command name, in parentheses, may hold spaces and
 * parentheses of its own.
 *
 * @example Usage
 * ```ts
 * import { parseCpuSeconds } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * const stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 1 0";
 * assert.equal(parseCpuSeconds(stat), 1.75); // 150 + 25 ticks
 * ```
 *
 * @param stat The file's text.
 * @returns The seconds, or `NaN` if the text is not a stat line.
 */
export function parseCpuSeconds(stat: string): number {
  const close = stat.lastIndexOf(")");
  if (close < 0) return NaN;
  const fields = stat.slice(close + 2).split(" ");
  return (Number(fields[UTIME_FIELD]) + Number(fields[STIME_FIELD])) / CLOCK_TICKS_PER_S;
}

/**
 * User plus system CPU seconds of a process, or of one of its threads (the main thread's
 * ID is the process's).
 *
 * @example Usage
 * ```ts ignore
 * import { cpuSeconds } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * const seconds = await cpuSeconds(Deno.pid, Deno.pid); // this process's main thread
 * assert.ok(seconds !== null && seconds >= 0);
 * ```
 *
 * @param pid The process.
 * @param thread One of its threads, or the whole process when left out.
 * @returns The seconds, or `null` if the process (or thread) is gone.
 */
export async function cpuSeconds(pid: number, thread?: number): Promise<number | null> {
  const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
  try {
    const seconds = parseCpuSeconds(await Deno.readTextFile(path));
    return Number.isNaN(seconds) ? null : seconds;
  } catch (error) {
    ignoreGoneProcess(error);
    return null;
  }
}

/**
 * How busy a thread was over a stretch of wall time: the CPU seconds it used over the
 * seconds that passed (1 is a whole CPU). `null` when either reading is missing or no time
 * passed.
 *
 * @example Usage
 * ```ts
 * import { busyFraction } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(busyFraction(1.5, 3, 2), 0.75); // 1.5 CPU seconds in 2 s
 * assert.equal(busyFraction(null, 3, 2), null);
 * ```
 *
 * @param cpuAtStart CPU seconds at the start ({@linkcode cpuSeconds}).
 * @param cpuAtEnd CPU seconds at the end.
 * @param wallSeconds Seconds from the start to the end.
 * @returns The fraction, or `null`.
 */
export function busyFraction(
  cpuAtStart: number | null,
  cpuAtEnd: number | null,
  wallSeconds: number,
): number | null {
  if (cpuAtStart === null || cpuAtEnd === null || !(wallSeconds > 0)) return null;
  return (cpuAtEnd - cpuAtStart) / wallSeconds;
}

/**
 * `VmRSS` and `VmHWM` (peak) in the text of a `/proc/<pid>/status`, in MiB.
 *
 * @example Usage
 * ```ts
 * import { parseMemoryMiB } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * const status = "Name:\tdeno\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
 * assert.deepEqual(parseMemoryMiB(status), { rss: 100, peak: 200 });
 * ```
 *
 * @param status The file's text.
 * @returns The sizes, or `null` without a `VmRSS` line (a kernel thread, a zombie).
 */
export function parseMemoryMiB(status: string): { rss: number; peak: number } | null {
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  const rss = kib("VmRSS");
  const peak = kib("VmHWM");
  return Number.isNaN(rss) ? null : { rss: rss / KIB_PER_MIB, peak: peak / KIB_PER_MIB };
}

/**
 * The resident memory of a process and its peak, in MiB.
 *
 * @example Usage
 * ```ts ignore
 * import { memoryMiB } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * const memory = await memoryMiB(Deno.pid);
 * assert.ok(memory !== null && memory.peak >= memory.rss);
 * ```
 *
 * @param pid The process.
 * @returns The sizes, or `null` if it is gone.
 */
export async function memoryMiB(pid: number): Promise<{ rss: number; peak: number } | null> {
  try {
    return parseMemoryMiB(await Deno.readTextFile(`/proc/${pid}/status`));
  } catch (error) {
    ignoreGoneProcess(error);
    return null;
  }
}

/**
 * The inodes of the sockets listening on `port` in the text of `/proc/net/tcp` or
 * `/proc/net/tcp6`.
 *
 * @example Usage
 * ```ts
 * import { parseListeningInodes } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * const table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
 *   "   0: 0100007F:04D2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1\n";
 * assert.deepEqual(parseListeningInodes(table, 1234), ["4242"]); // 1234 is 0x04D2
 * ```
 *
 * @param table The file's text, its header line first.
 * @param port The port listened on.
 * @returns The inodes, as the strings `/proc/<pid>/fd` links name them with.
 */
export function parseListeningInodes(table: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes: string[] = [];
  for (const line of table.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length <= INODE_COLUMN) continue;
    if (
      fields[STATE_COLUMN] === LISTEN_STATE && fields[LOCAL_ADDRESS_COLUMN].endsWith(`:${hexPort}`)
    ) {
      inodes.push(fields[INODE_COLUMN]);
    }
  }
  return inodes;
}

/** Inodes of the sockets listening on `port` (IPv4 and IPv6). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = await Deno.readTextFile(table);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // no IPv6 here
      throw error;
    }
    for (const inode of parseListeningInodes(text, port)) inodes.add(inode);
  }
  return inodes;
}

/** `pid` and its descendants, from /proc. */
async function processTree(pid: number): Promise<number[]> {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    try {
      for await (const task of Deno.readDir(`/proc/${tree[i]}/task`)) {
        const children = await Deno.readTextFile(`/proc/${tree[i]}/task/${task.name}/children`);
        for (const child of children.trim().split(/\s+/)) if (child) tree.push(Number(child));
      }
    } catch (error) {
      ignoreGoneProcess(error);
    }
  }
  return tree;
}

/**
 * The process that holds the listening socket on `port`: `pid` itself or one of its
 * descendants (a wrapper such as `sh -c` may fork the real server). Falls back to `pid`.
 *
 * @example Usage
 * ```ts ignore
 * import { servingPid } from "./proc.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * assert.deepEqual(await servingPid(Deno.pid, listener.addr.port), { pid: Deno.pid, found: true });
 * ```
 *
 * @param pid The process launched.
 * @param port The port the server listens on.
 * @returns The process, and whether it was found holding the socket.
 */
export async function servingPid(
  pid: number,
  port: number,
): Promise<{ pid: number; found: boolean }> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return { pid, found: false };
  for (const candidate of await processTree(pid)) {
    try {
      for await (const fd of Deno.readDir(`/proc/${candidate}/fd`)) {
        const target = await Deno.readLink(`/proc/${candidate}/fd/${fd.name}`).catch((error) => {
          ignoreGoneProcess(error); // the descriptor closed meanwhile
          return "";
        });
        const match = /^socket:\[(\d+)\]$/.exec(target);
        if (match && inodes.has(match[1])) return { pid: candidate, found: true };
      }
    } catch (error) {
      ignoreGoneProcess(error);
    }
  }
  return { pid, found: false };
}
