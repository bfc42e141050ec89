import assert from "node:assert/strict";
import { LineClient } from "../tests/line_client.ts";
import { startDenoRelay } from "./deno_relay.ts";

Deno.test("startDenoRelay() relays each chunk, as it is, to every other connection", async () => {
  const relay = startDenoRelay({ port: 0 });
  // Accepted in order, so amy is in the relay's set before anything of bob's is read.
  const amy = await LineClient.connect(relay.addr.port);
  const bob = await LineClient.connect(relay.addr.port);
  await bob.sendRaw("no framing: half a li");
  await bob.sendRaw("ne, then the rest\n");
  assert.equal(await amy.expect(/^no framing/), "no framing: half a line, then the rest");
  await amy.send("#m 0 1 2 xxxx");
  assert.equal(await bob.expect(/#m/), "#m 0 1 2 xxxx");
  await bob.send("end");
  await amy.expect("end");
  assert.ok(!amy.lines.some((line) => line.includes("#m")), "nothing comes back to its sender");
  await amy.close();
  await bob.close();
  await relay.close();
});
