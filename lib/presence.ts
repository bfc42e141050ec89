/**
 * Join and leave notices that stay cheap in a big room.
 *
 * Announcing every arrival to everyone costs n² deliveries when n members
 * arrive: 5000 members joining is 25 million lines nobody can read, and it
 * kept the server busy for half a minute. So a room of more than
 * {@linkcode DEFAULT_PRESENCE_LIMIT} members announces joins and leaves as one
 * summary line a second, the way big chat rooms hide joins and parts. A small
 * room gets every notice at once, as in the report.
 *
 * @module
 */

import { type Member } from "./member.ts";
import { type Room } from "./room.ts";

/**
 * Above this many members, joins and leaves are summarized.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_PRESENCE_LIMIT } from "./presence.ts";
 * import assert from "node:assert/strict";
 *
 * // Up to this many members, everyone hears each join and leave as it happens.
 * assert.equal(DEFAULT_PRESENCE_LIMIT, 100);
 * ```
 */
export const DEFAULT_PRESENCE_LIMIT = 100;

/** How often a big room hears who came and went, in ms. */
const PRESENCE_INTERVAL_MS = 1000;

/** How many names a summary lists before it only counts. */
const NAMES_SHOWN = 5;

/** Options for {@linkcode PresenceNotices}. */
export interface PresenceNoticesOptions {
  /** The room to announce to. */
  room: Room;
  /** Rooms with more members than this get summaries (0: always summarize). */
  limit?: number;
  /** How often a summary goes out, in ms. */
  intervalMs?: number;
}

/** Who came and went since the last summary. */
class Tally {
  count = 0;
  names: string[] = [];

  add(name: string): void {
    this.count++;
    if (this.names.length < NAMES_SHOWN) this.names.push(name);
  }

  describe(verb: string): string {
    const more = this.count - this.names.length;
    const names = this.names.join(", ") + (more > 0 ? ` and ${more} more` : "");
    return `${this.count} ${verb} (${names})`;
  }
}

/**
 * Sends join and leave notices: each at once in a small room, as one summary
 * a second in a big one.
 *
 * @example Usage
 * ```ts
 * import { PresenceNotices } from "./presence.ts";
 * import { Room } from "./room.ts";
 *
 * const room = new Room();
 * const presence = new PresenceNotices({ room });
 * presence.joined("bob", "bob joined"); // one line to everyone: the room is small
 * presence.close();
 * ```
 */
export class PresenceNotices {
  #room: Room;
  #limit: number;
  #intervalMs: number;
  #joined = new Tally();
  #left = new Tally();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Makes the notices for a room; see {@linkcode PresenceNoticesOptions}. */
  constructor(options: PresenceNoticesOptions) {
    this.#room = options.room;
    this.#limit = options.limit ?? DEFAULT_PRESENCE_LIMIT;
    this.#intervalMs = options.intervalMs ?? PRESENCE_INTERVAL_MS;
  }

  /**
   * Announces that `name` joined with `line`, to everyone but `except`, or
   * counts it for the next summary. Returns whether it was announced now.
   * Call it once the member is in the room.
   *
   * @example Usage
   * ```ts
   * import { PresenceNotices } from "./presence.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * const presence = new PresenceNotices({ room: new Room() });
   * assert.equal(presence.joined("bob", "bob joined"), true); // a small room hears it at once
   * ```
   */
  joined(name: string, line: string, except?: Member): boolean {
    return this.#announce(this.#joined, name, line, except, this.#room.size - 1);
  }

  /**
   * Announces that `name` left with `line`, to everyone but `except`, or
   * counts it for the next summary. Returns whether it was announced now.
   * Call it once the member is out of the room.
   *
   * @example Usage
   * ```ts
   * import { PresenceNotices } from "./presence.ts";
   * import { Room } from "./room.ts";
   * import assert from "node:assert/strict";
   *
   * const presence = new PresenceNotices({ room: new Room() });
   * assert.equal(presence.left("bob", "bob left"), true); // a small room hears it at once
   * ```
   */
  left(name: string, line: string, except?: Member): boolean {
    return this.#announce(this.#left, name, line, except, this.#room.size + 1);
  }

  /**
   * Stops: a pending summary is dropped.
   *
   * @example Usage
   * ```ts
   * import { PresenceNotices } from "./presence.ts";
   * import { Room } from "./room.ts";
   *
   * const presence = new PresenceNotices({ room: new Room() });
   * presence.joined("bob", "bob joined");
   * presence.close(); // on shutdown: a summary still pending is dropped, with its timer
   * ```
   */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** `before`: how many were here before this join or leave, as a summary sent first counts. */
  #announce(
    tally: Tally,
    name: string,
    line: string,
    except: Member | undefined,
    before: number,
  ): boolean {
    if (this.#room.size <= this.#limit) {
      // Small again: what is pending goes first, so notices stay in order.
      if (this.#timer !== undefined) this.#summarize(before);
      this.#room.broadcastLine(line, except);
      return true;
    }
    tally.add(name);
    this.#timer ??= setTimeout(this.#summarize, this.#intervalMs);
    return false;
  }

  #summarize = (here: number = this.#room.size): void => {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const parts = [];
    if (this.#joined.count > 0) parts.push(this.#joined.describe("joined"));
    if (this.#left.count > 0) parts.push(this.#left.describe("left"));
    this.#joined = new Tally();
    this.#left = new Tally();
    this.#room.broadcastLine(`Server: ${parts.join(", ")}; ${here} here`);
  };
}
