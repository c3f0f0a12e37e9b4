/**
 * `bct dxa [scan] --site hip|spine --sex F|M [--json]`: the DXA-equivalent measures of a CT scan
 * (default: the embedded phantom). Hip: femoral neck, trochanter and total hip aBMD, T-scores with
 * the NHANES III young-adult reference, WHO category. Spine: AP aBMD per lumbar level and L1-L4,
 * QCT trabecular vBMD with the ACR category. `--out DIR` also writes dxa.json and a report with
 * the projection image and its regions.
 * @module
 */
import { mkdirSync } from "node:fs";
import { writeFileAtomic } from "../io/atomic-write.js";
import { scanCommandProvenance } from "./provenance.js";
import { join, resolve } from "node:path";
import { dxaProjectionFigure } from "../display/dxa.js";
import { spineDxaFigure } from "../display/dxa-spine.js";
import { measureHipDxa, measureSpineDxa, type HipDxaReport, type SpineDxaReport } from "../pipeline/dxa.js";
import { calibrationFigure } from "../report/figures.js";
import { reportHtml, type ReportSection } from "../report/html.js";
import { boneSlices, femoralNeckCentre, hipDxaRegions, spineDxaRegions } from "../report/slices.js";
import { maskCentroid } from "../display/slice-through.js";
import type { SpineDxaArtifacts } from "../dxa/spine.js";
import type { CalibrationFit } from "../calibration/fit.js";
import type { Volume } from "../volume/volume.js";
import { formatOptions, parseArgs, UsageError, type OptionSpec } from "./args.js";
import { hipSideOption } from "./analyze.js";
import type { Command } from "./main.js";
import { checkScanOptions, progressLine, readScanInput, SCAN_OPTIONS } from "./scan-input.js";

const OPTIONS: Record<string, OptionSpec> = {
  ...SCAN_OPTIONS,
  side: { type: "string", description: "hip: left or right, the hip to analyse on a scan with both (default: the side without a metal implant, else the left)" },
  label: { type: "number", description: "hip: the femur's label in --labels (spine: --labels is a TotalSegmentator vertebra map, L1-L4 = 31..28)" },
  "male-reference": { type: "string", description: "hip T-scores of men against the female (default, WHO/IOF) or the male NHANES III young adults" },
  out: { type: "string", description: "also write dxa.json and dxa.html (projection image with the regions) to this folder" },
  json: { type: "flag", description: "print the result as JSON on stdout" },
};

/** The embedded spine phantom's vertebra is an L3 (datasets/phantom/spine/truth.json). */
const EMBEDDED_SPINE_LEVEL = "L3";

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toFixed(3));
const f1 = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toFixed(1));

/** The summary lines of a hip result. */
export function hipDxaSummary(r: HipDxaReport): string[] {
  return [
    `femoral neck aBMD ${f3(r.neckABMD)} g/cm2 (T ${f1(r.tScoreNeck)}), total hip ${f3(r.totalHipABMD)} g/cm2 (T ${f1(r.tScoreTotalHip)}), trochanter ${f3(r.trochanterABMD)} g/cm2`,
    `WHO category: ${r.category} (${r.categoryRule}); reference: ${r.reference.description}`,
  ];
}

/** The summary lines of a spine result. */
export function spineDxaSummary(r: SpineDxaReport): string[] {
  return [
    `AP aBMD ${Object.entries(r.aBMD).map(([l, v]) => `${l} ${f3(v)}`).join(", ")} g/cm2; total (${r.totalLevels.join("-")}) ${f3(r.totalABMD)} g/cm2`,
    `trabecular vBMD (${r.trabecularLevels.join(", ")}) ${r.trabecularVBMD ?? "-"} mg/cm3 HA -> ACR ${r.category ?? "-"}`,
  ];
}

/** The slices through the middle analysed level's vertebral body, with all levels outlined and the DXA regions. */
function spineSlicesSection(ct: Volume, a: SpineDxaArtifacts & { calibration: CalibrationFit }): ReportSection {
  const levels = Object.keys(a.bodies);
  const mid = levels[Math.floor((levels.length - 1) / 2)];
  const all = new Uint8Array(ct.data.length);
  levels.forEach((l, q) => {
    const d = a.bodies[l].data;
    for (let p = 0; p < d.length; p++) if (d[p]) all[p] = q + 1;
  });
  const bodies = { ...ct, data: all };
  return {
    title: `Vertebrae on the CT: slices through the ${mid} body`,
    html: boneSlices(ct, {
      mask: bodies, maskLabel: `vertebral bodies (${levels.join(", ")})`, point: maskCentroid(a.bodies[mid]), pointName: `the centroid of the ${mid} vertebral body`,
      calibration: a.calibration, regions: spineDxaRegions(ct, a, bodies),
    }).html,
  };
}

export const dxaCommand: Command = {
  summary: "DXA-equivalent measures from CT: hip aBMD, T-scores and WHO category, or spine aBMD and trabecular vBMD (ACR).",
  usage: `bct dxa [scan] [options]\n${formatOptions(OPTIONS)}`,
  async run(argv, io) {
    const { positionals, options } = parseArgs(argv, OPTIONS);
    const checked = checkScanOptions(positionals, options);
    const maleRef = (options["male-reference"] as string | undefined) ?? "female";
    if (maleRef !== "female" && maleRef !== "male") throw new UsageError(`--male-reference must be female or male, got "${maleRef}"`);
    if (checked.site === "hip" && options.labels !== undefined && options.label === undefined) throw new UsageError("--labels for the hip needs --label N (the femur's label)");
    if (checked.site === "spine" && options.label !== undefined) throw new UsageError("--label is for the hip; a spine --labels map is read as TotalSegmentator vertebra labels");
    const side = hipSideOption(options.side, checked.site);
    const input = await readScanInput(checked, options, io);
    const onProgress = progressLine(io);
    let result: HipDxaReport | SpineDxaReport;
    let html: () => string;
    if (input.site === "hip") {
      const r = measureHipDxa(input.scan.volume, {
        sex: input.sex, calibration: input.calibration, maleReference: maleRef,
        labels: input.labelMap ? { map: input.labelMap, label: options.label as number } : undefined, side, onProgress,
      });
      result = r.result;
      html = () => reportHtml({
        title: `bct dxa (hip): ${input.scanPath}`,
        headline: [
          ["Femoral neck", `${f3(r.result.neckABMD)} g/cm2, T ${f1(r.result.tScoreNeck)}`],
          ["Total hip", `${f3(r.result.totalHipABMD)} g/cm2, T ${f1(r.result.tScoreTotalHip)}`],
          ["WHO category", r.result.category],
        ],
        details: [
          ["Scan", input.scanPath],
          ["Reference", `${r.result.reference.description} (${r.result.reference.citation})`],
          ["Density", r.result.densityEquivalent.description],
          ["Positioning", `${r.result.positioning.side} femur rotated ${r.result.positioning.rotationAboutShaftDeg.toFixed(1)} deg about the shaft (neck in the image plane)`],
        ],
        warnings: r.result.warnings,
        sections: [
          { title: "Calibration fit", figure: calibrationFigure(r.artifacts.calibration) },
          { title: "Projection and regions", figure: dxaProjectionFigure(r.artifacts), caption: "aBMD image (g/cm2) of the femur in DXA position with the femoral neck box, trochanteric line and total hip region" },
          {
            title: "Femur on the CT: slices through the femoral neck",
            html: boneSlices(input.scan.volume, {
              mask: r.artifacts.femur, maskLabel: "femur", point: femoralNeckCentre(r.artifacts.femur, r.artifacts.landmarks), pointName: "the centroid of the femoral neck",
              calibration: r.artifacts.calibration, regions: [hipDxaRegions(input.scan.volume, r.artifacts, r.artifacts.femur)],
            }).html,
          },
        ],
        result: r.result,
      });
    } else {
      const r = measureSpineDxa(input.scan.volume, {
        sex: input.sex, calibration: input.calibration, labels: input.labelMap,
        vertebrae: input.embedded ? EMBEDDED_SPINE_LEVEL : "auto", onProgress,
      });
      result = r.result;
      html = () => reportHtml({
        title: `bct dxa (spine): ${input.scanPath}`,
        headline: [
          [`Total aBMD (${r.result.totalLevels.join("-")})`, `${f3(r.result.totalABMD)} g/cm2`],
          ["Trabecular vBMD", `${r.result.trabecularVBMD ?? "-"} mg/cm3 HA`],
          ["ACR category", String(r.result.category ?? "-")],
        ],
        details: [["Scan", input.scanPath], ["Density", JSON.stringify(r.result.densityEquivalent)]],
        warnings: r.result.warnings,
        sections: [
          { title: "Calibration fit", figure: calibrationFigure(r.artifacts.calibration) },
          { title: "AP projection and levels", figure: spineDxaFigure(r.result, r.artifacts), caption: "aBMD image (g/cm2) of the lumbar vertebrae, AP view, with each level's region" },
          spineSlicesSection(input.scan.volume, r.artifacts),
        ],
        result: r.result,
      });
    }
    const record = { ...result, provenance: scanCommandProvenance(checked, options, { maleReference: maleRef }, result) };
    if (options.out) {
      const out = resolve(options.out as string);
      mkdirSync(out, { recursive: true });
      writeFileAtomic(join(out, "dxa.json"), JSON.stringify(record, null, 1) + "\n");
      writeFileAtomic(join(out, "dxa.html"), html());
      io.err(`wrote ${join(out, "dxa.json")} and ${join(out, "dxa.html")}`);
    }
    for (const w of result.warnings) io.err(`warning: ${w}`);
    if (options.json) io.out(JSON.stringify(record));
    else io.out((input.site === "hip" ? hipDxaSummary(result as HipDxaReport) : spineDxaSummary(result as SpineDxaReport)).join("\n"));
    return 0;
  },
};
