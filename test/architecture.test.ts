/**
 * The house plan's one-way rule (docs/architecture.md): no module of lib/ imports a higher stage.
 * The stage order is read from the document, so the rule and its description cannot drift apart.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/paths.js";

const LIB = join(REPO_ROOT, "lib");
const doc = readFileSync(join(REPO_ROOT, "docs/architecture.md"), "utf8");
const orderLine = /<!-- stage-order -->\s*([\s\S]+?)\s*<!-- \/stage-order -->/.exec(doc)?.[1] ?? "";
const ORDER = orderLine.split("<").map((s) => s.trim()).filter(Boolean);
const rank = new Map(ORDER.map((s, i) => [s, i]));
rank.set("parallel", rank.get("fe")!);
const BASE = new Set(["errors.ts", "package-root.ts"]);
const PRESENTATION = new Set(["display", "report"]);
/** "Knows nothing of" (the house plan's folder table): lower stages a folder still must not use. */
const KNOWS_NOTHING_OF: Record<string, string[]> = {
  volume: ["io", "segmentation", "calibration", "anatomy", "materials", "fe", "mesh"],
  fe: ["io", "segmentation", "calibration", "anatomy"],
  strength: ["io"],
  dxa: ["fe", "mesh", "loading"],
  validation: ["io", "volume", "segmentation", "calibration", "fe", "mesh"],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Every relative import of lib/ as [importing folder, imported folder, text]. */
function imports(): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const f of files(LIB)) {
    const rel = relative(LIB, f);
    const from = rel.includes("/") ? rel.split("/")[0] : rel;
    for (const m of readFileSync(f, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = normalize(join(dirname(rel), m[1]));
      if (target.startsWith("..")) { out.push([from, "<outside lib>", `${rel} -> ${m[1]}`]); continue; }
      const to = target.includes("/") ? target.split("/")[0] : target.replace(/\.js$/, ".ts");
      if (from !== to) out.push([from, to, `${rel} -> ${m[1]}`]);
    }
  }
  return out;
}

/** Why an import breaks the rule, or null when it is allowed. */
function violation(from: string, to: string): string | null {
  if (BASE.has(to)) return null;
  if (to === "<outside lib>") return from === "cli" ? null : "imports from outside lib/";
  if (PRESENTATION.has(to)) return from === "cli" || PRESENTATION.has(from) ? null : "a numeric stage imports display/report";
  if (PRESENTATION.has(from)) return null; // figures may show any stage's results
  if (to === "synthetic") return ["cohort", "cli"].includes(from) ? null : "only cohort and cli use the phantom generator";
  if (from === "synthetic") return (rank.get(to) ?? Infinity) < rank.get("pipeline")! ? null : "the phantom generator uses a pipeline-level stage";
  if (KNOWS_NOTHING_OF[from]?.includes(to)) return `${from} knows nothing of ${to} (house plan)`;
  const rf = rank.get(from), rt = rank.get(to);
  if (rf === undefined || rt === undefined) return `a folder not in the stage order (${rf === undefined ? from : to})`;
  return rt > rf ? `a lower stage (${from}) imports a higher one (${to})` : null;
}

describe("architecture", () => {
  it("reads the stage order from docs/architecture.md", () => {
    expect(ORDER.slice(0, 3)).toEqual(["numeric", "volume", "io"]);
    expect(ORDER.at(-1)).toBe("cli");
    for (const d of readdirSync(LIB)) {
      if (statSync(join(LIB, d)).isDirectory() && !["parallel", "synthetic", ...PRESENTATION].includes(d)) expect(ORDER, `lib/${d} is not in the stage order`).toContain(d);
    }
  });

  it("catches an upward import (the checker itself)", () => {
    expect(violation("fe", "anatomy")).toMatch(/knows nothing of/);
    expect(violation("segmentation", "mesh")).toMatch(/lower stage/);
    expect(violation("volume", "numeric")).toBeNull();
    expect(violation("strength", "display")).toMatch(/display/);
    expect(violation("dxa", "synthetic")).toMatch(/phantom generator/);
  });

  it("no module of lib/ imports a higher stage", () => {
    const bad = imports().flatMap(([from, to, text]) => {
      const why = violation(from, to);
      return why ? [`${text}: ${why}`] : [];
    });
    expect(bad).toEqual([]);
  });
});
