import * as assert from "node:assert/strict";
import { kube } from "../../provider/kube/client";

describe("cluster access errors", () => {
  it("do not quote a broken kubeconfig's contents (they hold keys and tokens)", () => {
    const broken =
      "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: SECRET-TOKEN-VALUE\n    client-key-data: SECRET-KEY-DATA\n  : [unbalanced\n";
    assert.throws(
      () => kube({ kubeconfig: broken }),
      (e: Error) => {
        assert.match(e.message, /^Cannot read the kubeconfig given in the kubeconfig input/);
        assert.doesNotMatch(e.message, /SECRET/);
        return true;
      },
    );
  });
});
