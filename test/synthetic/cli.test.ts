import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../lib/cli/main.js";
import { readNifti } from "../../lib/io/nifti/index.js";

const dir = mkdtempSync(join(tmpdir(), "bct-phantom-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [], err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

describe("bct phantom", () => {
  it("writes one scan's dataset with --only, --seed and --supersampling", async () => {
    const c = capture();
    const rc = await runCli(["phantom", dir, "--only", "spine", "--seed", "3", "--supersampling", "1"], c.io);
    expect(rc).toBe(0);
    expect(c.out.join("\n")).toMatch(/^spine: 168 x 168 x 56 voxels/);
    expect(existsSync(join(dir, "hip"))).toBe(false);
    const spine = join(dir, "spine");
    expect(readdirSync(join(spine, "dicom")).filter((f) => f.endsWith(".dcm"))).toHaveLength(56);
    const truth = JSON.parse(readFileSync(join(spine, "truth.json"), "utf8"));
    expect(truth.seed).toBe(3);
    expect(truth.ctFormation.supersampling).toBe(1);
    expect(truth.files["ct.nii.gz"]).toMatch(/int16/);
    const ct = readNifti(join(spine, "ct.nii.gz")).volume;
    expect(ct.data).toBeInstanceOf(Int16Array);
    expect([...ct.dims]).toEqual([168, 168, 56]);
  });

  it("rejects a bad --only, a bad seed and a missing folder", async () => {
    let c = capture();
    expect(await runCli(["phantom", dir, "--only", "knee"], c.io)).toBe(2);
    expect(c.err.join("\n")).toMatch(/--only must be hip or spine/);
    c = capture();
    expect(await runCli(["phantom", dir, "--only", "spine", "--seed", "-4"], c.io)).toBe(1);
    expect(c.err.join("\n")).toMatch(/^error: seed must be an integer/);
    c = capture();
    expect(await runCli(["phantom"], c.io)).toBe(2);
  });
});
