import * as pulumi from "@pulumi/pulumi";
import { protectCredentials } from "./credentials";
import { shimFor } from "./shim";

// The package version goes into every resource's inputs (providerVersion), so an
// upgrade of pulumi-kpack shows as an update and the new outputs reach state.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require("../../package.json") as { version: string }).version;

/**
 * Base of every typed kpack resource. Subclasses declare their outputs; this
 * class seeds them as undefined (so the engine returns them), marks the
 * kubeconfig secret, and adds the SDK-internal inputs.
 */
export abstract class KpackResource extends pulumi.dynamic.Resource {
  /** Name of the kpack object in the cluster. */
  declare readonly name: pulumi.Output<string>;

  protected constructor(kind: string, name: string, args: object, outputKeys: readonly string[], opts?: pulumi.CustomResourceOptions) {
    const a = args as { kubeconfig?: pulumi.Input<string>; managedServiceAccount?: unknown };
    const props: Record<string, unknown> = {};
    // The engine exposes only keys present in props: seed every output, and
    // `name`, which check() may generate.
    for (const k of ["name", ...outputKeys]) props[k] = undefined;
    Object.assign(props, args, {
      logicalName: name,
      providerVersion: VERSION,
      resourceUrn: pulumi.createUrn(name, `pulumi-nodejs:dynamic/kpack:${kind}`, parentUrn(opts?.parent)),
      // A kubeconfig holds credentials: keep it secret in state even when given as plain text.
      kubeconfig: a.kubeconfig === undefined ? undefined : pulumi.secret(a.kubeconfig),
    });
    // Registry, git and blob credentials: secret in state and in the CLI even when given as plain text.
    if (a.managedServiceAccount !== undefined) props.managedServiceAccount = protectCredentials(a.managedServiceAccount);
    super(shimFor(kind), name, props, opts, "kpack", kind);
  }
}

/**
 * The parent's URN as a plain promise: an Output of it would make the parent a
 * dependency, and a dependency on a component is one on all its children, so
 * the children of one component (a Descriptor's) would each wait for the others.
 */
function parentUrn(parent: pulumi.Resource | undefined): Promise<string> | undefined {
  return parent ? new Promise<string>((resolve) => parent.urn.apply(resolve)) : undefined;
}
