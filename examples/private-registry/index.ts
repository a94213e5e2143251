import * as pulumi from "@pulumi/pulumi";
import * as kpack from "pulumi-kpack";

/**
 * Private registry: the builder image and the app image are pushed to a
 * registry that wants a login. pulumi-kpack turns the login into a
 * ServiceAccount with the Secrets kpack reads (managedServiceAccount); the
 * password stays a secret in the state and never shows in the CLI.
 *
 * Config:
 *   registry          the private registry and path, e.g. registry.example.com/team
 *   registryUser      its user name
 *   registryPassword  its password or token (set it with `pulumi config set --secret`)
 *   stackId, buildImage, runImage, buildpackage, buildpackId, sourceUrl: as in the quickstart
 * Optional: namespace (default "default").
 */
const config = new pulumi.Config();
const registry = config.require("registry");
const namespace = config.get("namespace") ?? "default";
const login = [{ registry: registry.split("/")[0], username: config.require("registryUser"), password: config.requireSecret("registryPassword") }];

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
  managedServiceAccount: { registryCredentials: login },
});
const app = new kpack.Image("app", {
  namespace,
  tag: `${registry}/app`,
  builder,
  source: { blob: { url: config.require("sourceUrl") } },
  managedServiceAccount: { registryCredentials: login },
});

export const image = app.latestImage;
export const serviceAccount = pulumi.interpolate`${namespace}/${app.name}-image`;
