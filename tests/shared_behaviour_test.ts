/**
 * Behaviour both servers share, where their protocols agree: one test, run
 * against each server flavor.
 */
import assert from "node:assert/strict";
import { FLAVORS } from "./flavors.ts";

for (const flavor of FLAVORS) {
  Deno.test(`${flavor.name}: an idle member is told and closed, the room is told why`, async () => {
    const server = flavor.start({ idleTimeoutMs: 200 });
    const port = server.addr.port;
    const quiet = await flavor.join(port, "quiet");
    const chatty = await flavor.join(port, "chatty");
    const quietName = flavor.handshake ? "quiet" : flavor.nameOf(quiet);
    const notice = flavor.leaveNotice(quietName, "idle");
    // chatty keeps talking (each /who is a round trip), so only quiet goes idle.
    while (!chatty.lines.includes(notice)) {
      await chatty.send("/who");
      await chatty.expect(/^Server: \d+ here/);
    }
    await quiet.expect("Server: closing: silent for 0.2 s");
    await quiet.expectClose();
    assert.equal(server.room.size, 1);
    await Promise.all([quiet.close(), chatty.close()]);
    await server.shutdown();
  });

  Deno.test(`${flavor.name}: control sequences reach nobody as control codes`, async () => {
    const server = flavor.start();
    const port = server.addr.port;
    const a = await flavor.join(port, "a");
    const b = await flavor.join(port, "b");
    await flavor.joined(b);
    await a.send("x\x1b[2J\x1b]0;title\x07\u009b1m\r\x08y");
    const line = await b.expect(/x\^\[/);
    assert.ok(line.endsWith("x^[[2J^[]0;title^GM-^[1m^M^Hy"), line);
    await Promise.all([a.close(), b.close()]);
    await server.shutdown();
  });

  Deno.test(`${flavor.name}: an over-long line is refused to its sender only`, async () => {
    const server = flavor.start({ maxLineBytes: 64 });
    const port = server.addr.port;
    const a = await flavor.join(port, "a");
    const b = await flavor.join(port, "b");
    await flavor.joined(b);
    await a.send("L".repeat(65));
    await a.expect("Error: line too long, the limit is 64 bytes");
    await a.send("short");
    await b.expect(/short$/);
    assert.ok(!b.lines.some((line) => line.includes("LLLL") || line.startsWith("Error")));
    await Promise.all([a.close(), b.close()]);
    await server.shutdown();
  });
}
