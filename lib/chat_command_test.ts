import assert from "node:assert/strict";
import { messageText, parseChatCommand, quitReason } from "./chat_command.ts";

Deno.test("parseChatCommand() splits commands and leaves messages alone", () => {
  assert.deepEqual(parseChatCommand("/WHO"), { name: "who", argument: "" });
  assert.deepEqual(parseChatCommand("/me  waves  "), { name: "me", argument: "waves" });
  assert.deepEqual(parseChatCommand("/quit off to lunch"), {
    name: "quit",
    argument: "off to lunch",
  });
  assert.deepEqual(parseChatCommand("  Quit "), { name: "quit", argument: "" });
  assert.deepEqual(parseChatCommand("/"), { name: "", argument: "" });
  for (const text of ["hello", "quit now", "//who", " /who", ""]) {
    assert.equal(parseChatCommand(text), undefined, text);
  }
});

Deno.test("messageText() unescapes a leading double slash only", () => {
  assert.equal(messageText("//who"), "/who");
  assert.equal(messageText("a//b"), "a//b");
});

Deno.test("quitReason() cuts a long reason to 100 characters", () => {
  assert.equal(Array.from(quitReason("가".repeat(500))!).length, 100);
});
