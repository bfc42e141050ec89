/**
 * Who is here, in lines of a readable size however big the room is.
 *
 * @module
 */

/** The most names a welcome line lists before it only counts the rest. */
const WELCOME_NAMES = 20;

/** How long a `/who` line may grow before the names go on in another line, in characters. */
const WHO_LINE_CHARS = 1000;

/**
 * `N here: a, b, c`, listing at most `shown` names and counting the rest.
 * Reads only the names it lists, so a welcome stays cheap in a big room.
 *
 * @example Usage
 * ```ts
 * import { hereSummary } from "./who.ts";
 * import assert from "node:assert/strict";
 *
 * const members = [{ name: "ann" }, { name: "bob" }, { name: "cy" }];
 * assert.equal(hereSummary(members, 3), "3 here: ann, bob, cy");
 * assert.equal(hereSummary(members, 3, 1), "3 here: ann and 2 more");
 * ```
 */
export function hereSummary(
  members: Iterable<{ name: string }>,
  count: number,
  shown: number = WELCOME_NAMES,
): string {
  const names: string[] = [];
  for (const member of members) {
    if (names.length === shown) break;
    names.push(member.name);
  }
  const more = count - names.length;
  return `${count} here: ${names.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

/**
 * The answer to `/who`: every name, `Server: N here: ` first, in lines of
 * at most `maxChars` characters, the comma that ends a full one included (a single longer name
 * gets a line of its own).
 *
 * @example Usage
 * ```ts
 * import { whoLines } from "./who.ts";
 * import assert from "node:assert/strict";
 *
 * const members = [{ name: "ann" }, { name: "bob" }, { name: "cy" }];
 * assert.deepEqual(whoLines(members, 3), ["Server: 3 here: ann, bob, cy"]);
 * assert.deepEqual(whoLines(members, 3, 25), ["Server: 3 here: ann, bob,", "Server: cy"]);
 * ```
 */
export function whoLines(
  members: Iterable<{ name: string }>,
  count: number,
  maxChars: number = WHO_LINE_CHARS,
): string[] {
  const lines: string[] = [];
  let line = `Server: ${count} here:`;
  let fresh = true; // nothing listed on this line yet
  for (const { name } of members) {
    // ", " and the name, and room for the "," that ends the line if the next name wraps.
    if (!fresh && line.length + name.length + 3 > maxChars) {
      lines.push(line + ",");
      line = "Server:";
      fresh = true;
    }
    line += `${fresh ? " " : ", "}${name}`;
    fresh = false;
  }
  lines.push(line);
  return lines;
}
