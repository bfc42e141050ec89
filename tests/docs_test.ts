/**
 * The project's documentation rule, checked: every exported function, class
 * and value has an `@example`. (`deno doc --lint` checks that every export
 * has a doc comment, and `deno test --doc` runs the examples, but neither
 * notices an export without one.)
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** The modules that make up the chat and its tools: the scripts, lib/, bench/, scripts/. */
async function sourceModules(): Promise<string[]> {
  const modules: string[] = [];
  for (const dir of [".", "lib", "bench", "scripts"]) {
    for await (const entry of Deno.readDir(new URL(`${dir}/`, ROOT))) {
      if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        modules.push(`${dir}/${entry.name}`);
      }
    }
  }
  return modules.sort();
}

interface DocDeclaration {
  kind: string;
  jsDoc?: { tags?: { kind: string }[] };
}

interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}

/** Kinds that are types only: an example would show nothing runnable. */
const TYPE_KINDS = new Set(["interface", "typeAlias"]);

Deno.test("every exported function, class and value has an @example", async () => {
  const modules = await sourceModules();
  assert.ok(modules.includes("./server.ts") && modules.includes("lib/room.ts"), "modules found");
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...modules],
    cwd: ROOT,
  }).output();
  assert.ok(success, new TextDecoder().decode(stderr));
  const { nodes } = JSON.parse(new TextDecoder().decode(stdout)) as {
    nodes: Record<string, { symbols?: DocSymbol[] }>;
  };
  const missing: string[] = [];
  for (const [specifier, module] of Object.entries(nodes)) {
    for (const symbol of module.symbols ?? []) {
      const declaration = symbol.declarations[0];
      if (TYPE_KINDS.has(declaration.kind)) continue;
      const tags = symbol.declarations.flatMap((each) => each.jsDoc?.tags ?? []);
      if (!tags.some((tag) => tag.kind === "example")) {
        missing.push(`${specifier.slice(ROOT.href.length)}: ${symbol.name}`);
      }
    }
  }
  assert.deepEqual(missing, [], `exports without an @example:\n${missing.join("\n")}`);
});
