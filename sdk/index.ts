/**
 * pulumi-kpack: typed Pulumi resources for kpack.
 */
export { ClusterStack, clusterStackSchema } from "./clusterStack";
export type { ClusterStackArgs } from "./clusterStack";
export { ClusterStore, clusterStoreSchema } from "./clusterStore";
export type { ClusterStoreArgs } from "./clusterStore";
export { ClusterLifecycle, clusterLifecycleSchema } from "./clusterLifecycle";
export type { ClusterLifecycleArgs, LifecycleApis } from "./clusterLifecycle";
export { ClusterBuildpack, clusterBuildpackSchema } from "./clusterBuildpack";
export type { ClusterBuildpackArgs } from "./clusterBuildpack";
export { Buildpack, buildpackSchema } from "./buildpack";
export type { BuildpackArgs } from "./buildpack";
export { Builder, builderSchema, DEFAULT_LIFECYCLE } from "./builder";
export type { BuilderArgs, BuilderBuildpackEntry, BuildpackResourceEntry } from "./builder";
export { ClusterBuilder, clusterBuilderSchema } from "./clusterBuilder";
export type { ClusterBuilderArgs, ClusterBuilderBuildpackEntry } from "./clusterBuilder";
export { Image, imageSchema, sourceSchema, cacheSchema, buildSchema } from "./image";
export type { ImageArgs } from "./image";
export { isKpackObject } from "./refs";
export type { KpackObject, NameRef, KindRef } from "./refs";
export type { BuildpackInfo, ConditionOutput } from "./common";
export { imageServiceAccountSchema, registryServiceAccountSchema, clusterServiceAccountSchema } from "./serviceAccount";
export type { ManagedServiceAccount } from "./serviceAccount";
export { UNKNOWN } from "./common";
export { KpackInstallation, kpackInstallationSchema } from "./kpackInstallation";
export type { KpackInstallationArgs, InstalledObject } from "./kpackInstallation";
