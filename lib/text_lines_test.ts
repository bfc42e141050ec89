import assert from "node:assert/strict";
import { textLines } from "./text_lines.ts";

const encoder = new TextEncoder();

/** A reader that hands out `chunks`, one per read, then ends as `end` says. */
function chunkReader(chunks: (string | Uint8Array)[], end: "eof" | Error = "eof") {
  const pending = chunks.map((chunk) => typeof chunk === "string" ? encoder.encode(chunk) : chunk);
  return {
    read(p: Uint8Array): Promise<number | null> {
      const chunk = pending.shift();
      if (chunk === undefined) return end === "eof" ? Promise.resolve(null) : Promise.reject(end);
      assert.ok(chunk.length <= p.length, "each test chunk fits the smallest buffer");
      p.set(chunk);
      return Promise.resolve(chunk.length);
    },
  };
}

Deno.test("textLines() joins lines split across reads, inside a character too", async () => {
  const cafe = encoder.encode("caf\u00e9\n"); // "é" is two bytes: cut between them
  const reader = chunkReader(["he", "llo\nwor", "ld\n", cafe.subarray(0, 4), cafe.subarray(4)]);
  assert.deepEqual(await Array.fromAsync(textLines(reader)), ["hello", "world", "café"]);
});

Deno.test("textLines() gives an unfinished last line at the end of stream", async () => {
  let cuts = 0;
  const lines = textLines(chunkReader(["one\ntw", "o"]), { onCut: () => cuts++ });
  assert.deepEqual(await Array.fromAsync(lines), ["one", "two"]);
  assert.equal(cuts, 0);
});

Deno.test("textLines() drops an unfinished line after a reset, and tells onCut", async () => {
  let cuts = 0;
  const reset = new Deno.errors.ConnectionReset("reset");
  const reader = chunkReader(["[alice]whole\n[alice]I transfer the mo", "ney to acc"], reset);
  const lines = textLines(reader, { onCut: () => cuts++ });
  assert.deepEqual(await Array.fromAsync(lines), ["[alice]whole"]);
  assert.equal(cuts, 1);
});

Deno.test("textLines() drops an unfinished line when its reader is closed under it", async () => {
  const closed = new Deno.errors.BadResource("closed");
  const lines = textLines(chunkReader(["done\nhalf a li"], closed));
  assert.deepEqual(await Array.fromAsync(lines), ["done"]);
});

Deno.test("textLines() skips a line over maxLineBytes and tells onTooLong", async () => {
  let tooLong = 0;
  const reader = chunkReader(["ok\n", "x".repeat(60), "x".repeat(60), "\nnext\n"]);
  const lines = textLines(reader, { maxLineBytes: 100, onTooLong: () => tooLong++ });
  assert.deepEqual(await Array.fromAsync(lines), ["ok", "next"]);
  assert.equal(tooLong, 1);
});
