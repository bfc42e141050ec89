/**
 * Behaviour both servers share, where their protocols agree: one test, run
 * against each server flavor.
 */
import assert from "node:assert/strict";
import { type Flavor, FLAVORS, type ServerUnderTest } from "./flavors.ts";
import { type LineClient } from "./line_client.ts";
import { EOF_HINT, INTERRUPT_HINT } from "../lib/member_lines.ts";
import { IAC } from "../lib/telnet.ts";
import { LineDecoder } from "../lib/line_decoder.ts";
import { SERVER_ERROR } from "../lib/member.ts";
import { writeAll } from "../lib/write_all.ts";
import { TCP_TIMER, tcpTimers, until } from "./faults_kit.ts";

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

  Deno.test(`${flavor.name}: an unexpected error on one member's line, and on its leaving, closes that member alone`, async () => {
    const log: string[] = [];
    const server = flavor.start({
      log: (line) => {
        // The second fault strikes while the first is handled: logging the member's leaving.
        const leaving = line.includes("disconnect") && line.endsWith(`(${SERVER_ERROR})`);
        if (line.endsWith("trips a bug") || leaving) throw new TypeError("Injected fault");
        log.push(line);
      },
    });
    const port = server.addr.port;
    const witness = await flavor.join(port, "witness");
    const victim = await flavor.join(port, "victim");
    await flavor.joined(victim);
    await victim.send("trips a bug");
    await victim.expectClose();
    const victimName = flavor.handshake ? "victim" : flavor.nameOf(victim);
    await witness.expect(flavor.leaveNotice(victimName, SERVER_ERROR));
    // Both faults are logged by the time the room has been told.
    const faults = log.filter((line) => line.includes("failed, closing it: TypeError: Injected"));
    assert.equal(faults.length, 2, log.join("\n"));
    const next = await roomGoesOn(flavor, server, witness);
    await Promise.all([witness.close(), victim.close(), next.close()]);
    await server.shutdown();
  });

  Deno.test(`${flavor.name}: an unexpected error writing to one member, or reading from it, closes that member alone`, async () => {
    for (const where of ["write", "read"] as const) {
      const log: string[] = [];
      const server = flavor.start({ log: (line) => log.push(line) });
      const port = server.addr.port;
      const witness = await flavor.join(port, "witness");
      const victim = await flavor.join(port, "victim");
      await flavor.joined(victim);
      const victimName = flavor.handshake ? "victim" : flavor.nameOf(victim);
      const victimPort = victim.conn.localAddr.port;
      const restore = where === "write"
        // The server's write to victim throws: the room's fan-out, with others still to serve.
        ? inject(Object.getPrototypeOf(victim.conn), "write", function (this: Deno.TcpConn) {
          return this.remoteAddr.port === victimPort && this.localAddr.port === port;
        })
        // Reading what victim sends trips a bug in the framing.
        : inject(LineDecoder.prototype, "push", (data: Uint8Array) => {
          return new TextDecoder().decode(data).includes("trips the reader");
        });
      try {
        await (where === "write" ? witness.send("hello victim") : victim.send("trips the reader"));
        await witness.expect(flavor.leaveNotice(victimName, SERVER_ERROR));
      } finally {
        restore();
      }
      const faults = log.filter((line) => line.includes("failed, closing it: TypeError: Injected"));
      assert.equal(faults.length, 1, log.join("\n"));
      assert.ok(faults[0].includes(victimPort.toString()), faults[0]);
      const next = await roomGoesOn(flavor, server, witness);
      await Promise.all([witness.close(), victim.close(), next.close()]);
      await server.shutdown();
    }
  });

  Deno.test(`${flavor.name}: --no-message-log logs the events, not what members say`, async () => {
    const log: string[] = [];
    const server = flavor.start({ logMessages: false, log: (line) => log.push(line) });
    const port = server.addr.port;
    const a = await flavor.join(port, "a");
    const b = await flavor.join(port, "b");
    await flavor.joined(b);
    await a.send("secret words");
    await b.expect(/secret words$/);
    await a.send("/me whispers");
    await b.expect(/whispers$/);
    const aName = flavor.handshake ? "a" : flavor.nameOf(a);
    await a.send("/quit my secret reason");
    await b.expect(flavor.leaveNotice(aName, "my secret reason")); // the room hears it
    await a.close();
    assert.deepEqual(log.filter((line) => /secret|whispers/.test(line)), [], log.join("\n"));
    assert.ok(log.some((line) => line.endsWith(" (quit)")), log.join("\n"));
    assert.equal(log.filter((line) => /connect/i.test(line)).length, 3, log.join("\n"));
    await b.close();
    await server.shutdown();
  });

  Deno.test(`${flavor.name}: a command is read from the bytes sent, and shown sanitized`, async () => {
    const server = flavor.start();
    const port = server.addr.port;
    const a = await flavor.join(port, "a");
    const b = await flavor.join(port, "b");
    await flavor.joined(b);
    const aName = flavor.handshake ? "a" : flavor.nameOf(a);
    // U+2028, a line separator, separates a command from its argument as a space does.
    await a.send("/me\u2028waves\x1b[2J");
    assert.equal(await b.expect(/waves/), `* ${aName} waves^[[2J`);
    await a.send("/quit\u2028bye\x07");
    await b.expect(flavor.leaveNotice(aName, "bye^G"));
    await Promise.all([a.close(), b.close()]);
    await server.shutdown();
  });

  Deno.test(`${flavor.name}: telnet in binary, as PuTTY sends it, ends a line with CR alone`, async () => {
    const server = flavor.start();
    const port = server.addr.port;
    const a = await flavor.join(port, "a");
    const b = await flavor.join(port, "b");
    await flavor.joined(b);
    // PuTTY offers binary at once; asked for it, as here, it sends Enter as CR alone.
    await b.sendRaw(new Uint8Array([IAC, 251, 0]));
    await b.sendRaw("first\r");
    await a.expect(/first$/);
    await b.sendRaw("second\rthird\r");
    assert.match(await a.expect(/second$/), /[\] ]second$/);
    assert.match(await a.expect(/third$/), /[\] ]third$/);
    await Promise.all([a.close(), b.close()]);
    await server.shutdown();
  });

  Deno.test(`${flavor.name}: an empty or blank line reaches no one`, async () => {
    const server = flavor.start();
    const port = server.addr.port;
    const a = await flavor.join(port, "a");
    const b = await flavor.join(port, "b");
    await flavor.joined(b);
    await a.sendRaw("\n   \n\t\r\n//\nx\n");
    await b.expect(/x$/);
    const blank = /^\[[^\]]*\]( : )?\s*$/; // a message line with nothing after the name
    assert.deepEqual(b.lines.filter((line) => blank.test(line)), []);
    if (flavor.echoes) {
      await a.expect(/ : x$/);
      assert.deepEqual(a.lines.filter((line) => blank.test(line)), [], "no echo of nothing");
    }
    await Promise.all([a.close(), b.close()]);
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

  Deno.test(`${flavor.name}: telnet's Ctrl-C and Ctrl-D are answered and kept out of the next line`, async () => {
    // What telnet sends for Ctrl-C: Interrupt Process, then "do timing mark", after which it
    // shows nothing until the mark is answered.
    const ctrlC = [IAC, 244, IAC, 253, 6];
    // How the answer, IAC WILL TIMING-MARK, reads as text: 0xFF 0xFB 0x06.
    const willTimingMark = "\ufffd\ufffd\u0006";
    const server = flavor.start();
    const port = server.addr.port;
    const a = await flavor.join(port, "a");
    const b = await flavor.join(port, "b");
    await flavor.joined(b);
    await b.sendRaw(new Uint8Array(ctrlC));
    // From its first telnet command on, b is a telnet client: its lines end in CR LF. It is
    // asked for binary (IAC DO BINARY: 0xFF 0xFD 0x00) then, the timing mark answered after.
    const askBinary = "\ufffd\ufffd\u0000";
    assert.equal(
      await b.expect(/does not leave/),
      askBinary + willTimingMark + INTERRUPT_HINT + "\r",
    );
    await b.sendRaw(new Uint8Array([...ctrlC, ...new TextEncoder().encode("after ^C\r\n")]));
    const line = await a.expect(/after \^C$/);
    assert.ok(/[\]:] ?after \^C$/.test(line), `no telnet bytes in ${JSON.stringify(line)}`);
    // Ctrl-D: telnet sends a bare 0x04 at once, and the line typed after it later.
    await b.sendRaw(new Uint8Array([4]));
    await b.sendRaw("after ^D\r\n");
    assert.match(await a.expect(/after \^D$/), /[\]:] ?after \^D$/);
    // Maybe after the second Ctrl-C's answer, if b had no line since (the select server echoes).
    assert.ok((await b.expect(/Server: Ctrl-D/)).endsWith(EOF_HINT + "\r"));
    await b.send("/who");
    await b.expect(/\d+ here/); // by now the second answer has come, before this line
    const telnetLines = b.lines.slice(b.lines.findIndex((line) => line.includes("does not")));
    assert.deepEqual(telnetLines.filter((line) => !line.endsWith("\r")), [], "CR LF, all of them");
    assert.deepEqual(a.lines.filter((line) => line.includes("\r")), [], "LF alone for the others");
    const answers = b.lines.join("\n").split(willTimingMark).length - 1;
    assert.equal(answers, 2, "each Ctrl-C is answered");
    assert.equal(b.lines.filter((line) => line.includes("Ctrl-C does not")).length, 1, "hint once");
    await Promise.all([a.close(), b.close()]);
    await server.shutdown();
  });

  Deno.test(`${flavor.name}: a sender that closes without reading still has every line read`, async () => {
    // `ncat --send-only < file`, `cat file > /dev/tcp/…`: the lines, held back by the rate
    // limit, are still being read when a write to the sender fails (its echo, or another's
    // line): that failure must not throw them away.
    const server = flavor.start();
    const port = server.addr.port;
    const watcher = await flavor.join(port, "watcher");
    await flavor.joined(watcher);
    // A raw connection that never reads, so that its close is a reset.
    const sender = await Deno.connect({ hostname: "127.0.0.1", port });
    if (flavor.handshake) await writeAll(sender, new TextEncoder().encode("sender\n"));
    await watcher.expect(
      flavor.handshake
        ? "clientsender- enter"
        : `Client (127.0.0.1:${sender.localAddr.port}) entered room`,
    );
    const count = 500; // five times the rate limit's burst
    const lines = Array.from({ length: count }, (_, i) => `msg ${i}\n`).join("");
    await writeAll(sender, new TextEncoder().encode(lines));
    sender.close();
    for (let i = 0; i < 2; i++) await watcher.send("a line for the sender, which is gone");
    await watcher.expectCount(count, undefined, (line) => /msg \d+$/.test(line));
    const got = watcher.lines.filter((line) => /msg \d+$/.test(line)).map((line) =>
      line.split("msg ")[1]
    );
    assert.deepEqual(got, Array.from({ length: count }, (_, i) => String(i)), "all, in order");
    await watcher.close();
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

  Deno.test(`${flavor.name}: a big room hears joins and leaves as a summary`, async () => {
    const server = flavor.start({ presenceLimit: 2 });
    const port = server.addr.port;
    const name = (client: Awaited<ReturnType<typeof flavor.join>>, id: string) =>
      flavor.handshake ? id : flavor.nameOf(client);
    const a = await flavor.join(port, "a");
    await flavor.joined(a);
    const b = await flavor.join(port, "b");
    await flavor.joined(b);
    // Two members: the room is small, so b's arrival is announced at once.
    await a.expect(flavor.handshake ? "clientb- enter" : `Client (${name(b, "b")}) entered room`);
    const c = await flavor.join(port, "c");
    await flavor.joined(c); // a newcomer is told it is in, summary or not
    const d = await flavor.join(port, "d");
    await flavor.joined(d);
    const joined = `Server: 2 joined (${name(c, "c")}, ${name(d, "d")}); 4 here`;
    assert.equal(await a.expect(/^Server: \d+ joined/), joined);
    assert.ok(
      !a.lines.some((line) =>
        /client[cd]- enter|entered room$/.test(line) &&
        (line.includes(name(c, "c")) || line.includes(name(d, "d")))
      ),
      "no single notices",
    );
    await d.close(); // 3 left: counted for the next summary
    await until(() => server.room.size === 3, "d to leave");
    await c.close(); // 2 left: small again, so the pending summary goes first, c still counted
    await a.expect(`Server: 1 left (${name(d, "d")}); 3 here`);
    await a.expect(flavor.leaveNotice(name(c, "c")));
    const tail = a.lines.slice(-2);
    assert.deepEqual(tail, [
      `Server: 1 left (${name(d, "d")}); 3 here`,
      flavor.leaveNotice(name(c, "c")),
    ]);
    await Promise.all([a.close(), b.close()]);
    await server.shutdown();
  });

  Deno.test({
    name: `${flavor.name}: a member's connection has TCP keepalive on, so dead peers are found`,
    ignore: Deno.build.os !== "linux", // read from /proc/net/tcp
    async fn() {
      const server = flavor.start();
      const a = await flavor.join(server.addr.port, "a");
      await flavor.joined(a);
      let timers: string[] = [];
      // While a segment is unacknowledged its retransmit timer shows instead: wait it out.
      await until(
        async () => {
          timers = await tcpTimers(server.addr.port, a.conn.localAddr.port);
          return !timers.includes(TCP_TIMER.retransmit);
        },
        "the connection to go quiet",
      );
      // The test's own socket, without keepalive, shows that the field tells them apart.
      assert.deepEqual(timers, [TCP_TIMER.keepalive, TCP_TIMER.none]);
      await a.close();
      await server.shutdown();
    },
  });
}

/**
 * Makes `target[method]` throw a `TypeError` whenever `when` returns true for
 * a call (`this` and its arguments), as a bug there would; returns the undo.
 */
function inject<T extends object, K extends keyof T>(
  target: T,
  method: K,
  // deno-lint-ignore no-explicit-any
  when: (this: any, ...args: any[]) => boolean,
): () => void {
  const original = target[method] as (...args: unknown[]) => unknown;
  // Set on `target` itself, which may only inherit the method: the undo deletes it then.
  const own = Object.hasOwn(target, method);
  target[method] = function (this: unknown, ...args: unknown[]) {
    if (when.apply(this, args)) throw new TypeError("Injected fault");
    return original.apply(this, args);
  } as T[K];
  return () => {
    if (own) target[method] = original as T[K];
    else delete target[method];
  };
}

/**
 * Checks that the room goes on after a fault cost one member: a newcomer joins
 * and is heard by `witness`, and the room holds the two. Returns the newcomer.
 */
async function roomGoesOn(
  flavor: Flavor,
  server: ServerUnderTest,
  witness: LineClient,
): Promise<LineClient> {
  const next = await flavor.join(server.addr.port, "next");
  await flavor.joined(next);
  await next.send("still here");
  await witness.expect(/still here$/);
  assert.equal(server.room.size, 2);
  return next;
}
