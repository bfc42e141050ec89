/**
 * Compiles the four scripts into single binaries: `deno task compile`.
 *
 * `deno compile` needs Deno's runtime (denort) for the target; it downloads
 * it, or takes the file named by the `DENORT_BIN` environment variable where
 * there is no network.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** The scripts that become binaries, each with the permissions it is compiled with. */
export const SCRIPTS = ["server.ts", "client.ts", "select_server.ts", "select_client.ts"];

const ROOT = new URL("../", import.meta.url);

/**
 * Compiles each of `scripts` into `outDir`, named after the script without
 * `.ts`. Returns the binaries' paths; throws with deno's own message on failure.
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
        "--allow-net",
        "--output",
        output,
        new URL(script, ROOT).pathname,
      ],
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      const message = new TextDecoder().decode(stderr).trim();
      const hint = /dl\.deno\.land|denort|error sending request/.test(message)
        ? "\nHint: deno compile could not get its runtime (denort); point DENORT_BIN at one."
        : "";
      throw new Error(`Cannot compile "${script}":\n${message}${hint}`);
    }
    binaries.push(output);
  }
  return binaries;
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { out: { type: "string" } } });
  try {
    for (const binary of await compileAll(values.out ?? "dist")) console.log(binary);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
