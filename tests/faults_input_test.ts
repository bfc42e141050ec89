/**
 * Fault suite, hostile input: bytes that are not text, lines that never end,
 * terminal escape sequences, lines cut into single bytes or piled into one
 * write, and IDs chosen to break things. Each case runs against both servers
 * (IDs: the threaded one) and ends with the kit's checks: the server still
 * serves, the witnesses lost nothing, memory stayed bounded.
 */
import assert from "node:assert/strict";
import { FLAVORS } from "./flavors.ts";
import { LineClient } from "./line_client.ts";
import {
  CONTROL_CHARS,
  enterNotice,
  faultSeed,
  freshId,
  joinMember,
  joinTally,
  leaveOf,
  Prng,
  refusalCount,
  said,
  until,
  withFaultRoom,
} from "./faults_kit.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../lib/line_decoder.ts";

const encoder = new TextEncoder();

/** `text` as bytes, with raw bytes spliced in where `bytes` are numbers. */
function bytesOf(...parts: (string | number)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "number") out.push(part);
    else out.push(...encoder.encode(part));
  }
  return new Uint8Array(out);
}

/** A pattern matching lines that start with `prefix`, taken literally. */
function startingWith(prefix: string): RegExp {
  return new RegExp("^" + prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

const threaded = FLAVORS.find((flavor) => flavor.handshake)!;

for (const flavor of FLAVORS) {
  Deno.test(`${flavor.name}: invalid UTF-8, NUL and binary arrive sanitized`, async () => {
    const prng = new Prng(faultSeed(`${flavor.name} binary`));
    await withFaultRoom(flavor, {}, async ({ port, witnesses, watcher }) => {
      const raw = await joinTally(flavor, port, "raw");
      const { client: mallory, id } = await joinMember(flavor, port, "mallory");
      // Each line after its tag, and what the others must see of it.
      const cases: [string, (string | number)[], string][] = [
        ["nul", ["a", 0x00, "b", 0x00], "a^@b^@"],
        ["invalid", [0xfe, 0xc0, "A"], "\ufffd\ufffdA"],
        ["stray 0xFF", [0xff, "A"], "A"], // 0xFF starts a telnet command; alone it goes
        ["telnet", [0xff, 0xf1, "A", 0xff, 0xff], "A\ufffd"], // NOP, then an escaped 0xFF
        ["overlong NUL", [0xc0, 0x80], "\ufffd\ufffd"],
        ["surrogate", [0xed, 0xa0, 0x80], "\ufffd".repeat(3)],
        ["beyond U+10FFFF", [0xf4, 0x90, 0x80, 0x80], "\ufffd".repeat(4)],
        ["truncated", [0xe2, 0x82], "\ufffd"],
        ["raw C1", [0x9b, "2J", 0x85], "\ufffd2J\ufffd"],
        ["DEL and ESC", [0x7f, 0x1b], "^?^["],
      ];
      await witnesses.during((async () => {
        for (const [tag, parts, shown] of cases) {
          await mallory.sendRaw(bytesOf(`${tag}: `, ...parts, "\n"));
          const line = await watcher.expect(startingWith(said(flavor, mallory, id, `${tag}: `)));
          assert.equal(line, said(flavor, mallory, id, `${tag}: ${shown}`));
        }
        // 256 KiB of random bytes in random-sized writes: about a thousand random lines.
        const binary = prng.bytes(256 * 1024);
        for (let offset = 0; offset < binary.length;) {
          const size = 1 + prng.int(8192);
          await mallory.sendRaw(binary.subarray(offset, offset + size));
          offset += size;
        }
        // Random bytes may end inside a telnet command (IAC SB swallows up to 1 KiB, say): two
        // IAC SE end any of them, whatever state the bytes left, before the last line.
        await mallory.sendRaw(new Uint8Array([0xff, 0xf0, 0xff, 0xf0]));
        await mallory.send("\nbinary done");
        await watcher.expect(said(flavor, mallory, id, "binary done"));
        await mallory.send("/me is done");
        const action = `* ${flavor.handshake ? id : flavor.nameOf(mallory)} is done`;
        await raw.tally.until(() => raw.tally.notices.includes(action), "the /me line");
      })());
      assert.equal(raw.tally.controls, 0, "no control byte reached the raw observer");
      assert.equal(raw.tally.invalidUtf8, false, "everything the server sent was valid UTF-8");
      assert.ok(raw.tally.messages > 100, `the random lines were relayed (${raw.tally.messages})`);
      assert.equal(mallory.eof, false, "the sender of garbage is still a member");
      await mallory.close();
      await watcher.expect(leaveOf(flavor, mallory, id));
      await raw.tally.close();
    });
  });

  Deno.test(`${flavor.name}: a 10 MB line is refused to its sender only`, async () => {
    await withFaultRoom(flavor, {}, async ({ port, witnesses, watcher }) => {
      const { client: mallory, id } = await joinMember(flavor, port, "mallory");
      const chunk = new Uint8Array(64 * 1024).fill(0x7a);
      await witnesses.during((async () => {
        for (let sent = 0; sent < 10 * 1000 * 1000; sent += chunk.length) {
          await mallory.sendRaw(chunk);
        }
        await mallory.expect(`Error: line too long, the limit is ${DEFAULT_MAX_LINE_BYTES} bytes`);
        await mallory.sendRaw("\nafter the long line\n");
        await watcher.expect(said(flavor, mallory, id, "after the long line"));
      })());
      const errors = mallory.lines.filter((line) => line.startsWith("Error"));
      assert.equal(errors.length, 1, "the sender is told once");
      for (const witness of [witnesses.alice, witnesses.bob, watcher]) {
        assert.ok(!witness.lines.some((line) => line.includes("zzzz")), "nothing of it relayed");
        assert.ok(!witness.lines.some((line) => line.startsWith("Error")), "others are not told");
      }
      assert.equal(mallory.eof, false, "the sender is still a member");
      await mallory.close();
      await watcher.expect(leaveOf(flavor, mallory, id));
    });
  });

  Deno.test(`${flavor.name}: escapes, BEL, BS, bare CR, C1 reach nobody as controls`, async () => {
    await withFaultRoom(flavor, {}, async ({ port, witnesses, watcher, log }) => {
      const { bob } = witnesses;
      const raw = await joinTally(flavor, port, "raw");
      const { client: mallory, id } = await joinMember(flavor, port, "mallory");
      const bobPrefix = said(flavor, bob, witnesses.bobId, "");
      const injections: [string, Uint8Array | string][] = [
        ["clear", "\x1b[2J\x1b[H\x1b[3J"],
        ["title", "\x1b]0;owned\x07"],
        ["clipboard", "\x1b]52;c;cm0gLXJmIH4K\x07"],
        ["hyperlink", "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"],
        ["dcs", "\x1bPq#0;2;0;0;0\x1b\\"],
        ["bell", "ding\x07\x07\x07"],
        ["backspace", "rm -rf /\x08\x08\x08\x08\x08\x08\x08\x08ls"],
        ["c1 utf8", "\u009b2J\u009d0;owned\u009c\u0085\u0090\u009f"],
        ["c1 raw", bytesOf(0x9b, "2J", 0x9d, "0;owned", 0x9c)],
        ["del", "x\x7f\x7fy"],
        ["bidi", "\u202egnp.exe\u202c \u2066isolate\u2069"],
        ["separators", "a\u2028b\u2029c"],
        ["tabs", "a\tb\x0bc\x0cd"],
        ["cr forgery", `hi\r${bobPrefix}I owe mallory $100`],
        ["cr at end", "looks fine\r\r"],
      ];
      const seen = new Map<string, string>();
      await witnesses.during((async () => {
        for (const [tag, payload] of injections) {
          const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
          await mallory.sendRaw(bytesOf(`${tag}: `, ...bytes, 0x0a));
          const line = await watcher.expect(startingWith(said(flavor, mallory, id, `${tag}: `)));
          assert.doesNotMatch(line, CONTROL_CHARS, tag);
          seen.set(tag, line);
        }
        assert.equal(
          seen.get("clear"),
          said(flavor, mallory, id, "clear: ^[[2J^[[H^[[3J"),
          "escapes are shown, as cat -v would",
        );
        assert.equal(
          seen.get("cr forgery"),
          said(flavor, mallory, id, `cr forgery: hi^M${bobPrefix}I owe mallory $100`),
        );
        // A newline splits the forgery off into a line of its own, which is stamped too.
        await mallory.sendRaw(`split\n${bobPrefix}I owe mallory $200\n`);
        assert.equal(
          await watcher.expect(/\$200/),
          said(flavor, mallory, id, `${bobPrefix}I owe mallory $200`),
        );
        await mallory.send("/me \x1b[2J\x07waves");
        const me = flavor.handshake ? id : flavor.nameOf(mallory);
        assert.equal(await watcher.expect(/^\* /), `* ${me} ^[[2J^Gwaves`);
        await mallory.send("/quit \x1b]0;bye\x07\x9b");
        await watcher.expect(leaveOf(flavor, mallory, id, "^[]0;bye^GM-^["));
        await mallory.expectClose();
        await raw.tally.until(() => raw.tally.notices.some((n) => n.includes("bye")), "the quit");
      })());
      const forged = watcher.lines.filter((line) => line.startsWith(bobPrefix));
      assert.ok(forged.every((line) => /witness \d+$/.test(line)), "nobody spoke as bob");
      assert.equal(raw.tally.controls, 0, "no control byte reached the raw observer");
      assert.equal(raw.tally.invalidUtf8, false);
      assert.deepEqual(log.filter((line) => CONTROL_CHARS.test(line)), [], "the console is clean");
      await mallory.close();
      await raw.tally.close();
    });
  });

  Deno.test(`${flavor.name}: a line a byte per write, and 1000 lines in one write`, async () => {
    const prng = new Prng(faultSeed(`${flavor.name} fragments`));
    await withFaultRoom(flavor, {}, async ({ port, witnesses, watcher }) => {
      const id = freshId("frag");
      const mallory = await LineClient.connect(port);
      // On the threaded server the ID itself comes a byte at a time.
      const sendBytewise = async (bytes: Uint8Array) => {
        for (let i = 0; i < bytes.length; i++) await mallory.sendRaw(bytes.subarray(i, i + 1));
      };
      if (flavor.handshake) await sendBytewise(encoder.encode(`${id}\n`));
      await flavor.joined(mallory);
      const mine = (pattern: RegExp) => (line: string) =>
        line.startsWith(said(flavor, mallory, id, "")) && pattern.test(line);
      await witnesses.during((async () => {
        const text = "fragmented 한국어 🎉 line";
        await sendBytewise(encoder.encode(`${text}\n`));
        assert.equal(
          await watcher.expect(startingWith(said(flavor, mallory, id, "fragmented"))),
          said(flavor, mallory, id, text),
        );

        const coalesced = Array.from({ length: 1000 }, (_, i) => `coalesced ${i}`);
        await mallory.sendRaw(coalesced.join("\n") + "\n");
        await watcher.expect(said(flavor, mallory, id, "coalesced 999"));
        assert.deepEqual(
          watcher.lines.filter(mine(/coalesced \d+$/)),
          coalesced.map((text) => said(flavor, mallory, id, text)),
        );

        // 1000 lines again, cut at random points into random writes.
        const cut = Array.from({ length: 1000 }, (_, i) => `cut ${i} ${"é".repeat(prng.int(20))}`);
        const bytes = encoder.encode(cut.join("\n") + "\n");
        for (let offset = 0; offset < bytes.length;) {
          const size = 1 + prng.int(prng.chance(0.5) ? 8 : 600);
          await mallory.sendRaw(bytes.subarray(offset, offset + size));
          offset += size;
        }
        await watcher.expect(said(flavor, mallory, id, cut[999]));
        assert.deepEqual(
          watcher.lines.filter(mine(/cut \d+ é*$/)),
          cut.map((text) => said(flavor, mallory, id, text)),
        );
      })());
      await mallory.close();
      await watcher.expect(leaveOf(flavor, mallory, id));
    });
  });
}

Deno.test(`${threaded.name}: duplicate, invalid, control-only, 10 KB IDs refused`, async () => {
  await withFaultRoom(threaded, { maxClients: 16 }, async ({ port, witnesses, watcher, log }) => {
    const { aliceId } = witnesses;
    const fullwidth = Array.from(aliceId, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0))
      .join("");
    const cases: [string | Uint8Array, RegExp][] = [
      [aliceId, new RegExp(`^Error: ID "${aliceId}" is already in the room$`)],
      [aliceId.toUpperCase(), /already in the room/],
      [fullwidth, /already in the room/],
      ["bo b", /must not contain spaces/],
      ["tab\there", /must not contain spaces/],
      ["nb\u00a0sp", /must not contain spaces/],
      ["[alice]", /brackets/],
      ["a]b", /brackets/],
      ["zero\u200bwidth", /control or invisible characters/],
      ["bidi\u202eid", /control or invisible characters/],
      ["alice\u034f", /control or invisible characters/],
      ["\u3164", /control or invisible characters/],
      ["\x07\x1b\x08", /^Error: ID "\^G\^\[\^H" must not contain/],
      ["\x00\x00\x00", /must not contain/],
      ["\u0085\u009b", /^Error: ID "M-\^EM-\^\[" must not contain/],
      ["\x1b[2J\x1b]0;owned\x07", /must not contain/],
      ["evil\r[alice]", /^Error: ID "evil\^M\[alice\]" must not contain/],
      [bytesOf(0x1b, 0x9b, 0xff), /must not contain/],
      [
        bytesOf(0x62, 0x6f, 0xc3, 0x28),
        /^Error: ID "bo\uFFFD\(" must not contain U\+FFFD, which stands for bytes/,
      ],
      // Telnet's escaped 0xFF: one byte that is not UTF-8.
      [bytesOf(0xff, 0xff), /^Error: ID "\uFFFD" must not contain U\+FFFD, which stands for bytes/],
      ["x".repeat(33), /^Error: ID "x{33}" is too long: 33 characters, the limit is 32$/],
      ["x".repeat(3000), /^Error: ID "x{40}…" is too long: 3000 characters/],
      ["x".repeat(10 * 1024), /^Error: ID is too long$/],
      ["\x1b".repeat(10 * 1024), /^Error: ID is too long$/],
      ["한".repeat(3000), /^Error: ID is too long$/],
    ];
    await witnesses.during((async () => {
      for (const [id, pattern] of cases) {
        const client = await LineClient.connect(port);
        const bytes = typeof id === "string" ? encoder.encode(id) : id;
        // Long IDs go in 100-byte writes, as a slow sender would.
        for (let offset = 0; offset < bytes.length; offset += 100) {
          await client.sendRaw(bytes.subarray(offset, offset + 100));
        }
        await client.sendRaw("\n");
        const error = await client.expect(/^Error/);
        assert.match(error, pattern, `${JSON.stringify(id).slice(0, 60)} got ${error}`);
        assert.doesNotMatch(error, CONTROL_CHARS);
        assert.ok(error.length < 200, `the error is short: ${error.length}`);
        await client.expectClose();
        await client.close();
      }
      // Eight members race for one new ID: exactly one gets it.
      const racer = freshId("racer");
      const racers = await Promise.all(
        Array.from({ length: 8 }, () => LineClient.join(port, racer)),
      );
      const outcomes = await Promise.all(racers.map((r) => r.expect(/^(Server: welcome|Error)/)));
      assert.equal(outcomes.filter((line) => line.startsWith("Server: welcome")).length, 1);
      assert.equal(outcomes.filter((line) => /already in the room/.test(line)).length, 7);
      await watcher.expect(enterNotice(threaded, racer));
      await Promise.all(racers.map((r) => r.close()));
      await watcher.expect(`client${racer}- exit`);
      // /nick is held to the same rules, checked on the raw text as at join.
      const { client: nicky, id: nickyId } = await joinMember(threaded, port, "nicky");
      for (
        const [nick, pattern] of [
          [aliceId, /^Error: .* already in the room/],
          ["\x1b[2J", /^Error: .* must not contain/],
          ["y".repeat(3000), /^Error: .* too long/],
          ["\x00\x07", /^Error: ID "\^@\^G" must not contain/],
        ] as const
      ) {
        await nicky.send(`/nick ${nick}`);
        const answer = await nicky.expect(/^(Error|Server: you are now)/);
        assert.match(answer, pattern);
        assert.doesNotMatch(answer, CONTROL_CHARS);
      }
      await nicky.close();
      await watcher.expect(`client${nickyId}- exit`);
    })());
    await until(() => refusalCount(log) === cases.length + 7, "each refusal logged or counted");
    const refusals = log.filter((line) => line.startsWith("Refused"));
    assert.ok(refusals.length >= 10, "ten a second in full");
    for (const line of refusals) {
      assert.match(line, /^Refused 127\.0\.0\.1:\d+: ID /, "the log names the peer and the reason");
      assert.doesNotMatch(line, CONTROL_CHARS);
      assert.ok(line.length < 200, `a refusal is one short line: ${line.length}`);
    }
    const notices = watcher.lines.filter((line) => /^client.*- (enter|exit|is now)/.test(line));
    assert.ok(
      notices.every((line) => /^client(racer\d+|nicky\d+)- /.test(line)),
      "no refused ID was announced",
    );
  });
});
