import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../lib/cli/main.js";

const FIXTURE = join(import.meta.dirname, "fixtures", "bar6x5x8.inp"); // make_voxel_model.py bar 6 5 8

function capture() {
  const out: string[] = [], err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe("bct fe solve", () => {
  it("prints the documented JSON keys; the reaction equals CalculiX's (SPOOLES: -1267.946 N)", async () => {
    for (const precond of ["mg", "jacobi"]) {
      const c = capture();
      const code = await runCli(["fe", "solve", FIXTURE, "--json", "--precond", precond, "--tol", "1e-8", "--threads", "1"], c.io);
      expect(code).toBe(0);
      const j = JSON.parse(c.out.join(""));
      for (const k of ["dofs", "elements", "iterations", "converged", "seconds", "totalSeconds", "reaction", "reactionBySet"]) expect(j).toHaveProperty(k);
      expect(j.dofs).toBe(1134);
      expect(j.elements).toBe(240);
      expect(j.converged).toBe(true);
      // ccx 2.20 on this deck prints "total force ... for set NLOAD": -1.267946E+03 (7 digits)
      expect(Math.abs(j.reaction[2] / -1267.946 - 1)).toBeLessThan(1e-6);
      expect(j.reactionBySet.NLOAD[2]).toBeCloseTo(j.reaction[2], 9);
      expect(Math.abs(j.reactionBySet.NFIX[2] / j.reaction[2] + 1)).toBeLessThan(1e-7); // equilibrium
    }
  });

  it("reports a missing deck as `error: ...` with exit code 1, and bad options as usage errors", async () => {
    const c = capture();
    expect(await runCli(["fe", "solve", "/nonexistent/deck.inp"], c.io)).toBe(1);
    expect(c.err.join("")).toMatch(/^error: cannot read \/nonexistent\/deck.inp/);
    const d = capture();
    expect(await runCli(["fe", "solve", FIXTURE, "--precond", "ilu"], d.io)).toBe(2);
    expect(d.err.join("")).toMatch(/--precond must be mg, jacobi or direct/);
  });
});
