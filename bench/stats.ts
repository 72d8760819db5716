/** Small statistics shared by the benchmarks. Pure. */

/** The p-th percentile (nearest rank) of the values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** `a / b` to two decimals, as printed in the results. */
export function ratio(a: number, b: number): string {
  return (a / b).toFixed(2);
}
