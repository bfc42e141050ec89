/**
 * In-room commands, as on IRC: a line starting with `/` is a command for the
 * server, not a message. `//text` sends `/text` as a message.
 *
 * @module
 */

/** A command line, split into its name and the rest. */
export interface ChatCommand {
  /** The command, lower case, without the slash: `who`, `me`, `nick`… */
  name: string;
  /** Everything after the name, trimmed. */
  argument: string;
}

/** The longest reason a member may give with `/quit`, in characters. */
const MAX_QUIT_REASON = 100;

/**
 * The answer to a `/me` with no action.
 *
 * @example Usage
 * ```ts
 * import { ME_NEEDS_ACTION } from "./chat_command.ts";
 * import assert from "node:assert/strict";
 *
 * // A bare "/me" gets this, to the sender alone; the room hears nothing.
 * assert.match(ME_NEEDS_ACTION, /^Error: \/me needs/);
 * ```
 */
export const ME_NEEDS_ACTION = 'Error: /me needs an action, as in "/me waves"';

/**
 * Splits a line into a command, or returns `undefined` for a plain message.
 * The report's way of leaving, a bare `quit` in any case, counts as `/quit`.
 *
 * @example Usage
 * ```ts
 * import { parseChatCommand } from "./chat_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseChatCommand("/me waves"), { name: "me", argument: "waves" });
 * assert.deepEqual(parseChatCommand("QUIT"), { name: "quit", argument: "" });
 * assert.equal(parseChatCommand("hello"), undefined);
 * assert.equal(parseChatCommand("//not a command"), undefined);
 * ```
 */
export function parseChatCommand(line: string): ChatCommand | undefined {
  if (line.trim().toLowerCase() === "quit") return { name: "quit", argument: "" };
  if (!line.startsWith("/") || line.startsWith("//")) return undefined;
  const match = /^\/(\S*)\s*(.*)$/s.exec(line)!;
  return { name: match[1].toLowerCase(), argument: match[2].trim() };
}

/**
 * `line` less a leading `[id]`: the report's client writes its own prefix, and
 * the server stamps every message with it, so it must not be there twice. The
 * rest is the message, or a command.
 *
 * @example Usage
 * ```ts
 * import { withoutOwnPrefix } from "./chat_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(withoutOwnPrefix("[bob]hello", "bob"), "hello");
 * assert.equal(withoutOwnPrefix("[bob]/quit", "bob"), "/quit");
 * assert.equal(withoutOwnPrefix("[amy]hello", "bob"), "[amy]hello"); // not bob's: a message
 * ```
 */
export function withoutOwnPrefix(line: string, id: string): string {
  const prefix = `[${id}]`;
  return line.startsWith(prefix) ? line.slice(prefix.length) : line;
}

/**
 * The text of a plain message: a leading `//` stands for a literal `/`.
 *
 * @example Usage
 * ```ts
 * import { messageText } from "./chat_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(messageText("//etc/hosts"), "/etc/hosts");
 * ```
 */
export function messageText(line: string): string {
  return line.startsWith("//") ? line.slice(1) : line;
}

/**
 * Whether a plain message says nothing: it is empty, or white space alone. The servers pass it to
 * no one, and a client does not show it as sent: Enter on an empty line does nothing, as in any
 * chat.
 *
 * @example Usage
 * ```ts
 * import { isBlank } from "./chat_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isBlank(" \t "), true);
 * assert.equal(isBlank(" . "), false);
 * ```
 */
export function isBlank(message: string): boolean {
  return message.trim() === "";
}

/**
 * The reason given to `/quit`, cut to `MAX_QUIT_REASON` (100) characters;
 * `undefined` when none was given.
 *
 * @example Usage
 * ```ts
 * import { quitReason } from "./chat_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(quitReason("off to lunch"), "off to lunch");
 * assert.equal(quitReason(""), undefined);
 * ```
 */
export function quitReason(argument: string): string | undefined {
  if (argument === "") return undefined;
  return Array.from(argument).slice(0, MAX_QUIT_REASON).join("");
}

/**
 * The `/help` line, naming the commands a server answers.
 *
 * @example Usage
 * ```ts
 * import { helpLine } from "./chat_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(helpLine(["who", "quit [REASON]"]), /\/who, \/quit \[REASON\]/);
 * ```
 */
export function helpLine(commands: string[]): string {
  return `Server: commands: ${commands.map((c) => `/${c}`).join(", ")}; ` +
    "//text sends a line starting with /";
}
