/**
 * pulumi-kpack: typed Pulumi resources for kpack. The public surface is the
 * resource classes, their args types and the types of their outputs; the zod
 * schemas behind the args live in schema/ and are the package's own.
 */
export { ClusterStack } from "./cluster-stack";
export type { ClusterStackArgs } from "./cluster-stack";
export { ClusterStore } from "./cluster-store";
export type { ClusterStoreArgs } from "./cluster-store";
export { ClusterLifecycle } from "./cluster-lifecycle";
export type { ClusterLifecycleArgs, LifecycleApis } from "./cluster-lifecycle";
export { ClusterBuildpack } from "./cluster-buildpack";
export type { ClusterBuildpackArgs } from "./cluster-buildpack";
export { Buildpack } from "./buildpack";
export type { BuildpackArgs } from "./buildpack";
export { Builder } from "./builder";
export type { BuilderArgs, BuilderBuildpackEntry, BuildpackResourceEntry } from "./builder";
export { ClusterBuilder } from "./cluster-builder";
export type { ClusterBuilderArgs, ClusterBuilderBuildpackEntry } from "./cluster-builder";
export { Image } from "./image";
export type { ImageArgs } from "./image";
export type { BuildProvenance } from "../schema/image";
export { Descriptor } from "./descriptor";
export type { DescriptorArgs } from "./descriptor";
export { KpackInstallation } from "./kpack-installation";
export type { KpackInstallationArgs, InstalledObject } from "./kpack-installation";
export type { KpackObject, NameRef, KindRef } from "./refs";
export type { BuildpackInfo, ConditionOutput } from "../schema/common";
export type { ManagedServiceAccount } from "../schema/service-account";
