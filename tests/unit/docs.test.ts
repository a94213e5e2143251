import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";

/**
 * Every TypeScript block of README.md and every example program type-checks
 * against the built package (dist/sdk, as `pulumi-kpack` resolves for a user),
 * with @pulumi/pulumi and @pulumi/kubernetes as a user installs them.
 */
const root = path.join(__dirname, "..", "..", "..");

function readmeBlocks(): Array<{ name: string; code: string }> {
  const text = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const blocks: Array<{ name: string; code: string }> = [];
  const re = /```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const line = text.slice(0, m.index).split("\n").length;
    blocks.push({ name: `README.md:${line}`, code: m[1] });
  }
  return blocks;
}

function examplePrograms(): Array<{ name: string; code: string }> {
  const dir = path.join(root, "examples");
  return fs
    .readdirSync(dir)
    .filter((d) => fs.existsSync(path.join(dir, d, "index.ts")))
    .map((d) => ({
      name: `examples/${d}/index.ts`,
      code: fs.readFileSync(path.join(dir, d, "index.ts"), "utf8"),
    }));
}

/** Diagnostics of each file, compiled as a user's program would be (strict). */
function typeCheck(files: Array<{ name: string; code: string }>): Map<string, string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-kpack-docs-"));
  try {
    const paths = files.map((f, i) => {
      const p = path.join(dir, `f${i}`, "index.ts");
      fs.mkdirSync(path.dirname(p));
      fs.writeFileSync(p, f.code);
      return p;
    });
    const program = ts.createProgram(paths, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: ["node"],
      typeRoots: [path.join(root, "node_modules", "@types")],
      baseUrl: root,
      paths: { "pulumi-kpack": ["dist/sdk/index.d.ts"], "*": ["node_modules/*"] },
    });
    const out = new Map<string, string[]>();
    paths.forEach((p, i) => {
      const sf = program.getSourceFile(p)!;
      const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      out.set(
        files[i].name,
        diags.map((d) => {
          const pos = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
          return `line ${pos}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
        }),
      );
    });
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("README and examples compile against the built package", function () {
  this.timeout(60_000);
  const files = [...readmeBlocks(), ...examplePrograms()];

  it("finds the README's code and every example", () => {
    assert.ok(files.filter((f) => f.name.startsWith("README")).length >= 2, "README blocks");
    assert.ok(files.some((f) => f.name === "examples/app-deployment/index.ts"));
  });

  it("type-checks each of them with no error (no casts needed to feed latestImage to a Deployment)", () => {
    const errors = [...typeCheck(files).entries()].filter(([, d]) => d.length).map(([name, d]) => `${name}:\n  ${d.join("\n  ")}`);
    assert.deepEqual(errors, []);
  });
});
