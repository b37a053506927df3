import { createRng } from "./rng.js";

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided coverage, e.g. 0.95. */
  level?: number;
  /**
   * The cluster of each difference (any labels): cases that share an origin are resampled together,
   * since resampling them one by one would treat correlated cases as independent and narrow the
   * interval. Each resample's mean is its cases' total over its cases' count.
   */
  clusters?: readonly (string | number)[];
}

/**
 * Percentile bootstrap interval for the mean of per-case paired differences (head minus base),
 * resampling cases with replacement. Resampling cases rather than each side separately keeps the
 * pairing, which is where the precision of a paired comparison comes from. Null for no cases.
 * (The gate's own interval is the exact one of interval.ts; this one serves scores without a lattice.)
 */
export function pairedBootstrapCI(
  diffs: number[],
  options: BootstrapOptions = {},
): { low: number; high: number } | null {
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 1;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`pairedBootstrapCI: resamples must be a positive integer, got ${resamples}`);
  }
  if (!(level > 0 && level < 1))
    throw new RangeError(`pairedBootstrapCI: level must be in (0, 1), got ${level}`);
  for (const d of diffs) {
    if (!Number.isFinite(d)) throw new RangeError(`pairedBootstrapCI: differences must be finite, got ${d}`);
  }
  const n = diffs.length;
  if (n === 0) return null;
  // Summing n copies of x and dividing by n need not give back x in floating point.
  const first = diffs[0] as number;
  if (diffs.every((d) => d === first)) return { low: first, high: first };

  if (options.clusters !== undefined && options.clusters.length !== n) {
    throw new RangeError(`pairedBootstrapCI: ${options.clusters.length} cluster labels for ${n} differences`);
  }
  const { sums, sizes } = clusterTotals(diffs, options.clusters);
  const k = sums.length;
  const rng = createRng(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < k; i++) {
      const pick = Math.floor(rng() * k);
      sum += sums[pick] as number;
      count += sizes[pick] as number;
    }
    means[r] = sum / count;
  }
  means.sort();
  const tail = (1 - level) / 2;
  return { low: quantile(means, tail), high: quantile(means, 1 - tail) };
}

/** Per cluster, the total and the count of its differences; without labels every case is its own. */
function clusterTotals(
  diffs: readonly number[],
  labels: readonly (string | number)[] | undefined,
): { sums: number[]; sizes: number[] } {
  if (!labels) return { sums: [...diffs], sizes: diffs.map(() => 1) };
  const index = new Map<string | number, number>();
  const sums: number[] = [];
  const sizes: number[] = [];
  diffs.forEach((d, i) => {
    const label = labels[i] as string | number;
    let at = index.get(label);
    if (at === undefined) {
      at = sums.length;
      index.set(label, at);
      sums.push(0);
      sizes.push(0);
    }
    sums[at] = (sums[at] as number) + d;
    sizes[at] = (sizes[at] as number) + 1;
  });
  return { sums, sizes };
}

/** Linear interpolation between order statistics (Hyndman & Fan type 7, R's default). */
function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const below = sorted[lo] as number;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return below + (h - lo) * (above - below);
}
