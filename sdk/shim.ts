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

/** The contract above, as the methods see it: the answer has the type the engine expects of the method. */
interface ProviderModule {
  dispatch<T>(kind: string, method: string, args: unknown[]): Promise<T>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- each method loads the provider when called (see above); one comment for the class, as one inside a method would be serialized into every resource's state */
export class KpackDispatch implements pulumi.dynamic.ResourceProvider<PropertyBag, PropertyBag> {
  constructor(readonly kind: string) {}

  // Each method requires inside its body: a module-level import would be
  // serialized by value (and drag the Kubernetes client along).
  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    // Stack config `kpack:kubeconfig` / `kpack:context`: cluster access that is never stored in state.
    const access = { kubeconfig: req.config.get("kpack:kubeconfig"), context: req.config.get("kpack:context") };
    return (require("pulumi-kpack/provider") as ProviderModule).dispatch(this.kind, "configure", [access]);
  }
  check(olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.CheckResult<PropertyBag>> {
    return (require("pulumi-kpack/provider") as ProviderModule).dispatch(this.kind, "check", [olds, news]);
  }
  diff(id: string, olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.DiffResult> {
    return (require("pulumi-kpack/provider") as ProviderModule).dispatch(this.kind, "diff", [id, olds, news]);
  }
  create(inputs: PropertyBag): Promise<pulumi.dynamic.CreateResult> {
    return (require("pulumi-kpack/provider") as ProviderModule).dispatch(this.kind, "create", [inputs]);
  }
  read(id: string, props?: PropertyBag): Promise<pulumi.dynamic.ReadResult<PropertyBag>> {
    return (require("pulumi-kpack/provider") as ProviderModule).dispatch(this.kind, "read", [id, props]);
  }
  update(id: string, olds: PropertyBag, news: PropertyBag): Promise<pulumi.dynamic.UpdateResult<PropertyBag>> {
    return (require("pulumi-kpack/provider") as ProviderModule).dispatch(this.kind, "update", [id, olds, news]);
  }
  delete(id: string, props: PropertyBag): Promise<void> {
    return (require("pulumi-kpack/provider") as ProviderModule).dispatch(this.kind, "delete", [id, props]);
  }
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * @pulumi/pulumi's closure serializer, on its first use, requires every Node
 * built-in module to recognise captured ones; on Node 22-24 that includes
 * node:sqlite, whose first load prints "ExperimentalWarning: SQLite is an
 * experimental feature" into every `pulumi up`. Load it first with that one
 * warning held back; any other warning passes.
 */
function preloadSqliteQuietly(): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept as is, so the finally puts back the very function it replaced; it is called with .call(process)
  const emit = process.emitWarning;
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    if (/SQLite is an experimental feature/.test(String(warning))) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a load for its side effect only, inside the warning filter, and absent on some Node versions (hence the catch)
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
