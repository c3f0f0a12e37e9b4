/** Ranks with ties averaged (mid-ranks), the basis of Spearman's rho and the Mann-Whitney AUC. @module */

/**
 * 1-based ranks of `values`, tied values receiving the average of the ranks they span (mid-ranks).
 * Values are not checked here; callers validate them.
 *
 * @example
 * ```ts
 * midRanks([10, 20, 20, 5]); // [2, 3.5, 3.5, 1]
 * ```
 */
export function midRanks(values: readonly number[]): number[] {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}
