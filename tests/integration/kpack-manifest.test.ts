import * as assert from "node:assert/strict";
import { expandTemplate, imageReferences, isLoopbackImage, loopbackImages, renderKpackManifest, schemaDefaults } from "../../devenv/kpack-manifest";
import { orderManifest } from "../../provider/install/apply";

// Renders kpack's own config/ (from the build cache or the Go module cache):
// these tests check the test environment never points anything off loopback.
describe("kpack manifest for the local environment", function () {
  this.timeout(60_000);
  const registry = "127.0.0.1:5999";
  const port = 5998;
  const objects = renderKpackManifest({ images: loopbackImages(registry, `${registry}/pulumi-kpack/lifecycle:0.20.0`), webhookPort: port });

  it("points every image reference at a loopback registry", () => {
    const refs = imageReferences(objects);
    assert.ok(refs.length >= 6, `expected the controller, ConfigMap and lifecycle images, found ${refs.length}`);
    const off = refs.filter((r) => !isLoopbackImage(r.image));
    assert.deepEqual(off, [], `images off loopback: ${JSON.stringify(off)}`);
  });

  it("names no registry or URL off loopback in any value", () => {
    // Label keys and apiVersions look like hosts but are names; values that
    // look like "host.tld[:port]/..." or URLs are references and must be local.
    const offLoopback: string[] = [];
    const walk = (v: unknown, key: string) => {
      if (typeof v === "string") {
        if (key === "apiVersion") return;
        const m = /^(?:https?:\/\/)?([a-z0-9-]+(?:\.[a-z0-9-]+)+|localhost)(?::\d+)?\//i.exec(v);
        if (m && m[1] !== "127.0.0.1" && m[1] !== "localhost") offLoopback.push(v);
      } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(objects, "");
    assert.deepEqual(offLoopback, []);
  });

  it("keeps the default ClusterLifecycle, on the local lifecycle image", () => {
    const lc = objects.find((o) => o.kind === "ClusterLifecycle" && o.metadata?.name === "default-lifecycle");
    assert.deepEqual((lc?.spec as { image?: string })?.image, `${registry}/pulumi-kpack/lifecycle:0.20.0`);
  });

  it("keeps the webhook as released, reached on loopback: an ExternalName Service and the host port in every clientConfig", () => {
    const local = objects;
    const svc = local.find((o) => o.kind === "Service" && o.metadata?.name === "kpack-webhook");
    assert.deepEqual(svc?.spec, { type: "ExternalName", externalName: "127.0.0.1", ports: [{ name: "https-webhook", port, protocol: "TCP" }] });
    for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
      const c = local.find((o) => o.kind === kind) as
        { webhooks?: Array<{ clientConfig?: { service?: unknown }; failurePolicy?: string }> } | undefined;
      assert.deepEqual(
        c?.webhooks?.map((w) => [w.clientConfig?.service, w.failurePolicy]),
        [[{ name: "kpack-webhook", namespace: "kpack", port }, "Fail"]],
        kind,
      );
    }
    const converted = local.filter(
      (o) => o.kind === "CustomResourceDefinition" && (o.spec as { conversion?: { strategy?: string } }).conversion?.strategy === "Webhook",
    );
    assert.deepEqual(converted.map((o) => o.metadata?.name).sort(), [
      "builders.kpack.io",
      "builds.kpack.io",
      "images.kpack.io",
      "sourceresolvers.kpack.io",
    ]);
    for (const crd of converted) {
      assert.deepEqual(
        (crd.spec as { conversion: { webhook: { clientConfig: { service: unknown } } } }).conversion.webhook.clientConfig.service,
        { name: "kpack-webhook", namespace: "kpack", path: "/convert", port },
        crd.metadata?.name,
      );
    }
    // Everything else is the release's own.
    const has = (kind: string, name: string) => local.some((o) => o.kind === kind && o.metadata?.name === name);
    for (const [kind, name] of [
      ["Deployment", "kpack-webhook"],
      ["ServiceAccount", "webhook"],
      ["Secret", "webhook-certs"],
    ])
      assert.ok(has(kind, name), `${kind}/${name} missing`);
    assert.deepEqual(
      local
        .filter((o) => o.kind === "Deployment")
        .map((o) => o.metadata?.name)
        .sort(),
      ["kpack-controller", "kpack-webhook"],
    );
  });

  it("keeps the controller with its RBAC and configuration", () => {
    const has = (kind: string, name: string) => objects.some((o) => o.kind === kind && o.metadata?.name === name);
    for (const [kind, name] of [
      ["Namespace", "kpack"],
      ["Deployment", "kpack-controller"],
      ["ServiceAccount", "controller"],
      ["ClusterRole", "kpack-controller-admin"],
      ["ClusterRoleBinding", "kpack-controller-admin-binding"],
      ["ConfigMap", "config-logging"],
      ["ConfigMap", "build-init-image"],
      ["ConfigMap", "completion-image"],
    ]) {
      assert.ok(has(kind, name), `${kind}/${name} missing`);
    }
  });

  it("orders to namespace first and the lifecycle after its CRD", () => {
    const ordered = orderManifest(objects);
    assert.equal(ordered[0].kind, "Namespace");
    const crd = ordered.findIndex((o) => o.metadata?.name === "clusterlifecycles.kpack.io");
    const lc = ordered.findIndex((o) => o.kind === "ClusterLifecycle");
    assert.ok(crd >= 0 && lc > crd);
  });
});

describe("ytt subset", () => {
  const values = { a: { b: "127.0.0.1:5000/x/y:1" }, v: "dev" };
  it("substitutes data.values and drops load()", () => {
    const out = expandTemplate('#@ load("@ytt:data", "data")\nimage: #@ data.values.a.b\n  version: #@ data.values.v\n', values, "t.yaml");
    assert.equal(out, 'image: "127.0.0.1:5000/x/y:1"\n  version: "dev"\n');
  });
  it("refuses other ytt constructs", () => {
    assert.throws(() => expandTemplate("#@ for x in y:\n", values, "t.yaml"), /unsupported ytt construct/);
  });
  it("refuses unknown values", () => {
    assert.throws(() => expandTemplate("image: #@ data.values.nope.image\n", values, "t.yaml"), /data\.values\.nope\.image/);
  });
  it("reads the schema's defaults", () => {
    assert.deepEqual(
      schemaDefaults(
        "#@data/values-schema\n#@overlay/match-child-defaults missing_ok=True\n---\nkpack_version: dev\ncontroller:\n  image: 127.0.0.1:5000/controller\n",
      ),
      { kpack_version: "dev", controller: { image: "127.0.0.1:5000/controller" } },
    );
  });
});
