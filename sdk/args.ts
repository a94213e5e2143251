import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";

/** Deep Pulumi Input of a plain args type: every field, at every depth, may be an Input. */
export type Inputs<T> = T extends string | number | boolean | undefined | null
  ? pulumi.Input<T>
  : T extends ReadonlyArray<infer U>
    ? pulumi.Input<ReadonlyArray<Inputs<U>>>
    : T extends object
      ? pulumi.Input<{ [K in keyof T]: Inputs<T[K]> }>
      : pulumi.Input<T>;

/** Args type of a resource: its args schema's type (schema/<kind>.ts) with Inputs at each level. */
export type ArgsOf<S extends z.ZodType> = { [K in keyof z.input<S>]: Inputs<z.input<S>[K]> };
