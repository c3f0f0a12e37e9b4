/**
 * Outlier-safe summary of ROI values (the HU of a reference tissue, a rod): the mean of the values
 * within k robust SDs (1.4826 x the median absolute deviation) of the median.
 * @module
 */
import { CalibrationError } from "./fit.js";

/** A robust summary of ROI values. */
export interface RobustStats {
  /** Mean of the values within `k` robust SDs (1.4826 MAD) of the median. */
  mean: number;
  median: number;
  /** Robust SD: 1.4826 * median absolute deviation. */
  sd: number;
  /** Values given / kept. */
  n: number;
  kept: number;
}

/** Below this many values the sort is as quick as the histogram. */
const HISTOGRAM_MIN_VALUES = 4096;
/** Widest integer range (max - min) the histogram route takes. */
const HISTOGRAM_MAX_RANGE = 1 << 17;

/**
 * Outlier-safe mean: the mean of values within `k` robust SDs of the median (k = 3 by default).
 * Integer-valued data (CT numbers) of many values are summarised exactly through a histogram in
 * O(n) (millions of full-resolution ROI voxels in well under a second); other data are sorted.
 * @throws CalibrationError when there are no values.
 * @example
 * ```ts
 * robustMean([40, 41, 39, 3000]).mean; // 40
 * ```
 */
export function robustMean(values: ArrayLike<number>, k = 3): RobustStats {
  const n = values.length;
  if (n === 0) throw new CalibrationError("robust mean of an empty ROI");
  if (n >= HISTOGRAM_MIN_VALUES) {
    const h = integerHistogram(values);
    if (h) return robustFromHistogram(h.counts, h.min, n, k);
  }
  const a = Float64Array.from(values).sort();
  const med = n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  const dev = a.map((x) => Math.abs(x - med)).sort();
  const mad = n % 2 ? dev[(n - 1) / 2] : (dev[n / 2 - 1] + dev[n / 2]) / 2;
  const sd = 1.4826 * mad;
  const lim = sd > 0 ? k * sd : 0.5;
  let s = 0, kept = 0;
  for (let i = 0; i < n; i++) if (Math.abs(a[i] - med) <= lim) (s += a[i]), kept++;
  return { mean: s / kept, median: med, sd, n, kept };
}

/** Counts per integer value from `min`, or null when a value is not an integer or the range is too wide. */
function integerHistogram(values: ArrayLike<number>): { counts: Uint32Array; min: number } | null {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== Math.round(v)) return null;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max - min > HISTOGRAM_MAX_RANGE) return null;
  const counts = new Uint32Array(max - min + 1);
  for (let i = 0; i < values.length; i++) counts[values[i] - min]++;
  return { counts, min };
}

/** The value of rank `r` (0-based) of a histogram (bins of width `w` from `lo`). */
function rankValue(counts: Uint32Array, lo: number, w: number, r: number): number {
  let c = 0;
  for (let b = 0; b < counts.length; b++) {
    c += counts[b];
    if (c > r) return lo + b * w;
  }
  return lo + (counts.length - 1) * w;
}

/** The sorted-order statistics of {@link robustMean}, from a histogram of integers: the same numbers. */
function robustFromHistogram(counts: Uint32Array, min: number, n: number, k: number): RobustStats {
  const mid = (h: Uint32Array, lo: number, w: number) =>
    n % 2 ? rankValue(h, lo, w, (n - 1) / 2) : (rankValue(h, lo, w, n / 2 - 1) + rankValue(h, lo, w, n / 2)) / 2;
  const med = mid(counts, min, 1);
  // |v - med| is a multiple of 1/2 (the median of an even count may fall between integers)
  const dev = new Uint32Array(2 * counts.length + 2);
  for (let b = 0; b < counts.length; b++) if (counts[b]) dev[Math.round(2 * Math.abs(min + b - med))] += counts[b];
  const mad = mid(dev, 0, 0.5);
  const sd = 1.4826 * mad;
  const lim = sd > 0 ? k * sd : 0.5;
  let s = 0, kept = 0;
  for (let b = 0; b < counts.length; b++) {
    const v = min + b;
    if (counts[b] && Math.abs(v - med) <= lim) {
      s += v * counts[b];
      kept += counts[b];
    }
  }
  return { mean: s / kept, median: med, sd, n, kept };
}
