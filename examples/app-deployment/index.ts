import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as kpack from "pulumi-kpack";

/**
 * App deployment: kpack builds the app from its source, and a Deployment runs
 * the digest kpack built. A new build of new inputs (source, buildpacks,
 * stack) gives a new digest, and the same `pulumi up` rolls the Deployment to
 * it. A changed `rebuild` value builds again; CNB builds are reproducible, so
 * the same inputs give the same digest.
 *
 * Config:
 *   registry      where builder and app images are pushed, e.g. registry.example.com/team
 *   stackId       the stack id both stack images carry
 *   buildImage    stack build image
 *   runImage      stack run image
 *   buildpackage  a buildpackage image for the store
 *   buildpackId   the id of a buildpack in it
 *   sourceUrl     URL of the app source (tar.gz or zip), or instead:
 *   gitUrl        a git repository to build from, at branch gitRevision (default "main"): kpack builds
 *                 each commit pushed to it (reason COMMIT), as it rebuilds on a new buildpack version in
 *                 the store (BUILDPACK) or a new run image (STACK); `pulumi up --refresh` then rolls the
 *                 Deployment to what kpack built
 * Optional:
 *   namespace     where the builder, Image and Deployment live (default "default")
 *   rebuild       any value; change it to have kpack build again (Image.triggerBuild)
 *   skipRolloutWait  "true" to not wait for the Deployment's pods (a cluster without nodes)
 */
const config = new pulumi.Config();
const registry = config.require("registry");
const namespace = config.get("namespace") ?? "default";

const stack = new kpack.ClusterStack("base", {
  stackId: config.require("stackId"),
  buildImage: config.require("buildImage"),
  runImage: config.require("runImage"),
});
const store = new kpack.ClusterStore("buildpacks", { sources: [{ image: config.require("buildpackage") }] });
const builder = new kpack.Builder("builder", {
  namespace,
  tag: `${registry}/builder`,
  stack,
  store,
  order: [{ group: [{ id: config.require("buildpackId") }] }],
});
const app = new kpack.Image("app", {
  namespace,
  tag: `${registry}/app`,
  builder,
  source: config.get("gitUrl")
    ? { git: { url: config.require("gitUrl"), revision: config.get("gitRevision") ?? "main" } }
    : { blob: { url: config.require("sourceUrl") } },
  triggerBuild: config.get("rebuild"),
});

const labels = { app: "hello" };
const deployment = new k8s.apps.v1.Deployment("hello", {
  metadata: {
    namespace,
    annotations: config.getBoolean("skipRolloutWait") ? { "pulumi.com/skipAwait": "true" } : {},
  },
  spec: {
    replicas: 1,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      // latestImage is repo@sha256:…: a new build changes the pod template, which rolls the Deployment.
      spec: { containers: [{ name: "app", image: app.latestImage, ports: [{ containerPort: 8080 }] }] },
    },
  },
});
const service = new k8s.core.v1.Service("hello", {
  metadata: {
    namespace,
    annotations: config.getBoolean("skipRolloutWait") ? { "pulumi.com/skipAwait": "true" } : {},
  },
  spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
});

export const image = app.latestImage;
export const buildCounter = app.buildCounter;
/** What `image` was built from: the commit, the buildpacks and their versions, the run image, the reason. */
export const provenance = app.provenance;
export const deploymentName = deployment.metadata.name;
export const deploymentImage = deployment.spec.template.spec.containers[0].image;
export const serviceName = service.metadata.name;
