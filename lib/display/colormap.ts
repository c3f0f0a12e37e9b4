/**
 * Colour maps for field overlays and 3D views, the same in PNG slices and in plotly figures.
 * `viridis` uses the nine evenly spaced colours of matplotlib's viridis (van der Walt & Smith,
 * CC0); `coolwarm` is Moreland's diverging map (blue 59,76,192 - grey 221,221,221 - red 180,4,38;
 * Moreland 2009, "Diverging Color Maps for Scientific Visualization"); `hot` is black-red-yellow-white.
 *
 * @example
 * ```ts
 * import { colormapRgb } from "bct/lib/display/colormap";
 * colormapRgb("viridis", 0); // [68, 1, 84]
 * ```
 * @module
 */
import { DisplayError } from "./errors.js";

/** An RGB colour, 0..255 each. */
export type Rgb = [number, number, number];

const ANCHORS = {
  viridis: [
    [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
    [31, 158, 137], [53, 183, 121], [110, 206, 88], [253, 231, 37],
  ],
  coolwarm: [[59, 76, 192], [221, 221, 221], [180, 4, 38]],
  hot: [[0, 0, 0], [230, 0, 0], [255, 210, 0], [255, 255, 255]],
  grey: [[0, 0, 0], [255, 255, 255]],
} as const satisfies Record<string, readonly (readonly [number, number, number])[]>;

/** A colour map name. */
export type ColormapName = keyof typeof ANCHORS;

function anchors(name: ColormapName): readonly (readonly [number, number, number])[] {
  const a = ANCHORS[name];
  if (!a) throw new DisplayError(`unknown colour map "${String(name)}"; use one of ${Object.keys(ANCHORS).join(", ")}`);
  return a;
}

/** The colour at `t` in [0, 1] (clamped; NaN gives the first colour), linear between anchors. */
export function colormapRgb(name: ColormapName, t: number): Rgb {
  const a = anchors(name);
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t)) * (a.length - 1);
  const i = Math.min(a.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(a[i][c] + (a[i + 1][c] - a[i][c]) * f)) as Rgb;
}

/** The same map as a plotly colorscale (`[[0, "rgb(...)"], ..., [1, "rgb(...)"]]`). */
export function plotlyColorscale(name: ColormapName): [number, string][] {
  const a = anchors(name);
  return a.map((c, i) => [i / (a.length - 1), `rgb(${c[0]},${c[1]},${c[2]})`]);
}

/** A CSS linear-gradient of the map, left (0) to right (1), for colour bars in HTML. */
export function cssGradient(name: ColormapName): string {
  const a = anchors(name);
  return `linear-gradient(to right, ${a.map((c, i) => `rgb(${c[0]},${c[1]},${c[2]}) ${((100 * i) / (a.length - 1)).toFixed(1)}%`).join(", ")})`;
}
