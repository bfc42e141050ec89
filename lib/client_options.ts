/**
 * What both clients take from their command line besides host, port and ID:
 * the connect timeout and how to show the chat.
 *
 * @module
 */

import { MAX_DELAY_MS, type OptionSpec, parseInteger } from "./cli.ts";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "./connect.ts";
import { type DisplayStyle, displayStyle } from "./terminal_style.ts";
import { isInteractive, TerminalUi } from "./terminal_ui.ts";

/**
 * The clients' `--connect-timeout`, for {@linkcode CommandSpec.options} in cli.ts; the display's
 * switches are `DISPLAY_OPTION_SPECS` in terminal_style.ts.
 *
 * @example Usage
 * ```ts
 * import { CONNECT_OPTION_SPECS } from "./client_options.ts";
 * import { parseCommand } from "./cli.ts";
 * import { equal } from "node:assert/strict";
 *
 * const spec = {
 *   usage: "client.ts [options] HOST",
 *   summary: "A client.",
 *   options: CONNECT_OPTION_SPECS,
 *   positionals: [1, 1] as [number, number],
 * };
 * const { values } = parseCommand(["--connect-timeout", "500", "localhost"], spec);
 * equal(values["connect-timeout"], "500");
 * ```
 */
export const CONNECT_OPTION_SPECS: Readonly<Record<string, OptionSpec>> = Object.freeze({
  "connect-timeout": {
    type: "string",
    arg: "MS",
    help: `Give up connecting after MS ms (default ${DEFAULT_CONNECT_TIMEOUT_MS}, the report's)`,
  },
});

/** The options both clients share, read from the command line. */
export interface ClientCommandOptions {
  /** `--connect-timeout`, if given. */
  connectTimeoutMs: number | undefined;
  /** The full-screen terminal, when stdin and stdout are both terminals. */
  terminal: TerminalUi | undefined;
  /** Colors and timestamps, from `--no-color`, `--timestamps` and `NO_COLOR`. */
  style: DisplayStyle;
}

/**
 * Reads `--connect-timeout`, `--no-color` and `--timestamps` out of parsed
 * option values, throwing a usage error that quotes a timeout that is not a
 * positive integer.
 *
 * @example Usage
 * ```ts
 * import { clientOptionsFrom } from "./client_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(clientOptionsFrom({ "connect-timeout": "500" }).connectTimeoutMs, 500);
 * ```
 */
export function clientOptionsFrom(
  values: Record<string, string | boolean | undefined>,
): ClientCommandOptions {
  const timeout = values["connect-timeout"];
  return {
    connectTimeoutMs: typeof timeout === "string"
      ? parseInteger(timeout, "--connect-timeout", { min: 1, max: MAX_DELAY_MS })
      : undefined,
    terminal: isInteractive() ? new TerminalUi() : undefined,
    style: displayStyle({
      noColor: values["no-color"] === true,
      timestamps: values.timestamps === true,
    }),
  };
}
