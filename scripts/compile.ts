/**
 * Compiles the four scripts into single binaries: `deno task compile`.
 *
 * `deno compile` needs Deno's runtime (denort) for the target; it downloads
 * it, or takes the file named by the `DENORT_BIN` environment variable where
 * there is no network.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type CommandSpec, FatalError, parseCommand, runMain } from "../lib/cli.ts";

/**
 * The scripts that become binaries, one each, with the permissions of their deno.json task.
 *
 * @example Usage
 * ```ts
 * import { SCRIPTS } from "./compile.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(SCRIPTS.includes("server.ts"));
 * ```
 */
export const SCRIPTS = ["server.ts", "client.ts", "select_server.ts", "select_client.ts"];

const ROOT = new URL("../", import.meta.url);

/**
 * The flags of the deno.json task that runs `script` (`server.ts` runs as task
 * `server`, `select_server.ts` as `select-server`): its permissions and V8
 * flags, so that a binary runs as the task does.
 *
 * @example Usage
 * ```ts ignore
 * import { taskFlags } from "./compile.ts";
 *
 * console.log(await taskFlags("client.ts")); // ["--allow-net", "--allow-env=TERM"]
 * ```
 */
export async function taskFlags(script: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const task: string | undefined = config.tasks[script.replace(/\.ts$/, "").replaceAll("_", "-")];
  if (task === undefined) {
    throw new FatalError(`No task in deno.json runs ${JSON.stringify(script)}`);
  }
  return task.split(/\s+/).filter((word) => word.startsWith("--"));
}

/**
 * Compiles each of `scripts` into `outDir`, named after the script without
 * `.ts`. Returns the binaries' paths; throws a {@linkcode FatalError} with
 * deno's own message on failure.
 *
 * @example Usage
 * ```ts ignore
 * import { compileAll } from "./compile.ts";
 *
 * const binaries = await compileAll("dist");
 * ```
 */
export async function compileAll(outDir: string, scripts: string[] = SCRIPTS): Promise<string[]> {
  await Deno.mkdir(outDir, { recursive: true });
  const binaries: string[] = [];
  for (const script of scripts) {
    const output = `${outDir}/${script.replace(/\.ts$/, "")}`;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "--quiet",
        ...await taskFlags(script),
        "--output",
        output,
        fileURLToPath(new URL(script, ROOT)), // a path, not a URL: no %20
      ],
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      const message = new TextDecoder().decode(stderr).trim();
      const hint = /dl\.deno\.land|denort|error sending request/.test(message)
        ? "\nHint: deno compile could not get its runtime (denort); point DENORT_BIN at one."
        : "";
      throw new FatalError(`Cannot compile "${script}":\n${message}${hint}`);
    }
    binaries.push(output);
  }
  return binaries;
}

const COMMAND: CommandSpec = {
  usage: "deno task compile [--out DIR]",
  summary: "Compiles server.ts, client.ts, select_server.ts and select_client.ts into binaries.",
  options: {
    out: { type: "string", arg: "DIR", help: "Where the binaries go (default dist)." },
  },
  positionals: [0, 0],
};

async function main(args: string[]): Promise<number> {
  const { values } = parseCommand(args, COMMAND);
  const outDir = typeof values.out === "string" ? values.out : "dist";
  for (const binary of await compileAll(outDir)) console.log(binary);
  return 0;
}

if (import.meta.main) await runMain(main, COMMAND);
