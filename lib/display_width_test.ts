import { deepEqual, equal } from "node:assert/strict";
import { displayWidth, graphemes, wrappedRows } from "./display_width.ts";

Deno.test("displayWidth() behaviour with ASCII and Latin text", () => {
  equal(displayWidth(""), 0);
  equal(displayWidth("hello, world"), 12);
  equal(displayWidth("café"), 4);
  equal(displayWidth("e\u0301"), 1, "combining acute accent");
  equal(displayWidth("a\u0308\u0301b"), 2, "stacked combining marks");
  equal(displayWidth("Ωλ"), 2);
});

Deno.test("displayWidth() behaviour with East Asian wide characters", () => {
  equal(displayWidth("한글"), 4, "Hangul syllables");
  equal(displayWidth("안녕하세요!"), 11);
  equal(displayWidth("\u1100\u1161\u11a8"), 2, "conjoining Jamo form one wide cluster");
  equal(displayWidth("\u1161"), 0, "orphan medial vowel");
  equal(displayWidth("ㅋㅋ"), 4, "compatibility Jamo");
  equal(displayWidth("漢字"), 4, "CJK ideographs");
  equal(displayWidth("ひらがなカタカナ"), 16, "kana");
  equal(displayWidth("ｶﾀｶﾅ"), 4, "halfwidth katakana stays narrow");
  equal(displayWidth("ＡＢ１"), 6, "fullwidth forms");
  equal(displayWidth("、。"), 4, "CJK punctuation");
  equal(displayWidth("\u{20000}"), 2, "CJK extension B");
});

Deno.test("displayWidth() behaviour with emoji", () => {
  equal(displayWidth("👍"), 2);
  equal(displayWidth("👍🏽"), 2, "skin-tone modifier");
  equal(displayWidth("👩‍💻"), 2, "ZWJ sequence");
  equal(displayWidth("👨‍👩‍👧‍👦"), 2, "family ZWJ sequence");
  equal(displayWidth("🇰🇷"), 2, "flag");
  equal(displayWidth("🇰🇷🇯🇵"), 4, "two flags");
  equal(displayWidth("❤️"), 2, "text-default pictograph with U+FE0F");
  equal(displayWidth("❤"), 1, "text-default pictograph alone");
  equal(displayWidth("#️⃣"), 2, "keycap");
  equal(displayWidth("⌚"), 2, "emoji presentation in the BMP");
  equal(displayWidth("hi 👋 한"), 8);
});

Deno.test("displayWidth() behaviour with zero-width characters", () => {
  equal(displayWidth("\u200d"), 0, "ZWJ");
  equal(displayWidth("\u200b"), 0, "zero width space");
  equal(displayWidth("\ufe0f"), 0, "lone variation selector");
  equal(displayWidth("\u2060"), 0, "word joiner");
  equal(displayWidth("\u0301"), 0, "orphan combining mark");
  equal(displayWidth("a\u200bb"), 2);
  equal(displayWidth("\x07"), 0, "control character");
});

Deno.test("graphemes() behaviour", () => {
  deepEqual(graphemes(""), []);
  deepEqual(graphemes("abc"), ["a", "b", "c"]);
  deepEqual(graphemes("한글"), ["한", "글"]);
  deepEqual(graphemes("e\u0301👍🏽👩‍💻🇰🇷x"), ["e\u0301", "👍🏽", "👩‍💻", "🇰🇷", "x"]);
  equal(graphemes("a👨‍👩‍👧‍👦b").join(""), "a👨‍👩‍👧‍👦b");
});

Deno.test("wrappedRows() behaviour at the right edge", () => {
  equal(wrappedRows("", 80), 1);
  equal(wrappedRows("x".repeat(160), 80), 2);
  equal(wrappedRows("x".repeat(161), 80), 3);
  equal(wrappedRows("가".repeat(40), 80), 1);
  equal(wrappedRows("가".repeat(41), 80), 2);
  // 79 columns: 39 가 a row, the 80th column of each left empty rather than split a 가.
  equal(wrappedRows("가".repeat(78), 79), 2);
  equal(wrappedRows("가".repeat(79), 79), 3);
  equal(wrappedRows("x" + "👍".repeat(5), 10), 2); // x + 4 emoji fill 9 columns; 1 more
  equal(wrappedRows("e\u0301".repeat(80), 80), 1); // combining marks take no column
  equal(wrappedRows("a\tb", 80), 1);
  equal(wrappedRows("x".repeat(75) + "\t" + "yy", 80), 2); // the tab stops at column 79
  equal(wrappedRows("가가", 1), 2); // one a row, cut at the edge
  equal(wrappedRows("ab", 0), 2);
});
