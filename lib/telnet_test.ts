import assert from "node:assert/strict";
import { IAC, TelnetFilter } from "./telnet.ts";

const IP = 244;
const NOP = 241;
const SB = 250;
const SE = 240;
const WILL = 251;
const WONT = 252;
const DO = 253;
const DONT = 254;
const TM = 6;
const TTYPE = 24;
const BINARY = 0;
/** What the filter says at a client's first command: send in binary, please. */
const ASK_BINARY = [IAC, DO, BINARY];

const text = (s: string) => [...new TextEncoder().encode(s)];

/** Pushes `chunks` through one filter; the text, the replies and the interrupts, in order. */
function run(chunks: number[][]) {
  const events: string[] = [];
  const replies: number[] = [];
  const telnet = new TelnetFilter({
    reply: (bytes) => {
      replies.push(...bytes);
      events.push("reply");
    },
    onInterrupt: () => events.push("interrupt"),
  });
  const out: number[] = [];
  for (const chunk of chunks) out.push(...telnet.push(new Uint8Array(chunk)));
  return { text: new TextDecoder().decode(new Uint8Array(out)), replies, events };
}

// A telnet session's worth: Ctrl-C, Ctrl-Z, an escaped 0xFF, a refused option, a stray
// subnegotiation, a no-op, and a 0xFF that is not telnet's.
const SESSION = [
  ...text("hello\r\n"),
  ...[IAC, IP, IAC, DO, TM],
  ...text("after\r\n"),
  ...[IAC, 237, IAC, DO, TM], // Suspend (Ctrl-Z)
  ...[IAC, IAC],
  ...[IAC, WILL, TTYPE],
  ...[IAC, SB, TTYPE, 0, ...text("xterm"), IAC, IAC, IAC, SE],
  ...[IAC, NOP],
  ...text("a"),
  ...[IAC, 0x62], // not a command: the 0xFF, never UTF-8, goes, and the "b" stays
  ...text("안녕\n"),
];
const SESSION_TEXT = "hello\r\nafter\r\n\ufffdab안녕\n";
const SESSION_REPLIES = [...ASK_BINARY, IAC, WILL, TM, IAC, WILL, TM, IAC, DONT, TTYPE];

Deno.test("TelnetFilter.push() removes commands and answers them however the reads split", () => {
  const whole = run([SESSION]);
  assert.equal(whole.text, SESSION_TEXT);
  assert.deepEqual(whole.replies, SESSION_REPLIES);
  assert.deepEqual(whole.events, ["reply", "interrupt"]);
  const bytes = run(SESSION.map((byte) => [byte]));
  assert.equal(bytes.text, SESSION_TEXT, "a byte a read");
  assert.deepEqual(bytes.replies, SESSION_REPLIES, "a byte a read");
  for (let cut = 1; cut < SESSION.length; cut++) {
    const split = run([SESSION.slice(0, cut), SESSION.slice(cut)]);
    assert.equal(split.text, SESSION_TEXT, `cut at ${cut}`);
    assert.deepEqual(split.replies, SESSION_REPLIES, `cut at ${cut}`);
  }
});

Deno.test("TelnetFilter.push() answers after the text before it, and reports Ctrl-C after that", () => {
  // The answer first: a telnet client drops what comes before it, the hint included.
  assert.deepEqual(run([[IAC, IP, IAC, DO, TM]]).events, ["reply", "interrupt"]);
  assert.deepEqual(run([[IAC, IP], [IAC, DO, TM]]).events, ["reply", "interrupt", "reply"]);
  assert.deepEqual(run([[IAC, IP, IAC, IP]]).events, ["reply", "interrupt"], "once a read");
});

Deno.test("TelnetFilter.push() tells of the first command, before anything is answered", () => {
  const events: string[] = [];
  const telnet = new TelnetFilter({
    reply: () => events.push("reply"),
    onInterrupt: () => events.push("interrupt"),
    onTelnet: () => events.push("telnet"),
  });
  // Latin-1 text or stray bytes: an escaped 0xFF, or one before a byte that is no command.
  telnet.push(new Uint8Array([...text("caf"), IAC, IAC, IAC, 0x62, IAC]));
  assert.deepEqual(events, [], "no telnet command yet");
  telnet.push(new Uint8Array([IP, IAC, DO, TM])); // IAC, then the command in the next read
  telnet.push(new Uint8Array([IAC, IP, IAC, DO, TM, IAC, NOP]));
  assert.deepEqual(events, ["telnet", "reply", "interrupt", "reply", "interrupt"]);
});

Deno.test("TelnetFilter.push() refuses each option once and agrees to every timing mark", () => {
  const asked = [IAC, DO, 1, IAC, WILL, 3, IAC, DO, 1, IAC, WILL, 3, IAC, DO, TM, IAC, DO, TM];
  assert.deepEqual(run([asked]).replies, [
    ...ASK_BINARY,
    ...[IAC, WONT, 1, IAC, DONT, 3],
    ...[IAC, WILL, TM, IAC, WILL, TM],
  ]);
  // Off is where every option already is: nothing to answer.
  assert.deepEqual(run([[IAC, DONT, 1, IAC, WONT, 3]]).replies, ASK_BINARY);
});

Deno.test("TelnetFilter.push() answers Are You There with a visible [Yes]", () => {
  const ayt = run([[IAC, 246, ...text("hi\n"), IAC, 246]]); // once a read
  assert.equal(ayt.text, "hi\n");
  assert.deepEqual(ayt.replies.slice(0, 3), ASK_BINARY);
  assert.equal(new TextDecoder().decode(new Uint8Array(ayt.replies.slice(3))), "Server: [Yes]\r\n");
});

Deno.test("TelnetFilter.push() returns a chunk without IAC as it is", () => {
  const telnet = new TelnetFilter({ reply: () => assert.fail("nothing to answer") });
  const chunk = new Uint8Array(text("plain\n"));
  assert.equal(telnet.push(chunk), chunk);
  assert.equal(telnet.push(new Uint8Array()).length, 0);
});

Deno.test("TelnetFilter.push() gives up on a subnegotiation that never ends", () => {
  // Nothing is negotiated here, so a client has no subnegotiation to send: past 1024 bytes,
  // what follows IAC SB is taken for text, lest a stray 0xFF 0xFA swallow the stream.
  const endless = [IAC, SB, ...new Array(1024).fill(0x78), ...text("kept\n")];
  assert.equal(run([endless]).text, "kept\n");
  assert.equal(run(endless.map((byte) => [byte])).text, "kept\n");
});

Deno.test("TelnetFilter.push() asks for binary from the client, agrees to it, refuses it the other way", () => {
  // The client's WILL answers our DO: no answer to an answer (RFC 1143), nor to a state in force.
  assert.deepEqual(run([[IAC, NOP], [IAC, WILL, BINARY, IAC, WILL, BINARY]]).replies, ASK_BINARY);
  // Offered first by the client: one DO, the ask and the answer at once.
  assert.deepEqual(run([[IAC, WILL, BINARY]]).replies, ASK_BINARY);
  // Asked to send in binary (`toggle binary` asks both ways): no, once, as for any option.
  assert.deepEqual(run([[IAC, DO, BINARY, IAC, DO, BINARY]]).replies, [
    ...ASK_BINARY,
    ...[IAC, WONT, BINARY],
  ]);
  // Turned off again by the client: acknowledged once.
  const off = [IAC, WILL, BINARY, IAC, WONT, BINARY, IAC, WONT, BINARY];
  assert.deepEqual(run([off]).replies, [...ASK_BINARY, IAC, DONT, BINARY]);
});

Deno.test("TelnetFilter.push() takes a key's command amid a character for the byte it stood for", () => {
  // What telnet, not yet in binary, sends for "상한 글", Enter: 상 is EC 83 81 and 83 is
  // Ctrl-C with the top bit, so it goes as IAC IP (and DO TM); 한 is ED 95 9C, and 9C Ctrl-\.
  const sent = [
    ...[0xec, IAC, IP, IAC, DO, TM, 0x81],
    ...[0xed, 0x95, IAC, 243, IAC, DO, TM],
    ...text(" 글"),
    ...[0xc4, IAC, 245, IAC, DO, TM], // "ď" (C4 8F): 8F is Ctrl-O, Abort Output
    ...[0xc4, IAC, 237, IAC, DO, TM], // "Ě" (C4 9A): 9A is Ctrl-Z, Suspend
    ...text("\r\n"),
    ...[IAC, IP, IAC, DO, TM], // a real Ctrl-C: between characters
  ];
  const replies = [...ASK_BINARY, ...Array(5).fill([IAC, WILL, TM]).flat()];
  for (let cut = 0; cut < sent.length; cut++) {
    const split = run(
      cut === 0 ? sent.map((byte) => [byte]) : [sent.slice(0, cut), sent.slice(cut)],
    );
    assert.equal(split.text, "상한 글ďĚ\r\n", `cut at ${cut}`);
    assert.deepEqual(split.replies, replies, `cut at ${cut}`);
    assert.equal(split.events.filter((event) => event === "interrupt").length, 1, `cut at ${cut}`);
  }
});

Deno.test("TelnetFilter() starts mid-character where bytesAwaited says", () => {
  // The lead byte of 상 (EC 83 81) came before the filter, which starts at the first 0xFF.
  const events: string[] = [];
  const telnet = new TelnetFilter({
    bytesAwaited: 2,
    reply: () => {},
    onInterrupt: () => events.push("interrupt"),
  });
  const out = telnet.push(new Uint8Array([IAC, IP, IAC, DO, TM, 0x81, ...text("\r\n")]));
  assert.equal(new TextDecoder().decode(new Uint8Array([0xec, ...out])), "상\r\n");
  assert.deepEqual(events, []);
});

Deno.test("TelnetFilter.push() in binary takes CR, CR LF, CR NUL and LF each for one Enter", () => {
  const sent = [IAC, WILL, BINARY, ...text("a\rb\r\nc\r\0d\ne\r"), ...text("\nf\r")];
  const expected = "a\nb\nc\nd\ne\nf\n";
  assert.equal(run([sent]).text, expected);
  for (let cut = 1; cut < sent.length; cut++) {
    assert.equal(run([sent.slice(0, cut), sent.slice(cut)]).text, expected, `cut at ${cut}`);
  }
  // Not in binary, the line decoder's rules stand: CR LF ends a line, a CR alone does not.
  assert.equal(run([[IAC, NOP, ...text("a\rb\r\n")]]).text, "a\rb\r\n");
});

Deno.test("TelnetFilter.push() in binary takes a key's command as the key, even amid a character", () => {
  // In binary no top bit is taken off: "é" cut short (C3), then a real Ctrl-C.
  const sent = [IAC, WILL, BINARY, 0xc3, IAC, IP, IAC, DO, TM, ...text("after\n")];
  const { text: out, events } = run([sent]);
  assert.equal(out, "\ufffdafter\n");
  assert.ok(events.includes("interrupt"));
});
