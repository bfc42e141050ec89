/**
 * What the scripts do before they listen. Importing any `node:` module starts
 * Deno's Node compatibility layer, about a quarter of a server's start-up,
 * before the bind; so the scripts import none, and the room and the console
 * call the global `setImmediate`, which starts the layer when first called
 * (see lib/room.ts): the servers' first log line, which must come after the bind.
 */
import assert from "node:assert/strict";
import { SCRIPTS } from "../scripts/compile.ts";
import { freePort } from "./faults_kit.ts";
import { FLAVORS } from "./flavors.ts";

/** The specifiers of the modules `script` imports, directly or not, as `deno info` lists them. */
async function moduleGraph(script: string): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", script],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const { modules } = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string }[];
  };
  return modules.map((module) => module.specifier);
}

Deno.test("the four scripts import no node: module, so the Node layer starts after the bind", async () => {
  for (const script of SCRIPTS) {
    const specifiers = await moduleGraph(script);
    assert.ok(specifiers.some((specifier) => specifier.endsWith(`/lib/cli.ts`)), script);
    assert.deepEqual(specifiers.filter((specifier) => specifier.startsWith("node:")), [], script);
  }
});

/** Whether something listens on loopback `port`: a second listener there is refused. */
function isBound(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return true;
    throw error;
  }
}

for (const flavor of FLAVORS) {
  Deno.test(`${flavor.name}: binds before its first log line, whose flush starts the Node layer`, async () => {
    const port = freePort();
    const boundAtEachLine: boolean[] = [];
    const server = flavor.start({ port, log: () => boundAtEachLine.push(isBound(port)) });
    await server.shutdown();
    assert.ok(boundAtEachLine.length > 0, "it logs");
    assert.equal(boundAtEachLine[0], true);
  });
}
