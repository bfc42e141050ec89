import assert from "node:assert/strict";
import { INITIAL_READ_BYTES } from "./conn_reader.ts";
import { Member } from "./member.ts";
import { memberLines, memberLinesOptions } from "./member_lines.ts";
import { Room } from "./room.ts";

Deno.test("memberLines() serves every member from one shared, frozen options object", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // A server builds these once for all its members; memberLines() must only read them.
  const options = Object.freeze({ room: new Room(), maxLineBytes: 256, rateLimit: 100 });
  const encoder = new TextEncoder();
  const long = "x".repeat(INITIAL_READ_BYTES + 72);
  const runs = [0, 1].map(async (i) => {
    const peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const member = new Member(await listener.accept(), { name: `m${i}` });
    const lines = Array.fromAsync(memberLines(member, options));
    // Lines split across writes, one of them longer than the first read buffer.
    for (const chunk of [`hel`, `lo ${i}\nwor`, `ld ${i}\n${long}\n`]) {
      await peer.write(encoder.encode(chunk));
    }
    await peer.closeWrite();
    const got = await lines;
    member.close();
    peer.close();
    return got;
  });
  const [first, second] = await Promise.all(runs);
  assert.deepEqual(first, ["hello 0", "world 0", long]);
  assert.deepEqual(second, ["hello 1", "world 1", long]);
});

Deno.test("memberLinesOptions() takes the reader's options from a server's, and freezes them", () => {
  const room = new Room();
  // A server's options carry much else, like its log: only the reader's are taken.
  const config = {
    port: 1234,
    maxLineBytes: 100,
    partialLineMs: 50,
    rateLimit: 5,
    rateBurst: 10,
    idleTimeoutMs: 0,
    log: () => {},
  };
  const threaded = memberLinesOptions(room, config);
  assert.deepEqual(
    { ...threaded },
    { room, maxLineBytes: 100, partialLineMs: 50, rateLimit: 5, rateBurst: 10, idleTimeoutMs: 0 },
  );
  // The select server has no partial-line wait: it stays unset, which memberLines() reads as 0.
  const select = memberLinesOptions(room, { maxLineBytes: 100, rateLimit: 5 });
  assert.equal(select.partialLineMs, undefined);
  assert.equal(Object.isFrozen(select), true);
  assert.throws(() => {
    (select as { rateLimit?: number }).rateLimit = 0;
  }, TypeError);
});
