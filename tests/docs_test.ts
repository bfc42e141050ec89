/**
 * The project's documentation rule, checked: every exported function, class
 * and value has an `@example`, and so does every public method, accessor and
 * function-valued property of an exported class. (`deno doc --lint` checks
 * that every export has a doc comment, and `deno test --doc` runs the
 * examples, but neither notices one without an example.)
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

interface JsDoc {
  tags?: { kind: string }[];
}

interface DocMember {
  name: string;
  jsDoc?: JsDoc;
  accessibility?: string;
  tsType?: { kind: string };
}

interface DocDeclaration {
  kind: string;
  jsDoc?: JsDoc;
  def?: { methods?: DocMember[]; properties?: DocMember[] };
}

interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}

/** Kinds that are types only: an example would show nothing runnable. */
const TYPE_KINDS = new Set(["interface", "typeAlias"]);

const hasExample = (jsDoc: JsDoc | undefined) =>
  (jsDoc?.tags ?? []).some((tag) => tag.kind === "example");

/**
 * The public methods and accessors of a class, and its properties that hold a
 * function (a bound callback such as `Room.onBacklog`); constructors are shown
 * by the class's own example.
 */
function classMembers(declaration: DocDeclaration): DocMember[] {
  const { methods = [], properties = [] } = declaration.def ?? {};
  return [...methods, ...properties.filter((p) => p.tsType?.kind === "fnOrConstructor")]
    .filter((member) => member.accessibility === undefined || member.accessibility === "public");
}

Deno.test("every exported function, class, value and class method has an @example", async () => {
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
  let members = 0;
  for (const [specifier, module] of Object.entries(nodes)) {
    const path = specifier.slice(ROOT.href.length);
    for (const symbol of module.symbols ?? []) {
      const declaration = symbol.declarations[0];
      if (TYPE_KINDS.has(declaration.kind)) continue;
      if (!symbol.declarations.some((each) => hasExample(each.jsDoc))) {
        missing.push(`${path}: ${symbol.name}`);
      }
      if (declaration.kind !== "class") continue;
      for (const member of classMembers(declaration)) {
        members++;
        if (!hasExample(member.jsDoc)) missing.push(`${path}: ${symbol.name}.${member.name}`);
      }
    }
  }
  assert.ok(members > 30, `class members found: ${members}`);
  assert.deepEqual(missing, [], `without an @example:\n${missing.join("\n")}`);
});
