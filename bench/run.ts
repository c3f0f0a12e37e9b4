/**
 * `npm run bench`: the voxel solver against the C reference (ebe_pcg.c) and CalculiX, measured in
 * one run on the same decks, written as JSON to bench/results/.
 *
 * Decks come from ../shared/bench/make_voxel_model.py (needs python3 + numpy): heterogeneous bars of
 * ~0.1M, ~0.3M, ~0.94M and ~1.56M DOF, the embedded phantom's femur at 1.0 mm (~0.54M DOF) and
 * vertebra L1 at 1.0 mm (~0.2M DOF) from the shared TotalSegmentator example. Each solver runs in its own process (wall time of the solve as the solver reports it,
 * peak RSS from /usr/bin/time). Options (env): BENCH_MODELS=bar30k,L1_1.0mm (subset),
 * BENCH_CCX=none|small|all (default small: ccx ITERATIVE SCALING on models under 0.25M DOF),
 * BENCH_THREADS=2, BENCH_SHARED=../shared, BENCH_REPEAT=3 (each of C, bct mg and bct jacobi runs this
 * many times, interleaved; the fastest solve is reported and all solve times are listed: on a shared
 * 2-core machine a single run can be several times slower than the machine's capability).
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const shared = resolve(process.env.BENCH_SHARED ?? join(root, "..", "shared"));
const threads = Number(process.env.BENCH_THREADS ?? 2);
const ccxMode = process.env.BENCH_CCX ?? "small";
const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
const work = mkdtempSync(join(tmpdir(), "bct-bench-"));
const hasTime = existsSync("/usr/bin/time");
const log = (s: string) => process.stderr.write(s + "\n");

const MODELS: { name: string; args: string[] }[] = [
  { name: "bar30k", args: ["bar", "24", "24", "52"] },
  { name: "bar100k", args: ["bar", "36", "36", "78"] },
  { name: "bar300k", args: ["bar", "52", "52", "111"] },
  { name: "bar500k", args: ["bar", "62", "62", "130"] },
  {
    name: "femur_hip_1.0mm",
    args: ["femur", "--seg", join(root, "datasets/phantom/hip/labels.nii.gz"), "--label", "1", "--ct", join(root, "datasets/phantom/hip/ct.nii.gz"), "--voxel", "1.0"],
  },
  {
    name: "L1_1.0mm",
    args: ["femur", "--seg", join(shared, "data/totalseg-example/example_seg_aligned.nii.gz"), "--label", "31", "--ct", join(shared, "data/totalseg-example/example_ct.nii.gz"), "--voxel", "1.0"],
  },
];

/** Run a command, returning stdout and the peak RSS (MB) when /usr/bin/time is there. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { out: string; rssMB: number | null; wall: number } {
  const tf = join(work, "time.txt");
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync("/usr/bin/time", ["-f", "%M", "-o", tf, cmd, ...args], { encoding: "utf8", env: { ...process.env, ...env }, cwd, maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, cwd, maxBuffer: 1 << 28 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  const rssMB = hasTime ? Number(readFileSync(tf, "utf8").trim().split("\n").pop()) / 1024 : null;
  return { out: r.stdout, rssMB, wall };
}

function main(): void {
  const only = process.env.BENCH_MODELS?.split(",");
  const gen = join(shared, "bench/make_voxel_model.py");
  const csrc = join(shared, "bench/ebe_pcg.c");
  let cbin: string | undefined;
  try {
    cbin = join(work, "ebe_pcg");
    execFileSync("gcc", ["-O3", "-march=native", "-fopenmp", "-o", cbin, csrc, "-lm"], { stdio: "pipe" });
  } catch {
    log("C reference not built (gcc or ebe_pcg.c missing): C columns are null");
    cbin = undefined;
  }
  const ccx = spawnSync("ccx", ["-v"]).error === undefined;
  const bct = join(root, "bin", "bct.js");
  const results: unknown[] = [];
  for (const m of MODELS) {
    if (only && !only.includes(m.name)) continue;
    const prefix = join(work, m.name);
    try {
      execFileSync("python3", [gen, ...m.args, prefix], { stdio: "pipe" });
    } catch (e) {
      log(`skip ${m.name}: make_voxel_model.py failed (${(e as Error).message.split("\n")[0]})`);
      continue;
    }
    log(`${m.name}: deck written`);
    const row: Record<string, unknown> = { model: m.name };
    let cRes: Record<string, number> | undefined;
    const cTimes: number[] = [];
    const bctBest: Record<string, { j: Record<string, any>; rss: number | null } | undefined> = {};
    const bctTimes: Record<string, number[]> = { mg: [], jacobi: [] };
    for (let rep = 0; rep < repeat; rep++) {
      if (cbin) {
        const r = timed(cbin, [prefix + ".json"], { OMP_NUM_THREADS: String(threads) });
        const c = JSON.parse(r.out);
        cTimes.push(c.t_solve_s);
        if (!cRes || c.t_solve_s < cRes.t_solve_s) cRes = c;
      }
      for (const pre of ["mg", "jacobi"]) {
        const r = timed("node", [bct, "fe", "solve", prefix + ".inp", "--json", "--precond", pre, "--threads", String(threads)]);
        const j = JSON.parse(r.out);
        bctTimes[pre].push(j.seconds);
        if (!bctBest[pre] || j.seconds < bctBest[pre]!.j.seconds) bctBest[pre] = { j, rss: r.rssMB };
      }
    }
    if (cRes) {
      row.c = { threads, iterations: cRes.iterations, solveSeconds: cRes.t_solve_s, solveSecondsAll: cTimes, totalSeconds: cRes.total_s, peakMB: cRes.peak_rss_mb, reaction: cRes.reaction_load_N };
      log(`  C ebe_pcg: ${cRes.iterations} it, solve ${cTimes.map((t) => t.toFixed(3)).join(" / ")} s`);
    }
    for (const pre of ["mg", "jacobi"]) {
      const { j, rss } = bctBest[pre]!;
      const rz = j.reactionBySet.NLOAD[2];
      const entry: Record<string, unknown> = {
        dofs: j.dofs, elements: j.elements, iterations: j.iterations, converged: j.converged, threads: j.threads,
        solveSeconds: j.seconds, solveSecondsAll: bctTimes[pre], setupSeconds: j.setupSeconds, totalSeconds: j.totalSeconds, peakMB: rss, reaction: rz,
      };
      if (cRes) {
        entry.solveTimeRatioToC = j.seconds / cRes.t_solve_s;
        entry.reactionRelDiffToC = Math.abs(rz / cRes.reaction_load_N - 1);
      }
      row[pre] = entry;
      row.dofs = j.dofs;
      log(`  bct ${pre}: ${j.iterations} it, solve ${bctTimes[pre].map((t) => t.toFixed(3)).join(" / ")} s, total ${j.totalSeconds.toFixed(2)} s, ${rss?.toFixed(0)} MB`);
    }
    const runCcx = ccx && (ccxMode === "all" || (ccxMode === "small" && (row.dofs as number) < 250_000));
    if (runCcx) {
      const dir = mkdtempSync(join(work, "ccx-"));
      const deck = readFileSync(prefix + ".inp", "utf8").replace(/^\*STATIC.*$/m, "*STATIC, SOLVER=ITERATIVE SCALING");
      writeFileSync(join(dir, "job.inp"), deck);
      const r = timed("ccx", ["-i", "job"], { OMP_NUM_THREADS: String(threads), NUMBER_OF_CPUS: String(threads) }, dir);
      const dat = readFileSync(join(dir, "job.dat"), "utf8").split("\n");
      const i = dat.findIndex((l) => /total force .* for set NLOAD/.test(l));
      const rf = i >= 0 ? Number(dat[i + 2].trim().split(/\s+/)[2]) : null;
      const mg = bctBest.mg!.j;
      row.ccx = {
        solver: "ITERATIVE SCALING", threads, wallSeconds: r.wall, peakMB: r.rssMB, reaction: rf,
        bctMgTotalToCcxWall: mg.totalSeconds / r.wall,
        reactionRelDiffBctToCcx: rf === null ? null : Math.abs(mg.reactionBySet.NLOAD[2] / rf - 1),
      };
      log(`  ccx: ${r.wall.toFixed(1)} s`);
    }
    results.push(row);
  }
  const out = {
    date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverageAtStart: loadavg(),
    threads, repeat, note: "solveSeconds: the iterative solve after the model is built, fastest of `repeat` interleaved runs; ratios measured in this run", results,
  };
  const dir = join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `fe-solve-${out.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  log(`written ${file}`);
}

main();
