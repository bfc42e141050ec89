import assert from "node:assert/strict";
import { StopSignals } from "./signals.ts";

/** How long a test waits for a signal it sent itself, in ms. */
const SIGNAL_WAIT_MS = 5000;

/** Runs `program` with `deno eval`; its stdout comes a trimmed line at a time. */
function evalProgram(program: string, stdin: "null" | "piped") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", program],
    stdin,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).values();
  const nextLine = async () => ((await lines.next()).value ?? "").trim();
  return { child, lines, nextLine };
}

Deno.test("StopSignals resolves with the first signal and lets go of its listeners", async () => {
  const stop = new StopSignals(["SIGUSR2", "SIGURG"]);
  // Signal listeners do not keep the event loop alive; this timer does, and bounds the wait.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("No signal arrived")), SIGNAL_WAIT_MS);
  });
  Deno.kill(Deno.pid, "SIGURG");
  assert.equal(await Promise.race([stop.received, timeout]), "SIGURG");
  clearTimeout(timer);
  stop[Symbol.dispose]();
  stop[Symbol.dispose](); // harmless; the sanitizer checks that no listener is left
});

Deno.test("StopSignals exits at once on a second signal, 128 + its number", async () => {
  const module = new URL("./signals.ts", import.meta.url).href;
  // Leaving takes "for ever" here: only the second signal can end it before the timer does.
  const program = `import { StopSignals } from ${JSON.stringify(module)};
    const stop = new StopSignals();
    console.log("listening");
    console.log(\`leaving after \${await stop.received}\`);
    setTimeout(() => {}, ${SIGNAL_WAIT_MS});`;
  const { child, lines, nextLine } = evalProgram(program, "null");
  assert.equal(await nextLine(), "listening");
  child.kill("SIGTERM");
  assert.equal(await nextLine(), "leaving after SIGTERM");
  child.kill("SIGINT");
  assert.equal((await child.status).code, 130);
  await lines.return?.();
});

Deno.test("StopSignals takes the first signal's twin, right after it, for the same request", async () => {
  const module = new URL("./signals.ts", import.meta.url).href;
  const program = `import { StopSignals } from ${JSON.stringify(module)};
    const stop = new StopSignals();
    let count = 0;
    const counted = () => console.log(\`SIGINT \${++count}\`); // after StopSignals' own listener
    Deno.addSignalListener("SIGINT", counted);
    console.log("listening");
    await stop.received;
    for await (const _ of Deno.stdin.readable); // leaving takes until stdin ends
    Deno.removeSignalListener("SIGINT", counted);
    stop[Symbol.dispose]();`;
  const { child, lines, nextLine } = evalProgram(program, "piped");
  assert.equal(await nextLine(), "listening");
  // Ctrl-C under \`deno task\`: the terminal signals the whole group, and the task passes it on.
  child.kill("SIGINT");
  assert.equal(await nextLine(), "SIGINT 1");
  child.kill("SIGINT");
  assert.equal(await nextLine(), "SIGINT 2", "the twin did not exit at once");
  await child.stdin.close(); // the leaving ends
  assert.equal((await child.status).code, 0);
  await lines.return?.();
});

Deno.test("StopSignals.deliver() does nothing once disposed", async () => {
  const stop = new StopSignals(["SIGUSR2"]);
  stop[Symbol.dispose]();
  stop.deliver("SIGUSR2"); // a key read after the program let go: neither a stop nor an exit
  const first = await Promise.race([stop.received, Promise.resolve("nothing")]);
  assert.equal(first, "nothing");
});
