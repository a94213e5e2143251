import type * as pulumi from "@pulumi/pulumi";

/**
 * The object Pulumi serializes into the state of every pulumi-kpack resource.
 * It is deliberately tiny: each method loads the installed implementation by
 * package name and forwards (kind, method, arguments) to it. So nothing heavy
 * or secret is captured, and read/delete of stored resources always run the
 * installed code rather than a stale copy.
 *
 * Contract (must stay stable across versions): require("pulumi-kpack/provider")
 * exports dispatch(kind: string, method: string, args: unknown[]): Promise<unknown>.
 */
/** Inputs and outputs as the engine hands them to a dynamic provider. */
export type PropertyBag = Record<string, unknown>;

export class KpackDispatch implements pulumi.dynamic.ResourceProvider<PropertyBag, PropertyBag> {
  constructor(readonly kind: string) {}

  // Each method requires inside its body: a module-level import would be
  // serialized by value (and drag the Kubernetes client along).
  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    // Stack config `kpack:kubeconfig` / `kpack:context`: cluster access that is never stored in state.
    const access = { kubeconfig: req.config.get("kpack:kubeconfig"), context: req.config.get("kpack:context") };
    return require("pulumi-kpack/provider").dispatch(this.kind, "configure", [access]);
  }
  check(olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.CheckResult<PropertyBag>> {
    return require("pulumi-kpack/provider").dispatch(this.kind, "check", [olds, news]);
  }
  diff(id: string, olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.DiffResult> {
    return require("pulumi-kpack/provider").dispatch(this.kind, "diff", [id, olds, news]);
  }
  create(inputs: PropertyBag): Promise<pulumi.dynamic.CreateResult> {
    return require("pulumi-kpack/provider").dispatch(this.kind, "create", [inputs]);
  }
  read(id: string, props?: PropertyBag): Promise<pulumi.dynamic.ReadResult<PropertyBag>> {
    return require("pulumi-kpack/provider").dispatch(this.kind, "read", [id, props]);
  }
  update(id: string, olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.UpdateResult<PropertyBag>> {
    return require("pulumi-kpack/provider").dispatch(this.kind, "update", [id, olds, news]);
  }
  delete(id: string, props: PropertyBag): Promise<void> {
    return require("pulumi-kpack/provider").dispatch(this.kind, "delete", [id, props]);
  }
}

/**
 * @pulumi/pulumi's closure serializer, on its first use, requires every Node
 * built-in module to recognise captured ones; on Node 22-24 that includes
 * node:sqlite, whose first load prints "ExperimentalWarning: SQLite is an
 * experimental feature" into every `pulumi up`. Load it first with that one
 * warning held back; any other warning passes.
 */
function preloadSqliteQuietly(): void {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (/SQLite is an experimental feature/.test(String(warning))) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    require("node:sqlite");
  } catch {
    // Node without node:sqlite: nothing to hold back.
  } finally {
    process.emitWarning = emit;
  }
}
preloadSqliteQuietly();

// One instance per kind: Pulumi caches the serialized text per provider object.
const shims = new Map<string, KpackDispatch>();
export function shimFor(kind: string): KpackDispatch {
  let s = shims.get(kind);
  if (!s) shims.set(kind, (s = new KpackDispatch(kind)));
  return s;
}
