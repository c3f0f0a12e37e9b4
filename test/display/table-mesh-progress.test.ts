import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { isTableLike, recordsBundle, tableBundle } from "../../lib/display/table.js";
import { meshFigure } from "../../lib/display/mesh.js";
import { progressBundle, progressText } from "../../lib/display/progress.js";
import { isMimeBundle, jsonForScript } from "../../lib/display/mime.js";
import { colormapRgb, cssGradient, plotlyColorscale } from "../../lib/display/colormap.js";
import { DisplayError } from "../../lib/display/errors.js";

describe("tables", () => {
  it("shows an arquero table as HTML with a row limit", () => {
    const t = aq.table({ site: ["neck", "troch", "shaft"], bmd: [0.81, 0.72, 1.1] });
    expect(isTableLike(t)).toBe(true);
    const b = tableBundle(t, { limit: 2 });
    const html = b.data["text/html"] as string;
    expect(html).toContain("<table");
    expect(html).toContain("troch");
    expect(html).not.toContain("shaft");
    expect(html).toContain("2 of 3 rows shown");
    expect(b.data["text/plain"]).toContain("|site|bmd|");
  });
  it("shows records, escaping HTML and rounding numbers", () => {
    const b = recordsBundle([{ a: 1 / 3, b: "<x>" }, { c: [1, 2] }], { digits: 3, caption: "cap" });
    expect(b.data["text/html"]).toContain("<td>0.333</td><td>&lt;x&gt;</td><td></td>");
    expect(b.data["text/html"]).toContain("<td>[1, 2]</td>");
    expect(b.data["text/plain"]).toBe("cap\na\tb\tc\n0.333\t<x>\t\n\t\t[1, 2]");
  });
});

describe("meshFigure", () => {
  const tet = { vertices: [0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10], triangles: new Uint32Array([0, 1, 2, 0, 1, 3, 0, 2, 3, 1, 2, 3]) };
  it("builds a mesh3d trace with a per-vertex or per-triangle field", () => {
    const f = meshFigure({ ...tet, field: [0, 1, 2, 3], fieldLabel: "SED" });
    const t = f.data[0] as Record<string, unknown>;
    expect(t.type).toBe("mesh3d");
    expect(t.x).toEqual([0, 10, 0, 0]);
    expect(t.k).toEqual([2, 3, 3, 3]);
    expect(t.intensitymode).toBe("vertex");
    expect((t.colorscale as unknown[])[0]).toEqual([0, "rgb(68,1,84)"]);
    expect((meshFigure({ ...tet, field: [1, 2, 3, NaN] }).data[0] as Record<string, unknown>).intensity).toEqual([1, 2, 3, null]);
    expect((meshFigure({ ...tet, field: new Float64Array(4).fill(1), colormap: "hot" }).data[0] as Record<string, unknown>).intensitymode).toBe("vertex");
    const cells = meshFigure({ vertices: tet.vertices, triangles: [0, 1, 2], field: [7] }).data[0] as Record<string, unknown>;
    expect(cells.intensitymode).toBe("cell");
    expect((f.layout!.scene as Record<string, unknown>).aspectmode).toBe("data");
  });
  it("rejects bad arrays", () => {
    expect(() => meshFigure({ vertices: [0, 0], triangles: [0, 1, 2] })).toThrow(DisplayError);
    expect(() => meshFigure({ ...tet, triangles: [0, 1, 4] })).toThrow(/vertex 4/);
    expect(() => meshFigure({ ...tet, field: [1, 2] })).toThrow(/one per vertex \(4\) or per triangle \(4\)/);
  });
});

describe("progress, mime, colour maps", () => {
  it("formats progress", () => {
    expect(progressText({ label: "CG", done: 40, total: 100, elapsedMs: 3200, note: "r 1e-6" })).toBe("CG: 40/100 (40%) 3.2 s, r 1e-6");
    expect(progressText({ label: "x", done: 7, elapsedMs: 0, status: "finished" })).toBe("x: 7 0.0 s done");
    expect(progressBundle({ label: "CG", done: 1, total: 4, elapsedMs: 0 }).data["text/html"]).toContain("width:25.0%");
  });
  it("recognises bundles and escapes script JSON", () => {
    expect(isMimeBundle({ data: { "text/plain": "x", "image/png": "" }, metadata: {} })).toBe(true);
    expect(isMimeBundle({ data: { plain: "x" } })).toBe(false);
    expect(jsonForScript({ s: "</script>&" })).toBe('{"s":"\\u003c/script\\u003e\\u0026"}');
  });
  it("interpolates colour maps", () => {
    expect(colormapRgb("viridis", 1)).toEqual([253, 231, 37]);
    expect(colormapRgb("coolwarm", 0.5)).toEqual([221, 221, 221]);
    expect(colormapRgb("grey", 0.5)).toEqual([128, 128, 128]);
    expect(plotlyColorscale("hot")).toHaveLength(4);
    expect(cssGradient("grey")).toBe("linear-gradient(to right, rgb(0,0,0) 0.0%, rgb(255,255,255) 100.0%)");
  });
});
