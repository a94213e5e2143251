import * as assert from "node:assert/strict";
import { balanced, type Sample } from "../../bench/report";

describe("bench report: the order-balanced ratio", () => {
  const run = (n: number, r: number, first: "kubectl" | "pulumi", kubectl: number, pulumi: number): Sample[] => {
    const k: Sample = { n, run: r, op: "kubectl apply+wait", seconds: kubectl };
    const p: Sample = { n, run: r, op: "pulumi up", seconds: pulumi };
    return first === "kubectl" ? [k, p] : [p, k];
  };

  it("takes the order's effect out: the geometric mean of the mean ratio with each side first", () => {
    // The second side is 10% slower whichever it is; the sides are otherwise equal.
    const samples = [...run(50, 1, "kubectl", 100, 110), ...run(50, 2, "pulumi", 110, 100), ...run(50, 3, "kubectl", 100, 110)];
    assert.ok(Math.abs(balanced(samples, 50)! - 1) < 1e-9);
  });

  it("is undefined unless both orders ran", () => {
    assert.equal(balanced([...run(10, 1, "kubectl", 10, 12), ...run(10, 2, "kubectl", 10, 12)], 10), undefined);
  });

  it("reads only the runs of its N", () => {
    const samples = [...run(1, 1, "kubectl", 10, 20), ...run(1, 2, "pulumi", 10, 20), ...run(2, 1, "kubectl", 10, 5)];
    assert.ok(Math.abs(balanced(samples, 1)! - 2) < 1e-9);
  });
});
