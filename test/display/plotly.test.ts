import { describe, expect, it } from "vitest";
import { describeFigure, isPlotlyFigure, plotlyBundle, plotlyLibraryHtml, PLOTLY_MIME } from "../../lib/display/plotly.js";
import { DisplayError } from "../../lib/display/errors.js";

describe("plotlyBundle", () => {
  const fig = { data: [{ type: "scatter", x: new Float32Array([1, 2, NaN]), y: [3, 4, 5], name: "a</script><b>" }], layout: { title: { text: "F-d" } } };

  it("has plotly JSON (typed arrays as arrays, NaN as null), an HTML fallback and text", () => {
    const b = plotlyBundle(fig);
    expect(Object.keys(b.data).sort()).toEqual([PLOTLY_MIME, "text/html", "text/plain"].sort());
    const json = b.data[PLOTLY_MIME] as { data: { x: unknown }[]; layout: unknown };
    expect(json.data[0].x).toEqual([1, 2, null]);
    expect(json.layout).toEqual({ title: { text: "F-d" } });
    expect(b.data["text/plain"]).toBe('Plotly figure "F-d": 1 trace(s) (scatter)');
  });

  it("HTML draws with window.Plotly and cannot be closed early by data", () => {
    const html = plotlyBundle(fig).data["text/html"] as string;
    expect(html).toContain("window.Plotly.newPlot");
    expect(html.match(/<\/script>/g)).toHaveLength(1); // the trace name's "</script>" is escaped
    expect(html).toContain("\\u003c/script\\u003e");
    expect(html).not.toContain("plotly.js 4"); // no library unless asked
    expect(html.length).toBeLessThan(3000);
  });

  it("embeds plotly.js once when asked, inline (no CDN)", () => {
    const html = plotlyBundle(fig, { includeLibrary: true }).data["text/html"] as string;
    expect(html.length).toBeGreaterThan(1_000_000);
    expect(html).toContain("window.Plotly = Plotly");
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(plotlyLibraryHtml().match(/<\/script/gi)).toHaveLength(1);
  });

  it("recognises figures and rejects non-figures", () => {
    expect(isPlotlyFigure({ data: [] })).toBe(true);
    expect(isPlotlyFigure({ data: [1] })).toBe(false);
    expect(() => plotlyBundle({ data: "x" } as never)).toThrow(DisplayError);
    expect(describeFigure({ data: [{ type: "mesh3d" }, {}] })).toBe("Plotly figure: 2 trace(s) (mesh3d, scatter)");
  });
});
