// Versions of everything the test environment builds or starts. One place, so
// the README, the build scripts and the harness cannot disagree.
export const versions = {
  kubernetes: "1.34.4",
  etcd: "3.6.16",
  pulumi: "3.259.0",
  /**
   * The oldest @pulumi/pulumi package.json's range admits: 3.216.0 is the first
   * whose dynamic providers take the inputs a read returns (refresh keeps them).
   * The compatibility run of the examples installs it; the newest is whatever the registry serves.
   */
  pulumiOldest: "3.216.0",
  /** The oldest @pulumi/kubernetes the compatibility run installs: the first 4.x that asks for @pulumi/pulumi ^3.142 like the newest. */
  pulumiKubernetesOldest: "4.23.0",
  kpack: "0.17.2",
  /** The older kpack the upgrade test installs first (its controller and webhook are built too). */
  kpackPrevious: "0.17.1",
  /** The CNB lifecycle kpack 0.17.2's go.mod requires; its build pods run it. */
  lifecycle: "0.20.12",
  /** CNCF Distribution (the distribution/distribution v3 registry): the local OCI registry. */
  registry: "3.1.2",
  /**
   * sdk/v3 version whose tree still holds the Node.js language host (it left
   * sdk/v3 after 3.68.0; its own module is refused by the module proxy here).
   */
  pulumiLanguageNodejs: "3.68.0",
  /** pulumi-resource-kubernetes: the version @pulumi/kubernetes in package.json asks for… */
  pulumiKubernetes: "4.25.0",
  /** …built from this pseudo-version of the Go module pulumi-kubernetes/provider/v4 (it has no semver tags; see scripts/build/pulumi-kubernetes.sh). */
  pulumiKubernetesModule: "v4.0.0-20260115033456-f47bc2d6f199",
} as const;
