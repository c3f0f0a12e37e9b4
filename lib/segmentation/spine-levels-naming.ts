/**
 * Level naming, step 5: the names (see spine-levels.ts for the whole method). The discs along the
 * column are counted up from the sacrum where it is in view (the deepest disc minimum near the
 * sacral top is L5/S1), and otherwise from the ribs (T12 is the lowest rib-bearing vertebra); the
 * two routes cross-check each other when both are possible, and the level heights check the discs.
 * @module
 */
import type { Vec3, Volume } from "../volume/volume.js";
import {
  COLUMN_THRESHOLD, gridOf, LEVEL_BONE_THRESHOLD, LevelNamingError, median, round3, SACRAL_HALF_WIDTH_MM, SPINE_LEVELS_BOTTOM_UP,
  type ColumnLevel, type DiscPlane, type Grid, type NamedLevel, type RibEvidence, type SpineLevelName, type SpineLevelOptions, type SpineLevelsResult,
} from "./spine-levels-common.js";
import { columnTrack, type TrackPoint } from "./spine-levels-column.js";
import { bestChain, discProfile, profileMinima, type Minimum, type Profile } from "./spine-levels-discs.js";
import { findRibs, type RibFound } from "./spine-levels-ribs.js";
import { findSacrum, type SacrumFound } from "./spine-levels-sacrum.js";

/** Index of T12 in {@link SPINE_LEVELS_BOTTOM_UP}: the level the ribs anchor. */
const T12_INDEX = SPINE_LEVELS_BOTTOM_UP.indexOf("T12");

/** The column traced: its grid, centreline, disc profile and minima, with lookups along it. */
export interface ColumnTrace {
  g: Grid;
  track: TrackPoint[];
  prof: Profile;
  minima: Minimum[];
  /** Column length along the centreline (mm). */
  lengthMm: number;
  arcAtZ: (z: number) => number;
  atArc: (s: number) => { point: Vec3; tangent: Vec3; z: number };
  slicesBetween: (s0: number, s1: number) => [number, number];
}

/** Steps 1 and 2: the centreline and the disc profile with its minima. */
export function traceColumn(density: Volume, opts: SpineLevelOptions = {}): ColumnTrace {
  const g = gridOf(density);
  const track = columnTrack(density, g, opts.columnThreshold ?? COLUMN_THRESHOLD, opts.searchHalfWidthMm ?? 25);
  const prof = discProfile(density, track, opts.profileRadiusMm ?? 6);
  const minima = profileMinima(prof);
  const arcAtZ = (z: number) => {
    let q = 0;
    while (q < prof.z.length - 1 && prof.z[q + 1] <= z) q++;
    return prof.arc[q];
  };
  const atArc = (s: number) => {
    const f = prof.arc.findIndex((a) => a >= s);
    const q = f < 0 ? prof.arc.length - 1 : f;
    return { point: prof.point[q], tangent: prof.tangent[q], z: prof.z[q] };
  };
  const sliceOf = (z: number) => {
    let best = track[0];
    for (const t of track) if (Math.abs(t.point[2] - z) < Math.abs(best.point[2] - z)) best = t;
    return best.k;
  };
  const slicesBetween = (s0: number, s1: number): [number, number] => {
    const ks = track.filter((t) => { const s = arcAtZ(t.point[2]); return s >= s0 && s <= s1; }).map((t) => t.k);
    const mid = sliceOf(atArc((s0 + s1) / 2).z);
    return ks.length ? [Math.min(...ks), Math.max(...ks)] : [mid, mid];
  };
  return { g, track, prof, minima, lengthMm: prof.arc[prof.arc.length - 1], arcAtZ, atArc, slicesBetween };
}

/** The disc chain: up from the L5/S1 disc near the sacral top, or (no sacrum) the best chain anywhere. */
function discChain(t: ColumnTrace, sacrum: SacrumFound | null, spacing: [number, number], warnings: string[]): { chain: Minimum[]; firstSource: DiscPlane["source"] } {
  const cands = t.minima.filter((m) => m.depth > 0);
  if (!sacrum) {
    const chain = bestChain(null, cands, spacing[0], spacing[1]);
    if (!chain.length) throw new LevelNamingError("no disc found along the vertebral column (no minimum of the density across it): the levels cannot be told apart; give a vertebra label map (--labels)");
    return { chain, firstSource: "profile" };
  }
  const sTop = t.arcAtZ(sacrum.topZ);
  const near = t.minima.filter((m) => m.arc >= sTop - 10 && m.arc <= sTop + 25);
  if (near.length) return { chain: bestChain(near.reduce((a, b) => (b.depth > a.depth ? b : a)), cands, spacing[0], spacing[1]), firstSource: "profile" };
  const q = t.prof.arc.findIndex((s) => s >= sTop);
  warnings.push("no disc minimum found along the column within 10 mm below to 25 mm above the top of the sacrum: the L5/S1 disc is placed at the sacral top");
  const l5s1: Minimum = { index: q, arc: t.prof.arc[q], value: t.prof.smooth[q], depth: 0, below: 0, above: 0 };
  return { chain: bestChain(l5s1, cands, spacing[0], spacing[1]), firstSource: "sacrum" };
}

/** Name of the level `idx` places above S1 (null outside S1..T10); "T9" only as a disc's upper side. */
const nameAt = (idx: number): SpineLevelName | null => (idx >= 0 && idx < SPINE_LEVELS_BOTTOM_UP.length ? SPINE_LEVELS_BOTTOM_UP[idx] : null);

/** The disc planes of the chain; `offset` turns a slot (0 below the first disc) into a level index, null: unnamed. */
function discPlanes(t: ColumnTrace, chain: Minimum[], offset: number | null, firstSource: DiscPlane["source"]): DiscPlane[] {
  return chain.map((m, c) => {
    const lower = offset === null ? null : nameAt(c + offset);
    const upper = offset === null ? null : c + 1 + offset === SPINE_LEVELS_BOTTOM_UP.length ? "T9" : nameAt(c + 1 + offset);
    return {
      name: `${upper ?? "?"}/${lower ?? "?"}`,
      point: round3(t.prof.point[m.index]),
      normal: round3(t.prof.tangent[m.index], 4),
      arcMm: +m.arc.toFixed(1),
      densityMgCm3: +m.value.toFixed(1),
      depthMgCm3: +m.depth.toFixed(1),
      extentMm: [+m.below.toFixed(1), +m.above.toFixed(1)] as [number, number],
      source: c === 0 ? firstSource : "profile",
    };
  });
}

/**
 * The levels between and beyond the discs, bottom up: complete between two discs, partial below the
 * first (S1 always when counted from the sacrum) and above the last where 10 mm or more of column lie.
 */
function columnLevels(t: ColumnTrace, discs: DiscPlane[], offset: number | null, fromSacrum: boolean): ColumnLevel[] {
  const spacings = discs.slice(1).map((d, c) => d.arcMm - discs[c].arcMm);
  const typical = spacings.length ? median(spacings) : 35;
  const levels: ColumnLevel[] = [];
  const m = discs.length;
  for (let s = 0; s <= m; s++) {
    const inferior = discs[s - 1] ?? null, superior = discs[s] ?? null;
    const name = offset === null ? null : nameAt(s + offset);
    if (offset !== null && name === null) continue;
    let centreArc: number, range: [number, number];
    if (inferior && superior) {
      centreArc = (inferior.arcMm + superior.arcMm) / 2;
      range = [inferior.arcMm, superior.arcMm];
    } else if (superior) {
      if (!fromSacrum && superior.arcMm < 10) continue;
      centreArc = Math.max(0, superior.arcMm - typical / 2);
      range = [Math.max(0, superior.arcMm - typical), superior.arcMm];
    } else {
      if (t.lengthMm - inferior!.arcMm < 10) continue;
      centreArc = Math.min(t.lengthMm, inferior!.arcMm + typical / 2);
      range = [inferior!.arcMm, t.lengthMm];
    }
    const a = t.atArc(centreArc);
    const complete = !!(inferior && superior);
    levels.push({
      name, centre: round3(a.point), axis: round3(a.tangent, 4), inferior, superior,
      heightMm: complete ? +(superior!.arcMm - inferior!.arcMm).toFixed(1) : null, slices: t.slicesBetween(range[0], range[1]), complete,
    });
  }
  return levels;
}

/** Slot of an arc position: the number of discs at or below it. */
const slotOf = (discArcs: number[], s: number) => discArcs.filter((a) => a <= s).length;

/** Cross-check: the ribs against the count from the sacrum, or the names from the ribs alone; left and right. */
function ribCheck(ribs: RibEvidence[], fromSacrum: boolean, warnings: string[]): SpineLevelsResult["ribs"] {
  const order = (n: SpineLevelName | null) => (n === null ? Infinity : SPINE_LEVELS_BOTTOM_UP.indexOf(n));
  const lowestOf = (rs: RibEvidence[]) => (rs.length ? rs.reduce((a, b) => (order(b.level) < order(a.level) ? b : a)).level : null);
  const lowest = lowestOf(ribs);
  let agrees: boolean | null = null;
  if (!ribs.length) {
    warnings.push("no ribs found beside the column: the count from the sacrum could not be checked against T12 (the lowest rib-bearing vertebra)");
  } else if (fromSacrum) {
    agrees = lowest === "T12";
    if (lowest !== "T12") {
      const d = order(lowest) - order("T12");
      warnings.push(`the lowest ribs attach at the level counted as ${lowest ?? "?"} from the sacrum, not at T12: ${d < 0 ? `either that vertebra carries a lumbar rib or the count from the sacrum is ${-d} level(s) too low` : `either T12's ribs were not found or the count from the sacrum is ${d} level(s) too high`}; the names follow the sacrum count, check them on the images`);
    }
  }
  const left = lowestOf(ribs.filter((r) => r.side === "left")), right = lowestOf(ribs.filter((r) => r.side === "right"));
  if (left && right && left !== right) {
    warnings.push(`the lowest ribs differ by side (left at ${left}, right at ${right}): a short 12th rib missed on one side, or a lumbar rib on the other; ${fromSacrum ? "the names follow the sacrum count" : `T12 was taken at the lower, ${lowest}`}`);
  }
  return { found: ribs, lowestLevel: lowest, agrees };
}

/** Cross-checks of the discs: sacrum-wide bone within L5 (a transitional vertebra), and lumbar heights against their median. */
function discChecks(levels: ColumnLevel[], sacrum: SacrumFound | null, t: ColumnTrace, warnings: string[]): { heights: { level: SpineLevelName; heightMm: number }[]; medianHeightMm: number | null } {
  const l5 = levels.find((l) => l.name === "L5" && l.complete);
  if (sacrum && l5) {
    for (const r of sacrum.otherRuns) {
      const s = t.arcAtZ(r.topZ);
      if (s > l5.inferior!.arcMm && s < l5.superior!.arcMm) warnings.push(`bone joined to both ilia also at slices ${Math.min(...r.slices)}-${Math.max(...r.slices)}, within the level counted as L5: a transitional lumbosacral vertebra (sacralised L5) would make the count from the sacrum one level off; check the levels on the images`);
    }
  }
  const heights = levels.filter((l) => l.complete && l.name?.startsWith("L")).map((l) => ({ level: l.name!, heightMm: l.heightMm! }));
  const med = heights.length ? median(heights.map((h) => h.heightMm)) : null;
  for (const h of heights) {
    if (med !== null && Math.abs(h.heightMm - med) > 0.3 * med) {
      warnings.push(`${h.level} measures ${h.heightMm.toFixed(0)} mm disc to disc against a median of ${med.toFixed(0)} mm for the lumbar levels: a disc may be missed or a body split there, which would shift the names above it`);
    }
  }
  if (heights.length < 5) warnings.push(`only ${heights.length} lumbar level(s) lie wholly between discs found along the column`);
  return { heights, medianHeightMm: med };
}

/** What {@link surveyColumn} finds: a naming whose levels may be unnamed (`namedFrom` null: neither sacrum nor ribs). */
export interface ColumnSurvey extends Omit<SpineLevelsResult, "levels" | "namedFrom"> {
  levels: ColumnLevel[];
  namedFrom: "sacrum" | "ribs" | null;
  /** Why the levels could not be named (when `namedFrom` is null). */
  unnamedReason: string | null;
}

/** The column, its discs and its levels, named when the sacrum or the ribs allow (see the module notes). */
export function surveyColumn(density: Volume, opts: SpineLevelOptions = {}): ColumnSurvey {
  const boneTh = opts.boneThreshold ?? LEVEL_BONE_THRESHOLD;
  const spacing = opts.discSpacingMm ?? [22, 45];
  const sacralHalf = opts.sacralHalfWidthMm ?? SACRAL_HALF_WIDTH_MM;
  const warnings: string[] = [];
  const t = traceColumn(density, opts);
  const { sacrum, widestMm } = findSacrum(density, t.g, t.track, boneTh, sacralHalf, t.arcAtZ, t.lengthMm);
  const { chain, firstSource } = discChain(t, sacrum, spacing, warnings);
  const ribsRaw: RibFound[] = findRibs(density, t.g, t.track, boneTh, sacrum ? sacrum.topZ : -Infinity);
  const arcs = chain.map((m) => m.arc);
  const ribSlots = ribsRaw.map((r) => slotOf(arcs, t.arcAtZ(r.medialEnd[2])));
  const offset = sacrum ? 0 : ribsRaw.length ? T12_INDEX - Math.min(...ribSlots) : null;
  const allDiscs = discPlanes(t, chain, offset, firstSource);
  const discs = offset === null ? allDiscs : allDiscs.filter((_, c) => nameAt(c + offset) !== null);
  const levels = columnLevels(t, allDiscs, offset, !!sacrum);
  const last = discs[discs.length - 1];
  if (last && t.lengthMm - last.arcMm > spacing[1]) warnings.push(`no disc found in the ${(t.lengthMm - last.arcMm).toFixed(0)} mm of column above the ${last.name} disc: the levels above it are not named`);
  const checks = discChecks(levels, sacrum, t, warnings);
  const ribEvidence: RibEvidence[] = ribsRaw.map((r, q) => ({ medialEnd: round3(r.medialEnd), level: offset === null ? null : nameAt(ribSlots[q] + offset), lateralReachMm: +r.lateralReachMm.toFixed(1), side: r.side }));
  const ribs = ribCheck(ribEvidence, !!sacrum, warnings);
  if (!sacrum && ribsRaw.length) {
    warnings.push(`no sacrum in view (no two adjacent slices in the lower half of the column have bone joined to both ilia): the levels are named from the ribs alone, T12 being the lowest rib-bearing vertebra, unchecked by a count from the sacrum; a lumbar rib on L1 or a 12th rib too short to be found would shift every name by one level, check them on the images`);
  }
  const ks = t.track.map((p) => p.k);
  const unnamedReason = offset !== null ? null
    : `no sacrum found: along the lower half of the ${t.lengthMm.toFixed(0)} mm of vertebral column in view, no two adjacent axial slices have bone joined to the column reaching ${sacralHalf} mm to both sides (the sacral alae joined to the ilia; the widest reaches ${widestMm.toFixed(0)} mm), and no ribs were found beside the column to take T12 from. Without a label map the levels are named by counting up from the sacrum or down from the ribs: give a vertebra label map (--labels, e.g. TotalSegmentator's) with --level or --label, or pick the vertebra by a point inside it (--at x,y,z)`;
  return {
    levels, discs, namedFrom: sacrum ? "sacrum" : offset !== null ? "ribs" : null, unnamedReason,
    column: { slices: [Math.min(...ks), Math.max(...ks)], lengthMm: +t.lengthMm.toFixed(1), meanRadiusMm: +(t.track.reduce((s, p) => s + p.radiusMm, 0) / t.track.length).toFixed(1) },
    profile: { arcMm: t.prof.arc.map((s) => +s.toFixed(1)), densityMgCm3: t.prof.value.map((v) => +v.toFixed(1)) },
    sacrum: sacrum ? { topSlice: sacrum.topSlice, bottomSlice: sacrum.bottomSlice, topPoint: round3(sacrum.topPoint), maxHalfWidthMm: sacrum.maxHalfWidthMm, otherRuns: sacrum.otherRuns.map((r) => r.slices) } : null,
    ribs,
    ...checks,
    method: sacrum
      ? "column centreline (inscribed circles of the smoothed bone-and-disc rod), disc minima of the density across the column, counted up from the sacrum (bone joined to both ilia); cross-checked by the ribs (T12) and the level heights"
      : "column centreline (inscribed circles of the smoothed bone-and-disc rod), disc minima of the density across the column, named from the ribs (T12 the lowest rib-bearing vertebra; no sacrum in view); checked by the level heights",
    warnings,
  };
}

/**
 * Find and name the vertebrae from S1 up to T10 that are in view in a calibrated density volume,
 * without a label map: counted up from the sacrum where it is in view, else from the ribs (see the
 * module notes of spine-levels.ts for the method and its cross-checks).
 * @example
 * ```ts
 * const naming = nameLumbarLevels(density);
 * const L1 = naming.levels.find((l) => l.name === "L1");
 * console.log(naming.namedFrom, L1?.centre, naming.ribs.agrees, naming.warnings);
 * ```
 * @throws LevelNamingError when the scan is not axial, no column is found, or neither a sacrum nor ribs are in view.
 */
export function nameLumbarLevels(density: Volume, opts: SpineLevelOptions = {}): SpineLevelsResult {
  return namedOrThrow(surveyColumn(density, opts));
}

/** The survey as a naming. @throws LevelNamingError when its levels could not be named. */
export function namedOrThrow(s: ColumnSurvey): SpineLevelsResult {
  if (s.namedFrom === null) throw new LevelNamingError(s.unnamedReason!);
  const { unnamedReason: _r, ...rest } = s;
  return { ...rest, namedFrom: s.namedFrom, levels: s.levels as NamedLevel[] };
}
