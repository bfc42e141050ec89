import assert from "node:assert/strict";
import { clientOptionsFrom } from "./client_options.ts";
import { UsageError } from "./cli.ts";

Deno.test("clientOptionsFrom() reads the timeout and the display switches", () => {
  const options = clientOptionsFrom({ "connect-timeout": "1500", timestamps: true });
  assert.equal(options.connectTimeoutMs, 1500);
  assert.equal(options.style.timestamps, true);
  assert.equal(clientOptionsFrom({}).connectTimeoutMs, undefined);
});

Deno.test("clientOptionsFrom() refuses a timeout that is not a positive integer", () => {
  for (const bad of ["0", "-5", "soon", "1.5"]) {
    assert.throws(() => clientOptionsFrom({ "connect-timeout": bad }), UsageError, bad);
  }
});
