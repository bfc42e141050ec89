import assert from "node:assert/strict";
import { type Frame, LINE_TOO_LONG, LineDecoder } from "./line_decoder.ts";

const encoder = new TextEncoder();
const INPUT = "hello\n안녕하세요\r\n👩‍💻 emoji\n\nlast one\n";
const LINES = ["hello", "안녕하세요", "👩‍💻 emoji", "", "last one"];

function decodeInPieces(bytes: Uint8Array, cuts: number[], maxLineBytes?: number): Frame[] {
  const decoder = new LineDecoder({ maxLineBytes });
  const frames: Frame[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    frames.push(...decoder.push(bytes.slice(start, cut)));
    start = cut;
  }
  const last = decoder.flush();
  if (last !== undefined) frames.push(last);
  return frames;
}

Deno.test("LineDecoder.push() gives the same lines however the input is split in two", () => {
  const bytes = encoder.encode(INPUT);
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(decodeInPieces(bytes, [cut]), LINES, `split at byte ${cut}`);
  }
});

Deno.test("LineDecoder.push() gives the same lines when split at every pair of boundaries", () => {
  const bytes = encoder.encode("가나\r\n다😀라\n");
  for (let a = 0; a <= bytes.length; a++) {
    for (let b = a; b <= bytes.length; b++) {
      assert.deepEqual(decodeInPieces(bytes, [a, b]), ["가나", "다😀라"], `cuts ${a}, ${b}`);
    }
  }
});

Deno.test("LineDecoder.push() handles one byte at a time and many lines in one chunk", () => {
  const bytes = encoder.encode(INPUT);
  const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(decodeInPieces(bytes, cuts), LINES);
  const many = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
  assert.deepEqual(new LineDecoder().push(encoder.encode(many.join("\n") + "\n")), many);
});

Deno.test("LineDecoder.push() turns invalid UTF-8 into U+FFFD and nothing worse", () => {
  const decoder = new LineDecoder();
  const frames = decoder.push(new Uint8Array([0x61, 0xc3, 0x28, 0xff, 0x00, 0x0a, 0x62, 0x0a]));
  assert.deepEqual(frames, ["a\ufffd(\ufffd\x00", "b"]);
});

Deno.test("LineDecoder.push() reports an over-long line once and skips to the next newline", () => {
  const long = "x".repeat(11);
  assert.deepEqual(new LineDecoder({ maxLineBytes: 10 }).push(encoder.encode(`${long}\nok\n`)), [
    LINE_TOO_LONG,
    "ok",
  ]);
  // Exactly at the limit passes, with either line ending.
  const exact = "y".repeat(10);
  assert.deepEqual(new LineDecoder({ maxLineBytes: 10 }).push(encoder.encode(`${exact}\r\n`)), [
    exact,
  ]);
  // Streamed in pieces, the marker comes as soon as the limit is passed, then nothing is kept.
  const bytes = encoder.encode(`${"z".repeat(1000)}\nafter\n`);
  for (let cut = 1; cut < bytes.length; cut += 37) {
    assert.deepEqual(decodeInPieces(bytes, [cut], 10), [LINE_TOO_LONG, "after"], `cut ${cut}`);
  }
  const decoder = new LineDecoder({ maxLineBytes: 10 });
  assert.deepEqual(decoder.push(encoder.encode("z".repeat(50))), [LINE_TOO_LONG]);
  assert.equal(decoder.pending, 0);
  assert.deepEqual(decoder.push(encoder.encode("z".repeat(50))), []);
  assert.deepEqual(decoder.push(encoder.encode("zz\nfine\n")), ["fine"]);
});

Deno.test("LineDecoder.pending never exceeds the limit", () => {
  const decoder = new LineDecoder({ maxLineBytes: 64 });
  for (let i = 0; i < 1000; i++) {
    decoder.push(encoder.encode("abcdefg"));
    assert.ok(decoder.pending <= 65);
  }
});

Deno.test("LineDecoder.flush() returns the unfinished line once", () => {
  const decoder = new LineDecoder();
  assert.deepEqual(decoder.push(encoder.encode("[bob]hi")), []);
  assert.equal(decoder.flush(), "[bob]hi");
  assert.equal(decoder.flush(), undefined);
});

Deno.test("LineDecoder.cut() never splits a character, wherever the input is split", () => {
  const text = "[bob]한국어 é 🎉!";
  const bytes = encoder.encode(text);
  for (let at = 0; at <= bytes.length; at++) {
    const decoder = new LineDecoder();
    decoder.push(bytes.slice(0, at));
    const first = decoder.cut(); // the sender paused here, long enough to be cut
    decoder.push(bytes.slice(at));
    const rest = decoder.cut();
    assert.equal(decoder.pending, 0, `split at byte ${at}`);
    const parts = [first, rest].filter((part) => part !== undefined);
    assert.equal(parts.join(""), text, `split at byte ${at}`);
  }
});

Deno.test("LineDecoder.cut() keeps only the start of a character, and flush() ends even that", () => {
  const decoder = new LineDecoder();
  decoder.push(new Uint8Array([0x61, 0xff])); // a byte no character begins with
  assert.equal(decoder.cut(), "a\ufffd");
  decoder.push(new Uint8Array([0x62, 0xf0, 0x9f, 0x98])); // "b" and 3 bytes of 4
  assert.equal(decoder.cuttable, true);
  assert.equal(decoder.cut(), "b");
  assert.equal(decoder.pending, 3);
  assert.equal(decoder.cuttable, false);
  assert.equal(decoder.cut(), undefined, "no message in part of a character");
  assert.equal(decoder.flush(), "\ufffd", "the peer closed: what is left is shown as invalid");
  assert.equal(decoder.unfinished, false);
});

Deno.test("LineDecoder.cut() ends a too-long line's skipping, as flush() does", () => {
  const decoder = new LineDecoder({ maxLineBytes: 4 });
  assert.deepEqual(decoder.push(encoder.encode("much too long 한")), [LINE_TOO_LONG]);
  assert.equal(decoder.cuttable, true, "its end is to be cut off");
  assert.equal(decoder.cut(), undefined);
  assert.equal(decoder.unfinished, false);
  decoder.push(encoder.encode("ok"));
  assert.equal(decoder.cut(), "ok");
});

Deno.test("LineDecoder() rejects a limit that is not a positive integer", () => {
  assert.throws(() => new LineDecoder({ maxLineBytes: 0 }), /maxLineBytes 0/);
});
