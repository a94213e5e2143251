/**
 * The one wait policy: default budgets per kind in one table, one Deadline per
 * operation (shared by everything that operation does: installing kpack,
 * companions, the apply, the wait), and typed errors for a wait that ran out
 * of time and for a create/update that wrote the object but did not finish.
 */

/** Default create/update/delete budget of each kind, in seconds (timeoutSeconds overrides it). */
export const DEFAULT_TIMEOUT_SECONDS = {
  ClusterStack: 300,
  ClusterStore: 300,
  ClusterLifecycle: 300,
  ClusterBuildpack: 300,
  Buildpack: 300,
  // A builder image is assembled from the stack, lifecycle and every buildpack image.
  Builder: 600,
  ClusterBuilder: 600,
  // A first build pulls the builder and the run image and may download dependencies.
  Image: 1800,
  KpackInstallation: 300,
} as const;

export type KindName = keyof typeof DEFAULT_TIMEOUT_SECONDS;

/** How long fetching a release manifest may take. */
export const MANIFEST_FETCH_TIMEOUT_MS = 60_000;

/** The point in time an operation must be done by. */
export class Deadline {
  readonly at: number;
  constructor(readonly budgetMs: number) {
    this.at = Date.now() + budgetMs;
  }
  static seconds(s: number): Deadline {
    return new Deadline(s * 1000);
  }
  /** Time left, at least 1 ms (a wait given 0 would never start its watch). */
  remainingMs(): number {
    return Math.max(this.at - Date.now(), 1);
  }
  /** The earlier of this deadline and `budgetMs` from now. */
  within(budgetMs: number): Deadline {
    return budgetMs < this.at - Date.now() ? new Deadline(budgetMs) : this;
  }
}

/**
 * A wait that ran out of time: `subject` waited `what`; `lastSeen` says where
 * it stood; `toCheck` what to look at (e.g. the controller, when it never saw
 * the change).
 */
export class TimeoutError extends Error {
  constructor(
    readonly subject: string,
    readonly what: string,
    readonly budgetMs: number,
    readonly lastSeen?: string,
    /** Why the watch itself failed, when it did (e.g. refused with 403). */
    readonly watchError?: string,
    readonly toCheck?: string,
  ) {
    const why = watchError ? ` (watching it failed: ${watchError})` : "";
    const last = lastSeen ? ` Last state: ${lastSeen}.` : "";
    const check = toCheck ? ` ${toCheck}` : "";
    super(`${subject}: timed out after ${Math.round(budgetMs / 1000)}s waiting ${what}${why}.${last}${check}`);
    this.name = "TimeoutError";
  }
  /** The same timeout told from another subject's view, with where things stood when it ran out and what to check. */
  restate(subject: string, what: string, lastSeen?: string, toCheck?: string): TimeoutError {
    return new TimeoutError(subject, what, this.budgetMs, lastSeen ?? this.lastSeen, this.watchError, toCheck ?? this.toCheck);
  }
}

/** Where kpack's release runs its controller. */
export const KPACK_CONTROLLER = { namespace: "kpack", deployment: "kpack-controller" } as const;

/**
 * What to check when a wait ran out before kpack observed the generation
 * written (status.observedGeneration below it): kpack updates observedGeneration
 * on every reconcile, so the likely cause is a controller that is not running.
 * Undefined when kpack had observed it (the wait then stood on something else).
 */
export function notObservedAdvice(generation: number, observed: number | undefined): string | undefined {
  if ((observed ?? 0) >= generation) return undefined;
  const { namespace, deployment } = KPACK_CONTROLLER;
  return (
    `kpack has not observed generation ${generation} of it${observed ? ` (it last observed ${observed})` : ""}: is the kpack controller running? ` +
    `Check \`kubectl -n ${namespace} get deployment ${deployment}\` and its logs (\`kubectl -n ${namespace} logs deployment/${deployment}\`).`
  );
}

/**
 * A create or update that wrote the object but failed afterwards: Pulumi keeps
 * the resource in the state with these properties (ErrorResourceInitFailed),
 * so the next `up` continues from it.
 */
export class InitError extends Error {
  readonly reasons: string[];
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
  ) {
    super(message);
    this.name = "InitError";
    this.reasons = [message];
  }
}

/** What to do about a timeout, appended to its message. */
export const TIMEOUT_ADVICE = "Raise timeoutSeconds, or set skipAwait to not wait.";
