import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { testEnv, TestEnv } from "../../devenv/test-env";
import type { KpackEnv } from "../../devenv/kpack-env";
import { buildImage, filesDir } from "../../devenv/imagetool";
import * as fs from "node:fs";
import { binaries, ensureBinary } from "../../devenv/binaries";

/**
 * The build-pod runner as a kubelet, on pods made by hand (no kpack): init
 * containers in order then the main one, from a real image in the local
 * registry, with env (value, fieldRef, secretKeyRef), user and fsGroup,
 * working dir, emptyDir / Secret / downwardAPI volumes, termination message,
 * and the log through the apiserver's pod log endpoint.
 */
describe("build-pod runner", function () {
  let env: TestEnv;
  let kp: KpackEnv;
  let core: k8s.CoreV1Api;
  let ns: string;
  let image = "";

  before(async function () {
    env = await testEnv();
    kp = await env.kpack();
    core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
    ns = await env.namespace("runner");
    const dir = filesDir(path.join(env.cluster.workDir, "kpack"), "runner-image", {
      "etc/passwd": "root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000::/home/cnb:/bin/sh\n",
      "etc/group": "root:x:0:\ncnb:x:1000:\n",
      "bin/busybox": fs.readFileSync(ensureBinary(binaries.busybox)),
    });
    const pushed = await buildImage({
      layers: [{ dir }],
      env: { PATH: "/bin", IMAGE_ENV: "from-image" },
      user: "cnb",
      tags: [`${kp.registry.host}/pulumi-kpack/runner-test:1`],
    });
    image = pushed.ref;
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "creds" }, stringData: { token: "s3cret-value" } } });
  });

  const sh = (script: string) => ["/bin/busybox", "sh", "-c", script];

  async function runPod(name: string, init: k8s.V1Container[], main: k8s.V1Container): Promise<k8s.V1Pod> {
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels: { "kpack.io/build": name }, annotations: { note: "hello-annotation" } },
        spec: {
          restartPolicy: "Never",
          securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true },
          volumes: [
            { name: "shared", emptyDir: {} },
            { name: "secret", secret: { secretName: "creds" } },
            { name: "downward", downwardAPI: { items: [{ path: "note", fieldRef: { fieldPath: "metadata.annotations['note']" } }] } },
          ],
          initContainers: init,
          containers: [main],
        },
      },
    });
    for (;;) {
      const pod = await core.readNamespacedPod({ name, namespace: ns });
      if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return pod;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const mounts: k8s.V1VolumeMount[] = [
    { name: "shared", mountPath: "/shared" },
    { name: "secret", mountPath: "/secret", readOnly: true },
    { name: "downward", mountPath: "/downward" },
  ];

  it("runs init containers in order, then the main one, with env, user, volumes and a termination message", async () => {
    const pod = await runPod(
      "ok",
      [
        {
          name: "first",
          image,
          command: sh(
            'echo "first: $(id -u):$(id -g) in $(pwd) pod=$POD image=$IMAGE_ENV token=$TOKEN" | tee /shared/first.txt; cat /downward/note > /shared/note; cat /secret/token > /shared/token',
          ),
          workingDir: "/work",
          env: [
            { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            { name: "TOKEN", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } },
          ],
          volumeMounts: mounts,
        },
        {
          name: "second",
          image,
          command: sh("cat /shared/first.txt /shared/note; echo; touch /secret/x 2>/dev/null && echo writable || echo read-only"),
          volumeMounts: mounts,
        },
      ],
      {
        name: "main",
        image,
        command: sh("printf 'done: %s' \"$(cat /shared/token)\" > /tmp/message; echo main ran"),
        terminationMessagePath: "/tmp/message",
        volumeMounts: mounts,
      },
    );
    assert.equal(pod.status?.phase, "Succeeded", JSON.stringify(pod.status, null, 1));
    assert.equal(pod.spec?.nodeName, "pulumi-kpack-build-node");
    const inits = pod.status?.initContainerStatuses ?? [];
    assert.deepEqual(
      inits.map((s) => [s.name, s.state?.terminated?.exitCode, s.state?.terminated?.reason]),
      [
        ["first", 0, "Completed"],
        ["second", 0, "Completed"],
      ],
    );
    assert.ok(inits[0].state!.terminated!.finishedAt! <= inits[1].state!.terminated!.startedAt!, "second starts after first ends");
    assert.match(inits[0].imageID ?? "", /@sha256:[0-9a-f]{64}$/);
    const main = pod.status?.containerStatuses?.[0];
    assert.equal(main?.state?.terminated?.message, "done: s3cret-value");

    const logOf = (container: string) => core.readNamespacedPodLog({ name: "ok", namespace: ns, container });
    assert.equal((await logOf("first")).trim(), "first: 1000:1000 in /work pod=ok image=from-image token=s3cret-value");
    assert.equal((await logOf("second")).trim(), "first: 1000:1000 in /work pod=ok image=from-image token=s3cret-value\nhello-annotation\nread-only");
    assert.equal((await logOf("main")).trim(), "main ran");
  });

  it("stops at a failing init container: pod Failed and kept, later containers never run, its log readable", async () => {
    const pod = await runPod(
      "fails",
      [
        { name: "first", image, command: sh("echo 'ERROR: something broke' >&2; exit 3"), volumeMounts: mounts },
        { name: "second", image, command: sh("echo should not run"), volumeMounts: mounts },
      ],
      { name: "main", image, command: sh("echo should not run") },
    );
    assert.equal(pod.status?.phase, "Failed");
    const [first, second] = pod.status?.initContainerStatuses ?? [];
    assert.equal(first.state?.terminated?.exitCode, 3);
    assert.equal(first.state?.terminated?.reason, "Error");
    assert.ok(second.state?.waiting, "second never ran");
    assert.ok(pod.status?.containerStatuses?.[0].state?.waiting, "main never ran");
    assert.equal((await core.readNamespacedPodLog({ name: "fails", namespace: ns, container: "first" })).trim(), "ERROR: something broke");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await core.readNamespacedPod({ name: "fails", namespace: ns })).status?.phase, "Failed", "the failed pod is left in place");
  });
});
