import assert from "node:assert/strict";
import { hereSummary, whoLines } from "./who.ts";

const named = (...names: string[]) => names.map((name) => ({ name }));

Deno.test("hereSummary() lists every name in a small room", () => {
  assert.equal(hereSummary(named("ann", "bob"), 2), "2 here: ann, bob");
});

Deno.test("hereSummary() lists the first names and counts the rest", () => {
  const members = named(...Array.from({ length: 5000 }, (_, i) => `u${i}`));
  assert.equal(hereSummary(members, 5000, 3), "5000 here: u0, u1, u2 and 4997 more");
});

Deno.test("hereSummary() reads no further than the names it lists", () => {
  let read = 0;
  function* members() {
    for (let i = 0; i < 1000; i++) {
      read++;
      yield { name: `u${i}` };
    }
  }
  hereSummary(members(), 1000, 20);
  assert.equal(read, 21);
});

Deno.test("whoLines() keeps a small room on one line", () => {
  assert.deepEqual(whoLines(named("ann"), 1), ["Server: 1 here: ann"]);
  assert.deepEqual(whoLines([], 0), ["Server: 0 here:"]);
});

Deno.test("whoLines() splits a big room into lines of at most maxChars", () => {
  const names = Array.from({ length: 5000 }, (_, i) => `member${i}`);
  const lines = whoLines(named(...names), names.length, 1000);
  assert.ok(lines.length > 1);
  for (const line of lines) assert.ok(line.length <= 1000, `${line.length} chars`);
  assert.ok(lines[0].startsWith("Server: 5000 here: member0, "));
  for (const line of lines.slice(1)) assert.ok(line.startsWith("Server: member"), line);
  const listed = lines.map((line) => line.replace(/^Server: (5000 here: )?/, "").replace(/,$/, ""))
    .join(", ").split(", ");
  assert.deepEqual(listed, names);
});

Deno.test("whoLines() ends a full line with its comma within maxChars, whatever the names' length", () => {
  for (let length = 1; length <= 40; length++) {
    const names = Array.from({ length: 100 }, () => "x".repeat(length));
    for (const maxChars of [60, 61, 100, 1000]) {
      for (const line of whoLines(named(...names), names.length, maxChars)) {
        assert.ok(
          line.length <= maxChars,
          `${line.length} > ${maxChars} chars, names of ${length}`,
        );
      }
    }
  }
});

Deno.test("whoLines() gives a name longer than maxChars a line of its own", () => {
  const long = "x".repeat(50);
  assert.deepEqual(whoLines(named("a", long, "b"), 3, 20), [
    "Server: 3 here: a,",
    `Server: ${long},`,
    "Server: b",
  ]);
});
