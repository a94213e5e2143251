import * as assert from "node:assert/strict";
import { kpackInstallation } from "../../provider/kinds/kpack-installation";
import { check } from "../../provider/lifecycle";

describe("KpackInstallation check", () => {
  it("refuses two manifest sources at once", () => {
    const r = check(kpackInstallation, undefined, {
      logicalName: "kpack",
      providerVersion: "0",
      manifestUrl: "http://127.0.0.1:9/r.yaml",
      manifestYaml: "x: 1",
    });
    assert.equal(r.failures?.length, 1);
    assert.match(r.failures[0].reason, /KpackInstallation kpack: .*at most one of manifestUrl, manifestFile and manifestYaml/);
  });
});
