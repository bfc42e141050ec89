import assert from "node:assert/strict";
import { quote, sanitize } from "./sanitize.ts";

Deno.test("sanitize() passes printable text unchanged", () => {
  for (const text of ["hello", "안녕하세요", "👩‍💻👍🏽🇰🇷", "日本語 中文", "tab-free", "ÄÖÜ €"]) {
    assert.equal(sanitize(text), text);
  }
});

Deno.test("sanitize() shows every C0 control, DEL and C1 control visibly", () => {
  assert.equal(sanitize("\x1b[2J"), "^[[2J");
  assert.equal(sanitize("\x1b]0;title\x07"), "^[]0;title^G");
  assert.equal(sanitize("\x1b]52;c;ZXZpbA==\x1b\\"), "^[]52;c;ZXZpbA==^[\\");
  assert.equal(sanitize("a\x08\x08b"), "a^H^Hb");
  assert.equal(sanitize("fake\r[bob]"), "fake^M[bob]");
  assert.equal(sanitize("\x00\x7f"), "^@^?");
  assert.equal(sanitize("\u009b31m\u0085"), "M-^[31mM-^E");
  assert.equal(sanitize("a\tb"), "a b");
  for (let code = 0; code < 0xa0; code++) {
    if (code >= 0x20 && code < 0x7f) continue;
    const out = sanitize(String.fromCharCode(code));
    assert.ok(!/[\x00-\x1f\x7f-\x9f]/.test(out), `U+${code.toString(16)} became ${out}`);
  }
});

Deno.test("sanitize() shows bidi overrides and line separators", () => {
  assert.equal(sanitize("abc\u202Edef"), "abc<U+202E>def");
  assert.equal(sanitize("a\u2028b\u2066"), "a<U+2028>b<U+2066>");
});

Deno.test("quote() sanitizes and cuts long values", () => {
  assert.equal(quote("bo\x1bb"), '"bo^[b"');
  assert.equal(quote("가".repeat(50), 3), '"가가가…"');
});
