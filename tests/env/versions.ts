// Versions of everything the test environment builds or starts. One place, so
// the README, the build scripts and the harness cannot disagree.
export const versions = {
  kubernetes: "1.34.4",
  etcd: "3.6.16",
  pulumi: "3.259.0",
  kpack: "0.17.2",
  /** CNCF Distribution (the distribution/distribution v3 registry): the local OCI registry. */
  registry: "3.1.2",
} as const;
