/**
 * The benchmark harness: `deno task bench` (= `deno run -A bench/bench.ts`).
 *
 * For each scenario it starts every server afresh on a free port, measures its start-up
 * (launch to first successful connect), drives it with {@linkcode runLoad} from this very
 * process, reads the serving process's memory while all members are connected, and stops it.
 * Ours (`threaded`, `select`) and the peers (`ncat --chat`, the C `ceiling` server) run in the
 * same pass, so their figures can be compared within one run. The burst (about a second a
 * run), steady (three seconds), the flood and its baseline (five) go three interleaved rounds
 * each and keep the median round, by deliveries/s for the burst and by p99 for the others;
 * light goes three rounds, each after a warm-up that is not counted, and keeps the median by
 * p50. Right after the light runs it measures light again with chatbench (C), whose floor is
 * lower than a Deno load generator's, in seven interleaved rounds, with a bare Deno relay
 * (`deno_relay.ts`) beside the servers; right after the steady runs, our two servers' steady
 * p99 likewise, in five. It prints select's figures over threaded's round by round.
 * It prints one table, with the server's CPU per delivery and how busy this process's own
 * thread was while it generated the load (near 100%, a latency is partly its own backlog),
 * then each target's verdict for our two servers ({@linkcode judgeTargets}; light p50 and
 * steady p99 by both load generators) and how many targets each met
 * ({@linkcode summarizeTargets}), and writes `results.json` and `chart.svg` to the output
 * folder.
 *
 * ```sh
 * deno task bench                               # everything, full sizes (about ten minutes)
 * deno task bench --quick                       # tiny sizes, well under a minute (CI)
 * deno task bench --scenario burst,steady --server threaded,ceiling --out /tmp/results
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type ChartRow, renderChart } from "./chart.ts";
import { type ChatbenchResult, medianOfRuns, runChatbench } from "./chatbench.ts";
import {
  ALLOWED_TRAIL,
  checkedFigure,
  type ComparedCheck,
  selectAgainstThreaded,
} from "./comparisons.ts";
import { FLOOD_ALLOWED_RATIO, floodChecks } from "./flood_check.ts";
import { type IdMode, type LoadOptions, type LoadResult, runLoad } from "./loadgen.ts";
import {
  busyFraction,
  cpuSeconds,
  ignoreGoneProcess,
  KIB_PER_MIB,
  memoryMiB,
  servingPid,
} from "./proc.ts";
import {
  lostInAllRounds,
  type MedianBy,
  medianRound,
  type RoundFigures,
  roundOrder,
} from "./rounds.ts";
import { judgeTargets, summarizeTargets } from "./targets.ts";
import { taskFlags } from "../scripts/compile.ts";
import { type CommandSpec, parseCommand, runMain, UsageError } from "../lib/cli.ts";
import { quote } from "../lib/sanitize.ts";
import { sleep } from "../lib/deadlines.ts";

/**
 * One measured run: a row of the table, before the server column. The load fields are
 * {@linkcode LoadOptions}'s, all set.
 */
type RunSpec =
  & {
    /** The scenario it belongs to, e.g. `"scale"`. */
    scenario: string;
    /** The row's label, e.g. `"scale-10000"`. */
    name: string;
    /**
     * Interleaved rounds over the servers; the row is the round with the median figure
     * `medianBy`. For short runs, where the machine's drift outweighs the run.
     */
    rounds: number;
    /** What picks the row among the rounds: deliveries/s (a burst), p99 or p50. */
    medianBy: MedianBy;
    /**
     * Messages per sender sent to a fresh {@linkcode ServerSpec.jit} server before the measured
     * load, not counted: its first lines run before V8 has optimized anything (start-up has its
     * own figure).
     */
    warmUpMessages: number;
  }
  & Required<
    Pick<
      LoadOptions,
      | "members"
      | "senders"
      | "flooders"
      | "messages"
      | "rate"
      | "size"
      | "holdMs"
      | "drainMs"
      | "timeoutMs"
    >
  >;

/** A server the harness can run. */
interface ServerSpec {
  /** Its name on the command line and in the table. */
  name: string;
  /** Whether members send `u<index>` first. */
  idMode: IdMode;
  /**
   * Whether it compiles its code as it runs (V8), so that a fresh process is slow at first:
   * runs with `warmUpMessages` warm only such servers up.
   */
  jit: boolean;
  /** Runs with more members than this are skipped, with a note. */
  maxMembers: number;
  /** Members connected per barrier: under the server's listen backlog. */
  connectWave?: number;
  /** Why a run this large is skipped. */
  maxMembersNote?: string;
  /** The command that serves on `port`, `extra` appended. */
  command(port: number, extra: string[]): { cmd: string; args: string[] };
  /** Extra flags for one run (e.g. `--rate-limit` for the flood scenario). */
  extraArgs(run: RunSpec): string[];
}

/** What one run of one server measured, as written to `results.json`. */
interface RunRecord {
  /** The scenario. */
  scenario: string;
  /** The row label. */
  run: string;
  /** The server. */
  server: string;
  /** Whether the run completed (it may still have lost deliveries). */
  ok: boolean;
  /** Why it did not complete, or was skipped. */
  error?: string;
  /** The load that was asked for. */
  spec: RunSpec;
  /** Extra flags the server got. */
  extraArgs: string[];
  /** How the process whose memory and CPU were read was identified. */
  servingPid: string | null;
  /** Launch to first successful connect, in milliseconds. */
  startupMs: number | null;
  /** The serving process's VmRSS while everyone was connected, in MiB. */
  rssMiB: number | null;
  /** The serving process's VmHWM (peak RSS) at the end, in MiB. */
  peakRssMiB: number | null;
  /** Server CPU time from the start of sending to the end, in seconds. */
  serverCpuSeconds: number | null;
  /** Server CPU nanoseconds per delivery (flood deliveries included). */
  serverCpuNsPerDelivery: number | null;
  /**
   * How busy the load generator's own thread was from the start of sending to the end: its
   * CPU seconds over those wall-clock seconds (1: the whole time). Near 1, the latency it
   * measured is partly its own backlog.
   */
  loadGeneratorBusy: number | null;
  /** Deliveries of the warm-up that ran before the measured load and is not in it; null without one. */
  warmUpDeliveries: number | null;
  /** What the load generator measured. */
  load: LoadResult | null;
  /** Each round's deliveries/s and losses, in order, when the run had several. */
  rounds?: RoundFigures[];
}

const ROOT = new URL("../", import.meta.url);
const ROOT_PATH = fileURLToPath(ROOT);
const SHARED_BENCH_PATH = fileURLToPath(new URL("../shared/bench/", ROOT));
const DEFAULT_OUT = fileURLToPath(new URL("bench/results", ROOT));
const LOOPBACK = "127.0.0.1";
const LINE_BYTES = 64;
const STARTUP_POLL_MS = 2;
const STARTUP_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 2000;
const OUTPUT_TAIL_BYTES = 64 * 1024;
const OUTPUT_TAIL_LINES = 3;
const ERROR_LINE = /error|refused|evict|timed? ?out|exception|panic|uncaught|denied/i;
const CONSOLE_ERROR_CHARS = 300;
const MAX_CLIENTS = 20_000;
/**
 * `ncat --chat` announces every join to everyone and takes members in ever more slowly (28 s
 * for 1000 here), so the runs with thousands of members skip it.
 */
const NCAT_MAX_MEMBERS = 1000;
/** `ncat` listens with a backlog of 10; connecting more at once loses connections. */
const NCAT_CONNECT_WAVE = 8;
const MS_PER_S = 1000;
/**
 * Time allowed per member to connect and settle: a server that tells everyone of each join
 * sends members² notices while they connect (50 million lines for 10000 members).
 */
const TIMEOUT_MS_PER_MEMBER = 15;

/**
 * Extra server flags per run; the servers will grow flags such as `--rate-limit`. The threaded
 * server admits 10000 members by default, which the 10000-member run would just reach.
 */
const EXTRA_ARGS: Record<string, (run: RunSpec) => string[]> = {
  threaded: (run) => run.scenario === "scale" ? ["--max-clients", String(MAX_CLIENTS)] : [],
  select: (_run) => [],
  ncat: (_run) => [],
  ceiling: (_run) => [],
};

/** A cross-check's size: a warm-up, not counted, then interleaved rounds per server. */
interface CrossCheckSizes {
  rounds: number;
  seconds: number;
  warmUpSeconds: number;
}

interface Sizes {
  burst: { members: number; messages: number; rounds: number };
  steady: { members: number; rate: number; seconds: number; rounds: number };
  light: { rate: number; seconds: number; rounds: number; warmUpSeconds: number };
  /** The light cross-check: a warm-up round, not counted, then interleaved rounds per server. */
  crossCheck: CrossCheckSizes;
  /** The steady cross-check, likewise. */
  steadyCrossCheck: CrossCheckSizes;
  scale: { members: number[]; senders: number; rate: number; seconds: number };
  flood: { others: number; rate: number; seconds: number; rounds: number };
  holdMs: number;
  drainMs: number;
  timeoutBaseMs: number;
}

const FULL: Sizes = {
  burst: { members: 100, messages: 300, rounds: 3 },
  steady: { members: 100, rate: 5000, seconds: 3, rounds: 3 },
  light: { rate: 200, seconds: 5, rounds: 3, warmUpSeconds: 3 },
  crossCheck: { rounds: 7, seconds: 5, warmUpSeconds: 3 },
  steadyCrossCheck: { rounds: 5, seconds: 3, warmUpSeconds: 1 },
  scale: { members: [5000, 10_000], senders: 10, rate: 100, seconds: 3 },
  flood: { others: 20, rate: 100, seconds: 5, rounds: 3 },
  holdMs: 500,
  drainMs: 3000,
  timeoutBaseMs: 30_000,
};

const QUICK: Sizes = {
  burst: { members: 20, messages: 50, rounds: 1 },
  steady: { members: 20, rate: 1000, seconds: 0.5, rounds: 1 },
  light: { rate: 200, seconds: 0.5, rounds: 1, warmUpSeconds: 0.2 },
  crossCheck: { rounds: 1, seconds: 0.5, warmUpSeconds: 0.2 },
  steadyCrossCheck: { rounds: 1, seconds: 0.5, warmUpSeconds: 0.2 },
  scale: { members: [200, 400], senders: 10, rate: 100, seconds: 0.5 },
  flood: { others: 5, rate: 100, seconds: 0.5, rounds: 1 },
  holdMs: 100,
  drainMs: 1000,
  timeoutBaseMs: 5000,
};

/**
 * The scenarios in the order they run. Scale goes last: its 10000 connections leave this
 * process (the load generator) with a large heap whose collections would land in later runs.
 */
const SCENARIOS = ["burst", "steady", "light", "flood", "scale"] as const;
/** The servers in the order they run within a scenario. */
const SERVERS = ["threaded", "select", "ncat", "ceiling"] as const;
type Scenario = typeof SCENARIOS[number];
type ServerName = typeof SERVERS[number];

/** Messages per sender for `seconds` of a paced load of `rate` in all; at least one. */
function messagesEach(rate: number, seconds: number, senders: number): number {
  return Math.max(1, Math.round(rate * seconds / senders));
}

function paced(
  sizes: Sizes,
  scenario: string,
  name: string,
  load: {
    members: number;
    senders: number;
    flooders?: number;
    rate: number;
    seconds: number;
    rounds?: number;
    medianBy?: MedianBy;
    warmUpSeconds?: number;
  },
): RunSpec {
  const messages = messagesEach(load.rate, load.seconds, load.senders);
  const warmUpSeconds = load.warmUpSeconds ?? 0;
  return {
    scenario,
    name,
    rounds: load.rounds ?? 1,
    medianBy: load.medianBy ?? "p99",
    warmUpMessages: warmUpSeconds > 0 ? messagesEach(load.rate, warmUpSeconds, load.senders) : 0,
    members: load.members,
    senders: load.senders,
    flooders: load.flooders ?? 0,
    messages,
    rate: load.rate,
    size: LINE_BYTES,
    holdMs: sizes.holdMs + load.members / 5,
    drainMs: sizes.drainMs,
    timeoutMs: sizes.timeoutBaseMs + 3 * load.seconds * MS_PER_S +
      TIMEOUT_MS_PER_MEMBER * load.members + sizes.drainMs,
  };
}

/**
 * The runs of one scenario at full or quick sizes.
 * `runsOf("scale", false)` gives the runs "scale-5000" and "scale-10000".
 *
 * @param scenario One of {@linkcode SCENARIOS}.
 * @param quick Whether to use the tiny sizes.
 * @returns One spec per table row.
 */
function runsOf(scenario: Scenario, quick: boolean): RunSpec[] {
  const sizes = quick ? QUICK : FULL;
  switch (scenario) {
    case "burst": {
      const { members, messages, rounds } = sizes.burst;
      return [{
        scenario,
        name: "burst",
        rounds,
        medianBy: "rate",
        warmUpMessages: 0,
        members,
        senders: members,
        flooders: 0,
        messages,
        rate: 0,
        size: LINE_BYTES,
        holdMs: sizes.holdMs + members / 5,
        drainMs: sizes.drainMs,
        timeoutMs: sizes.timeoutBaseMs * 2 + sizes.drainMs,
      }];
    }
    case "steady": {
      const { members, rate, seconds, rounds } = sizes.steady;
      return [
        paced(sizes, scenario, "steady", { members, senders: members, rate, seconds, rounds }),
      ];
    }
    case "light": {
      // Judged on p50, which the first unoptimized lines of a fresh server would skew.
      const { rate, seconds, rounds, warmUpSeconds } = sizes.light;
      return [
        paced(sizes, scenario, "light", {
          members: 2,
          senders: 2,
          rate,
          seconds,
          rounds,
          medianBy: "p50",
          warmUpSeconds,
        }),
      ];
    }
    case "scale": {
      const { senders, rate, seconds } = sizes.scale;
      return sizes.scale.members.map((members) =>
        paced(sizes, scenario, `scale-${members}`, { members, senders, rate, seconds })
      );
    }
    case "flood": {
      const { others, rate, seconds, rounds } = sizes.flood;
      return [
        paced(sizes, scenario, "flood", {
          members: others + 1,
          senders: others,
          flooders: 1,
          rate,
          seconds,
          rounds,
        }),
        paced(sizes, scenario, "flood-baseline", {
          members: others,
          senders: others,
          rate,
          seconds,
          rounds,
        }),
      ];
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Runs a command to completion; `null` if it cannot be started at all. */
async function capture(cmd: string, args: string[]): Promise<Deno.CommandOutput | null> {
  try {
    return await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null; // not installed
    throw error;
  }
}

function firstLine(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).trim().split("\n")[0] ?? "";
}

/** What {@linkcode buildC} made of a C file: its version line, or why it could not. */
type Built = { ok: true; version: string } | { ok: false; why: string };

/** chatbench's binary, built once (on first need) for every cross-check of the pass. */
type ChatbenchBuild = { binary: string; built: Promise<Built> };

/**
 * Builds `../shared/bench/<file>` into `binary` with the first C compiler found, at -O2.
 * Says why not when it cannot.
 */
async function buildC(file: string, binary: string): Promise<Built> {
  const source = `${SHARED_BENCH_PATH}${file}`;
  if (!await exists(source)) return { ok: false, why: `"${source}" is missing` };
  for (const compiler of ["gcc", "cc", "clang"]) {
    const output = await capture(compiler, ["-O2", "-o", binary, source]);
    if (output === null) continue;
    // A compiler exists: if it fails, do not try the others.
    if (!output.success) {
      return { ok: false, why: `${compiler} failed: ${firstLine(output.stderr)}` };
    }
    const version = await capture(compiler, ["--version"]);
    return {
      ok: true,
      version: `${file} built with ${version ? firstLine(version.stdout) : compiler} -O2`,
    };
  }
  return { ok: false, why: "no C compiler (gcc, cc or clang) found" };
}

/** Free port on the loopback: bind port 0, read it, close. */
function freePort(): number {
  const listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The last bytes of a file, as text. */
async function fileTail(path: string, bytes: number): Promise<string> {
  try {
    using file = await Deno.open(path);
    const { size } = await file.stat();
    await file.seek(Math.max(0, size - bytes), Deno.SeekMode.Start);
    const buf = new Uint8Array(Math.min(size, bytes));
    let filled = 0;
    while (filled < buf.length) {
      const n = await file.read(buf.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return new TextDecoder().decode(buf.subarray(0, filled)).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return ""; // the server never wrote a line
    throw error;
  }
}

/**
 * A server process started for one run. Its output goes to a log file rather than a pipe:
 * this process is busy generating load, and a pipe it does not drain in time would stall a
 * server that logs every line. `sh` only redirects and `exec`s, so the PID is the server's.
 */
class RunningServer {
  readonly #child: Deno.ChildProcess;
  readonly #logPath: string;
  #exited: Deno.CommandStatus | null = null;
  readonly #status: Promise<Deno.CommandStatus>;

  constructor(cmd: string, args: string[], logPath: string) {
    this.#logPath = logPath;
    this.#child = new Deno.Command("sh", {
      args: ["-c", 'log="$1"; shift; exec "$@" >"$log" 2>&1', "sh", logPath, cmd, ...args],
      cwd: ROOT_PATH,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#status = this.#child.status.then((status) => this.#exited = status);
  }

  get pid(): number {
    return this.#child.pid;
  }

  get exited(): Deno.CommandStatus | null {
    return this.#exited;
  }

  /** Polls with connect attempts until the server accepts; returns the milliseconds it took. */
  async waitUntilListening(port: number, launched: number): Promise<number> {
    while (true) {
      if (this.#exited !== null) {
        throw new Error(`Server exited with code ${this.#exited.code} before listening`);
      }
      try {
        const conn = await Deno.connect({ hostname: LOOPBACK, port });
        const startupMs = performance.now() - launched;
        conn.close();
        return startupMs;
      } catch (error) {
        if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
        if (performance.now() - launched > STARTUP_TIMEOUT_MS) {
          throw new Error(`Server did not listen on port ${port} within ${STARTUP_TIMEOUT_MS} ms`);
        }
        await sleep(STARTUP_POLL_MS);
      }
    }
  }

  /**
   * The gist of the child's last output, for an error message: its last lines that look
   * like errors, else its last lines.
   */
  async output(): Promise<string> {
    const lines = (await fileTail(this.#logPath, OUTPUT_TAIL_BYTES)).split("\n").slice(1);
    const errors = lines.filter((line) => ERROR_LINE.test(line));
    return (errors.length > 0 ? errors : lines).slice(-OUTPUT_TAIL_LINES).join(" | ");
  }

  /** SIGTERM, then SIGKILL after a grace period; also the serving process if it differs. */
  async stop(serving: number): Promise<void> {
    if (this.#exited === null) {
      try {
        this.#child.kill("SIGTERM");
      } catch (error) {
        if (!(error instanceof TypeError)) throw error; // TypeError: it exited meanwhile
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.#status, new Promise((r) => timer = setTimeout(r, STOP_GRACE_MS))]);
      clearTimeout(timer);
      if (this.#exited === null) {
        try {
          this.#child.kill("SIGKILL");
        } catch (error) {
          if (!(error instanceof TypeError)) throw error; // TypeError: it exited meanwhile
        }
      }
    }
    await this.#status;
    if (serving !== this.pid) {
      try {
        Deno.kill(serving, "SIGKILL");
      } catch (error) {
        ignoreGoneProcess(error); // gone with its parent
      }
    }
  }
}

function emptyRecord(run: RunSpec, server: string): RunRecord {
  return {
    scenario: run.scenario,
    run: run.name,
    server,
    ok: false,
    spec: run,
    extraArgs: [],
    servingPid: null,
    startupMs: null,
    rssMiB: null,
    peakRssMiB: null,
    serverCpuSeconds: null,
    serverCpuNsPerDelivery: null,
    loadGeneratorBusy: null,
    warmUpDeliveries: null,
    load: null,
  };
}

function skipped(run: RunSpec, server: string, reason: string): RunRecord {
  return { ...emptyRecord(run, server), error: reason };
}

/** One line for the console: what a run measured, or why it did not. */
function describe(record: RunRecord): string {
  const load = record.load;
  return (load
    ? `${formatRate(load.deliveriesPerSec)} deliveries/s, lost ${load.lost}, ` +
      `p99 ${formatNumber(load.latencyMs.p99, 2)} ms, ` +
      (load.echoLatencyMs
        ? `echo to sender p50 ${formatNumber(load.echoLatencyMs.p50, 2)} ms, `
        : "") +
      `connect ` +
      `${formatNumber(load.connectMs, 0)} ms, ready ${formatNumber(load.readyMs, 0)} ms` +
      (load.unready > 0 ? ` (${load.unready} never ready)` : "") +
      (load.disconnected > 0 ? `, ${load.disconnected} disconnected` : "")
    : "no result") +
    (record.error ? ` (${record.error.slice(0, CONSOLE_ERROR_CHARS)})` : "");
}

/** Starts `server`, measures one run against it, stops it. */
async function measure(server: ServerSpec, run: RunSpec, tempDir: string): Promise<RunRecord> {
  const record = emptyRecord(run, server.name);
  record.extraArgs = server.extraArgs(run);
  const port = freePort();
  const { cmd, args } = server.command(port, record.extraArgs);
  const launched = performance.now();
  const logPath = `${tempDir}/${server.name}_${run.name}.log`;
  const child = new RunningServer(cmd, args, logPath);
  let serving = child.pid;
  try {
    record.startupMs = await child.waitUntilListening(port, launched);
    const found = await servingPid(child.pid, port);
    serving = found.pid;
    record.servingPid = found.found ? "holds the listening socket" : "launched (socket not found)";
    const load: LoadOptions = {
      port,
      members: run.members,
      senders: run.senders,
      flooders: run.flooders,
      messages: run.messages,
      rate: run.rate,
      size: run.size,
      idMode: server.idMode,
      connectWave: server.connectWave,
      holdMs: run.holdMs,
      drainMs: run.drainMs,
      timeoutMs: run.timeoutMs,
    };
    if (run.warmUpMessages > 0 && server.jit) {
      const warmUp = await runLoad({ ...load, messages: run.warmUpMessages });
      if (warmUp.timedOut || warmUp.lost > 0) {
        throw new Error(
          `The warm-up lost ${warmUp.lost} deliveries` +
            (warmUp.timedOut ? ` and timed out after ${run.timeoutMs} ms` : ""),
        );
      }
      record.warmUpDeliveries = warmUp.deliveries;
    }
    let cpuAtStart: number | null = null;
    let ownCpuAtStart: number | null = null;
    let sendingStarted = 0;
    record.load = await runLoad({
      ...load,
      onHold: async () => {
        record.rssMiB = (await memoryMiB(serving))?.rss ?? null;
        cpuAtStart = await cpuSeconds(serving);
        ownCpuAtStart = await cpuSeconds(Deno.pid, Deno.pid); // the main thread: the loop
        sendingStarted = performance.now();
      },
    });
    const ownCpuAtEnd = await cpuSeconds(Deno.pid, Deno.pid);
    const sendingSeconds = (performance.now() - sendingStarted) / MS_PER_S;
    record.loadGeneratorBusy = busyFraction(ownCpuAtStart, ownCpuAtEnd, sendingSeconds);
    const cpuAtEnd = await cpuSeconds(serving);
    record.peakRssMiB = (await memoryMiB(serving))?.peak ?? null;
    if (cpuAtStart !== null && cpuAtEnd !== null) {
      record.serverCpuSeconds = cpuAtEnd - cpuAtStart;
      const delivered = record.load.deliveries + record.load.floodDeliveries;
      record.serverCpuNsPerDelivery = delivered > 0
        ? record.serverCpuSeconds * 1e9 / delivered
        : null;
    }
    record.ok = child.exited === null;
    if (child.exited !== null) {
      record.error = `Server exited with code ${child.exited.code} during the run`;
    } else if (record.load.timedOut) {
      record.error = `Run timed out after ${run.timeoutMs} ms`;
    }
  } catch (error) {
    record.ok = false;
    record.error = (error as Error).message;
  } finally {
    await child.stop(serving);
  }
  if (record.error !== undefined) {
    const output = await child.output();
    if (output) record.error += `; server log: ${output}`;
  }
  await Deno.remove(logPath).catch(unlessNotFound);
  return record;
}

/** A note per server that cannot run here, and the specs of those that can. */
async function prepareServers(
  names: ServerName[],
  tempDir: string,
): Promise<{ servers: ServerSpec[]; notes: string[]; versions: Record<string, string> }> {
  const servers: ServerSpec[] = [];
  const notes: string[] = [];
  const versions: Record<string, string> = {};
  const deno = Deno.execPath();
  for (const name of names) {
    const extraArgs = EXTRA_ARGS[name] ?? (() => []);
    switch (name) {
      case "threaded":
      case "select": {
        const script = name === "threaded" ? "server.ts" : "select_server.ts";
        if (!await exists(`${ROOT_PATH}${script}`)) {
          notes.push(`${name}: skipped, ${script} is missing`);
          break;
        }
        const maxClients = name === "select" ? ["--max-clients", String(MAX_CLIENTS)] : [];
        const flags = await taskFlags(script); // run as `deno task server` runs it
        servers.push({
          name,
          idMode: name === "threaded" ? "id" : "noid",
          jit: true,
          maxMembers: Infinity,
          command: (port, extra) => ({
            cmd: deno,
            args: ["run", ...flags, script, String(port), "--host", LOOPBACK]
              .concat(maxClients, extra),
          }),
          extraArgs,
        });
        versions[name] = `deno ${Deno.version.deno} ${script}`;
        break;
      }
      case "ncat": {
        const output = await capture("ncat", ["--version"]);
        if (output === null || !output.success) {
          notes.push("ncat: skipped, ncat is not installed (apt-get install ncat)");
          break;
        }
        versions.ncat = firstLine(output.stderr) || firstLine(output.stdout);
        servers.push({
          name,
          idMode: "noid",
          jit: false,
          maxMembers: NCAT_MAX_MEMBERS,
          maxMembersNote: "ncat --chat took 28 s to take 1000 members in",
          connectWave: NCAT_CONNECT_WAVE,
          command: (port, extra) => ({
            cmd: "ncat",
            args: ["--chat", "-l", LOOPBACK, String(port), "--max-conns", String(MAX_CLIENTS)]
              .concat(extra),
          }),
          extraArgs,
        });
        break;
      }
      case "ceiling": {
        const binary = `${tempDir}/ceiling_server`;
        const built = await buildC("ceiling_server.c", binary);
        if (!built.ok) {
          notes.push(`ceiling: skipped, ${built.why}`);
          break;
        }
        versions.ceiling = built.version;
        servers.push({
          name,
          idMode: "noid",
          jit: false,
          maxMembers: Infinity,
          command: (port, extra) => ({ cmd: binary, args: [String(port), ...extra] }),
          extraArgs,
        });
        break;
      }
    }
  }
  return { servers, notes, versions };
}

/** A scenario measured again, by chatbench rather than `loadgen.ts`, as written to `results.json`. */
interface CrossCheck extends ComparedCheck {
  /** The load generator. */
  tool: "chatbench";
  /** The median of the rounds (see {@linkcode medianOfRuns}), if any ran. */
  result: ChatbenchResult | null;
  /** Why a round did not run. */
  error?: string;
}

/** The reference run beside ours in the cross-check: the runtime's floor, not a chat server. */
const DENO_RELAY = "deno-relay";

/**
 * Light p50 lies near the Deno load generator's own floor, and steady p99 includes the load
 * generator's own backlog (one thread reading 100 busy sockets through the runtime, busy about
 * three quarters of the time), so each server is measured again with chatbench, in the same pass,
 * with the run's load. For light, `deno_relay.ts` runs beside them, a bare Deno relay:
 * what any Deno server costs per line. Every server is started once and warmed up by a round
 * that is not counted (a fresh server's first lines run before V8 has optimized anything;
 * start-up has its own figure); then the rounds are interleaved, in turn forwards and
 * backwards so that no server always runs right after the same one, and the machine's drift
 * touches every server alike; each check is their median.
 */
async function crossChecks(
  servers: ServerSpec[],
  run: RunSpec,
  options: CrossCheckSizes & {
    by: CrossCheck["by"];
    withRelay: boolean;
    chatbench: ChatbenchBuild;
    tempDir: string;
  },
): Promise<{ checks: CrossCheck[]; note?: string }> {
  const { rounds, seconds, warmUpSeconds, by, withRelay, tempDir } = options;
  const { binary } = options.chatbench;
  const built = await options.chatbench.built;
  if (!built.ok) {
    return { checks: [], note: `${run.scenario} cross-check: skipped, ${built.why}` };
  }
  const flags = await taskFlags("server.ts"); // the same permissions and heap as our servers
  const relay: ServerSpec = {
    name: DENO_RELAY,
    idMode: "noid",
    jit: true,
    maxMembers: Infinity,
    command: (port) => ({
      cmd: Deno.execPath(),
      args: ["run", ...flags, "bench/deno_relay.ts", String(port)],
    }),
    extraArgs: () => [],
  };
  const checked = withRelay ? [...servers, relay] : servers;
  const checks: CrossCheck[] = checked.map((server) => ({
    scenario: run.scenario,
    server: server.name,
    tool: "chatbench",
    by,
    result: null,
    rounds: [],
  }));
  const load = (server: ServerSpec, port: number, messages: number) =>
    runChatbench(binary, {
      port,
      members: run.members,
      messages,
      rate: run.rate,
      size: run.size,
      idMode: server.idMode,
      drainMs: run.drainMs,
    });
  const started: { child: RunningServer; port: number }[] = [];
  try {
    for (const [i, server] of checked.entries()) {
      const port = freePort();
      const { cmd, args } = server.command(port, server.extraArgs(run));
      const child = new RunningServer(cmd, args, `${tempDir}/${server.name}_chatbench.log`);
      started.push({ child, port });
      try {
        await child.waitUntilListening(port, performance.now());
        const warm = await load(server, port, messagesEach(run.rate, warmUpSeconds, run.senders));
        if (warm.lost !== 0) throw new Error(`The warm-up lost ${warm.lost} deliveries`);
      } catch (error) {
        checks[i].error = (error as Error).message;
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const i of roundOrder(checked.length, round)) {
        const server = checked[i];
        const check = checks[i];
        if (check.error !== undefined) continue; // it failed to start, or a round failed
        try {
          check.rounds.push(
            await load(server, started[i].port, messagesEach(run.rate, seconds, run.senders)),
          );
        } catch (error) {
          check.error = (error as Error).message;
        }
      }
    }
  } finally {
    for (const { child } of started) await child.stop(child.pid);
  }
  for (const check of checks) {
    if (check.rounds.length > 0) check.result = medianOfRuns(check.rounds);
  }
  return { checks };
}

/** Launches each Deno server once so that start-up is measured with a warm module cache. */
async function warmUp(servers: ServerSpec[], tempDir: string): Promise<void> {
  for (const server of servers) {
    if (server.name !== "threaded" && server.name !== "select") continue;
    const port = freePort();
    const { cmd, args } = server.command(port, []);
    const child = new RunningServer(cmd, args, `${tempDir}/${server.name}_warm_up.log`);
    try {
      await child.waitUntilListening(port, performance.now());
    } catch (error) {
      console.log(`warm-up of ${server.name} failed (its runs will say more): ${error}`);
    } finally {
      await child.stop(child.pid);
    }
  }
}

async function machineInfo(
  versions: Record<string, string>,
  loadAtStart: number[],
): Promise<Record<string, unknown>> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(unlessNotFound) ?? "";
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(unlessNotFound) ?? "";
  const memKiB = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1]);
  return {
    nproc: navigator.hardwareConcurrency,
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown",
    memoryMiB: Number.isNaN(memKiB) ? null : Math.round(memKiB / KIB_PER_MIB),
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    servers: versions,
    // Other work on the machine skews every figure; compare ratios within one run.
    loadAverage1mAtStart: loadAtStart[0],
    loadAverage1mAtEnd: Deno.loadavg()[0],
    date: new Date().toISOString(),
  };
}

function formatRate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  return value.toFixed(0);
}

function formatNumber(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || Number.isNaN(value) ? "-" : value.toFixed(digits);
}

/**
 * The table of results, one row per run and server.

 *
 * @param records What {@linkcode measure} returned for each run and server.
 * @returns A plain-text table.
 */
function formatTable(records: RunRecord[]): string {
  const header = [
    "scenario",
    "server",
    "deliv/s",
    "lost",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "RSS MiB",
    "start ms",
    "cpu ns/d",
    "lg busy",
  ];
  const rows = records.map((r) => {
    const load = r.load;
    return [
      r.run,
      r.server,
      load ? formatRate(load.deliveriesPerSec) : "-",
      load ? String(lostInAllRounds(r)) : "-",
      formatNumber(load?.latencyMs.p50, 2),
      formatNumber(load?.latencyMs.p90, 2),
      formatNumber(load?.latencyMs.p99, 2),
      formatNumber(r.rssMiB, 1),
      formatNumber(r.startupMs, 0),
      formatNumber(r.serverCpuNsPerDelivery, 0),
      r.loadGeneratorBusy === null ? "-" : `${Math.round(r.loadGeneratorBusy * 100)}%`,
    ];
  });
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length))
  );
  const line = (cells: string[]) =>
    cells.map((cell, i) => i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function chartRows(records: RunRecord[]): ChartRow[] {
  return records.map((r) => ({
    run: r.run,
    server: r.server,
    deliveriesPerSec: r.load && r.load.deliveries > 0 ? r.load.deliveriesPerSec : null,
    p99Ms: r.load && !Number.isNaN(r.load.latencyMs.p99) ? r.load.latencyMs.p99 : null,
    lost: lostInAllRounds(r) ?? 0,
  }));
}

/** The items of a comma list of `what`s, each one of `all`; no list or "all" gives every one. */
function splitList<T extends string>(
  value: string | boolean | undefined,
  all: readonly T[],
  what: string,
): T[] {
  if (typeof value !== "string" || value === "" || value === "all") return [...all];
  const items = value.split(",").map((item) => item.trim()).filter((item) => item);
  return items.map((item) => {
    const known = all.find((name) => name === item);
    if (known !== undefined) return known;
    throw new UsageError(`Unknown ${what} ${quote(item)}: expected one of ${all.join(", ")}`);
  });
}

const COMMAND: CommandSpec = {
  usage: "deno task bench [options]",
  summary: "Runs each scenario against each server and writes results.json and chart.svg.",
  options: {
    scenario: {
      type: "string",
      arg: "LIST",
      help: `Comma list of ${SCENARIOS.join(", ")} (default all).`,
    },
    server: {
      type: "string",
      arg: "LIST",
      help: `Comma list of ${SERVERS.join(", ")} (default all).`,
    },
    quick: { type: "boolean", help: "Tiny sizes, well under a minute." },
    out: {
      type: "string",
      arg: "DIR",
      help: "Where results.json and chart.svg go (default bench/results; for a partial " +
        "pass, a temporary directory).",
    },
  },
  positionals: [0, 0],
};

async function main(args: string[]): Promise<number> {
  const { values } = parseCommand(args, COMMAND);
  const quick = values.quick === true;
  const scenarios = splitList(values.scenario, SCENARIOS, "scenario");
  const runs = scenarios.flatMap((scenario) => runsOf(scenario, quick));
  const serverNames = splitList(values.server, SERVERS, "server");
  // Only a full pass replaces the committed figures that the README shows.
  const partial = quick || values.scenario !== undefined || values.server !== undefined;
  const outDir = typeof values.out === "string"
    ? values.out
    : partial
    ? await Deno.makeTempDir({ prefix: "groupchat_bench_results_" })
    : DEFAULT_OUT;

  const tempDir = await Deno.makeTempDir({ prefix: "groupchat_bench_" });
  const records: RunRecord[] = [];
  const crossChecked: CrossCheck[] = [];
  let chatbench: ChatbenchBuild | undefined;
  let notes: string[] = [];
  let versions: Record<string, string> = {};
  const started = performance.now();
  const loadAtStart = Deno.loadavg();
  try {
    const prepared = await prepareServers(serverNames, tempDir);
    notes = prepared.notes;
    versions = prepared.versions;
    for (const note of notes) console.log(`note: ${note}`);
    await warmUp(prepared.servers, tempDir);
    for (const run of runs) {
      const runnable = prepared.servers.filter((server) => {
        if (run.members <= server.maxMembers) return true;
        const reason = `skipped, ${run.members} members > ${server.maxMembers}: ` +
          (server.maxMembersNote ?? "too many for this server");
        console.log(`${run.name} × ${server.name}: ${reason}`);
        records.push(skipped(run, server.name, reason));
        return false;
      });
      const rounds: RunRecord[][] = runnable.map(() => []);
      for (let round = 0; round < run.rounds; round++) {
        for (const i of roundOrder(runnable.length, round)) {
          const server = runnable[i];
          const record = await measure(server, run, tempDir);
          rounds[i].push(record);
          const label = `${run.name} × ${server.name}` +
            (run.rounds > 1 ? `, round ${round + 1}/${run.rounds}` : "");
          console.log(`${label}: ${describe(record)}`);
        }
      }
      records.push(...rounds.map((each) => medianRound(each, run.medianBy)));
      if (run.scenario === "light" || run.scenario === "steady") {
        // Right after the runs: later scenarios (scale) leave the machine busier.
        const sizes = quick ? QUICK : FULL;
        const light = run.scenario === "light";
        // Steady checks only ours: the peers' p99 is their write per line, whoever measures.
        const checked = light ? runnable : runnable.filter((server) => server.jit);
        const binary = `${tempDir}/chatbench`;
        chatbench ??= { binary, built: buildC("chatbench.c", binary) };
        const crossed = await crossChecks(checked, run, {
          ...(light ? sizes.crossCheck : sizes.steadyCrossCheck),
          by: light ? "p50" : "p99",
          withRelay: light,
          chatbench,
          tempDir,
        });
        crossChecked.push(...crossed.checks);
        if (crossed.note) notes.push(crossed.note);
      }
    }
  } finally {
    await Deno.remove(tempDir, { recursive: true }).catch(unlessNotFound);
  }

  console.log();
  console.log(formatTable(records));
  const checks = floodChecks(records, !quick);
  for (const check of checks) {
    const verdict = check.pass === null
      ? "not judged at --quick sizes"
      : `${check.pass ? "pass" : "FAIL"} (<= ${FLOOD_ALLOWED_RATIO}x, none lost)`;
    console.log(
      `flood check, ${check.server}: others' p99 ${formatNumber(check.p99Ms, 2)} ms ` +
        `vs baseline ${formatNumber(check.baselineP99Ms, 2)} ms, ` +
        `lost ${check.othersLost} in all rounds: ${verdict}`,
    );
  }
  for (const { scenario, server, tool, by, result, rounds, error } of crossChecked) {
    const each = rounds.map((r) => formatNumber(checkedFigure(r, by), 2)).join(", ");
    console.log(
      `cross-check, ${scenario} × ${server} by ${tool}: ` +
        (result
          ? `p50 ${formatNumber(result.p50Ms, 2)} ms, p90 ${formatNumber(result.p90Ms, 2)} ms, ` +
            `p99 ${formatNumber(result.p99Ms, 2)} ms, lost ${result.lost}` +
            (rounds.length > 1 ? ` (median of ${rounds.length} rounds; ${by}s ${each})` : "")
          : "failed") +
        (error ? ` (${error.slice(0, CONSOLE_ERROR_CHARS)})` : ""),
    );
  }
  const comparisons = selectAgainstThreaded(records, crossChecked);
  for (const { figure, ratios, median, within } of comparisons) {
    console.log(
      `select against threaded, ${figure}, round by round: ` +
        `${ratios.map((ratio) => formatNumber(ratio, 2)).join(", ")}; median ` +
        `${formatNumber(median, 2)} (${within ? "within" : "OVER"} ${ALLOWED_TRAIL})`,
    );
  }
  const targets = judgeTargets(
    { records, crossChecks: crossChecked, floods: checks, comparisons },
    !quick,
  );
  for (const { server, target, measured, pass } of targets) {
    const verdict = pass === null ? "not judged" : pass ? "pass" : "FAIL";
    console.log(`target, ${server}: ${target}: ${measured}: ${verdict}`);
  }
  const targetSummaries = summarizeTargets(targets);
  for (const { server, met, missed, notJudged } of targetSummaries) {
    const total = met.length + missed.length + notJudged.length;
    console.log(
      `targets, ${server}: ` +
        (notJudged.length === total ? `none of ${total} judged` : `${met.length} of ${total} met` +
          (missed.length > 0 ? `; missed: ${missed.join("; ")}` : "") +
          (notJudged.length > 0 ? `; not judged: ${notJudged.join("; ")}` : "")),
    );
  }
  for (const note of notes) console.log(`note: ${note}`);
  const failed = records.filter((r) => r.error !== undefined);
  for (const r of failed) {
    console.log(`${r.run} × ${r.server}: ${r.error?.slice(0, CONSOLE_ERROR_CHARS)}`);
  }

  await Deno.mkdir(outDir, { recursive: true });
  const results = {
    machine: await machineInfo(versions, loadAtStart),
    options: { quick, scenarios, servers: serverNames },
    seconds: (performance.now() - started) / MS_PER_S,
    notes,
    runs: records,
    checks,
    crossChecks: crossChecked,
    comparisons,
    targets,
    targetSummaries,
  };
  await Deno.writeTextFile(`${outDir}/results.json`, JSON.stringify(results, null, 2) + "\n");
  await Deno.writeTextFile(
    `${outDir}/chart.svg`,
    renderChart(chartRows(records), {
      title: `groupchat bench${quick ? " (quick)" : ""}: ${results.machine.nproc} cores, ` +
        `${results.machine.cpuModel}, deno ${Deno.version.deno}`,
    }),
  );
  console.log(`wrote ${outDir}/results.json and ${outDir}/chart.svg`);
  return 0;
}

/** For removing a file that may be gone already: anything but NotFound is thrown on. */
function unlessNotFound(error: unknown): void {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}

if (import.meta.main) await runMain(main, COMMAND);
