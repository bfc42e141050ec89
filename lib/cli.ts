/**
 * The command line shared by the four scripts and the tools (the bench, its
 * load generator, the compile script): options, usage and help, numbers that
 * must be numbers, and one clear line instead of a stack trace when the
 * network says no.
 *
 * @module
 */

import { errorCode } from "./errors.ts";
import { quote } from "./sanitize.ts";

/** The exit status for wrong arguments, as BSD's `EX_USAGE` convention and most shells use. */
const EXIT_USAGE = 2;

/**
 * Wrong arguments: the script prints the message and its usage line, and exits 2.
 *
 * @example Usage
 * ```ts
 * import { parsePort, UsageError } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parsePort("http"), UsageError);
 * ```
 */
export class UsageError extends Error {
  /** Makes a usage error with `message`. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * `--help` was given: the script prints its help text and exits 0.
 *
 * @example Usage
 * ```ts
 * import { HelpRequested, parseCommand } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * const positionals: [number, number] = [0, 0];
 * const spec = { usage: "x.ts", summary: "X.", options: {}, positionals };
 * assert.throws(() => parseCommand(["--help"], spec), HelpRequested);
 * ```
 */
export class HelpRequested extends Error {
  /** Makes the request. */
  constructor() {
    super("Help requested");
    this.name = "HelpRequested";
  }
}

/** One command-line option. */
export interface OptionSpec {
  /** Whether the option takes a value (`"string"`) or is a switch (`"boolean"`). */
  type: "string" | "boolean";
  /** The one-letter form, if any. */
  short?: string;
  /** The name of the value in the help text, like `N` or `HOST`. */
  arg?: string;
  /** One line of help. */
  help: string;
}

/** A script's command line. */
export interface CommandSpec {
  /** The usage line, without the leading `Usage: `. */
  usage: string;
  /** What the script does, one or two lines. */
  summary: string;
  /** The options, `--help` not included. */
  options: Record<string, OptionSpec>;
  /** The fewest and most positional arguments. */
  positionals: [min: number, max: number];
}

/** What {@linkcode parseCommand} found. */
export interface ParsedCommand {
  /** Option values by name; switches are booleans, the rest strings. */
  values: Record<string, string | boolean | undefined>;
  /** The positional arguments. */
  positionals: string[];
}

/** `--help`, which every script takes. */
const HELP: OptionSpec = { type: "boolean", short: "h", help: "Show this help and exit." };

/**
 * Parses `args` against `spec`: `--name VALUE`, `--name=VALUE`, `-x VALUE`
 * for a one-letter form, switches without a value, and everything after `--`
 * as positionals. Throws {@linkcode UsageError} on an unknown option, a
 * missing value, a value given to a switch, or the wrong number of
 * positionals, and {@linkcode HelpRequested} when `--help` comes before any
 * of these ({@linkcode runMain} prints the help). A repeated option keeps its
 * last value.
 *
 * The parse is by hand rather than with `node:util`'s `parseArgs`: importing
 * that starts Deno's Node layer before the server binds (tests/startup_test.ts).
 *
 * @example Usage
 * ```ts
 * import { parseCommand } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = {
 *   usage: "server.ts [options] PORT",
 *   summary: "A chat server.",
 *   options: { host: { type: "string" as const, arg: "HOST", help: "Address to bind." } },
 *   positionals: [1, 1] as [number, number],
 * };
 * const parsed = parseCommand(["1234", "--host", "::"], spec);
 * assert.deepEqual(parsed.positionals, ["1234"]);
 * assert.equal(parsed.values.host, "::");
 * assert.throws(() => parseCommand(["--hots", "::", "1234"], spec), /Unknown option "--hots"/);
 * ```
 */
export function parseCommand(args: string[], spec: CommandSpec): ParsedCommand {
  const options: Record<string, OptionSpec> = { ...spec.options, help: HELP };
  const byShort = new Map<string, string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.short) byShort.set(`-${option.short}`, name);
  }
  const values: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const equals = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = equals === -1 ? arg : arg.slice(0, equals);
    const name = flag.startsWith("--") ? flag.slice(2) : byShort.get(flag);
    if (name === undefined || !Object.hasOwn(options, name)) {
      throw new UsageError(`Unknown option ${quote(flag)}`);
    }
    if (name === "help") throw new HelpRequested();
    if (options[name].type === "boolean") {
      if (equals !== -1) throw new UsageError(`Option ${quote(flag)} takes no value`);
      values[name] = true;
    } else if (equals !== -1) {
      values[name] = arg.slice(equals + 1);
    } else {
      const value = args[i + 1];
      if (value === undefined) throw new UsageError(`Option ${quote(flag)} needs a value`);
      // A negative number is a value, to be judged as one: no option's name begins with a digit.
      if (value.startsWith("-") && value !== "-" && !/^-\.?\d/.test(value)) {
        const meant = quote(`${flag}=${value}`);
        throw new UsageError(
          `Option ${quote(flag)} needs a value, not ${quote(value)}; ${meant} gives it`,
        );
      }
      values[name] = value;
      i++;
    }
  }
  const [min, max] = spec.positionals;
  const count = positionals.length;
  if (count < min || count > max) {
    throw new UsageError(
      count < min ? "Missing arguments" : `Unexpected argument ${quote(positionals[max])}`,
    );
  }
  return { values, positionals };
}

/**
 * The full `--help` text of a command.
 *
 * @example Usage
 * ```ts
 * import { helpText } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * const text = helpText({ usage: "x.ts", summary: "X.", options: {}, positionals: [0, 0] });
 * assert.match(text, /^Usage: x.ts/);
 * ```
 */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : ""}--${name}${
      option.arg ? ` ${option.arg}` : ""
    }`;
    return [flag, option.help];
  });
  rows.push(["-h, --help", HELP.help]);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const lines = rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`);
  return `Usage: ${spec.usage}\n\n${spec.summary}\n\nOptions:\n${lines.join("\n")}`;
}

/**
 * The longest delay `setTimeout` keeps, in ms (about 24.8 days): a longer one fires at once.
 * The upper bound of every option given in ms.
 *
 * @example Usage
 * ```ts
 * import { MAX_DELAY_MS, parseInteger } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseInteger("3000000000", "--idle-timeout", { max: MAX_DELAY_MS }));
 * ```
 */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/** Bounds for {@linkcode parseInteger}. */
export interface IntegerBounds {
  /** The smallest value allowed. */
  min?: number;
  /** The largest value allowed. */
  max?: number;
}

/**
 * Parses a whole decimal number given for `what`, or throws a
 * {@linkcode UsageError} that quotes the text.
 *
 * @example Usage
 * ```ts
 * import { parseInteger } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseInteger("8", "--max-clients", { min: 1 }), 8);
 * assert.throws(() => parseInteger("8x", "--max-clients"), /"8x"/);
 * ```
 */
export function parseInteger(text: string, what: string, bounds: IntegerBounds = {}): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = bounds;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `Invalid ${what} ${quote(text)}: expected a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/** The highest TCP port number. */
const MAX_PORT = 65535;

/**
 * Parses a TCP port number to listen on; 0 asks for any free port.
 *
 * @example Usage
 * ```ts
 * import { parsePort } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parsePort("1234"), 1234);
 * assert.throws(() => parsePort("70000"));
 * ```
 */
export function parsePort(text: string): number {
  return parseInteger(text, "port", { min: 0, max: MAX_PORT });
}

/**
 * Parses the port of a server to connect to: 1 to 65535. Port 0 means "any free port" only to
 * a listener, as in {@linkcode parsePort}; there is nothing to connect to there.
 *
 * @example Usage
 * ```ts
 * import { parseRemotePort } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseRemotePort("1234"), 1234);
 * assert.throws(() => parseRemotePort("0"), /Invalid port "0": expected a whole number from 1/);
 * ```
 */
export function parseRemotePort(text: string): number {
  return parseInteger(text, "port", { min: 1, max: MAX_PORT });
}

/**
 * One line that says why a connect or listen failed, in place of a stack
 * trace; `undefined` for errors that are not about the network.
 *
 * @example Usage
 * ```ts
 * import { describeNetworkError } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new Deno.errors.AddrInUse("Address already in use (os error 98)");
 * assert.equal(
 *   describeNetworkError(error, "0.0.0.0:1234"),
 *   "Address 0.0.0.0:1234 is already in use",
 * );
 * const unreachable = Object.assign(new Error("No route to host"), { code: "EHOSTUNREACH" });
 * assert.equal(describeNetworkError(unreachable, "[::2]:80"), "No route to [::2]:80");
 * ```
 */
export function describeNetworkError(error: unknown, target: string): string | undefined {
  if (error instanceof Deno.errors.AddrInUse) return `Address ${target} is already in use`;
  if (error instanceof Deno.errors.ConnectionRefused) return `Connection refused by ${target}`;
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `Address ${target} is not available on this machine`;
  }
  if (error instanceof Deno.errors.TimedOut) return `Timed out connecting to ${target}`;
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    return `Permission denied for ${target}: ${error.message}`;
  }
  if (
    error instanceof Deno.errors.NotFound ||
    (error instanceof Error && /lookup address|name or service/i.test(error.message))
  ) {
    return `Cannot resolve the host in ${target}`;
  }
  if (error instanceof Deno.errors.NetworkUnreachable) return `Network unreachable for ${target}`;
  if (errorCode(error) === "EHOSTUNREACH") return `No route to ${target}`; // no class for it
  return undefined;
}

/**
 * The usage error for a host whose syntax Deno refused (it throws a URIError,
 * before any lookup), naming it as `what`; `undefined` for any other error.
 *
 * @example Usage
 * ```ts
 * import { invalidHost } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new URIError("invalid host 'a b': invalid char found in FQDN");
 * assert.match(invalidHost(error, "--host", "a b")!.message, /^Invalid --host "a b": expected/);
 * assert.equal(invalidHost(new Error("other"), "--host", "a b"), undefined);
 * ```
 */
export function invalidHost(error: unknown, what: string, host: string): UsageError | undefined {
  if (!(error instanceof URIError)) return undefined;
  return new UsageError(
    `Invalid ${what} ${quote(host)}: expected a host name, an IPv4 address, ` +
      "or an IPv6 address with or without brackets",
  );
}

/** A script's main function: takes the arguments, returns the exit status. */
export type Main = (args: string[]) => Promise<number>;

/**
 * Runs a script's `main` as its entry point: `--help` prints the help text
 * and exits 0; wrong arguments print the usage line and exit 2; a network
 * failure prints one line and exits 1. The process
 * exits with `main`'s status even if a read on stdin is still pending.
 *
 * @example Usage
 * ```ts ignore
 * import { runMain } from "./cli.ts";
 *
 * if (import.meta.main) runMain(async () => 0, spec);
 * ```
 */
export async function runMain(main: Main, spec: CommandSpec): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(helpText(spec));
      Deno.exit(0);
    }
    if (error instanceof UsageError) {
      console.error(`${error.message}\nUsage: ${spec.usage}\nTry --help for more.`);
      Deno.exit(EXIT_USAGE);
    }
    if (error instanceof FatalError) {
      console.error(`Error: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}

/**
 * An error that ends a script with one line and status 1, no stack trace.
 *
 * @example Usage
 * ```ts ignore
 * import { FatalError, runMain } from "./cli.ts";
 *
 * const positionals: [number, number] = [0, 0];
 * const spec = { usage: "x.ts", summary: "X.", options: {}, positionals };
 * // Prints "Error: Nothing to serve" and exits 1.
 * runMain(() => Promise.reject(new FatalError("Nothing to serve")), spec);
 * ```
 */
export class FatalError extends Error {
  /** Makes a fatal error with `message`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FatalError";
  }
}

/**
 * Prints `line` to standard output as `console.log` does, except that a failed
 * write (a full disk: `> /dev/full`) ends the script in one line with status 1,
 * as a {@linkcode FatalError}, rather than with a stack trace. (A closed pipe
 * is no failure: Deno drops what is written to it.)
 *
 * @example Usage
 * ```ts
 * import { printLine } from "./cli.ts";
 *
 * printLine("Host connected");
 * ```
 */
export function printLine(line: string): void {
  try {
    console.log(line);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw error; // a bug of ours
    const reason = error instanceof Error ? error.message : String(error);
    throw new FatalError(`Cannot write to standard output: ${reason}`, { cause: error });
  }
}
