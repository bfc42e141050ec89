import assert from "node:assert/strict";
import { idError, idKey } from "./member_id.ts";

Deno.test("idError() accepts names in any script, up to 32 characters", () => {
  for (const id of ["bob", "민수", "Zoë", "ナオミ", "❤", "a".repeat(32), "👍".repeat(32)]) {
    assert.equal(idError(id), undefined, id);
  }
  assert.match(idError("a".repeat(33))!, /is too long: 33 characters, the limit is 32$/);
  assert.equal(idError(""), "ID must not be empty");
});

Deno.test("idError() refuses an ID that could pass for another, or for nothing", () => {
  const refused = {
    "a space": "bo b",
    "a tab": "bo\tb",
    "a bracket": "[bob]",
    "a control character": "bob\x1b[31m",
    "a zero-width joiner": "bo\u200db",
    "a right-to-left override": "bob\u202e",
    "the combining grapheme joiner": "alice\u034f",
    "a variation selector": "ALICE\ufe0f",
    "a supplementary variation selector": "bob\u{e0100}",
    "a Hangul filler": "\u3164",
    "a Hangul choseong filler": "\u115f",
    "a Hangul jungseong filler": "bob\u1160",
    "a halfwidth Hangul filler": "\uffa0",
    "the blank Braille pattern": "alice\u2800",
    "the blank Braille pattern alone": "\u2800",
  };
  for (const [what, id] of Object.entries(refused)) {
    assert.match(idError(id) ?? "accepted", /must not contain spaces, brackets, control/, what);
  }
});

Deno.test("idError() refuses an ID with bytes that were not UTF-8", () => {
  const decoded = new TextDecoder().decode(new Uint8Array([0x62, 0x6f, 0xc3, 0x28]));
  assert.equal(
    idError(decoded),
    'ID "bo\uFFFD(" must not contain U+FFFD, which stands for bytes that are not UTF-8',
  );
  assert.match(idError("\uFFFD") ?? "accepted", /must not contain U\+FFFD/);
});

Deno.test("idKey() compares IDs without case or compatibility differences", () => {
  assert.equal(idKey("Bob"), idKey("bob"));
  assert.equal(idKey("ＢＯＢ"), idKey("bob")); // fullwidth letters
  assert.notEqual(idKey("bob"), idKey("rob"));
});
