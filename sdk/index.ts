/**
 * pulumi-kpack: typed Pulumi resources for kpack.
 */
export { ClusterStack, clusterStackSchema } from "./clusterStack";
export type { ClusterStackArgs } from "./clusterStack";
export { UNKNOWN } from "./common";
