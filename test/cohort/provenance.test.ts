/**
 * Provenance (lib/io/provenance), atomic writes and orphan temp files (lib/io/atomic-write), the
 * output-folder lock (lib/cohort/out-lock), and the runner's resume rule built on them. References:
 * `sha256sum` and `git rev-parse` where installed, files written by hand.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { hostTag, removeOrphanTemps, TEMP_SUFFIX, writeFileAtomic } from "../../lib/io/atomic-write.js";
import { bctIdentity, buildProvenance, canonicalJson, digestPath, gitCommit, provenanceMismatch } from "../../lib/io/provenance.js";
import { acquireOutLock, LOCK_FILE, OutLockError } from "../../lib/cohort/out-lock.js";
import { runCohort, type CohortProgress } from "../../lib/cohort/runner.js";
import { cohortTable } from "../../lib/cohort/table.js";
import { bct } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/paths.js";

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const have = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
/** The pid of a process that has exited (so not alive). */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;

describe("input digests", () => {
  it.runIf(have("sha256sum"))("a file's digest is sha256sum's; a folder's covers every file by name and content", () => {
    const dir = tmp("bct-prov-");
    mkdirSync(join(dir, "series", "sub"), { recursive: true });
    writeFileSync(join(dir, "series", "IM1.dcm"), "slice one");
    writeFileSync(join(dir, "series", "sub", "IM2.dcm"), "slice two");
    const file = digestPath("scan", join(dir, "series", "IM1.dcm"));
    expect(file.sha256).toBe(execFileSync("sha256sum", [join(dir, "series", "IM1.dcm")], { encoding: "utf8" }).split(" ")[0]);
    expect(file).toMatchObject({ role: "scan", bytes: 9, files: 1 });
    const folder = digestPath("scan", join(dir, "series"));
    // Independent reference: sha256sum over the per-file lines "relative path  sha256".
    const lines = ["IM1.dcm", "sub/IM2.dcm"].map((f) => `${f}  ${execFileSync("sha256sum", [join(dir, "series", f)], { encoding: "utf8" }).split(" ")[0]}`).join("\n");
    writeFileSync(join(dir, "lines.txt"), lines);
    expect(folder.sha256).toBe(execFileSync("sha256sum", [join(dir, "lines.txt")], { encoding: "utf8" }).split(" ")[0]);
    expect(folder).toMatchObject({ files: 2, bytes: 18 });
    writeFileSync(join(dir, "series", "sub", "IM2.dcm"), "slice 2!!");
    expect(digestPath("scan", join(dir, "series")).sha256).not.toBe(folder.sha256);
    expect(() => digestPath("label map", join(dir, "nope.nii.gz"))).toThrow(/label map .*nope\.nii\.gz: no such file or folder/);
  });

  it("canonical JSON ignores key order and undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: undefined }], c: "s" } })).toBe('{"a":{"c":"s","d":[1,{"y":2}]},"b":1}');
  });
});

describe("code identity", () => {
  it("reads HEAD through a linked work tree's gitdir file, loose refs and packed-refs", () => {
    const root = tmp("bct-git-");
    const common = join(root, "main.git");
    const wt = join(common, "worktrees", "feature");
    mkdirSync(join(common, "refs", "heads"), { recursive: true });
    mkdirSync(wt, { recursive: true });
    const a = "a".repeat(40), b = "b".repeat(40);
    writeFileSync(join(common, "packed-refs"), `# pack-refs with: peeled\n${a} refs/heads/feature\n`);
    writeFileSync(join(wt, "HEAD"), "ref: refs/heads/feature\n");
    writeFileSync(join(wt, "commondir"), "../..\n");
    mkdirSync(join(root, "checkout"));
    writeFileSync(join(root, "checkout", ".git"), `gitdir: ${wt}\n`);
    expect(gitCommit(join(root, "checkout"))).toBe(a);
    writeFileSync(join(common, "refs", "heads", "feature"), `${b}\n`); // a loose ref wins over packed-refs
    expect(gitCommit(join(root, "checkout"))).toBe(b);
    writeFileSync(join(wt, "HEAD"), `${a}\n`); // detached HEAD
    expect(gitCommit(join(root, "checkout"))).toBe(a);
    expect(gitCommit(tmp("bct-nogit-"))).toBeNull();
  });

  it.runIf(have("git") && existsSync(join(REPO_ROOT, ".git")))("this checkout's commit is git rev-parse HEAD's, and the version package.json's", () => {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
    expect(bctIdentity()).toEqual({ version: JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version, commit: head });
  });

  it("names the first difference between a stored and an expected provenance", () => {
    const dir = tmp("bct-prov-m-");
    writeFileSync(join(dir, "ct.nii.gz"), "scan v1");
    const p = buildProvenance({ inputs: [{ role: "scan", path: join(dir, "ct.nii.gz") }, { role: "phantom certificate", data: { rods: [1, 2] } }], options: { elementSize: 3 } });
    expect(provenanceMismatch(p, p)).toBeNull();
    expect(provenanceMismatch(undefined, p)).toMatch(/no provenance recorded/);
    expect(provenanceMismatch({ ...p, bct: { ...p.bct, version: "0.0.9" } }, p)).toBe(`bct version 0.0.9 -> ${p.bct.version}`);
    expect(provenanceMismatch({ ...p, bct: { ...p.bct, commit: "c".repeat(40) } }, p)).toMatch(/^bct commit cccccccccc -> /);
    expect(provenanceMismatch({ ...p, options: { elementSize: 2 } }, p)).toBe("options changed: elementSize 2 -> 3");
    writeFileSync(join(dir, "ct.nii.gz"), "scan v2");
    const q = buildProvenance({ inputs: [{ role: "scan", path: join(dir, "ct.nii.gz") }, { role: "phantom certificate", data: { rods: [1, 2] } }], options: { elementSize: 3 } });
    expect(provenanceMismatch(p, q)).toMatch(/^scan .*ct\.nii\.gz changed \(sha256 /);
    const withDef = { ...q, strengthDefinition: { id: "hip:x" }, thresholds: { id: "t1" } };
    expect(provenanceMismatch({ ...withDef, thresholds: { id: "t0" } }, withDef)).toBe("classification thresholds changed");
  });
});

describe("atomic writes and orphan temp files", () => {
  it("writes whole files and removes only the temp files of dead writers on this host", () => {
    const dir = tmp("bct-atomic-");
    writeFileAtomic(join(dir, "a.json"), "{}\n");
    expect(readFileSync(join(dir, "a.json"), "utf8")).toBe("{}\n");
    expect(readdirSync(dir)).toEqual(["a.json"]);
    const dead = `b.json.${hostTag()}-${deadPid()}-0x0${TEMP_SUFFIX}`;
    const live = `c.json.${hostTag()}-${process.pid}-0x0${TEMP_SUFFIX}`;
    const other = `d.json.${hostTag("elsewhere")}-1-0x0${TEMP_SUFFIX}`;
    const legacy = `e.json.${deadPid()}-0.tmp`;
    for (const f of [dead, live, other, legacy]) writeFileSync(join(dir, f), "partial");
    expect(removeOrphanTemps(dir).map((p) => p.slice(dir.length + 1)).sort()).toEqual([dead, legacy].sort());
    expect(readdirSync(dir).sort()).toEqual(["a.json", live, other].sort());
    expect(removeOrphanTemps(dir, { otherHostAgeSeconds: -1 }).map((p) => p.slice(dir.length + 1))).toEqual([other]);
  });
});

describe("the output-folder lock", () => {
  it("refuses a live owner, takes over a dead one with a warning, and refuses another host's", () => {
    const dir = tmp("bct-lock-");
    const lock = acquireOutLock(dir, { command: "test" });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid, host: hostname(), command: "test" });
    expect(() => acquireOutLock(dir)).toThrow(OutLockError);
    expect(() => acquireOutLock(dir)).toThrow(new RegExp(`in use by test \\(pid ${process.pid}, since `));
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), command: "bct cohort run", startedAt: "2026-01-01T00:00:00Z" }));
    const warnings: string[] = [];
    const taken = acquireOutLock(dir, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`took over the stale lock .* of bct cohort run \\(pid ${pid}, no longer running`))]);
    expect(taken.tookOverFrom?.pid).toBe(pid);
    taken.release();

    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: "other-node", command: "bct cohort run", startedAt: "2026-01-01T00:00:00Z" }));
    expect(() => acquireOutLock(dir)).toThrow(/pid 1 on host other-node.*if that run is dead, delete/);
  });

  it("bct cohort run refuses a folder another live run holds, with one error line", async () => {
    const dir = tmp("bct-lock-cli-");
    writeFileSync(join(dir, "c.csv"), "id,sex,scan\nA,F,missing.nii.gz\n");
    const lock = acquireOutLock(join(dir, "out"), { command: "another bct cohort run" });
    try {
      const r = await bct("cohort", "run", join(dir, "c.csv"), "--out", join(dir, "out"), "--workers", "0");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: .*out is in use by another bct cohort run \(pid \d+, since .*choose another --out/m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      lock.release();
    }
  }, 60_000);
});

describe("provenance in bct dxa's result file (written atomically)", () => {
  it.runIf(have("sha256sum"))("records the DICOM folder file by file, the certificate's sha256sum and the resolved options", async () => {
    const out = tmp("bct-dxa-prov-");
    const r = await bct("dxa", "--site", "hip", "--sex", "F", "--out", out, "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(readFileSync(join(out, "dxa.json"), "utf8"));
    expect(JSON.parse(r.stdout).provenance).toEqual(j.provenance);
    const dicom = join(REPO_ROOT, "datasets/phantom/hip/dicom");
    const certificate = join(REPO_ROOT, "datasets/phantom/calibration-phantom.json");
    const files = readdirSync(dicom, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && !d.name.startsWith(".")).length;
    expect(j.provenance.bct).toEqual(bctIdentity());
    expect(j.provenance.inputs).toEqual([
      expect.objectContaining({ role: "scan", path: dicom, files }),
      expect.objectContaining({ role: "phantom certificate", path: certificate, files: 1, sha256: execFileSync("sha256sum", [certificate], { encoding: "utf8" }).split(" ")[0] }),
    ]);
    expect(j.provenance.options).toMatchObject({ site: "hip", sex: "F", calibration: "phantom", maleReference: "female" });
    expect(readdirSync(out).sort()).toEqual(["dxa.html", "dxa.json"]); // no temp file left
  }, 300_000);
});

describe("resume by provenance (runCohort)", () => {
  it("recomputes and says why when a scan is replaced, bct's version differs or a temp file was orphaned", async () => {
    const dir = tmp("bct-resume-prov-");
    const table = cohortTable([{ id: "M1", sex: "F", scan: "m1.nii.gz" }, { id: "M2", sex: "M", scan: "m2.nii.gz" }], { baseDir: dir });
    writeFileSync(join(dir, "m1.nii.gz"), "not a scan");
    writeFileSync(join(dir, "m2.nii.gz"), "not a scan either");
    const outDir = join(dir, "out");
    const events: CohortProgress[] = [];
    const run = () => runCohort(table, { outDir, workers: 0, elementSize: 3, retryFailed: false, onProgress: (e) => events.push(e) });
    expect(await run()).toMatchObject({ computed: 2, failed: 2 });
    const stored = JSON.parse(readFileSync(join(outDir, "subjects", "M1.json"), "utf8"));
    const certificate = join(REPO_ROOT, "datasets/phantom/calibration-phantom.json"); // the default certificate
    expect(stored.provenance.inputs).toEqual([
      { role: "scan", path: resolve(dir, "m1.nii.gz"), sha256: execSha("not a scan"), bytes: 10, files: 1 },
      expect.objectContaining({ role: "phantom certificate", path: certificate, sha256: execSha(readFileSync(certificate, "utf8")) }),
    ]);
    expect(stored.provenance.options).toMatchObject({ sex: "F", elementSize: 3 });
    const csv = readFileSync(join(outDir, "results.csv"), "utf8").split("\n");
    expect(csv[0]).toMatch(/,bctVersion,bctCommit,inputsSha256,strengthDefinition,thresholds$/);

    events.length = 0;
    expect(await run()).toMatchObject({ reused: 2, computed: 0 }); // failures kept: retryFailed false, nothing changed

    events.length = 0;
    writeFileSync(join(dir, "m1.nii.gz"), "another file, same name");
    const m2 = join(outDir, "subjects", "M2.json");
    const old = JSON.parse(readFileSync(m2, "utf8"));
    old.provenance.bct.version = "0.0.1";
    writeFileSync(m2, JSON.stringify(old));
    writeFileSync(join(outDir, "subjects", `M1.json.${hostTag()}-${deadPid()}-0x0${TEMP_SUFFIX}`), "half");
    expect(await run()).toMatchObject({ reused: 0, computed: 2 });
    expect(events.filter((e) => e.kind === "stale").map((e) => `${e.id}: ${e.reason}`)).toEqual([
      expect.stringMatching(/^M1: scan .*m1\.nii\.gz changed \(sha256 /),
      expect.stringMatching(/^M2: bct version 0\.0\.1 -> /),
    ]);
    expect(events.filter((e) => e.kind === "warning").map((e) => e.reason)).toEqual(["removed 1 temporary file(s) left by an interrupted run"]);
    expect(readdirSync(join(outDir, "subjects")).sort()).toEqual(["M1.json", "M2.json"]);
  });
});

/** SHA-256 of a text, computed by a separate node process (the reference for in-memory text; sha256sum is the one for files above). */
function execSha(text: string): string {
  return execFileSync(process.execPath, ["-e", `process.stdout.write(require("crypto").createHash("sha256").update(${JSON.stringify(text)}).digest("hex"))`], { encoding: "utf8" });
}
