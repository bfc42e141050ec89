import assert from "node:assert/strict";
import { fakeConn } from "../tests/fake_conn.ts";
import { Member } from "./member.ts";
import { PresenceNotices } from "./presence.ts";
import { Room } from "./room.ts";

const decoder = new TextDecoder();

Deno.test("PresenceNotices.left() counts the leaver in the summary it sends ahead of its notice", async () => {
  const heard: string[] = [];
  const room = new Room({ smallRoomMembers: 0 });
  const presence = new PresenceNotices({ room, limit: 2, intervalMs: 60_000 });
  const join = (name: string) => {
    const conn = fakeConn((p) => {
      if (name === "amy") heard.push(...decoder.decode(p).split("\n").filter(Boolean));
      return Promise.resolve(p.length);
    });
    const member = new Member(conn, { name });
    room.add(member);
    presence.joined(name, `${name} joined`, member);
    return member;
  };
  const [amy, bob, cat] = ["amy", "bob", "cat"].map(join); // cat makes the room big: summarized
  room.delete(cat);
  presence.left("cat", "cat left", cat); // small again: the summary goes first, then the notice
  room.flush();
  await amy.flush(1000);
  assert.deepEqual(heard, ["bob joined", "Server: 1 joined (cat); 3 here", "cat left"]);
  presence.close();
  for (const one of [amy, bob, cat]) one.close();
});
