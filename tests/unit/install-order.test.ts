import * as assert from "node:assert/strict";
import { orderManifest, phaseOf } from "../../provider/install/apply";
import { parseManifest } from "../../provider/install/manifest";
import type { KubeObject } from "../../provider/kube/objects";

function o(kind: string, name: string, apiVersion = "v1"): KubeObject {
  return { apiVersion, kind, metadata: { name } };
}

const names = (objs: KubeObject[]) => objs.map((x) => `${x.kind}/${x.metadata?.name}`);

describe("orderManifest", () => {
  it("puts namespaces, then CRDs, identities, roles, bindings, config, the rest and webhooks last", () => {
    const input = [
      o("ValidatingWebhookConfiguration", "v", "admissionregistration.k8s.io/v1"),
      o("Deployment", "controller", "apps/v1"),
      o("ClusterLifecycle", "default-lifecycle", "kpack.io/v1alpha2"),
      o("ConfigMap", "build-init-image"),
      o("ClusterRoleBinding", "crb", "rbac.authorization.k8s.io/v1"),
      o("ClusterRole", "cr", "rbac.authorization.k8s.io/v1"),
      o("ServiceAccount", "controller"),
      o("CustomResourceDefinition", "images.kpack.io", "apiextensions.k8s.io/v1"),
      o("Namespace", "kpack"),
    ];
    assert.deepEqual(names(orderManifest(input)), [
      "Namespace/kpack",
      "CustomResourceDefinition/images.kpack.io",
      "ServiceAccount/controller",
      "ClusterRole/cr",
      "ClusterRoleBinding/crb",
      "ConfigMap/build-init-image",
      "Deployment/controller",
      "ClusterLifecycle/default-lifecycle",
      "ValidatingWebhookConfiguration/v",
    ]);
  });

  it("keeps the manifest's own order within a phase", () => {
    const input = [
      o("ConfigMap", "b"),
      o("Secret", "s"),
      o("ConfigMap", "a"),
      o("CustomResourceDefinition", "z"),
      o("CustomResourceDefinition", "y"),
    ];
    assert.deepEqual(names(orderManifest(input)), [
      "CustomResourceDefinition/z",
      "CustomResourceDefinition/y",
      "ConfigMap/b",
      "Secret/s",
      "ConfigMap/a",
    ]);
  });

  it("does not change its input", () => {
    const input = [o("ConfigMap", "c"), o("Namespace", "n")];
    orderManifest(input);
    assert.deepEqual(names(input), ["ConfigMap/c", "Namespace/n"]);
  });

  it("places roles with their bindings after the identities they name", () => {
    assert.equal(phaseOf(o("Role", "r")), "roles");
    assert.equal(phaseOf(o("RoleBinding", "rb")), "bindings");
    assert.equal(phaseOf(o("ServiceAccount", "sa")), "identities");
  });

  it("treats unknown kinds (custom resources, workloads) as the rest", () => {
    assert.equal(phaseOf(o("ClusterStack", "s", "kpack.io/v1alpha2")), "rest");
    assert.equal(phaseOf(o("Service", "svc")), "rest");
  });
});

describe("parseManifest", () => {
  it("reads every object of a multi-document YAML and skips empty documents", () => {
    const objs = parseManifest(
      "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: kpack\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: kpack\n",
      "test.yaml",
    );
    assert.deepEqual(names(objs), ["Namespace/kpack", "ConfigMap/c"]);
  });
});
