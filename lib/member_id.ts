/**
 * The rules for a member's ID (nickname) on the threaded server.
 *
 * @module
 */

import { quote } from "./sanitize.ts";

/**
 * The longest ID accepted, in characters.
 *
 * @example Usage
 * ```ts
 * import { idError, MAX_ID_LENGTH } from "./member_id.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(idError("x".repeat(MAX_ID_LENGTH)), undefined);
 * assert.notEqual(idError("x".repeat(MAX_ID_LENGTH + 1)), undefined);
 * ```
 */
export const MAX_ID_LENGTH = 32;

// White space, control and format characters, the other characters meant to be invisible
// (fillers, variation selectors, the combining grapheme joiner: `bob\u034F` would pass for
// `bob`), the blank Braille pattern, a symbol drawn as nothing, and the brackets that frame an
// ID in `[ID]message`, so no ID can pass for another by an invisible difference, or look
// blank, or forge a prefix. A lookalike letter of another script (Cyrillic а for Latin a) is
// not caught: that takes Unicode's confusables data (UTS #39), which is not built in.
const FORBIDDEN = /[\s\p{C}\p{Default_Ignorable_Code_Point}\u2800\[\]]/u;

/** What the decoder puts in place of bytes that are not UTF-8. */
const REPLACEMENT = "\uFFFD";

/**
 * Checks an ID and returns why it is refused, or `undefined` when it is fine.
 * An ID must be 1 to `MAX_ID_LENGTH` (32) characters with no white space,
 * control or invisible characters, no `[` or `]`, and no U+FFFD, which stands
 * for bytes that were not UTF-8.
 *
 * @example Usage
 * ```ts
 * import { idError } from "./member_id.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(idError("bob"), undefined);
 * assert.equal(
 *   idError("bo b"),
 *   'ID "bo b" must not contain spaces, brackets, control or invisible characters',
 * );
 * ```
 */
export function idError(id: string): string | undefined {
  if (id.length === 0) return "ID must not be empty";
  const length = Array.from(id).length;
  if (length > MAX_ID_LENGTH) {
    return `ID ${quote(id)} is too long: ${length} characters, the limit is ${MAX_ID_LENGTH}`;
  }
  if (FORBIDDEN.test(id)) {
    return `ID ${quote(id)} must not contain spaces, brackets, control or invisible characters`;
  }
  if (id.includes(REPLACEMENT)) {
    // Bytes that are not UTF-8 arrive as U+FFFD: many different IDs would be the same one.
    return `ID ${quote(id)} must not contain U+FFFD, which stands for bytes that are not UTF-8`;
  }
  return undefined;
}

/**
 * The form under which IDs are compared: `Bob` and `bob` are the same member,
 * as on IRC, so one cannot pass for the other.
 *
 * @example Usage
 * ```ts
 * import { idKey } from "./member_id.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(idKey("Bob"), idKey("bob"));
 * ```
 */
export function idKey(id: string): string {
  return id.normalize("NFKC").toLowerCase();
}
