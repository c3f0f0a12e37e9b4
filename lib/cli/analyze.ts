/**
 * `bct analyze [scan] --site hip --sex F|M ...`: the whole BCT pipeline on a scan, with progress on
 * stderr, `result.json` and a self-contained `report.html` in `--out`, and the result as JSON on
 * stdout with `--json`. Without a scan it runs on the embedded phantom.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { writeFileAtomic } from "../io/atomic-write.js";
import { scanCommandProvenance } from "./provenance.js";
import { join, resolve } from "node:path";
import { dxaProjectionFigure } from "../display/dxa.js";
import { spineDxaFigure } from "../display/dxa-spine.js";
import { sidewaysFall, stance } from "../loading/hip.js";
import { stlBinary, voxelSurface } from "../mesh/surface.js";
import { elementFieldVolume } from "../mesh/export.js";
import { writeNifti } from "../io/nifti/index.js";
import { writeInp } from "../fe/inp/write.js";
import type { BoundaryCondition } from "../fe/bc.js";
import type { VoxelModel } from "../fe/voxel-model.js";
import type { ElementGrid } from "../mesh/voxelize.js";
import { analyzeHip, type HipAnalysisResult, type HipArtifacts, type HipStrengthChoice } from "../pipeline/hip.js";
import { analyzeSpine, TOTALSEGMENTATOR_VERTEBRA_LABELS, type SpineAnalysisResult, type SpineArtifacts } from "../pipeline/spine.js";
import { calibrationFigure, elementFieldFigure, forceDisplacementFigure, loadCaseFigure } from "../report/figures.js";
import { reportHtml } from "../report/html.js";
import { boneSlices, femoralNeckCentre, hipDxaRegions, spineDxaRegions } from "../report/slices.js";
import type { Sex } from "../strength/classify.js";
import { resolveThresholdSet } from "../strength/thresholds.js";
import type { Volume } from "../volume/volume.js";
import { formatOptions, parseArgs, UsageError, type OptionSpec } from "./args.js";
import { checkScanOptions, progressLine, readScanInput, SCAN_OPTIONS } from "./scan-input.js";
import type { Command } from "./main.js";

const OPTIONS: Record<string, OptionSpec> = {
  ...SCAN_OPTIONS,
  level: { type: "string", description: "spine: vertebral level (T10..L5): from a TotalSegmentator --labels map, or without --labels named automatically (counted up from the sacrum, or from the ribs: T12 the lowest rib-bearing)" },
  at: { type: "string", description: "spine, without --labels: analyse the vertebra holding this point, x,y,z in LPS mm (for scans whose levels cannot be named)" },
  element: { type: "number", description: "element size in mm (default 1.5 hip, 1.0 spine)" },
  "load-case": { type: "string", description: "sideways-fall (default) or stance" },
  side: { type: "string", description: "hip: left or right, the hip to analyse on a scan with both (default: the side without a metal implant, else the left)" },
  label: { type: "number", description: "the bone's label in --labels (spine: or give --level for TotalSegmentator labels)" },
  linear: { type: "flag", description: "skip the nonlinear pushover (run by default: hip about 30 s at 1.5 mm, spine about 15 s at 1 mm); the strength is then the linear critical-volume criterion's" },
  nonlinear: { type: "flag", description: "run the nonlinear pushover (the default; kept for compatibility)" },
  criterion: { type: "string", description: "hip strength criterion: nonlinear-peak (default), linear-critical-volume or linear-first-node" },
  "critical-fraction": { type: "number", description: "hip, linear-critical-volume: the critical bone-volume fraction (default 0.02)" },
  out: { type: "string", description: "output folder for result.json and report.html (default bct-report)" },
  export: { type: "flag", description: "also write model.inp (CalculiX deck with the load case), surface.stl, and element fields (density, modulus, risk) as NIfTI" },
  json: { type: "flag", description: "print the result as JSON on stdout" },
  thresholds: { type: "string", description: "strength-class thresholds: a published set by name (keaveny2020) or a file from `bct cohort thresholds` (default: the shipped set derived for this strength's definition, else keaveny2020)" },
};

/** `--side`: left or right, for the hip only. */
export function hipSideOption(value: unknown, site: "hip" | "spine"): "left" | "right" | undefined {
  if (value === undefined) return undefined;
  if (site !== "hip") throw new UsageError("--side is for --site hip");
  const s = String(value).toLowerCase();
  if (s !== "left" && s !== "right") throw new UsageError(`--side must be left or right, got "${String(value)}"`);
  return s;
}

/** "low bone strength", or why there is no class. */
function className(result: HipAnalysisResult | SpineAnalysisResult): string {
  return result.classification ? `${result.classification} bone strength` : `no class: the thresholds ${result.thresholds.name} belong to another strength definition`;
}

/** The hip strength criterion from --criterion, --critical-fraction and --linear. */
export function hipStrengthOption(options: Record<string, unknown>): HipStrengthChoice {
  const c = (options.criterion as string | undefined) ?? (options.linear ? "linear-critical-volume" : "nonlinear-peak");
  const fraction = options["critical-fraction"] as number | undefined;
  if (fraction !== undefined && c !== "linear-critical-volume") throw new UsageError("--critical-fraction goes with --criterion linear-critical-volume");
  if (c === "nonlinear-peak") return { criterion: c };
  if (c === "linear-first-node") return { criterion: c };
  if (c === "linear-critical-volume") {
    if (fraction !== undefined && !(fraction >= 0 && fraction < 1)) throw new UsageError(`--critical-fraction must be in [0, 1), got ${fraction}`);
    return { criterion: c, criticalFraction: fraction };
  }
  throw new UsageError(`--criterion must be nonlinear-peak, linear-critical-volume or linear-first-node, got ${c}`);
}

/** The report rows every site shares: calibration, mesh, material, solver, time. */
function commonDetails(result: HipAnalysisResult | SpineAnalysisResult): { calibration: [string, string]; model: [string, string][]; run: [string, string][]; thresholds: [string, string] } {
  const t = result.thresholds;
  return {
    thresholds: ["Class thresholds", `${t.name} (${t.kind}; ${t.source}); derived for ${t.derivedFor}; ${t.matchesDefinition ? "matches" : "does not match"} this strength's definition ${t.definitionId}${t.fragileN !== null ? `; fragile <= ${t.fragileN} N, normal >= ${t.lowN} N` : ""}`],
    calibration: ["Calibration", `${result.calibration.method}: density = ${result.calibration.intercept.toFixed(2)} + ${result.calibration.slope.toFixed(5)} x HU (mg/cm3 ${result.calibration.measure}), R^2 ${result.calibration.r2.toFixed(5)}`],
    model: [
      ["Mesh", `${result.elements} voxel elements of ${result.elementSizeMm} mm, ${result.dofs} DOF`],
      ["Material", `${result.materials.chain.join(" -> ")}, Poisson ${result.materials.poisson}, mean E ${result.materials.meanModulusMPa.toFixed(0)} MPa`],
    ],
    run: [
      ["Solver", `${result.solver.preconditioner} PCG, ${result.solver.iterations} iterations, relative residual ${result.solver.relativeResidual.toExponential(2)}, ${result.solver.seconds.toFixed(1)} s`],
      ["Total time", `${result.seconds.toFixed(1)} s`],
    ],
  };
}

/** The report of a hip analysis. */
export function hipReport(ct: Volume, result: HipAnalysisResult, a: HipArtifacts, source: string): string {
  const common = commonDetails(result);
  const surface = voxelSurface(a.grid);
  const risk = Float64Array.from(a.linear.risk, (r) => Math.min(r / a.linear.criticalRisk, 2));
  return reportHtml({
    title: `bct hip analysis: ${source}`,
    headline: [
      [`Femoral strength (${result.loadCase.kind}, ${result.strength.definition.criterion})`, `${result.strengthN.toFixed(0)} N`],
      ["Class", `${className(result)} (${result.sex === "F" ? "women" : "men"}, hip)`],
      common.thresholds,
      ["Stiffness", `${result.stiffnessNPerMm} N/mm`],
      ...(result.dxa
        ? ([
            ["DXA-equivalent T-scores", `neck ${result.dxa.tScoreNeck.toFixed(1)}, total hip ${result.dxa.tScoreTotalHip.toFixed(1)}: ${result.dxa.category}`],
            ["Overall fracture risk", `${result.overallRisk} (strength class and hip T-score category, Keaveny 2020)`],
          ] as [string, string][])
        : []),
    ],
    details: [
      ["Scan", source],
      common.calibration,
      ...(result.dxa
        ? ([
            ["DXA-equivalent aBMD", `femoral neck ${result.dxa.neckABMD.toFixed(3)} g/cm2, total hip ${result.dxa.totalHipABMD.toFixed(3)} g/cm2, trochanter ${result.dxa.trochanterABMD.toFixed(3)} g/cm2 (${result.dxa.densityEquivalent.unit})`],
            ["T-score reference", `${result.dxa.reference.description} (${result.dxa.reference.citation}); ${result.dxa.categoryRule}`],
          ] as [string, string][])
        : []),
      ["Femur", `${result.femur.side}, head radius ${result.femur.headRadius.toFixed(1)} mm, neck-shaft angle ${result.femur.neckShaftAngleDeg.toFixed(1)} deg, anteversion ${result.femur.anteversionDeg.toFixed(1)} deg`],
      ...common.model,
      ["Load case", JSON.stringify({ ...result.loadCase, directionLps: result.loadCase.directionLps.map((x) => +x.toFixed(4)) })],
      ["Strength definition", `${result.strength.criterion}; ${result.strength.definition.boundary} (id ${result.strength.definition.id})`],
      ["Strength criterion", `${result.strength.criterion} (${result.strength.mode} governs)`],
      ...common.run,
    ],
    warnings: result.warnings,
    sections: [
      { title: "Calibration fit", figure: calibrationFigure(a.calibration) },
      {
        title: "Femur on the CT: slices through the femoral neck",
        html: boneSlices(ct, {
          mask: a.proximalMask, maskLabel: "proximal femur (the model)", point: femoralNeckCentre(a.proximalMask, a.landmarks), pointName: "the centroid of the femoral neck",
          calibration: a.calibration, regions: a.dxa ? [hipDxaRegions(ct, a.dxa, a.proximalMask)] : [],
        }).html,
      },
      ...(a.dxa ? [{ title: "DXA-equivalent projection and regions", figure: dxaProjectionFigure(a.dxa), caption: "aBMD image (g/cm2) of the femur in DXA position: femoral neck box, trochanteric line, total hip region" }] : []),
      { title: "Model: elastic modulus", figure: elementFieldFigure(a.grid, a.model.modulus, "E (MPa)", `${result.elements} elements of ${result.elementSizeMm} mm`, undefined, surface) },
      {
        title: "Load case",
        figure: loadCaseFigure(a.grid, a.model, [
          { name: "head cap (displaced)", nodes: a.bc.headNodes, color: "crimson" },
          { name: "greater trochanter (ground)", nodes: a.bc.trochanterNodes, color: "royalblue" },
          { name: "distal cut (fixed)", nodes: a.bc.distalNodes, color: "black" },
        ], { at: a.landmarks.headCentre, direction: a.bc.directionWorld }, surface),
        caption: `${result.loadCase.kind}: the head cap moves ${result.loadCase.displacementMm} mm along the arrow`,
      },
      ...(a.nonlinear
        ? [
            { title: "Force-displacement (nonlinear pushover)", figure: forceDisplacementFigure(a.nonlinear.curve.displacementMm.map((d, i) => ({ displacementMm: d, forceN: a.nonlinear!.curve.forceN[i] })), a.nonlinear.strengthN, a.nonlinear.stiffnessNPerMm) },
            {
              title: "Yielded region",
              figure: elementFieldFigure(a.grid, a.nonlinear.yieldMode, "0 elastic, 1 tension, 2 compression", "elements yielded at the end of the pushover", [0, 2], surface),
            },
          ]
        : []),
      {
        title: "Failure risk",
        figure: elementFieldFigure(a.grid, risk, "risk / critical", "principal strain over its limit, relative to the critical element", [0, 2], surface),
        caption: "1 = the critical level: the elements at or above it (the first 2% of bone volume) fail first under the linear criterion",
      },
    ],
    result,
  });
}

/** The report of a spine analysis. */
export function spineReport(ct: Volume, result: SpineAnalysisResult, a: SpineArtifacts, source: string): string {
  const common = commonDetails(result);
  const surface = voxelSurface(a.grid);
  const risk = Float64Array.from(a.linear.risk, (r) => Math.min(r / a.linear.criticalRisk, 2));
  const top = a.landmarks.superiorEndplate.centre;
  return reportHtml({
    title: `bct spine analysis: ${source}${result.level ? ` (${result.level})` : ""}`,
    headline: [
      [`Vertebral strength (axial compression between PMMA caps, ${result.strength.definition.criterion})`, `${result.strengthN.toFixed(0)} N`],
      ["Class", `${className(result)} (${result.sex === "F" ? "women" : "men"}, spine)`],
      common.thresholds,
      ...(result.dxa
        ? ([
            ["Trabecular vBMD (QCT)", `${result.dxa.trabecularVBMD ?? "-"} mg/cm3 HA: ${result.dxa.category ?? "-"} (ACR)`],
            ["Overall fracture risk", `${result.overallRisk ?? "-"} (strength class and ACR category, Keaveny 2020)`],
          ] as [string, string][])
        : []),
      ["Stiffness", `${result.stiffnessNPerMm} N/mm`],
    ],
    details: [
      ["Scan", source],
      common.calibration,
      ["Vertebral body", `height ${result.vertebra.heightMm.toFixed(1)} mm, volume ${(result.vertebra.volumeMm3 / 1000).toFixed(1)} cm3, mean density ${result.vertebra.meanDensityMgCm3.toFixed(0)} mg/cm3, endplates ${result.vertebra.endplateAngleDeg.toFixed(1)} deg apart`],
      ...common.model,
      ["Load case", JSON.stringify(result.loadCase)],
      ["Strength criterion", `${result.strength.criterion} (${result.strength.mode} governs)`],
      ["Load at 0.68% apparent strain (Ogo)", `${result.loadAtApparentStrainN} N`],
      ...common.run,
    ],
    warnings: result.warnings,
    sections: [
      { title: "Calibration fit", figure: calibrationFigure(a.calibration) },
      {
        title: "Vertebral body on the CT: slices through its centroid",
        html: boneSlices(ct, {
          mask: a.bodyMask, maskLabel: "vertebral body (the model)", point: a.landmarks.centroid, pointName: "the centroid of the vertebral body",
          calibration: a.calibration, regions: a.dxa ? spineDxaRegions(ct, a.dxa, a.bodyMask) : [],
        }).html,
      },
      ...(a.dxa ? [{ title: "AP projection (DXA-equivalent)", figure: spineDxaFigure(result.dxa!, a.dxa), caption: "aBMD image (g/cm2 HA) of the analysed vertebra, AP view" }] : []),
      { title: "Model: elastic modulus", figure: elementFieldFigure(a.grid, a.model.modulus, "E (MPa)", `${result.elements} elements of ${result.elementSizeMm} mm`, undefined, surface) },
      {
        title: "Load case",
        figure: loadCaseFigure(a.grid, a.model, [
          { name: "superior cap (displaced)", nodes: a.bc.superiorNodes, color: "crimson" },
          { name: "inferior cap (fixed)", nodes: a.bc.inferiorNodes, color: "black" },
        ], { at: top, direction: a.landmarks.axis.map((x) => -x) }, surface),
        caption: `the superior cap moves ${result.loadCase.displacementMm} mm along the body axis`,
      },
      {
        title: "Failure risk",
        figure: elementFieldFigure(a.grid, risk, "risk / critical", "principal strain over its limit, relative to the critical element", [0, 2], surface),
      },
    ],
    result,
  });
}

export const analyzeCommand: Command = {
  summary: "Run the BCT pipeline on a CT scan (default: the embedded hip phantom): strength, class, report.",
  usage: `bct analyze [scan] [options]\n${formatOptions(OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, OPTIONS);
    const checked = checkScanOptions(positionals, options);
    const { site, sex, embedded, scanPath } = checked;
    const lcName = (options["load-case"] as string | undefined) ?? (site === "hip" ? "sideways-fall" : "compression");
    if (site === "hip" && lcName !== "sideways-fall" && lcName !== "stance") throw new UsageError(`--load-case for the hip must be sideways-fall or stance, got "${lcName}"`);
    if (site === "spine" && lcName !== "compression") throw new UsageError(`--load-case for the spine must be compression, got "${lcName}"`);
    let label = options.label as number | undefined;
    const level = (options.level as string | undefined)?.toUpperCase();
    const at = parseAt(options.at as string | undefined, site, level, options.labels !== undefined);
    if (level !== undefined) {
      if (site !== "spine") throw new UsageError("--level is for --site spine");
      if (label === undefined) {
        label = TOTALSEGMENTATOR_VERTEBRA_LABELS[level];
        if (label === undefined) throw new UsageError(`unknown level "${level}"; known: ${Object.keys(TOTALSEGMENTATOR_VERTEBRA_LABELS).join(", ")}`);
      }
    }
    if (options.labels !== undefined && label === undefined) throw new UsageError("--labels needs --label N (or --level for a TotalSegmentator vertebra map)");
    if (options.labels === undefined && options.label !== undefined) throw new UsageError("--label needs --labels FILE");
    if (site === "spine" && options.labels === undefined) {
      if (embedded && level !== undefined) throw new UsageError("--level without --labels names the level by counting up from the sacrum, and the embedded spine phantom holds a single vertebra and no sacrum: give a scan of the lumbar spine that reaches the sacrum, or leave out --level to analyse the phantom's vertebra");
      if (!embedded && level === undefined && at === undefined) throw new UsageError("the spine path on a scan needs --level (T10..L5, named automatically from the sacrum or the ribs), --at x,y,z (the vertebra holding that LPS point) or --labels (a vertebra label map, e.g. TotalSegmentator's) with --level or --label");
    }
    const element = (options.element as number | undefined) ?? (site === "hip" ? 1.5 : 1.0);
    if (!(element >= 0.5 && element <= 5)) throw new UsageError(`--element must be between 0.5 and 5 mm, got ${element}`);
    if (options.linear && options.nonlinear) throw new UsageError("give --linear or --nonlinear, not both");
    const side = hipSideOption(options.side, site);

    const thresholds = options.thresholds === undefined ? undefined : resolveThresholdSet(options.thresholds as string);
    const { scan, calibration, labelMap } = await readScanInput(checked, options, io);
    let result: HipAnalysisResult | SpineAnalysisResult;
    let html: () => string;
    let exported: () => string[];
    const out = resolve((options.out as string | undefined) ?? "bct-report");
    if (site === "hip") {
      const r = analyzeHip(scan.volume, {
        sex: sex as Sex, calibration, elementSize: element,
        loadCase: lcName === "stance" ? stance() : sidewaysFall(),
        labels: labelMap ? { map: labelMap, label: label! } : undefined, side,
        strength: hipStrengthOption(options),
        thresholds,
        onProgress: progressLine(io),
      });
      result = r.result;
      html = () => hipReport(scan.volume, r.result, r.artifacts, scanPath);
      exported = () => exportModel(out, r.artifacts.grid, r.artifacts.model, r.artifacts.bc.bcs, r.artifacts.linear.risk);
    } else {
      const r = analyzeSpine(scan.volume, {
        sex: sex as Sex, calibration, elementSize: element,
        vertebra: labelMap ? { map: labelMap, label: label!, level } : undefined,
        level: labelMap ? undefined : level,
        at,
        thresholds,
        strength: options.linear ? { criterion: "linear-critical-volume" } : undefined,
        onProgress: progressLine(io),
      });
      result = r.result;
      html = () => spineReport(scan.volume, r.result, r.artifacts, scanPath);
      exported = () => exportModel(out, r.artifacts.grid, r.artifacts.model, r.artifacts.bc.bcs, r.artifacts.linear.risk);
    }
    const record = { ...result, provenance: scanCommandProvenance(checked, options, { element, loadCase: lcName, nonlinear: site === "hip" && !options.linear, label, level }, result) };
    mkdirSync(out, { recursive: true });
    writeFileAtomic(join(out, "result.json"), JSON.stringify(record, null, 1) + "\n");
    writeFileAtomic(join(out, "report.html"), html());
    if (options.export) for (const f of exported()) io.err(`wrote ${f}`);
    for (const w of result.warnings) io.err(`warning: ${w}`);
    if (options.json) io.out(JSON.stringify(record));
    else {
      io.out(
        [
          `${site} strength (${result.loadCase.kind}): ${result.strengthN} N -> ${className(result)} (${sex === "F" ? "women" : "men"})`,
          `class thresholds: ${result.thresholds.note}`,
          `stiffness ${result.stiffnessNPerMm} N/mm; ${result.elements} elements of ${element} mm; ${result.seconds.toFixed(1)} s`,
          ...(result.site === "hip" && result.dxa ? [`DXA-equivalent: neck ${result.dxa.neckABMD.toFixed(3)} g/cm2 (T ${result.dxa.tScoreNeck.toFixed(1)}), total hip ${result.dxa.totalHipABMD.toFixed(3)} g/cm2 (T ${result.dxa.tScoreTotalHip.toFixed(1)}): ${result.dxa.category}; overall fracture risk ${result.overallRisk}`] : []),
          ...(result.site === "spine" && result.dxa ? [`QCT trabecular vBMD ${result.dxa.trabecularVBMD ?? "-"} mg/cm3 HA (ACR ${result.dxa.category ?? "-"}), AP aBMD ${Object.values(result.dxa.aBMD)[0]?.toFixed(3) ?? "-"} g/cm2; overall fracture risk ${result.overallRisk ?? "-"}`] : []),
          `wrote ${join(out, "result.json")} and ${join(out, "report.html")}`,
        ].join("\n"),
      );
    }
    return 0;
  },
};

/** `--at x,y,z`: three numbers (LPS mm), for the spine without a label map and without --level. */
function parseAt(text: string | undefined, site: string, level: string | undefined, labels: boolean): [number, number, number] | undefined {
  if (text === undefined) return undefined;
  if (site !== "spine") throw new UsageError("--at is for --site spine");
  if (labels) throw new UsageError("--at picks the vertebra without a label map; with --labels give --level or --label");
  if (level !== undefined) throw new UsageError("give --level or --at, not both");
  const xyz = text.split(",").map((t) => (t.trim() === "" ? NaN : Number(t)));
  if (xyz.length !== 3 || !xyz.every(Number.isFinite)) throw new UsageError(`--at needs three numbers x,y,z (LPS mm, e.g. --at 4,-130,352), got "${text}"`);
  return xyz as [number, number, number];
}

/** The model, its surface and its element fields, for other tools (CalculiX, viewers, slicers). */
function exportModel(out: string, grid: ElementGrid, model: VoxelModel, bcs: BoundaryCondition[], risk: ArrayLike<number>): string[] {
  const files = [join(out, "model.inp"), join(out, "surface.stl"), join(out, "density.nii.gz"), join(out, "modulus.nii.gz"), join(out, "risk.nii.gz")];
  writeInp(files[0], model, bcs, { heading: "bct analyze: voxel model in the grid frame (see result.json for its world placement)" });
  writeFileSync(files[1], stlBinary(voxelSurface(grid)));
  writeNifti(elementFieldVolume(grid, grid.density), files[2], { datatype: "float32", description: "element density mg/cm3" });
  writeNifti(elementFieldVolume(grid, model.modulus), files[3], { datatype: "float32", description: "element modulus MPa" });
  writeNifti(elementFieldVolume(grid, risk), files[4], { datatype: "float32", description: "strain risk factor" });
  return files;
}
