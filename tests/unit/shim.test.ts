import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { shimFor } from "../../sdk/shim";

// Loads serialized provider text the way the dynamic-provider process does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireFromString = require("require-from-string") as (code: string, filename?: string) => { handler: () => pulumi.dynamic.ResourceProvider };

describe("serialized provider (the dispatch shim)", () => {
  let text: string;
  before(async () => {
    // Serialized exactly as dynamic.Resource does it: a closure returning the provider object.
    const provider = shimFor("ClusterStack");
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    text = sf.text;
  });

  it("stays small: a few methods that require the installed provider", () => {
    assert.ok(text.length < 4096, `serialized provider is ${text.length} bytes`);
    assert.match(text, /require\("pulumi-kpack\/provider"\)/);
  });

  it("captures no Kubernetes client, zod, or credentials", () => {
    assert.doesNotMatch(text, /client-node|KubeConfig|zod/);
    assert.doesNotMatch(text, /BEGIN (EC |RSA )?PRIVATE KEY|client-key-data|certificate-authority-data/);
  });

  it("forwards (kind, method, args) to the installed provider and gets its answer", async () => {
    // Resolve from the repository root, as the provider process does from the program directory.
    const loaded = requireFromString(text, path.join(process.cwd(), "serialized-provider.js")).handler();
    const r = await loaded.check!(
      {},
      {
        logicalName: "base",
        providerVersion: "0",
        stackId: "s",
        buildImage: "127.0.0.1:5000/stacks/build:1",
        runImage: "127.0.0.1:5000/stacks/run:1",
      },
    );
    assert.deepEqual(r.failures, []);
    assert.match(String((r.inputs as Record<string, unknown>).name), /^base-[0-9a-f]{7}$/);
  });
});

describe("provider contract", () => {
  it("exports dispatch(kind, method, args) and names unknown kinds in its error", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const provider = require("pulumi-kpack/provider") as { dispatch: (k: string, m: string, a: unknown[]) => Promise<unknown> };
    assert.equal(typeof provider.dispatch, "function");
    await assert.rejects(provider.dispatch("NoSuchKind", "check", [{}, {}]), /no resource kind "NoSuchKind"/);
  });
});
