import assert from "node:assert/strict";
import {
  busyFraction,
  CLOCK_TICKS_PER_S,
  ignoreGoneProcess,
  parseCpuSeconds,
  parseListeningInodes,
  parseMemoryMiB,
} from "./proc.ts";

const linux = Deno.build.os === "linux";

Deno.test("parseCpuSeconds() adds user and system time past a command name with spaces and parentheses", () => {
  const stat = "7 (deno (main) x) R 1 7 7 0 -1 4194560 10 0 0 0 1234 56 0 0 20 0 9 0 100";
  assert.equal(parseCpuSeconds(stat), (1234 + 56) / CLOCK_TICKS_PER_S);
  assert.ok(Number.isNaN(parseCpuSeconds("")), "not a stat line");
});

Deno.test("busyFraction() is CPU seconds over wall seconds, and null without a reading or time", () => {
  assert.equal(busyFraction(2, 2.5, 0.5), 1);
  assert.equal(busyFraction(2, 2.25, 1), 0.25);
  assert.equal(busyFraction(2, null, 1), null);
  assert.equal(busyFraction(2, 3, 0), null);
  assert.equal(busyFraction(2, 3, NaN), null);
});

Deno.test("parseMemoryMiB() reads VmRSS and VmHWM, and null without VmRSS", () => {
  const status = "Name:\tdeno\nVmPeak:\t 9999999 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   25600 kB\n";
  assert.deepEqual(parseMemoryMiB(status), { rss: 25, peak: 50 });
  assert.equal(parseMemoryMiB("Name:\tkthreadd\nState:\tS (sleeping)\n"), null);
});

Deno.test("parseListeningInodes() keeps listening rows of the port only", () => {
  const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   " +
    "uid  timeout inode\n";
  const row = (local: string, state: string, inode: number) =>
    `   0: ${local} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000  0  0 ${inode} 1\n`;
  const table = header +
    row("0100007F:04D2", "0A", 11) + // 127.0.0.1:1234, listening
    row("0100007F:04D2", "01", 12) + // 1234, an established connection
    row("0100007F:14D2", "0A", 13) + // 5330: ends in D2 too
    row("00000000000000000000000001000000:04D2", "0A", 14) + // ::1 in tcp6
    "   truncated row\n";
  assert.deepEqual(parseListeningInodes(table, 1234), ["11", "14"]);
  assert.deepEqual(parseListeningInodes(header, 1234), []);
});

// Deno asks for all permissions to read another process's /proc files, and the tests run with
// fewer: the readers are driven from a child with all of them, which prints what they read.
const LIVE_READS = `
import { cpuSeconds, memoryMiB, servingPid } from "${new URL("./proc.ts", import.meta.url)}";
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const held = await servingPid(Deno.pid, listener.addr.port);
listener.close();
const released = await servingPid(Deno.pid, listener.addr.port);
// Work on this very thread until its clock moves on: a reading of another thread, or of
// fields other than CPU time, would not follow it.
const before = await cpuSeconds(Deno.pid, Deno.pid);
let after = before;
let spins = 0;
while (after === before) {
  for (let i = 0; i < 1e6; i++) spins += i % 7;
  after = await cpuSeconds(Deno.pid, Deno.pid);
}
const whole = await cpuSeconds(Deno.pid);
const memory = await memoryMiB(Deno.pid);
const child = new Deno.Command("true").spawn();
await child.status;
const gone = [await cpuSeconds(child.pid), await memoryMiB(child.pid)];
console.log(JSON.stringify({ pid: Deno.pid, held, released, before, after, whole, memory, gone, spins }));
`;

Deno.test({
  name: "servingPid(), cpuSeconds() and memoryMiB() read a live process, and give up on a gone one",
  ignore: !linux,
  async fn() {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", LIVE_READS],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const read = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.deepEqual(read.held, { pid: read.pid, found: true });
    assert.deepEqual(read.released, { pid: read.pid, found: false });
    assert.ok(read.after > read.before, "the main thread's clock follows its work");
    assert.ok(read.whole >= read.after, "the process counts all its threads");
    assert.ok(read.memory.rss > 1 && read.memory.peak >= read.memory.rss);
    assert.deepEqual(read.gone, [null, null]);
  },
});

Deno.test("ignoreGoneProcess() passes over a gone or foreign process and rethrows the rest", () => {
  ignoreGoneProcess(new Deno.errors.NotFound("no such process"));
  ignoreGoneProcess(new Deno.errors.PermissionDenied("not ours"));
  assert.throws(
    () => ignoreGoneProcess(new Deno.errors.BrokenPipe("pipe")),
    Deno.errors.BrokenPipe,
  );
});
