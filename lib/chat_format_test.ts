import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { formatIncoming, nameColor, SELF_MARKER } from "./chat_format.ts";

const RESET = "\x1b[0m";
const BOLD = "\x1b[1m";
const DIM = "\x1b[2m";
const ITALIC = "\x1b[3m";
const DEFAULT_FOREGROUND = "\x1b[39m";

/** Every escape sequence in `text` is SGR, and no other control character is left. */
function onlySgr(text: string): boolean {
  // deno-lint-ignore no-control-regex
  return !/[\x00-\x1f\x7f-\x9f]/.test(text.replace(/\x1b\[[0-9;]*m/g, ""));
}

const LINES = [
  "[alice]hello 👋",
  "[127.0.0.1:50000] : 안녕하세요",
  "* alice waves",
  "clientbob- enter",
  "clientbob- exit",
  "clientbob- exit (too slow)",
  "clientbob- is now robert",
  "Client (127.0.0.1:50000) entered room",
  "Client (127.0.0.1, 50000) is offline",
  "Client (::1, 50001) is offline (too slow)",
  'Error: ID "alice" is already in the room',
  "Server: shutting down",
  "just some text",
  "",
];

Deno.test("nameColor() behaviour", () => {
  equal(nameColor("alice"), "\x1b[38;5;80m", "the color of a name never changes");
  equal(nameColor("bob"), "\x1b[38;5;42m");
  equal(nameColor("한글"), nameColor("한글"));
  const names = Array.from({ length: 50 }, (_, index) => `user${index}`);
  const colors = new Set(names.map(nameColor));
  ok(colors.size >= 20, `only ${colors.size} colors for 50 names`);
  for (const name of [...names, "", "👩‍💻", "127.0.0.1:5000"]) {
    const color = nameColor(name);
    const [, code] = color.match(/^\x1b\[38;5;(\d+)m$/) ?? [];
    ok(code !== undefined, `${JSON.stringify(color)} is not a 256-color SGR sequence`);
    const index = Number(code) - 16;
    ok(index >= 0 && index < 216, `color ${code} is outside the color cube`);
    const levels = [Math.floor(index / 36), Math.floor(index / 6) % 6, index % 6];
    notEqual(Math.max(...levels), 0, `color ${code} is black`);
    ok(Math.max(...levels) >= 2, `color ${code} is too dark`);
    ok(Math.min(...levels) < 5, `color ${code} is white`);
    ok(new Set(levels).size > 1, `color ${code} is a gray`);
  }
});

Deno.test("formatIncoming() behaviour without color", () => {
  for (const line of LINES) equal(formatIncoming(line, { color: false }), line);
  for (const line of LINES) {
    equal(formatIncoming(line, { color: false, self: "carol" }), line, "not carol's line");
  }
  equal(formatIncoming("[alice]hi", { color: false, self: "alice" }), "» [alice]hi");
  equal(formatIncoming("* alice waves", { color: false, self: "alice" }), "» * alice waves");
  equal(
    formatIncoming("[127.0.0.1:50000] : hi", { color: false, self: "127.0.0.1:50000" }),
    "» [127.0.0.1:50000] : hi",
  );
  equal(
    formatIncoming("clientalice- enter", { color: false, self: "alice" }),
    "clientalice- enter",
    "notices are not marked",
  );
  equal(
    formatIncoming("[a]\x1b[2Jwipe\x07\x9b", { color: false }),
    "[a]^[[2Jwipe^GM-^[",
    "control characters are made visible",
  );
});

Deno.test("formatIncoming() behaviour with color", () => {
  const alice = nameColor("alice");
  const bob = nameColor("bob");
  const address = nameColor("127.0.0.1:50000");
  const expected = [
    `${alice}[alice]${RESET}hello 👋`,
    `${address}[127.0.0.1:50000]${RESET} : 안녕하세요`,
    `${ITALIC}* ${alice}alice${RESET}${ITALIC} waves${RESET}`,
    `${DIM}client${bob}bob${DEFAULT_FOREGROUND}- enter${RESET}`,
    `${DIM}client${bob}bob${DEFAULT_FOREGROUND}- exit${RESET}`,
    `${DIM}client${bob}bob${DEFAULT_FOREGROUND}- exit (too slow)${RESET}`,
    `${DIM}client${bob}bob${DEFAULT_FOREGROUND}- is now robert${RESET}`,
    `${DIM}Client (${address}127.0.0.1:50000${DEFAULT_FOREGROUND}) entered room${RESET}`,
    `${DIM}Client (${address}127.0.0.1, 50000${DEFAULT_FOREGROUND}) is offline${RESET}`,
    `${DIM}Client (${
      nameColor("[::1]:50001")
    }::1, 50001${DEFAULT_FOREGROUND}) is offline (too slow)${RESET}`,
    `${BOLD}\x1b[31mError:${RESET} ID "alice" is already in the room`,
    `${BOLD}Server:${RESET} shutting down`,
    "just some text",
    "",
  ];
  deepEqual(LINES.map((line) => formatIncoming(line, { color: true })), expected);
});

Deno.test("formatIncoming() behaviour marking the user's own lines", () => {
  const alice = nameColor("alice");
  equal(
    formatIncoming("[alice]hi", { color: true, self: "alice" }),
    `${BOLD}${SELF_MARKER}${alice}[alice]${RESET}hi`,
  );
  equal(
    formatIncoming("[Alice]hi", { color: true, self: "alice" }),
    `${BOLD}${SELF_MARKER}${nameColor("Alice")}[Alice]${RESET}hi`,
    "IDs compare ignoring case, as on the server",
  );
  equal(
    formatIncoming("* alice waves", { color: true, self: "alice" }),
    `${BOLD}${SELF_MARKER}${RESET}${ITALIC}* ${BOLD}${alice}alice${RESET}${ITALIC} waves${RESET}`,
  );
  equal(
    formatIncoming("[alicia]hi", { color: true, self: "alice" }),
    `${nameColor("alicia")}[alicia]${RESET}hi`,
  );
  equal(formatIncoming("[alice]hi", { color: true, self: "" }), `${alice}[alice]${RESET}hi`);
});

Deno.test("formatIncoming() behaviour with IPv6 members of the select server", () => {
  const v6 = "[::1]:50001";
  const mapped = "[::ffff:127.0.0.1]:50002";
  for (const name of [v6, mapped]) {
    equal(
      formatIncoming(`[${name}] : hi`, { color: true }),
      `${nameColor(name)}[${name}]${RESET} : hi`,
      "the whole address is the name, brackets and all",
    );
    equal(formatIncoming(`[${name}] : hi`, { color: false, self: name }), `» [${name}] : hi`);
    equal(
      formatIncoming(`[${name}] : hi`, { color: true, self: name }),
      `${BOLD}${SELF_MARKER}${nameColor(name)}[${name}]${RESET} : hi`,
    );
    equal(
      formatIncoming(`Client (${name}) entered room`, { color: true }),
      `${DIM}Client (${nameColor(name)}${name}${DEFAULT_FOREGROUND}) entered room${RESET}`,
    );
  }
  equal(
    formatIncoming("Client (::ffff:127.0.0.1, 50002) is offline", { color: true }),
    `${DIM}Client (${
      nameColor(mapped)
    }::ffff:127.0.0.1, 50002${DEFAULT_FOREGROUND}) is offline${RESET}`,
    "offline in the color of the member's messages",
  );
  equal(
    formatIncoming("[[::1]:50001] : hi", { color: false, self: "::1:50001" }),
    "[[::1]:50001] : hi",
    "an unbracketed self is another name",
  );
});

Deno.test("formatIncoming() behaviour with a timestamp", () => {
  const morning = new Date(2024, 0, 31, 7, 3, 59);
  const night = new Date(2024, 11, 1, 23, 59);
  equal(formatIncoming("[bob]hi", { color: false, time: morning }), "07:03 [bob]hi");
  equal(formatIncoming("Server: bye", { color: false, time: night }), "23:59 Server: bye");
  equal(
    formatIncoming("[bob]hi", { color: false, self: "bob", time: new Date(2024, 5, 1, 0, 0) }),
    "00:00 » [bob]hi",
  );
  equal(
    formatIncoming("plain", { color: true, time: morning }),
    `${DIM}07:03${RESET} plain`,
  );
});

Deno.test("formatIncoming() behaviour emitting only SGR sequences", () => {
  const hostile = [
    ...LINES,
    "\x1b]0;title\x07",
    "[a\x1b[2J]b",
    "* \x1b[31mx\x1b[0m does",
    "client\x9b2J- enter",
    "Client (\x1bc) is offline",
    "Error:\r\x1b[K",
    "\u202eevil",
  ];
  for (const line of hostile) {
    const options = { self: "a", time: new Date(2024, 0, 1, 12, 0) };
    const colored = formatIncoming(line, { ...options, color: true });
    ok(onlySgr(colored), `non-SGR output ${JSON.stringify(colored)}`);
    const plain = formatIncoming(line, { ...options, color: false });
    // deno-lint-ignore no-control-regex
    ok(!/[\x00-\x1f\x7f-\x9f]/.test(plain), `control characters in ${JSON.stringify(plain)}`);
    match(plain, /^12:00 /);
  }
});
