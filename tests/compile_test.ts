/**
 * `deno compile` of the four scripts, and a compiled server and client
 * chatting. Skipped, with the reason printed, where deno compile cannot get
 * its runtime: it downloads denort unless DENORT_BIN names one.
 */
import assert from "node:assert/strict";
import { compileAll, SCRIPTS, taskFlags } from "../scripts/compile.ts";
import { LineClient } from "./line_client.ts";

function runtimeMissing(): string | undefined {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) {
    try {
      Deno.statSync(bin);
      return undefined;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return `DENORT_BIN is set to "${bin}", which does not exist`;
    }
  }
  // Without DENORT_BIN, deno compile downloads denort; probe whether that works.
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/probe.ts`, "export {};\n");
  const probe = new Deno.Command(Deno.execPath(), {
    args: ["compile", "--quiet", "--output", `${dir}/probe`, `${dir}/probe.ts`],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  Deno.removeSync(dir, { recursive: true });
  if (probe.code === 0) return undefined;
  const message = new TextDecoder().decode(probe.stderr);
  return /error sending request|dns error|denort/.test(message)
    ? "deno compile cannot download its runtime (denort) here and DENORT_BIN is not set"
    : undefined;
}

const skip = runtimeMissing();
if (skip) console.log(`compile_test.ts: skipped: ${skip}`);

Deno.test({
  name: "compileAll() builds four binaries, and a compiled server and client chat",
  ignore: skip !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const binaries = await compileAll(dir);
      assert.equal(binaries.length, SCRIPTS.length);
      const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = String(probe.addr.port);
      probe.close();
      const server = new Deno.Command(`${dir}/server`, {
        args: [port, "--host", "127.0.0.1"],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
      assert.match((await reader.read()).value ?? "", /Listening on/);
      const alice = await LineClient.join(Number(port), "alice");
      const client = new Deno.Command(`${dir}/client`, {
        args: ["127.0.0.1", port, "bob"],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      await alice.expect("clientbob- enter");
      const writer = client.stdin.getWriter();
      await writer.write(new TextEncoder().encode("hello from a binary\n"));
      await writer.close();
      await alice.expect("[bob]hello from a binary");
      assert.equal((await client.output()).code, 0);
      server.kill("SIGTERM");
      await reader.cancel();
      assert.equal((await server.status).code, 0);
      await alice.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("taskFlags() gives each binary its task's permissions, and the servers its V8 flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const v8 = (config.tasks.server as string).split(" ").filter((word) => word.startsWith("--v8"));
  assert.equal(v8.length, 1, "the server task carries V8 flags");
  assert.deepEqual(await taskFlags("server.ts"), ["--allow-net", ...v8]);
  assert.deepEqual(await taskFlags("select_server.ts"), ["--allow-net", ...v8]);
  assert.deepEqual(await taskFlags("client.ts"), ["--allow-net", "--allow-env=TERM"]);
  assert.deepEqual(await taskFlags("select_client.ts"), ["--allow-net", "--allow-env=TERM"]);
});

Deno.test("compile.ts hands deno compile a file path, in a directory named with a space and 한글", async () => {
  // A copy of what compile.ts needs, with a stand-in server.ts, under an awkward name. deno
  // compile is given a runtime that does not exist: it fails for that only once it has found
  // server.ts, and it needs no network to get there.
  const dir = await Deno.makeTempDir({ prefix: "groupchat_compile_" });
  try {
    const root = `${dir}/with space/저장소`;
    await Deno.mkdir(`${root}/scripts`, { recursive: true });
    await Deno.mkdir(`${root}/lib`);
    const files = [
      "scripts/compile.ts",
      "lib/cli.ts",
      "lib/errors.ts",
      "lib/sanitize.ts",
      "deno.json",
    ];
    for (const file of files) {
      await Deno.copyFile(new URL(`../${file}`, import.meta.url), `${root}/${file}`);
    }
    await Deno.writeTextFile(`${root}/server.ts`, "export {};\n");
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "-A", `${root}/scripts/compile.ts`, "--out", `${dir}/out`],
      env: { DENORT_BIN: `${dir}/no-such-denort`, NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const message = new TextDecoder().decode(stderr);
    assert.equal(code, 1, message);
    assert.match(message, /^Error: Cannot compile "server\.ts":/, message);
    assert.doesNotMatch(message, /Cannot find module|%25|%20/, "server.ts was found");
    assert.match(message, /denort/, message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
