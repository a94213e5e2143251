import { binaries, ensureBinary, locate } from "./binaries";

/**
 * `npm test` runs this before mocha: every binary the tests start is found or
 * built (once per machine) here, outside any test hook. On a new machine the
 * builds take about half an hour, far beyond a hook's timeout.
 */
const external = !!process.env.PULUMI_KPACK_TEST_KUBECONFIG;
const t0 = Date.now();
for (const [key, spec] of Object.entries(binaries)) {
  // An existing cluster needs no local control plane.
  if (external && spec.envtest) continue;
  const found = locate(spec);
  const path = found?.path ?? ensureBinary(spec);
  process.stderr.write(`test binary ${key}: ${path}${found ? ` (${found.source})` : " (built)"}\n`);
}
process.stderr.write(`test binaries ready in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
