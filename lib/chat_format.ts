/**
 * Styling of the lines a chat client receives, for printing above the input line.
 *
 * @module
 */

import { idKey } from "./member_id.ts";
import { sanitize } from "./sanitize.ts";

/**
 * Options for {@linkcode formatIncoming}.
 *
 * @example Usage
 * ```ts
 * import { type FormatOptions, formatIncoming } from "./chat_format.ts";
 * import { equal } from "node:assert/strict";
 *
 * const options: FormatOptions = { color: false, self: "alice" };
 * equal(formatIncoming("[alice]hi", options), "» [alice]hi");
 * ```
 */
export interface FormatOptions {
  /** Whether to style with SGR escape sequences; `false` gives plain text without any. */
  color: boolean;
  /**
   * The user's own name: an ID on the threaded server, `ip:port` on the select server (`[ip]:port`
   * for IPv6). Messages and actions from it are marked. IDs compare as the server does, ignoring
   * case.
   */
  self?: string;
  /** When given, the line is prefixed with this time as `HH:MM ` in local time. */
  time?: Date;
}

/**
 * Marks the user's own messages and actions, in plain and colored output alike.
 *
 * @example Usage
 * ```ts
 * import { formatIncoming, SELF_MARKER } from "./chat_format.ts";
 * import assert from "node:assert/strict";
 *
 * const line = formatIncoming("[alice]hi", { color: false, self: "alice" });
 * assert.equal(line, `${SELF_MARKER}[alice]hi`);
 * ```
 */
export const SELF_MARKER = "» ";

const RESET = "\x1b[0m";
const BOLD = "\x1b[1m";
const DIM = "\x1b[2m";
const ITALIC = "\x1b[3m";
const RED = "\x1b[31m";
const DEFAULT_FOREGROUND = "\x1b[39m";

/** The channel levels of the xterm 6×6×6 color cube (colors 16 to 231). */
const CUBE_LEVELS = [0, 95, 135, 175, 215, 255];
/** Relative luminance bounds (0-255) for name colors, so they read on dark and light themes. */
const MIN_LUMINANCE = 90;
const MAX_LUMINANCE = 210;
/** Least difference between the strongest and weakest channel, in cube steps: no grays. */
const MIN_SATURATION = 2;

/**
 * Colors of the 256-color palette used for names: cube colors that are neither too dark nor too
 * light, nor grayish. The 16 theme colors and the gray ramp are left out, as are black and white.
 */
const NAME_COLORS: readonly number[] = (() => {
  const colors: number[] = [];
  for (let red = 0; red < 6; red++) {
    for (let green = 0; green < 6; green++) {
      for (let blue = 0; blue < 6; blue++) {
        const luminance = 0.2126 * CUBE_LEVELS[red] + 0.7152 * CUBE_LEVELS[green] +
          0.0722 * CUBE_LEVELS[blue];
        const saturation = Math.max(red, green, blue) - Math.min(red, green, blue);
        if (
          luminance >= MIN_LUMINANCE && luminance <= MAX_LUMINANCE &&
          saturation >= MIN_SATURATION
        ) {
          colors.push(16 + 36 * red + 6 * green + blue);
        }
      }
    }
  }
  return colors;
})();

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const encoder = new TextEncoder();

/** 32-bit FNV-1a hash of the UTF-8 encoding of `text`. */
function fnv1a(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of encoder.encode(text)) hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  return hash;
}

/**
 * Returns the SGR sequence that sets the foreground color for `name`: a 256-color code picked by
 * a hash of the name, so a name always gets the same color, in every client. The palette leaves
 * out very dark and very light colors, grays, black and white, and the 16 theme colors.
 *
 * @example Usage
 * ```ts
 * import { nameColor } from "./chat_format.ts";
 * import { equal, match } from "node:assert/strict";
 *
 * match(nameColor("alice"), /^\x1b\[38;5;\d+m$/);
 * equal(nameColor("alice"), nameColor("alice"));
 * ```
 *
 * @param name The name to color.
 * @returns An SGR sequence such as `"\x1b[38;5;141m"`.
 */
export function nameColor(name: string): string {
  return `\x1b[38;5;${NAME_COLORS[fnv1a(name) % NAME_COLORS.length]}m`;
}

/**
 * `[name]message`: threaded server messages, and select server `[ip:port] : message`, whose name
 * may hold one bracketed IPv6 address: `[[::1]:5000] : message`.
 */
const MESSAGE = /^\[(\[[^[\]]+\][^[\]]*|[^[\]]+)\](.*)$/s;
/** `* name does something`: an action (`/me`). */
const ACTION = /^\* (\S+)(.*)$/s;
/**
 * `clientID- enter`, `clientID- exit`, `clientID- exit (reason)` and `clientID- is now NEW` from
 * the threaded server.
 */
const MEMBER_NOTICE = /^client(\S+)(- (?:enter|exit(?: \(.*\))?|is now \S+))$/s;
/**
 * `Client (ip:port) entered room`, `Client (ip, port) is offline` and
 * `Client (ip, port) is offline (reason)` from the select server.
 */
const CLIENT_NOTICE = /^Client \(([^)]+)\)( (?:entered room|is offline(?: \(.*\))?))$/s;
/** Lines from the server itself. */
const SERVER_LINE = /^(Error:|Server:)(.*)$/s;

/** The pieces of a recognised line, for the plain and colored renderings alike. */
type Parsed =
  | { kind: "message"; name: string; text: string }
  | { kind: "action"; name: string; text: string }
  | { kind: "memberNotice"; name: string; text: string }
  | { kind: "clientNotice"; address: string; text: string }
  | { kind: "server"; label: string; text: string }
  | { kind: "other"; text: string };

function parse(line: string): Parsed {
  let match = MESSAGE.exec(line);
  if (match) return { kind: "message", name: match[1], text: match[2] };
  match = SERVER_LINE.exec(line);
  if (match) return { kind: "server", label: match[1], text: match[2] };
  match = ACTION.exec(line);
  if (match) return { kind: "action", name: match[1], text: match[2] };
  match = MEMBER_NOTICE.exec(line);
  if (match) return { kind: "memberNotice", name: match[1], text: match[2] };
  match = CLIENT_NOTICE.exec(line);
  if (match) return { kind: "clientNotice", address: match[1], text: match[2] };
  return { kind: "other", text: line };
}

/**
 * `ip, port` (as in `Client (ip, port) is offline`) as the server names the member in `[ip:port]`:
 * `ip:port`, or `[ip]:port` for IPv6.
 */
function addressName(address: string): string {
  const pair = /^(.*), (\d+)$/.exec(address);
  if (pair === null) return address;
  const [, ip, port] = pair;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function isSelf(name: string, self: string | undefined): boolean {
  return self !== undefined && self !== "" && idKey(name) === idKey(self);
}

function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}

function styled(parsed: Parsed, own: boolean): string {
  switch (parsed.kind) {
    case "message": {
      const name = `${nameColor(parsed.name)}[${parsed.name}]${RESET}`;
      return own ? `${BOLD}${SELF_MARKER}${name}${parsed.text}` : `${name}${parsed.text}`;
    }
    case "action": {
      const name = `${own ? BOLD : ""}${nameColor(parsed.name)}${parsed.name}${RESET}`;
      const action = `${ITALIC}* ${name}${ITALIC}${parsed.text}${RESET}`;
      return own ? `${BOLD}${SELF_MARKER}${RESET}${action}` : action;
    }
    case "memberNotice":
      return `${DIM}client${nameColor(parsed.name)}${parsed.name}${DEFAULT_FOREGROUND}` +
        `${parsed.text}${RESET}`;
    case "clientNotice":
      return `${DIM}Client (${nameColor(addressName(parsed.address))}${parsed.address}` +
        `${DEFAULT_FOREGROUND})${parsed.text}${RESET}`;
    case "server":
      return parsed.label === "Error:"
        ? `${BOLD}${RED}${parsed.label}${RESET}${parsed.text}`
        : `${BOLD}${parsed.label}${RESET}${parsed.text}`;
    case "other":
      return parsed.text;
  }
}

/**
 * Formats a line received from a chat server for the terminal.
 *
 * Recognised lines, styled when `color` is true:
 *
 * | Line                                                   | Style                               |
 * | ------------------------------------------------------ | ----------------------------------- |
 * | `[ID]message` (threaded server)                        | `[ID]` in the name's color          |
 * | `[ip:port] : message`, `[[ip6]:port] : …` (select)     | `[ip:port]` in the name's color     |
 * | `* ID waves` (action, from `/me`)                      | italic, the name in its color       |
 * | `clientID- enter`, `clientID- exit`, `… exit (reason)` | dimmed (SGR 2), the ID in its color |
 * | `Client (ip:port) entered room`                        | dimmed, the address in its color    |
 * | `Client (ip, port) is offline`, `… offline (reason)`   | dimmed, the address in its color    |
 * | `Error: …`                                             | bold red `Error:`                   |
 * | `Server: …`                                            | bold `Server:`                      |
 *
 * Other lines are left as they are. Names are colored by {@linkcode nameColor}; the address in
 * `Client (ip, port)` gets the color of `ip:port` (`[ip]:port` for IPv6), the same as that
 * client's messages.
 *
 * Messages and actions from `self` begin with {@linkcode SELF_MARKER}, in plain output too, and
 * their name is bold when colored. With `time`, the line begins with `HH:MM ` in local time
 * (dimmed when colored).
 *
 * The result contains no escape sequences but SGR ones, and none at all when `color` is false:
 * control characters in `line` are made visible as in {@linkcode sanitize}, even though the
 * server has already done so.
 *
 * @example Usage
 * ```ts
 * import { formatIncoming, nameColor } from "./chat_format.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(
 *   formatIncoming("[bob]hi 👋", { color: true }),
 *   `${nameColor("bob")}[bob]\x1b[0mhi 👋`,
 * );
 * equal(formatIncoming("clientbob- enter", { color: false }), "clientbob- enter");
 * equal(
 *   formatIncoming("[alice]hello", {
 *     color: false,
 *     self: "alice",
 *     time: new Date(2024, 0, 1, 9, 5),
 *   }),
 *   "09:05 » [alice]hello",
 * );
 * ```
 *
 * @param line One received line, without its line ending.
 * @param options Whether to color, the user's own name, and the time to stamp.
 * @returns The line to print.
 */
export function formatIncoming(line: string, options: FormatOptions): string {
  const { color, self, time } = options;
  const safe = sanitize(line);
  const parsed = parse(safe);
  const own = (parsed.kind === "message" || parsed.kind === "action") && isSelf(parsed.name, self);
  const text = color ? styled(parsed, own) : (own ? SELF_MARKER : "") + safe;
  if (time === undefined) return text;
  const stamp = `${twoDigits(time.getHours())}:${twoDigits(time.getMinutes())}`;
  return (color ? `${DIM}${stamp}${RESET}` : stamp) + " " + text;
}
