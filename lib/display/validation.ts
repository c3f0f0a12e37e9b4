/**
 * Plotly figures of the validation statistics: ROC curves, a scatter with its regression line, and
 * the Bland-Altman plot. Each takes the plain result objects of lib/validation.
 *
 * @example
 * ```ts
 * import { roc } from "bct/lib/validation/roc";
 * import { rocFigure } from "bct/lib/display/validation";
 * plot(rocFigure({ strength: roc(strengthN, fractured, { direction: "lower" }) }));
 * ```
 * @module
 */
import type { BlandAltmanResult } from "../validation/bland-altman.js";
import type { RegressionResult } from "../validation/regression.js";
import type { RocResult } from "../validation/roc.js";
import type { PlotlyFigure } from "./plotly.js";

/** ROC curves of several scores for the same outcome, with their AUC and DeLong interval in the legend. */
export function rocFigure(curves: Record<string, RocResult>, title = "ROC curves"): PlotlyFigure {
  const data: Record<string, unknown>[] = Object.entries(curves).map(([name, r]) => ({
    type: "scatter", mode: "lines", line: { shape: "hv" },
    x: r.points.map((p) => p.fpr), y: r.points.map((p) => p.tpr),
    name: `${name}: AUC ${r.auc.estimate.toFixed(2)} (${r.auc.ci[0].toFixed(2)}-${r.auc.ci[1].toFixed(2)})`,
  }));
  data.push({ type: "scatter", mode: "lines", x: [0, 1], y: [0, 1], line: { dash: "dot", color: "grey" }, name: "chance", showlegend: false });
  return {
    data,
    layout: {
      title: { text: title }, xaxis: { title: { text: "1 - specificity" }, range: [0, 1] }, yaxis: { title: { text: "sensitivity" }, range: [0, 1], scaleanchor: "x" },
      width: 560, height: 520, legend: { x: 0.4, y: 0.05 },
    },
  };
}

/** A scatter of y on x with the OLS line and R^2, points optionally coloured by a group label. */
export function scatterFigure(x: readonly number[], y: readonly number[], fit: RegressionResult | undefined, opts: { xTitle: string; yTitle: string; title?: string; groups?: readonly string[] }): PlotlyFigure {
  const groups = opts.groups ?? x.map(() => "subjects");
  const names = [...new Set(groups)];
  const data: Record<string, unknown>[] = names.map((g) => {
    const idx = groups.flatMap((v, i) => (v === g ? [i] : []));
    return { type: "scatter", mode: "markers", x: idx.map((i) => x[i]), y: idx.map((i) => y[i]), name: g };
  });
  if (fit) {
    const lo = Math.min(...x), hi = Math.max(...x);
    const b0 = fit.intercept.estimate, b1 = fit.slope.estimate;
    data.push({ type: "scatter", mode: "lines", x: [lo, hi], y: [b0 + b1 * lo, b0 + b1 * hi], name: `OLS, R² ${fit.r2.toFixed(2)}`, line: { color: "black" } });
  }
  return { data, layout: { title: { text: opts.title ?? `${opts.yTitle} vs ${opts.xTitle}` }, xaxis: { title: { text: opts.xTitle } }, yaxis: { title: { text: opts.yTitle } }, width: 620, height: 440 } };
}

/** The Bland-Altman plot: difference against mean, with the bias and the limits of agreement. */
export function blandAltmanFigure(r: BlandAltmanResult, opts: { unit: string; title?: string }): PlotlyFigure {
  const lo = Math.min(...r.means), hi = Math.max(...r.means);
  const hline = (y: number, name: string, dash: string) => ({ type: "scatter", mode: "lines", x: [lo, hi], y: [y, y], name, line: { dash, color: "black" } });
  return {
    data: [
      { type: "scatter", mode: "markers", x: r.means, y: r.differences, name: "subjects" },
      hline(r.bias.estimate, `bias ${r.bias.estimate.toFixed(3)} ${opts.unit}`, "solid"),
      hline(r.lowerLimit.estimate, `limits of agreement ${r.lowerLimit.estimate.toFixed(3)} to ${r.upperLimit.estimate.toFixed(3)}`, "dash"),
      { ...hline(r.upperLimit.estimate, "upper limit", "dash"), showlegend: false },
    ],
    layout: { title: { text: opts.title ?? "Bland-Altman" }, xaxis: { title: { text: `mean of the two methods (${opts.unit})` } }, yaxis: { title: { text: `difference (${opts.unit})` } }, width: 620, height: 440 },
  };
}
