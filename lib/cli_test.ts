import assert from "node:assert/strict";
import {
  type CommandSpec,
  HelpRequested,
  helpText,
  parseCommand,
  parseInteger,
  UsageError,
} from "./cli.ts";

const SPEC: CommandSpec = {
  usage: "x.ts [options] HOST PORT",
  summary: "X.",
  options: {
    host: { type: "string", arg: "HOST", help: "Address." },
    "max-clients": { type: "string", arg: "N", help: "Most members." },
    "no-color": { type: "boolean", help: "No colors." },
    quiet: { type: "boolean", short: "q", help: "Say less." },
    name: { type: "string", short: "n", arg: "NAME", help: "A name." },
  },
  positionals: [1, 2],
};

Deno.test("parseCommand() reads values in either form, switches and positionals", () => {
  const parsed = parseCommand(
    ["--host", "::", "a", "--max-clients=5", "--no-color", "-q", "-n", "bob", "b"],
    SPEC,
  );
  assert.deepEqual(parsed.positionals, ["a", "b"]);
  assert.deepEqual(parsed.values, {
    host: "::",
    "max-clients": "5",
    "no-color": true,
    quiet: true,
    name: "bob",
  });
});

Deno.test("parseCommand() keeps a repeated option's last value and an empty one after =", () => {
  const parsed = parseCommand(["--name=a", "--name", "b", "p", "--host="], SPEC);
  assert.equal(parsed.values.name, "b");
  assert.equal(parsed.values.host, "");
  assert.deepEqual(parsed.values["no-color"], undefined);
});

Deno.test("parseCommand() takes everything after -- and a lone - as positionals", () => {
  assert.deepEqual(parseCommand(["-", "--", "--host"], SPEC).positionals, ["-", "--host"]);
  assert.deepEqual(parseCommand(["--host", "-", "p"], SPEC).values.host, "-");
  assert.deepEqual(parseCommand(["--name=--odd", "p"], SPEC).values.name, "--odd");
});

Deno.test("parseCommand() refuses unknown options, quoting them", () => {
  const cases: [string[], string][] = [
    [["--bogus", "p"], "--bogus"],
    [["--bogus=1", "p"], "--bogus"],
    [["-x", "p"], "-x"],
    [["-qn", "p"], "-qn"],
    [["--constructor", "p"], "--constructor"], // not an option, though every object has one
    [["--\u001b[2J", "p"], "--^[[2J"], // shown, not obeyed, by the terminal
  ];
  for (const [args, flag] of cases) {
    assert.throws(() => parseCommand(args, SPEC), {
      name: "UsageError",
      message: `Unknown option "${flag}"`,
    });
  }
});

Deno.test("parseCommand() refuses a missing value and a value given to a switch", () => {
  assert.throws(() => parseCommand(["p", "--host"], SPEC), {
    message: 'Option "--host" needs a value',
  });
  assert.throws(() => parseCommand(["p", "-n"], SPEC), { message: 'Option "-n" needs a value' });
  assert.throws(() => parseCommand(["--name", "--host", "h", "p"], SPEC), {
    message: 'Option "--name" needs a value, not "--host"; "--name=--host" gives it',
  });
  assert.throws(() => parseCommand(["--no-color=yes", "p"], SPEC), {
    message: 'Option "--no-color" takes no value',
  });
  // A negative number is taken as the value, for its own check to judge, not sent round to `=`.
  assert.equal(parseCommand(["--name", "-1", "p"], SPEC).values.name, "-1");
  assert.equal(parseCommand(["--name", "-.5", "p"], SPEC).values.name, "-.5");
});

Deno.test("parseCommand() counts positionals", () => {
  assert.throws(() => parseCommand([], SPEC), { message: "Missing arguments" });
  assert.throws(() => parseCommand(["a", "b", "c"], SPEC), {
    message: 'Unexpected argument "c"',
  });
  assert.throws(() => parseCommand(["a", "b", "c"], SPEC), UsageError);
});

Deno.test("parseCommand() asks for help with -h or --help before any later error", () => {
  for (const args of [["--help"], ["-h"], ["--help", "--bogus"], ["a", "b", "c", "-h"]]) {
    assert.throws(() => parseCommand(args, SPEC), HelpRequested, args.join(" "));
  }
  assert.throws(() => parseCommand(["--bogus", "--help"], SPEC), UsageError);
  assert.throws(() => parseCommand(["--help=1"], SPEC), HelpRequested);
});

Deno.test("helpText() lists every option with its short form and value, and --help", () => {
  const text = helpText(SPEC);
  assert.match(text, /^Usage: x\.ts \[options\] HOST PORT\n\nX\.\n\nOptions:\n/);
  assert.match(text, /\n {2}-n, --name NAME {2,}A name\.\n/);
  assert.match(text, /\n {2}--no-color {2,}No colors\.\n/);
  assert.match(text, /\n {2}-h, --help {2,}Show this help and exit\.$/);
});

Deno.test("parseInteger() quotes the text as quote() does: controls shown, long text cut", () => {
  assert.throws(() => parseInteger("8x", "--max-clients", { min: 1, max: 9 }), {
    name: "UsageError",
    message: 'Invalid --max-clients "8x": expected a whole number from 1 to 9',
  });
  assert.throws(() => parseInteger("1\x1b[2J", "--rate-limit"), {
    message:
      `Invalid --rate-limit "1^[[2J": expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`,
  });
  const long = "9".repeat(1000);
  assert.throws(() => parseInteger(long, "port", { max: 65535 }), {
    message: `Invalid port "${"9".repeat(40)}…": expected a whole number from 0 to 65535`,
  });
});
