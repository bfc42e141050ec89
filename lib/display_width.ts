/**
 * Terminal column width of text, measured per grapheme cluster.
 *
 * A cluster is as wide as its first code point, except that emoji clusters (emoji presentation
 * characters, emoji ZWJ sequences, flags, skin-tone modified emoji, keycaps and text-default
 * pictographs followed by U+FE0F) always take two columns, the way modern terminals draw them.
 *
 * @module
 */

/** Splits text into extended grapheme clusters. Locale-independent by definition. */
const SEGMENTER = new Intl.Segmenter("en", { granularity: "grapheme" });

/** Text made only of printable ASCII: one column per UTF-16 code unit. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Emoji that are drawn as emoji without a variation selector (includes flags and skin tones). */
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}/u;

/** U+FE0F VARIATION SELECTOR-16: requests emoji presentation of the preceding character. */
const EMOJI_VARIATION_SELECTOR = "\ufe0f";

/** Characters that take emoji presentation when followed by U+FE0F. */
const EMOJI_BASE = /^[\p{Emoji}\p{Extended_Pictographic}]/u;

/**
 * Code points that occupy no column: combining marks, format characters (ZWJ, ZWNJ, bidi marks,
 * soft hyphen, tags), controls, and the Hangul conjoining vowels and final consonants (they merge
 * into the preceding leading consonant).
 */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}\u1160-\u11ff\ud7b0-\ud7ff]/u;

/**
 * East Asian Wide and Fullwidth code points (Unicode East_Asian_Width W or F), excluding emoji,
 * which {@linkcode EMOJI_PRESENTATION} handles.
 */
const WIDE = new RegExp(
  "^[" +
    [
      "\u1100-\u115f", // Hangul Jamo leading consonants
      "\u2e80-\u303e", // CJK radicals, Kangxi radicals, ideographic description, CJK punctuation
      "\u3041-\u33ff", // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, CJK compatibility
      "\u3400-\u4dbf", // CJK unified ideographs extension A
      "\u4e00-\u9fff", // CJK unified ideographs
      "\ua000-\ua4cf", // Yi syllables and radicals
      "\ua960-\ua97f", // Hangul Jamo extended A
      "\uac00-\ud7a3", // Hangul syllables
      "\uf900-\ufaff", // CJK compatibility ideographs
      "\ufe10-\ufe19", // vertical forms
      "\ufe30-\ufe6f", // CJK compatibility forms, small form variants
      "\uff00-\uff60", // fullwidth ASCII forms
      "\uffe0-\uffe6", // fullwidth signs
      "\\u{16fe0}-\\u{16fe4}", // ideographic symbols and punctuation
      "\\u{17000}-\\u{18cff}", // Tangut, Khitan
      "\\u{1aff0}-\\u{1b2ff}", // Kana extended and supplement, Nushu
      "\\u{1f200}-\\u{1f2ff}", // enclosed ideographic supplement
      "\\u{20000}-\\u{2fffd}", // CJK extensions B to F, compatibility supplement
      "\\u{30000}-\\u{3fffd}", // CJK extensions G and later
    ].join("") +
    "]",
  "u",
);

/**
 * Splits text into user-perceived characters (extended grapheme clusters).
 *
 * @example Usage
 * ```ts
 * import { graphemes } from "./display_width.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(graphemes("e\u0301👩‍💻한"), ["e\u0301", "👩‍💻", "한"]);
 * ```
 *
 * @param text The text to split.
 * @returns The grapheme clusters of `text`, in order; joined they give back `text`.
 */
export function graphemes(text: string): string[] {
  if (PRINTABLE_ASCII.test(text)) return text.split("");
  return Array.from(SEGMENTER.segment(text), (segment) => segment.segment);
}

/** Width of a single grapheme cluster: 0, 1 or 2. */
function clusterWidth(cluster: string): number {
  if (cluster.length === 0) return 0;
  if (EMOJI_PRESENTATION.test(cluster)) return 2;
  if (cluster.includes(EMOJI_VARIATION_SELECTOR) && EMOJI_BASE.test(cluster)) return 2;
  if (ZERO_WIDTH.test(cluster)) return 0;
  return WIDE.test(cluster) ? 2 : 1;
}

/**
 * Returns the number of terminal columns `text` occupies.
 *
 * - East Asian Wide and Fullwidth characters (Hangul syllables and leading Jamo, CJK ideographs,
 *   kana, fullwidth forms) take 2 columns.
 * - An emoji cluster takes 2 columns however many code points it has: emoji presentation
 *   characters, ZWJ sequences, flags, skin-tone modifiers, keycaps, and pictographs followed by
 *   U+FE0F.
 * - Combining marks, ZWJ, variation selectors, other zero-width format characters and control
 *   characters take 0 columns.
 * - Everything else takes 1 column.
 *
 * @example Usage
 * ```ts
 * import { displayWidth } from "./display_width.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(displayWidth("hi"), 2);
 * equal(displayWidth("한글"), 4);
 * equal(displayWidth("👩‍💻"), 2);
 * equal(displayWidth("e\u0301"), 1);
 * ```
 *
 * @param text The text to measure; it should not contain tabs or newlines.
 * @returns The width in terminal columns.
 */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const { segment } of SEGMENTER.segment(text)) width += clusterWidth(segment);
  return width;
}

/** The columns between tab stops, as terminals set them. */
const TAB_STOP = 8;

/**
 * Returns the number of rows a terminal `columns` wide takes to show `text`
 * from the start of a row, wrapping it: at least 1. A wide character that does
 * not fit in what is left of a row goes whole to the next one, as terminals
 * do, and a tab moves to the next tab stop.
 *
 * @example Usage
 * ```ts
 * import { wrappedRows } from "./display_width.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(wrappedRows("", 80), 1);
 * equal(wrappedRows("x".repeat(80), 80), 1);
 * equal(wrappedRows("x".repeat(81), 80), 2);
 * equal(wrappedRows("가".repeat(79), 79), 3); // 39 + 39 + 1: no half of a 가 at the edge
 * ```
 *
 * @param text The text, without newlines.
 * @param columns The terminal's width.
 * @returns The rows it takes.
 */
export function wrappedRows(text: string, columns: number): number {
  if (PRINTABLE_ASCII.test(text) && columns >= 1) {
    return Math.max(1, Math.ceil(text.length / columns));
  }
  let rows = 1;
  let column = 0;
  for (const cluster of graphemes(text)) {
    if (cluster === "\t") { // to the next stop, or the last column: a tab never wraps
      column = Math.min(column + TAB_STOP - column % TAB_STOP, columns - 1);
      continue;
    }
    const width = clusterWidth(cluster);
    if (column > 0 && column + width > columns) { // on a row of its own, it is cut at the edge
      rows++;
      column = 0;
    }
    column += width;
  }
  return rows;
}
