import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as ts from "typescript";

/**
 * The API reference (`npm run docs`) is made from doc comments: every export of
 * the package, every output of a resource and every property of an args or
 * output type must carry one, as a user reads them in their editor and in
 * docs/api. Read from the sources TypeDoc reads (sdk/index.ts with the
 * library's tsconfig), where an args type's properties keep the doc comments
 * of the schema fields they come from.
 */
const root = path.join(__dirname, "..", "..", "..");
const entry = path.join(root, "sdk", "index.ts");

function documented(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim().length > 0;
}

/** Names of what lacks a doc comment: exports, their public members, and the properties of exported types (one level into object-typed properties). */
function undocumented(): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, "tsconfig.json"),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  assert.ok(config, "tsconfig.json parses");
  const program = ts.createProgram([entry], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(entry);
  assert.ok(sf, `${entry} is missing`);
  const moduleSymbol = checker.getSymbolAtLocation(sf)!;
  const missing: string[] = [];
  const seen = new Set<ts.Type>();
  const properties = (owner: string, type: ts.Type, depth: number) => {
    if (seen.has(type)) return;
    seen.add(type);
    for (const p of checker.getPropertiesOfType(type)) {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      // Members that come from @pulumi/pulumi (urn, id, …) or zod are theirs to document.
      if (decl && /node_modules/.test(decl.getSourceFile().fileName)) continue;
      if (!documented(p, checker)) missing.push(`${owner}.${p.name}`);
      if (depth > 0 && decl) {
        const t = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(p, decl));
        const element = checker.isArrayType(t) ? checker.getTypeArguments(t as ts.TypeReference)[0] : t;
        if (element && element.getFlags() & ts.TypeFlags.Object && !element.getCallSignatures().length)
          properties(`${owner}.${p.name}`, element, depth - 1);
      }
    }
  };
  for (const exp of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
    if (!documented(symbol, checker)) missing.push(exp.name);
    if (symbol.flags & ts.SymbolFlags.Class) {
      const instance = checker.getDeclaredTypeOfSymbol(symbol);
      for (const p of checker.getPropertiesOfType(instance)) {
        const decl = p.valueDeclaration;
        if (!decl || /node_modules/.test(decl.getSourceFile().fileName)) continue;
        const mods = ts.getCombinedModifierFlags(decl);
        if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
        if (!documented(p, checker)) missing.push(`${exp.name}.${p.name}`);
      }
    } else if (symbol.flags & (ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface)) {
      properties(exp.name, checker.getDeclaredTypeOfSymbol(symbol), 1);
    }
  }
  return missing;
}

describe("API reference: doc comments on the public surface", function () {
  this.timeout(60_000);

  it("every export, every resource output and every args property has a doc comment", () => {
    const missing = undocumented();
    assert.deepEqual(missing, [], `add a doc comment to:\n  ${missing.join("\n  ")}`);
  });
});
