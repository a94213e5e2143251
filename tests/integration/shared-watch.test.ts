import * as assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { testEnv, TestEnv } from "../../devenv/test-env";
import { metricsText, requestCounts } from "../../devenv/metrics";
import { kube } from "../../provider/kube/client";
import { closeWatches } from "../../provider/kube/informer";
import { clusterIO, deleteAndWait, KubeObject } from "../../provider/kube/objects";
import { Deadline } from "../../provider/wait-policy";

/**
 * The provider's waits share one list+watch per kind and namespace
 * (provider/kube/informer.ts), against the real apiserver. PodTemplates stand
 * for any kind: nothing else in the environment watches them in a namespace,
 * so the apiserver's request counters show the informer's requests alone.
 */
describe("shared watch: one list+watch per kind and namespace for every wait", function () {
  let env: TestEnv;
  let ns: string;
  let core: k8s.CoreV1Api;

  /**
   * The apiserver's LIST requests of namespaced PodTemplates (apiserver_request_total,
   * which counts a watch only once it ends) and the watches of them open now
   * (the gauge apiserver_longrunning_requests).
   */
  async function podTemplateRequests(): Promise<{ list: number; openWatches: number }> {
    const text = await metricsText(env.kubeConfig);
    const list = requestCounts(text).filter(
      (s) => s.labels.resource === "podtemplates" && s.labels.scope === "namespace" && s.labels.verb === "LIST",
    );
    const open = [...text.matchAll(/^apiserver_longrunning_requests\{([^}]*)\}\s+(\S+)/gm)].filter(
      (m) => /resource="podtemplates"/.test(m[1]) && /scope="namespace"/.test(m[1]) && /verb="WATCH"/.test(m[1]),
    );
    return { list: list.reduce((a, s) => a + s.value, 0), openWatches: open.reduce((a, m) => a + Number(m[2]), 0) };
  }

  const template = (name: string, value: string) => ({
    metadata: { name, namespace: ns, labels: { step: value } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "127.0.0.1:1/none" }] } },
  });
  const ref = (name: string) => ({ apiVersion: "v1", kind: "PodTemplate", name, namespace: ns });

  before(async () => {
    env = await testEnv();
    ns = await env.namespace("shared-watch");
    core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  });

  it("20 concurrent waits in one namespace make one list and one watch, and see every object", async () => {
    const io = clusterIO(kube({ kubeconfig: env.cluster.kubeconfig }));
    const before = await podTemplateRequests();
    const names = Array.from({ length: 20 }, (_, i) => `t-${i}`);
    const waits = names.map((n) => io.waitUntil(ref(n), (o) => o?.metadata?.labels?.step === "2", new Deadline(60_000), "to reach step 2"));
    for (const n of names) await core.createNamespacedPodTemplate({ namespace: ns, body: template(n, "1") });
    for (const n of names) await core.replaceNamespacedPodTemplate({ name: n, namespace: ns, body: template(n, "2") });
    const seen = await Promise.all(waits);
    assert.deepEqual(
      seen.map((o) => o?.metadata?.name),
      names,
    );
    // The watch stays open a few seconds after its last wait, for the next resource.
    const after = await podTemplateRequests();
    assert.deepEqual({ list: after.list - before.list, openWatches: after.openWatches - before.openWatches }, { list: 1, openWatches: 1 });
  });

  it("resumes a closed watch from the last resourceVersion it saw, without a relist, and the waits go on", async () => {
    const k = kube({ kubeconfig: env.cluster.kubeconfig });
    const io = clusterIO(k);
    await core.createNamespacedPodTemplate({ namespace: ns, body: template("gone", "1") });
    let calls = 0;
    const wait = io.waitUntil(ref("gone"), (o) => (calls++, o?.metadata?.labels?.step === "3"), new Deadline(60_000), "to reach step 3");
    // Let the informer list and watch, then close its watch as the apiserver's watch timeout would.
    while (calls === 0) await new Promise((r) => setTimeout(r, 50));
    const before = await podTemplateRequests();
    closeWatches();
    await core.replaceNamespacedPodTemplate({ name: "gone", namespace: ns, body: template("gone", "3") });
    const o: KubeObject | undefined = await wait;
    assert.equal(o?.metadata?.labels?.step, "3");
    const after = await podTemplateRequests();
    assert.equal(after.list - before.list, 0, "resumed from its resourceVersion, not relisted");
  });

  it("relists when the server says its resourceVersion is gone (410), as after an apiserver restart, and the waits go on", async () => {
    const io = clusterIO(kube({ kubeconfig: env.cluster.kubeconfig }));
    await core.createNamespacedPodTemplate({ namespace: ns, body: template("relist", "1") });
    let calls = 0;
    const wait = io.waitUntil(ref("relist"), (o) => (calls++, o?.metadata?.labels?.step === "3"), new Deadline(90_000), "to reach step 3");
    while (calls === 0) await new Promise((r) => setTimeout(r, 50));
    // Writes the informer does not see (another namespace), then the apiserver restarts while etcd
    // compacts its history past the informer's resourceVersion, as the apiserver's own compaction does
    // every 5 minutes: a watch resumed from it gets 410 Gone, and only a relist brings the informer
    // back. The new apiserver's request counters start at 0.
    for (const step of ["1", "2"])
      await core.createNamespacedPodTemplate({
        namespace: "default",
        body: { ...template(`bump-${step}`, step), metadata: { name: `relist-bump-${step}`, namespace: "default" } },
      });
    await env.cluster.restartApiserver({ compact: true });
    await core.replaceNamespacedPodTemplate({ name: "relist", namespace: ns, body: template("relist", "3") });
    const o: KubeObject | undefined = await wait;
    assert.equal(o?.metadata?.labels?.step, "3");
    const after = await podTemplateRequests();
    assert.equal(after.list, 1, "one relist after the 410");
    for (const step of ["1", "2"]) await core.deleteNamespacedPodTemplate({ name: `relist-bump-${step}`, namespace: "default" });
  });

  it("a delete waits for the object itself, with background propagation: its dependents go after it", async () => {
    const k = kube({ kubeconfig: env.cluster.kubeconfig });
    const owner = await core.createNamespacedPodTemplate({ namespace: ns, body: template("owner", "1") });
    await core.createNamespacedPodTemplate({
      namespace: ns,
      body: {
        ...template("dependent", "1"),
        metadata: {
          name: "dependent",
          namespace: ns,
          ownerReferences: [{ apiVersion: "v1", kind: "PodTemplate", name: "owner", uid: owner.metadata!.uid! }],
        },
      },
    });
    await deleteAndWait(k, ref("owner"), 60_000);
    const gone = await core.readNamespacedPodTemplate({ name: "owner", namespace: ns }).then(
      () => false,
      (e: { code?: number }) => e.code === 404,
    );
    assert.ok(gone, "the owner is gone when deleteAndWait returns");
    // The garbage collector removes the dependent afterwards.
    await clusterIO(k).waitUntil(ref("dependent"), (o) => o === undefined, new Deadline(60_000), "to be garbage-collected");
  });
});
