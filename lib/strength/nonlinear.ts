/**
 * Nonlinear pushover: a displacement-controlled elastic-plastic analysis of a voxel model, giving
 * the force-displacement curve, the strength (peak, or plateau, force; bct-reference.md §4: "Keaveny/
 * BCT: displacement-controlled nonlinear analysis, strength = peak (or plateau) force" ◇), the
 * stiffness of the linear first step and a map of the yielded elements.
 *
 * **Method.** The control displacement grows in steps. At each step the model is solved with a
 * per-element *secant* modulus E_s (see `material-state.ts`): solve, take each element's centroid
 * principal strains, compute E_s from the equivalent strain against the asymmetric yield strains,
 * solve again with the new moduli, and so on (a fixed-point, Kachanov-type iteration), until the
 * reaction's estimated error (its change between passes, scaled by the observed linear convergence
 * rate) is below `forceTol` (relative) or the moduli stop changing. The moduli of a pass come from
 * an Anderson-accelerated combination of the last few solutions (`acceleration`), which reaches the
 * fixed point in fewer passes than the plain iteration and, unlike it, does not stall above it. Each
 * step starts from moduli predicted from a displacement extrapolated from the last two steps
 * (`extrapolate`; at the first step, the last displacement scaled to the new control displacement).
 * Each pass is a linear solve of the fast matrix-free voxel solver, warm-started from the predicted
 * or accelerated displacement, with the multigrid preconditioner of an earlier pass kept while it
 * stays effective (`reusePreconditioner`), so a pass costs a fraction of a cold solve.
 *
 * On the embedded hip at 1.5 mm (50,586 elements; sideways fall, forceTol 3e-3, 11 steps to the
 * plateau) this takes 39 solves and 420 CG iterations, 27 s on one core (before: 47 solves, 3,747
 * iterations, 136 s); the plateau force, 6023 N, is 0.4% above the fixed point converged to forceTol
 * 1e-5 (5997 N; before: 6074 N, +1.3%).
 *
 * **Assumptions and limits** (read before relying on a number):
 * - Deformation (total-strain) theory: stress is a function of the current total strain, so the
 *   response is path-independent. That is adequate for monotonic, proportional loading (a pushover)
 *   but it is **not** an incremental J2/return-mapping plasticity model: elements that unload
 *   recover along the secant, not elastically, and there is no plastic strain history. The yielded
 *   map records the step at which an element first yielded (a history the material itself does not
 *   have).
 * - The yield surface is the principal-strain criterion (max of eps1/eps_yt and -eps3/eps_yc) at the
 *   element centroid: one integration point for the material state, isotropic, with Poisson's ratio
 *   kept at its elastic value after yield (so the yielded material is compressible; true plastic
 *   flow is near-incompressible).
 * - Small strains, small displacements (the linear voxel kinematics); no contact, no geometric
 *   nonlinearity (buckling of thin cortex is not captured).
 * - With a softening branch the problem loses uniqueness (strain localises into one element band),
 *   the fixed-point may not converge and the post-peak curve depends on the element size; the peak
 *   itself is usually stable. Without softening (the default, elastic-perfectly plastic) the curve
 *   rises to a plateau.
 * - E_s is floored at `modulusFloor` x E to keep the system positive definite: elements at the floor
 *   carry more stress than the law says; the result counts them and warns.
 *
 * @example
 * ```ts
 * import { pushover } from "bct/lib/strength/nonlinear";
 * // hip: a rigid head cap pushed along its first local axis (see lib/loading/hip.ts)
 * const { bcs } = hipBoundaryConditions(model, grid, femur, sidewaysFall());
 * const r = pushover(model, bcs, {
 *   reaction: { kind: "cap", cap: "HEAD", dof: 0 },
 *   yield: { kind: "strain", tension: 0.0073, compression: 0.0104 },
 *   onStep: (p) => console.log(`step ${p.step}: ${p.displacementMm.toFixed(3)} mm, ${p.forceN.toFixed(0)} N`),
 * });
 * r.strengthN; r.stiffnessNPerMm; r.curve.forceN; r.yielded;
 * ```
 * @module
 */
import type { BoundaryCondition, Component } from "../fe/bc.js";
import { createPreconditionerCache, solve, type FeSolution, type SolveOptions } from "../fe/solve/solve.js";
import type { VoxelModel } from "../fe/voxel-model.js";
import { principalStrains } from "../fe/post.js";
import {
  MODE_NONE, PushoverError, secantMaterial, secantState, type PostYield, type SecantMaterial, type YieldSpec,
} from "./material-state.js";

export { PushoverError, keyak2005Softening, secantMaterial, type PostYield, type YieldSpec } from "./material-state.js";

/**
 * Where the load is measured.
 * - `cap`: the reaction of a rigid cap's reference DOF (`dof` 0..2 translations, 3..5 rotations, in
 *   the cap's own axes when the cap has local `axes`); `cap` is the cap's `set` name or its index
 *   among the rigid BCs.
 * - `nodes`: the sum of nodal reactions of a node set along `component` (a prescribed-displacement
 *   face).
 */
export type ReactionMeasure =
  | { kind: "cap"; cap: number | string; dof: 0 | 1 | 2 | 3 | 4 | 5 }
  | { kind: "nodes"; nodes: ArrayLike<number>; component: Component };

/**
 * The loading: either boundary conditions at some reference displacement, scaled proportionally
 * (every prescribed value and every force times delta / delta_ref, where delta_ref is the magnitude
 * of the prescribed value of the load DOF), or a function giving the boundary conditions at a
 * control displacement delta > 0 (mm, a magnitude; the function applies its own direction).
 */
export type PushoverLoading = readonly BoundaryCondition[] | ((displacement: number) => readonly BoundaryCondition[]);

/** Progress of a pushover, once per converged step. */
export interface PushoverProgress {
  step: number;
  /** Planned number of steps (automatic continuation may add more, up to `maxSteps`). */
  steps: number;
  displacementMm: number;
  forceN: number;
  /** Fraction of elements yielded at this step. */
  yieldedFraction: number;
  /** Linear solves (fixed-point passes) of this step. */
  passes: number;
  converged: boolean;
}

/** Options of {@link pushover}; every one has a documented default. */
export interface PushoverOptions {
  /** Yield strains or stresses (default: strain limits 0.73% tension / 1.04% compression, Schileo 2014 / Bayraktar 2004). */
  yield?: YieldSpec;
  /** Post-yield branch (default perfectly plastic). */
  postYield?: PostYield;
  /** Floor of E_s / E (default 1e-3). */
  modulusFloor?: number;
  /** Where the force is measured (default: detected, the one cap DOF or node set with a non-zero prescribed displacement). */
  reaction?: ReactionMeasure;
  /**
   * Largest control displacement (mm, > 0). Default automatic: `auto.multiple` x the displacement at
   * which `auto.yieldFraction` of the elements would yield in the linear solution.
   */
  maxDisplacement?: number;
  /** Steps up to `maxDisplacement` (default 20). */
  steps?: number;
  /**
   * With an automatic `maxDisplacement`, steps of the same size go on past it until a strength is
   * found, up to this many (default 2 x steps). With a given `maxDisplacement`, default `steps`.
   */
  maxSteps?: number;
  /** Automatic range (defaults: yieldFraction 0.02, multiple 3). */
  auto?: { yieldFraction?: number; multiple?: number };
  /** Function loading only: the displacement of the linear trial solve of the automatic range (default 1 mm). */
  trialDisplacement?: number;
  /**
   * Fixed-point convergence: estimated relative error of the reaction, from its change between
   * passes and the observed convergence rate (default 1e-3).
   */
  forceTol?: number;
  /** Most passes per step (default 30). */
  maxPasses?: number;
  /** Plateau: the curve's slope over a step below this fraction of the linear stiffness (default 0.02). */
  plateauSlope?: number;
  /** Stop once the strength is found (default true). */
  stopAtStrength?: boolean;
  /** Start each step with moduli from the predicted displacement (see `extrapolate`; default true). */
  predictModuli?: boolean;
  /**
   * Predict a step's displacement (its moduli and the first solve's warm start) by linear
   * extrapolation from the last two steps (default true), rather than by scaling the last step's
   * displacement to the new control displacement (the first step is always scaled).
   */
  extrapolate?: boolean;
  /**
   * Anderson acceleration of the fixed-point passes: the moduli of the next pass come from the
   * combination of the last `acceleration` + 1 solutions that best cancels their changes (Walker &
   * Ni 2011); 0 = plain fixed point, each pass's moduli from the last solution. Default 3.
   */
  acceleration?: number;
  /** Warm-start each solve from the previous displacement (default true; false only to measure its benefit). */
  warmStart?: boolean;
  /**
   * Keep the multigrid preconditioner between the solves (rebuilt only when CG slows down, see
   * `SolveOptions.reuse`; default true). The moduli change between passes, the mesh and the
   * constraints do not, so the elastic model's preconditioner stays valid (CG stays exact).
   */
  reusePreconditioner?: boolean;
  /** Options of each linear solve (tolerance, preconditioner, engine, ...). */
  solve?: Omit<SolveOptions, "initialDisplacement">;
  onStep?: (p: PushoverProgress) => void;
}

/** One fixed-point pass. */
export interface PushoverPass {
  /** Solver (CG) iterations of this pass. */
  iterations: number;
  forceN: number;
  /** Largest |E_s,new - E_s,old| / E over the elements after this pass. */
  secantChange: number;
}

/** Result of {@link pushover}: plain data. */
export interface PushoverResult {
  /** Strength (N): the peak force, or the plateau force (see `strengthKind`). */
  strengthN: number;
  /**
   * `peak`: the curve fell after a maximum (slope below -`plateauSlope` x the linear stiffness);
   * `plateau`: its slope fell below `plateauSlope` x the linear stiffness in magnitude; `end`: neither happened before the last step (the strength is then a lower
   * bound, with a warning).
   */
  strengthKind: "peak" | "plateau" | "end";
  strengthDisplacementMm: number;
  strengthStep: number;
  /** Largest force on the whole computed curve (N). */
  peakForceN: number;
  /** Stiffness of the linear (first, elastic) solve (N/mm). */
  stiffnessNPerMm: number;
  /** The curve, starting at the origin (index 0), then one point per step. Force > 0 resists the imposed displacement. */
  curve: { displacementMm: number[]; forceN: number[]; yieldedFraction: number[] };
  /** First step with a yielded element, or null. */
  firstYield: { step: number; displacementMm: number; forceN: number } | null;
  /** Per element: 1 if it yielded at any step. */
  yielded: Uint8Array;
  /** Per element: the governing mode when it first yielded (0 none, 1 tension, 2 compression). */
  yieldMode: Uint8Array;
  /** Per element: the step at which it first yielded (-1: never). */
  yieldStep: Int32Array;
  /** Per element at the last step: E_s / E. */
  secantRatio: Float64Array;
  /** Per element at the last step: the strain ratio r = max(eps1/eps_yt, -eps3/eps_yc, 0). */
  strainRatio: Float64Array;
  /** Nodal displacement (3 per node, mm) at the last step. */
  displacement: Float64Array;
  /** Per step: its passes. */
  history: { step: number; displacementMm: number; converged: boolean; passes: PushoverPass[] }[];
  /** Linear solves and CG iterations in all. */
  solves: number;
  solverIterations: number;
  /** Multigrid preconditioners built (fewer than `solves` when they are reused). */
  preconditionerBuilds: number;
  seconds: number;
  inputs: {
    material: string;
    reaction: string;
    maxDisplacementMm: number;
    stepMm: number;
    automaticRange: boolean;
    forceTol: number;
    plateauSlope: number;
    modulusFloor: number;
  };
  warnings: string[];
}

/**
 * Displacement-controlled nonlinear pushover of a voxel model with an elastic-plastic secant
 * material (asymmetric tension/compression yield). See the module documentation for the method
 * and its limits.
 * @throws PushoverError for an ambiguous or missing load DOF, bad options or material inputs;
 *   ModelError / SolverDivergedError from the solver.
 * @example
 * ```ts
 * // a bar compressed on rollers, top face pushed down
 * const r = pushover(model, (d) => [...rollers, { kind: "displacement", nodes: top, component: 2, value: -d }], {
 *   maxDisplacement: 0.5, steps: 10, yield: { kind: "strain", tension: 0.0073, compression: 0.0104 },
 * });
 * r.strengthN; // = E A 0.0104 for a homogeneous bar
 * ```
 */
export function pushover(model: VoxelModel, loading: PushoverLoading, options: PushoverOptions = {}): PushoverResult {
  const t0 = performance.now();
  const ne = model.voxels.length;
  const warnings: string[] = [];
  const mat = secantMaterial(model.modulus, options.yield, options.postYield, options.modulusFloor ?? 1e-3);
  const forceTol = options.forceTol ?? 1e-3;
  const maxPasses = options.maxPasses ?? 30;
  const plateauSlope = options.plateauSlope ?? 0.02;
  const stopAtStrength = options.stopAtStrength ?? true;
  const warmStart = options.warmStart ?? true;
  const predictModuli = options.predictModuli ?? true;
  const extrapolate = options.extrapolate ?? true;
  const depth = options.acceleration ?? 3;
  if (!(Number.isInteger(depth) && depth >= 0)) throw new PushoverError(`acceleration = ${depth}: need an integer >= 0`);
  const anderson = depth > 0 ? createAnderson(depth) : undefined;
  const steps = options.steps ?? 20;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new PushoverError(`steps = ${steps}: need an integer >= 1`);
  if (!(forceTol > 0)) throw new PushoverError(`forceTol = ${forceTol}: need > 0`);

  // the loading as a function of the control displacement (a magnitude)
  let bcsAt: (d: number) => readonly BoundaryCondition[];
  let trialDisplacement: number;
  let measure: ReactionMeasure;
  if (typeof loading === "function") {
    trialDisplacement = options.trialDisplacement ?? 1;
    if (!(trialDisplacement > 0)) throw new PushoverError(`trialDisplacement = ${trialDisplacement}: need > 0`);
    bcsAt = loading;
    measure = options.reaction ?? detectMeasure(loading(trialDisplacement));
  } else {
    measure = options.reaction ?? detectMeasure(loading);
    const ref = Math.abs(prescribedValue(loading, measure));
    if (!(ref > 0)) throw new PushoverError(`the load DOF (${describeMeasure(measure)}) has no non-zero prescribed displacement to scale`);
    trialDisplacement = ref;
    bcsAt = (d) => scaleBcs(loading, d / ref);
  }
  const capIndex = measure.kind === "cap" ? findCap(bcsAt(trialDisplacement), measure.cap) : -1;
  /** Force along the load (positive when it resists the imposed displacement). */
  const forceOf = (sol: FeSolution, bcs: readonly BoundaryCondition[]): number => {
    const s = Math.sign(prescribedValue(bcs, measure)) || 1;
    if (measure.kind === "cap") return s * sol.references[capIndex].reaction[measure.dof];
    let f = 0;
    for (let k = 0; k < measure.nodes.length; k++) f += sol.reactions[3 * measure.nodes[k] + measure.component];
    return s * f;
  };

  // the rigid caps' coarse space pays a few more setup iterations back over many reusing solves
  const solveOpts: SolveOptions = { ...options.solve, multigrid: { capIterations: 4, ...options.solve?.multigrid } };
  if (options.reusePreconditioner ?? true) solveOpts.reuse ??= createPreconditionerCache();
  let builds = 0;
  let solves = 0, solverIterations = 0;
  const solveWith = (Es: Float64Array, bcs: readonly BoundaryCondition[], u0: Float64Array | undefined): FeSolution => {
    // a fresh modulus array per solve: solver engines may cache per array
    const m: VoxelModel = { ...model, modulus: Float64Array.from(Es) };
    const sol = solve(m, bcs, { ...solveOpts, initialDisplacement: warmStart ? u0 : undefined });
    solves++;
    solverIterations += sol.iterations;
    if (!sol.preconditionerReused && sol.preconditioner === "mg") builds++;
    if (!sol.converged) warnings.push(`a linear solve did not converge (relative residual ${sol.relativeResidual.toExponential(2)}); the curve is approximate`);
    return sol;
  };

  // strains -> secant state per element
  const e1 = new Float64Array(ne), e3 = new Float64Array(ne);
  const state = new Float64Array(4);
  const r = new Float64Array(ne), mode = new Uint8Array(ne), floored = new Uint8Array(ne);
  /** Update Es from a displacement; returns the largest |change| / E. */
  const update = (u: Float64Array, Es: Float64Array): number => {
    centroidPrincipalStrains(model, u, e1, e3);
    let change = 0;
    for (let e = 0; e < ne; e++) {
      secantState(mat, e, e1[e], e3[e], state);
      change = Math.max(change, Math.abs(state[0] - Es[e]) / mat.modulus[e]);
      Es[e] = state[0];
      r[e] = state[1];
      mode[e] = state[2];
      floored[e] = state[3];
    }
    return change;
  };

  // linear trial solve: stiffness and (if automatic) the range
  const Es = Float64Array.from(mat.modulus);
  let automaticRange = false;
  let maxDisplacement = options.maxDisplacement;
  let stiffness = NaN;
  let uPrev: Float64Array | undefined, uOld: Float64Array | undefined;
  let dPrev = 0, dOld = 0;
  if (maxDisplacement === undefined) {
    automaticRange = true;
    const bcs = bcsAt(trialDisplacement);
    const sol = solveWith(Es, bcs, undefined);
    stiffness = forceOf(sol, bcs) / trialDisplacement;
    centroidPrincipalStrains(model, sol.displacement, e1, e3);
    for (let e = 0; e < ne; e++) {
      secantState(mat, e, e1[e], e3[e], state);
      r[e] = state[1];
    }
    const sorted = Float64Array.from(r).sort().reverse();
    const frac = options.auto?.yieldFraction ?? 0.02;
    const rf = sorted[Math.min(ne - 1, Math.max(0, Math.ceil(frac * ne) - 1))];
    if (!(rf > 0)) throw new PushoverError("the linear trial solve strains no element: is the prescribed displacement zero?");
    maxDisplacement = ((options.auto?.multiple ?? 3) * trialDisplacement) / rf;
    uPrev = sol.displacement;
    dPrev = trialDisplacement;
  }
  if (!(maxDisplacement > 0)) throw new PushoverError(`maxDisplacement = ${maxDisplacement}: need > 0 (a magnitude)`);
  const maxSteps = options.maxSteps ?? (automaticRange ? 2 * steps : steps);
  const dStep = maxDisplacement / steps;

  const curve = { displacementMm: [0], forceN: [0], yieldedFraction: [0] };
  const yielded = new Uint8Array(ne), yieldMode = new Uint8Array(ne), yieldStep = new Int32Array(ne).fill(-1);
  const history: PushoverResult["history"] = [];
  let firstYield: PushoverResult["firstYield"] = null;
  let strength: { n: number; kind: "peak" | "plateau"; step: number } | null = null;
  let peak = 0, peakStep = 0, unconvergedSteps = 0;
  let u: Float64Array = new Float64Array(0);
  for (let step = 1; step <= maxSteps; step++) {
    const d = step * dStep;
    const bcs = bcsAt(d);
    let guess: Float64Array | undefined;
    if (uPrev && uOld && extrapolate && dPrev > dOld) {
      // linear extrapolation from the last two steps: follows the spread of yield
      const t = (d - dPrev) / (dPrev - dOld), a = uPrev, o = uOld;
      guess = a.map((x, i) => x + t * (x - o[i]));
    } else if (uPrev) guess = uPrev.map((x) => (x * d) / dPrev);
    // predictor: moduli from the predicted displacement (exact while the response is linear)
    if (guess && predictModuli) update(guess, Es);
    // the displacement the current moduli were computed from (undefined: not known)
    let source: Float64Array | undefined = guess && predictModuli ? guess : undefined;
    anderson?.reset();
    const passes: PushoverPass[] = [];
    let F = NaN, converged = false, dFPrev = 0, ratioPrev = 0.5;
    for (let p = 1; p <= maxPasses; p++) {
      const sol = solveWith(Es, bcs, guess);
      const Fp = forceOf(sol, bcs);
      if (step === 1 && p === 1 && !automaticRange) stiffness = Fp / d; // the elastic solve
      const change = update(sol.displacement, Es);
      passes.push({ iterations: sol.iterations, forceN: Fp, secantChange: change });
      u = sol.displacement;
      guess = u;
      const dF = Math.abs(Fp - F);
      // the fixed point converges linearly: estimate the remaining force error from the last
      // changes, |F - F*| ~ dF rho / (1 - rho) with rho = dF / dF_prev (0.5, i.e. dF, until known).
      // An accelerated sequence is not geometric: one change can be small by chance, so rho is the
      // larger of the last two ratios.
      const ratio = p > 2 && dFPrev > 0 ? dF / dFPrev : 0.5;
      const rho = Math.min(0.95, p > 3 ? Math.max(ratio, ratioPrev) : ratio);
      ratioPrev = ratio;
      dFPrev = dF;
      F = Fp;
      if (change <= 1e-9 || (p > 1 && (dF * rho) / (1 - rho) <= forceTol * Math.abs(Fp))) { converged = true; break; }
      // next moduli: from the solution, or (accelerated) from a combination of the last solutions
      if (anderson && source) {
        const next = anderson.next(source, u);
        if (next !== u) { update(next, Es); guess = next; }
        source = next;
      } else source = u;
    }
    if (!converged) unconvergedSteps++;
    uOld = uPrev;
    dOld = dPrev;
    uPrev = u;
    dPrev = d;
    let nYield = 0;
    for (let e = 0; e < ne; e++) {
      if (r[e] > 1) {
        nYield++;
        if (!yielded[e]) { yielded[e] = 1; yieldMode[e] = mode[e]; yieldStep[e] = step; }
      }
    }
    if (nYield > 0 && !firstYield) firstYield = { step, displacementMm: d, forceN: F };
    curve.displacementMm.push(d);
    curve.forceN.push(F);
    curve.yieldedFraction.push(nYield / ne);
    history.push({ step, displacementMm: d, converged, passes });
    options.onStep?.({ step, steps, displacementMm: d, forceN: F, yieldedFraction: nYield / ne, passes: passes.length, converged });
    if (F > peak) { peak = F; peakStep = step; }
    if (!strength && step >= 2) {
      const slope = (F - curve.forceN[step - 1]) / dStep;
      if (slope < plateauSlope * stiffness) strength = { n: peak, kind: slope <= -plateauSlope * stiffness ? "peak" : "plateau", step: peakStep };
    }
    if (strength && stopAtStrength) break;
    if (step >= steps && strength) break; // past the planned range: go on only while no strength is found
  }
  const last = curve.forceN.length - 1;
  if (!strength) warnings.push(`no peak or plateau within ${curve.displacementMm[last].toPrecision(3)} mm (${last} steps): the strength is the last/largest force, a lower bound; increase maxDisplacement or maxSteps`);
  if (unconvergedSteps > 0) warnings.push(`${unconvergedSteps} step(s) did not reach the fixed point in ${maxPasses} passes (force tolerance ${forceTol}); the curve is approximate there`);
  let nFloor = 0;
  for (let e = 0; e < ne; e++) nFloor += floored[e];
  if (nFloor > 0) warnings.push(`${nFloor} element(s) reached the secant modulus floor (${mat.floor} x E) and carry more stress than the material law`);
  if (!(stiffness > 0)) warnings.push(`the linear stiffness is ${stiffness}: check the sign of the load DOF and the reaction measure`);
  const strengthStep = strength ? strength.step : peakStep;
  return {
    strengthN: strength ? strength.n : peak,
    strengthKind: strength ? strength.kind : "end",
    strengthDisplacementMm: curve.displacementMm[strengthStep],
    strengthStep,
    peakForceN: peak,
    stiffnessNPerMm: stiffness,
    curve,
    firstYield,
    yielded, yieldMode, yieldStep,
    secantRatio: Es.map((x, e) => x / mat.modulus[e]),
    strainRatio: Float64Array.from(r),
    displacement: u,
    history,
    solves, solverIterations, preconditionerBuilds: builds,
    seconds: (performance.now() - t0) / 1000,
    inputs: {
      material: mat.description, reaction: describeMeasure(measure), maxDisplacementMm: maxDisplacement, stepMm: dStep,
      automaticRange, forceTol, plateauSlope, modulusFloor: mat.floor,
    },
    warnings: [...new Set(warnings)],
  };
}

/**
 * Anderson acceleration (type II, Walker & Ni 2011) of a fixed point x = G(x) on vectors: given the
 * input x_k of the map and its output g_k = G(x_k), the next input is g_k - sum_j gamma_j (g_k - g_j)
 * with gamma minimising |f_k - sum_j gamma_j (f_k - f_j)|, f = g - x, over the last `depth` pairs.
 * The history restarts when |f| grows (a safeguard for the non-smooth yield switch). Every output
 * satisfies the same prescribed displacements, so their affine combinations do too.
 */
function createAnderson(depth: number): { reset(): void; next(x: Float64Array, g: Float64Array): Float64Array } {
  const fs: Float64Array[] = [], gs: Float64Array[] = [];
  const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
  const reset = () => { fs.length = 0; gs.length = 0; };
  return {
    reset,
    next(x, g) {
      const f = new Float64Array(g.length);
      for (let i = 0; i < g.length; i++) f[i] = g[i] - x[i];
      const ff = dot(f, f);
      if (fs.length && ff > dot(fs[fs.length - 1], fs[fs.length - 1])) reset();
      fs.push(f);
      gs.push(g);
      if (fs.length > depth + 1) { fs.shift(); gs.shift(); }
      const k = fs.length - 1;
      if (k === 0 || ff === 0) return g;
      // D_j = f_k - f_j (j < k); normal equations (D^T D + ridge) gamma = D^T f_k
      const D = fs.slice(0, k).map((fj) => { const v = new Float64Array(f.length); for (let i = 0; i < f.length; i++) v[i] = f[i] - fj[i]; return v; });
      const M = new Float64Array(k * k), rhs = new Float64Array(k);
      for (let a = 0; a < k; a++) {
        rhs[a] = dot(D[a], f);
        for (let b = 0; b <= a; b++) M[a * k + b] = M[b * k + a] = dot(D[a], D[b]);
      }
      let tr = 0;
      for (let a = 0; a < k; a++) tr += M[a * k + a];
      for (let a = 0; a < k; a++) M[a * k + a] += 1e-10 * tr;
      const gamma = solveSmall(k, M, rhs);
      if (!gamma || !gamma.every(Number.isFinite)) { reset(); return g; }
      const out = Float64Array.from(g);
      for (let j = 0; j < k; j++) {
        const gj = gs[j], c = gamma[j];
        for (let i = 0; i < out.length; i++) out[i] -= c * (g[i] - gj[i]);
      }
      return out;
    },
  };
}

/** Solve a small symmetric positive definite system by Cholesky; undefined if it is not. */
function solveSmall(k: number, M: Float64Array, b: Float64Array): Float64Array | undefined {
  const L = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let c = 0; c <= a; c++) {
      let s = M[a * k + c];
      for (let q = 0; q < c; q++) s -= L[a * k + q] * L[c * k + q];
      if (a === c) {
        if (!(s > 0)) return undefined;
        L[a * k + a] = Math.sqrt(s);
      } else L[a * k + c] = s / L[c * k + c];
    }
  }
  const y = Float64Array.from(b);
  for (let a = 0; a < k; a++) { for (let q = 0; q < a; q++) y[a] -= L[a * k + q] * y[q]; y[a] /= L[a * k + a]; }
  for (let a = k - 1; a >= 0; a--) { for (let q = a + 1; q < k; q++) y[a] -= L[q * k + a] * y[q]; y[a] /= L[a * k + a]; }
  return y;
}

/**
 * Centroid principal strains (largest into eps1, smallest into eps3) of every voxel element: at the
 * centroid of an axis-aligned brick, dN_a/dx = p_a / (4 hx) (likewise y, z) with p_a = +-1 the
 * node's natural coordinates.
 */
export function centroidPrincipalStrains(model: VoxelModel, u: ArrayLike<number>, eps1: Float64Array, eps3: Float64Array): void {
  const [hx, hy, hz] = model.spacing;
  const P = [-1, 1, 1, -1, -1, 1, 1, -1], Q = [-1, -1, 1, 1, -1, -1, 1, 1], R = [-1, -1, -1, -1, 1, 1, 1, 1];
  const gx = P.map((p) => p / (4 * hx)), gy = Q.map((q) => q / (4 * hy)), gz = R.map((s) => s / (4 * hz));
  const { conn } = model;
  const eps = new Float64Array(6);
  for (let e = 0; e < eps1.length; e++) {
    let xx = 0, yy = 0, zz = 0, xy = 0, yz = 0, zx = 0;
    for (let a = 0; a < 8; a++) {
      const q = 3 * conn[8 * e + a], ux = u[q], uy = u[q + 1], uz = u[q + 2];
      xx += gx[a] * ux; yy += gy[a] * uy; zz += gz[a] * uz;
      xy += gy[a] * ux + gx[a] * uy; yz += gz[a] * uy + gy[a] * uz; zx += gz[a] * ux + gx[a] * uz;
    }
    eps[0] = xx; eps[1] = yy; eps[2] = zz; eps[3] = xy; eps[4] = yz; eps[5] = zx;
    const pr = principalStrains(eps);
    eps1[e] = pr[0];
    eps3[e] = pr[2];
  }
}

/** The one load DOF with a non-zero prescribed displacement, or a PushoverError. */
function detectMeasure(bcs: readonly BoundaryCondition[]): ReactionMeasure {
  const found: ReactionMeasure[] = [];
  let cap = 0;
  for (const b of bcs) {
    if (b.kind === "rigid") {
      b.displacement?.forEach((v, dof) => { if (v !== null && v !== undefined && v !== 0) found.push({ kind: "cap", cap: b.set ?? cap, dof: dof as 0 | 1 | 2 | 3 | 4 | 5 }); });
      cap++;
    } else if (b.kind === "displacement" && b.value !== 0) {
      found.push({ kind: "nodes", nodes: b.nodes, component: b.component });
    }
  }
  if (found.length !== 1) {
    throw new PushoverError(`${found.length === 0 ? "no" : found.length} non-zero prescribed displacements: pass options.reaction to say where the load is measured`);
  }
  return found[0];
}

function findCap(bcs: readonly BoundaryCondition[], cap: number | string): number {
  const rigid = bcs.filter((b) => b.kind === "rigid");
  const i = typeof cap === "number" ? cap : rigid.findIndex((b) => b.set === cap);
  if (!(i >= 0 && i < rigid.length)) throw new PushoverError(`no rigid cap ${JSON.stringify(cap)} among the ${rigid.length} rigid BC(s)`);
  return i;
}

/** The prescribed value of the load DOF (0 if it is not found). */
function prescribedValue(bcs: readonly BoundaryCondition[], m: ReactionMeasure): number {
  if (m.kind === "cap") {
    const rigid = bcs.filter((b) => b.kind === "rigid");
    const i = typeof m.cap === "number" ? m.cap : rigid.findIndex((b) => b.set === m.cap);
    const b = rigid[i];
    return (b && b.kind === "rigid" ? b.displacement?.[m.dof] : 0) ?? 0;
  }
  const first = m.nodes.length ? m.nodes[0] : -1;
  for (const b of bcs) {
    if (b.kind !== "displacement" || b.component !== m.component || b.value === 0) continue;
    for (let k = 0; k < b.nodes.length; k++) if (b.nodes[k] === first) return b.value;
  }
  return 0;
}

function describeMeasure(m: ReactionMeasure): string {
  return m.kind === "cap"
    ? `reaction of rigid cap ${JSON.stringify(m.cap)}, DOF ${m.dof}`
    : `sum of reactions of ${m.nodes.length} nodes along ${"xyz"[m.component]}`;
}

/** Proportional loading: every prescribed value and force times s. */
function scaleBcs(bcs: readonly BoundaryCondition[], s: number): BoundaryCondition[] {
  return bcs.map((b): BoundaryCondition => {
    if (b.kind === "rigid") {
      return { ...b, displacement: b.displacement?.map((v) => (v === null || v === undefined ? v : v * s)), load: b.load?.map((v) => v * s) };
    }
    return { ...b, value: b.value * s };
  });
}
