import assert from "node:assert/strict";
import { StopSignals } from "./signals.ts";

/** How long a test waits for a signal it sent itself, in ms. */
const SIGNAL_WAIT_MS = 5000;

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
