import * as assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { compressBuildMetadata, decompressBuildMetadata, parseFail, repositoryOf } from "../../devenv/build-pod-standin";

describe("build-pod stand-in helpers", () => {
  it("encodes build metadata as kpack's completion does: base64 of gzipped JSON with kpack's keys", () => {
    const m = {
      buildpackMetadata: [{ id: "a/b", version: "1.0.0", homepage: "" }],
      latestImage: "127.0.0.1:5000/ns/app@sha256:" + "0".repeat(64),
      latestCacheImage: "",
      stackID: "io.buildpacks.stacks.test",
      stackRunImage: "127.0.0.1:5000/ns/run@sha256:" + "1".repeat(64),
      lifecycleVersion: "0.20.0",
    };
    const encoded = compressBuildMetadata(m);
    assert.match(encoded, /^[A-Za-z0-9+/]+=*$/);
    const json = JSON.parse(zlib.gunzipSync(Buffer.from(encoded, "base64")).toString("utf8")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), ["buildpackMetadata", "latestCacheImage", "latestImage", "lifecycleVersion", "stackID", "stackRunImage"]);
    assert.deepEqual(decompressBuildMetadata(encoded), m);
  });

  it("reads '<step>: <message>' from the fail annotation", () => {
    assert.deepEqual(parseFail("build: exit status 42: oops"), { step: "build", message: "exit status 42: oops" });
    assert.deepEqual(parseFail("export"), { step: "export", message: "export failed (stand-in)" });
    assert.equal(parseFail(undefined), undefined);
  });

  it("takes the repository from references with a tag, a digest or both", () => {
    const d = "sha256:" + "a".repeat(64);
    assert.equal(repositoryOf(`127.0.0.1:5000/ns/b:builder-ns-b-run-image@${d}`), "127.0.0.1:5000/ns/b");
    assert.equal(repositoryOf(`127.0.0.1:5000/ns/b@${d}`), "127.0.0.1:5000/ns/b");
    assert.equal(repositoryOf("127.0.0.1:5000/ns/b:1"), "127.0.0.1:5000/ns/b");
    assert.equal(repositoryOf("127.0.0.1:5000/ns/b"), "127.0.0.1:5000/ns/b");
  });
});
