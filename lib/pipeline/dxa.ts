/**
 * The DXA-equivalent measures of a CT scan on their own (what `bct dxa` runs): calibration, then
 *
 * - hip: the femur (label map or bone mask + femur isolation) and its landmarks, DXA positioning and
 *   projection, femoral neck / trochanter / total hip aBMD, T-scores (NHANES III young adults) and
 *   the WHO category ({@link hipDxa});
 * - spine: the lumbar vertebrae (a TotalSegmentator-style level label map, the levels named
 *   automatically by counting up from the sacrum, or the embedded phantom's single vertebra), AP
 *   aBMD per level and L1-L4, and the QCT trabecular vBMD with the ACR category ({@link spineDxa}).
 *
 * @example
 * ```ts
 * const { result } = measureHipDxa(ct, { sex: "F", calibration: { kind: "phantom", phantom } });
 * result.neckABMD; result.tScoreNeck; result.category;
 * ```
 * @module
 */
import { vertebraeFromLabels, type SpineDxaArtifacts, type SpineDxaResult, type VertebraInput } from "../dxa/spine.js";
import type { HipDxaArtifacts, HipDxaResult } from "../dxa/hip.js";
import type { MaleReferenceChoice } from "../dxa/reference.js";
import type { CalibrationFit } from "../calibration/fit.js";
import { fillHoles } from "../segmentation/components.js";
import { thresholdMask } from "../segmentation/mask.js";
import { findNamedLevel, LevelNamingError, vertebraMask } from "../segmentation/spine-levels.js";
import { findSpineLevels } from "./level-finding.js";
import type { Sex } from "../strength/classify.js";
import type { Volume } from "../volume/volume.js";
import { femurStage } from "./hip.js";
import { StageClock, type ProgressListener } from "./progress.js";
import { centralComponent, SPINE_BONE_THRESHOLD, TOTALSEGMENTATOR_VERTEBRA_LABELS } from "./spine.js";
import { calibrateStage, calibrationSummary, hipDxaStage, spineDxaStage, Warnings, type CalibrationChoice, type CalibrationSummary } from "./stages.js";

/** Options of {@link measureHipDxa}. */
export interface HipDxaMeasureOptions {
  sex: Sex;
  calibration: CalibrationChoice;
  /** Femur from a label map instead of the bone mask path. */
  labels?: { map: Volume; label: number | number[] };
  /** The hip on a two-hip scan; default the side without a metal implant (segmentation/hip-side). */
  side?: "left" | "right";
  maleReference?: MaleReferenceChoice;
  onProgress?: ProgressListener;
}

/** What `bct dxa --site hip` reports: the hip DXA result with the calibration, time and all warnings. */
export type HipDxaReport = HipDxaResult & { calibration: CalibrationSummary; seconds: number; warnings: string[] };

/** Calibrate, find the femur and measure its DXA-equivalent aBMD and T-scores. */
export function measureHipDxa(ct: Volume, opts: HipDxaMeasureOptions): { result: HipDxaReport; artifacts: HipDxaArtifacts & { density: Volume; calibration: CalibrationFit; femur: Volume } } {
  const clock = new StageClock(opts.onProgress);
  const warn = new Warnings();
  const cal = calibrateStage(clock, warn, ct, opts.calibration, "hip");
  const { femur, landmarks } = femurStage(clock, warn, ct, cal.density, opts.labels, opts.side);
  const d = hipDxaStage(clock, warn, cal, femur.femur, { sex: opts.sex, landmarks, maleReference: opts.maleReference });
  return {
    result: { ...d.result, calibration: calibrationSummary(cal.fit, cal.warnings, cal.mineral), seconds: clock.elapsed(), warnings: warn.list },
    artifacts: { ...d.artifacts, density: cal.density, calibration: cal.fit, femur: femur.femur },
  };
}

/** Options of {@link measureSpineDxa}. */
export interface SpineDxaMeasureOptions {
  sex: Sex;
  calibration: CalibrationChoice;
  /** A vertebra level label map (TotalSegmentator ids by default, see `levelLabels`). */
  labels?: Volume;
  /** Level -> label of `labels`. Default the TotalSegmentator lumbar labels L1-L4. */
  levelLabels?: Readonly<Record<string, number>>;
  /**
   * Without `labels`: "auto" names L1-L4 by counting up from the sacrum (the scan must reach it);
   * a level name ("L3") takes the scan's most central vertebra as that level (a scan of one vertebra,
   * e.g. the embedded phantom, whose vertebra is L3).
   */
  vertebrae?: "auto" | string;
  onProgress?: ProgressListener;
}

/** What `bct dxa --site spine` reports. */
export type SpineDxaReport = SpineDxaResult & { site: "spine"; sex: Sex; calibration: CalibrationSummary; seconds: number; warnings: string[] };

const LUMBAR_L1_L4 = ["L1", "L2", "L3", "L4"] as const;

/** Calibrate, find the lumbar vertebrae and measure AP aBMD per level and the trabecular vBMD. */
export function measureSpineDxa(ct: Volume, opts: SpineDxaMeasureOptions): { result: SpineDxaReport; artifacts: SpineDxaArtifacts & { density: Volume; calibration: CalibrationFit } } {
  const clock = new StageClock(opts.onProgress);
  const warn = new Warnings();
  const how = opts.vertebrae ?? "auto";
  // Levels named first, on the coarse copy the strength analysis uses too (the same vertebrae, and a
  // scan without a nameable column fails before the calibration).
  const naming = !opts.labels && how === "auto"
    ? clock.run("level naming", "naming the levels on a coarse copy of the scan", () => findSpineLevels(ct, opts.calibration),
      (r) => `${r.levels.map((l) => l.name).join(" ")} from the ${r.namedFrom}`)
    : undefined;
  if (naming) warn.add("level naming", naming.warnings);
  const cal = calibrateStage(clock, warn, ct, opts.calibration, "spine");
  const density = cal.density;
  const vertebrae: VertebraInput[] = clock.run("segmentation", "lumbar vertebrae", () => {
    if (opts.labels) {
      const levels = opts.levelLabels ?? Object.fromEntries(LUMBAR_L1_L4.map((l) => [l, TOTALSEGMENTATOR_VERTEBRA_LABELS[l]]));
      return vertebraeFromLabels(opts.labels, levels, density, { skipMissing: true });
    }
    if (naming) {
      const out: VertebraInput[] = [];
      for (const level of LUMBAR_L1_L4) {
        try {
          out.push({ level, mask: vertebraMask(density, findNamedLevel(naming, level)) });
        } catch (e) {
          if (!(e instanceof LevelNamingError)) throw e;
          warn.add("level naming", [`${level} left out: ${e.message}`]);
        }
      }
      if (out.length === 0) throw new LevelNamingError("none of L1-L4 could be cut out of the scan; give a level label map (--labels)");
      return out;
    }
    const mask = fillHoles(centralComponent(thresholdMask(density, { lo: SPINE_BONE_THRESHOLD })));
    return [{ level: how.toUpperCase(), mask }];
  }, (v) => `levels ${v.map((x) => x.level).join(", ")}`);
  const d = spineDxaStage(clock, warn, cal, vertebrae);
  return {
    result: { ...d.result, site: "spine", sex: opts.sex, calibration: calibrationSummary(cal.fit, cal.warnings, cal.mineral), seconds: clock.elapsed(), warnings: warn.list },
    artifacts: { ...d.artifacts, density, calibration: cal.fit },
  };
}
