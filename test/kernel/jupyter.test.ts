/**
 * The bct kernel under real Jupyter (`jupyter nbconvert --execute`), from a folder outside the
 * package, so `bct/...` imports go through the kernel's resolution hooks.
 * Needs the build (npm test builds) and Debian's jupyter-nbconvert, python3-nbclient, python3-ipykernel.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cellText, executeNotebook, findJupyter, privateKernelEnv, type NotebookJson } from "../../kernel/nbconvert.js";
import { bctPackage } from "../../lib/package-root.js";
import { writeNotebook } from "./notebook-fixture.js";

const jupyter = findJupyter();
if (!jupyter) {
  console.warn("SKIPPED: kernel execution tests need Jupyter (apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel)");
}

describe.skipIf(!jupyter)("bct kernel in Jupyter", () => {
  const tmp = mkdtempSync(join(tmpdir(), "bct-kernel-exec-"));
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    const launcher = join(bctPackage().root, "dist", "kernel", "launch.js");
    if (!existsSync(launcher)) throw new Error(`${launcher} is missing: run npm run build (npm test does)`);
    env = privateKernelEnv(join(tmp, "jupyter"));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const outputsOf = (nb: NotebookJson, cell: number) => nb.cells[cell].outputs ?? [];
  /** nbformat may store text as a list of lines. */
  const text = (x: unknown) => (Array.isArray(x) ? x.join("") : String(x));

  it("imports the built library, prints a computed value, and shows rich outputs", () => {
    const file = join(tmp, "ok.ipynb");
    writeNotebook(file, [
      'import { createVolume, indexToWorld } from "bct/lib/volume/index";\n' +
        "const v = createVolume({ dims: [8, 8, 4], spacing: [0.5, 0.5, 2], origin: [10, 20, 30], direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1] });\n" +
        "console.log(JSON.stringify(indexToWorld(v, [2, 4, 3])));\nconst site = \"neck\";",
      "console.log(JSON.stringify({ site, dims: v.dims }));", // shorthand of an earlier cell's variable (tslab bug worked around)
      'import { sliceBundle } from "bct/lib/display/index";\nsliceBundle(v, { plane: "axial", window: "bone" })',
      'import { plot, progress } from "bct/kernel/display";\nplot({ data: [{ type: "scatter", y: [1, 3, 2] }] });\nplot({ data: [{ type: "bar", y: [2, 1] }] });',
      'const p = progress({ label: "solve", total: 20, intervalMs: 0 });\n' +
        "for (let i = 1; i <= 20; i++) { p.update(i); await new Promise((r) => setTimeout(r, 2)); }\np.finish();",
    ]);
    const r = executeNotebook(file, { jupyter: jupyter!, env, outDir: join(tmp, "out"), allowErrors: false });
    expect(r.log).not.toMatch(/Traceback/);
    expect(r.status).toBe(0);
    const nb = r.notebook!;
    expect(r.errors).toEqual([]);
    expect(cellText(nb, 0)).toBe("[9,18,36]\n"); // [10 - 2*0.5, 20 - 4*0.5, 30 + 3*2]
    expect(cellText(nb, 1)).toBe('{"site":"neck","dims":[8,8,4]}\n');
    nb.cells.splice(1, 1); // the remaining checks keep their cell numbers
    // a bundle as the last expression is shown as an image, not printed as an object
    expect(outputsOf(nb, 1).map((o) => o.output_type)).toEqual(["display_data"]);
    expect(Object.keys(outputsOf(nb, 1)[0].data!)).toContain("image/png");
    // two figures: plotly JSON + HTML; plotly.js inline in the first only
    const figs = outputsOf(nb, 2);
    expect(figs).toHaveLength(2);
    expect(text(figs[0].data!["text/html"]).length).toBeGreaterThan(1_000_000);
    expect(text(figs[1].data!["text/html"]).length).toBeLessThan(5000);
    expect(figs[1].data!["application/vnd.plotly.v1+json"]).toEqual({ data: [{ type: "bar", y: [2, 1] }], layout: {}, config: {} });
    // 21 updates, one output, in its final state
    const prog = outputsOf(nb, 3);
    expect(prog).toHaveLength(1);
    expect(text(prog[0].data!["text/plain"])).toMatch(/^solve: 20\/20 \(100%\) .* done$/);
    // the HTML export draws both figures from one inline plotly.js
    const html = readFileSync(r.html!, "utf8");
    expect(html.split("window.Plotly = Plotly").length - 1).toBe(1);
    expect(html.match(/window\.Plotly\.newPlot/g)).toHaveLength(2);
    expect(html).toContain("data:image/png;base64,");
  });

  it("survives failed cells: readable errors, state kept, the next cell runs", () => {
    const file = join(tmp, "errors.ipynb");
    writeNotebook(file, [
      'const kept = 41;\nconsole.log("one");',
      'import { nope } from "bct/lib/does-not-exist";\nnope;',
      'console.log("three");',
      '// @ts-ignore\nimport { missing } from "./missing-file";\nconsole.log(missing);',
      'throw new RangeError("density out of range");',
      "console.log(kept + 1);",
    ]);
    const r = executeNotebook(file, { jupyter: jupyter!, env, outDir: join(tmp, "out"), allowErrors: true, html: false });
    expect(r.status).toBe(0);
    const nb = r.notebook!;
    expect(cellText(nb, 0)).toBe("one\n");
    const e1 = outputsOf(nb, 1)[0];
    expect(e1.output_type).toBe("error");
    expect(e1.ename).toBe("TypeScriptError");
    expect(e1.traceback!.join("\n")).toContain("line 1, column 22: Cannot find module 'bct/lib/does-not-exist'");
    expect(cellText(nb, 2)).toBe("three\n");
    const e3 = outputsOf(nb, 3)[0];
    expect(e3.ename).toBe("Error");
    expect(e3.traceback![0]).toBe("Error: Cannot find module './missing-file'");
    expect(e3.traceback!.join("\n")).not.toMatch(/node:internal|tslab/);
    const e4 = outputsOf(nb, 4)[0];
    expect([e4.ename, e4.evalue]).toEqual(["RangeError", "density out of range"]);
    expect(cellText(nb, 5)).toBe("42\n");
    expect(r.errors.map((e) => e.cell)).toEqual([1, 3, 4]);
  });

  it("without --allow-errors, nbconvert stops at the failing cell with its error", () => {
    const file = join(tmp, "stop.ipynb");
    writeNotebook(file, ['console.log("a")', 'throw new RangeError("stop here")', 'console.log("never")']);
    const r = executeNotebook(file, { jupyter: jupyter!, env, outDir: join(tmp, "out"), allowErrors: false, html: false });
    expect(r.status).not.toBe(0);
    expect(r.log).toContain("RangeError: stop here");
  });
});
