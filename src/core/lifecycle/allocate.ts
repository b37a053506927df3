// Splitting a whole number of cases between slices (or between hard and easy traces) in proportion
// to weights, within per-part bounds, by the largest remainder method (Hamilton's): every part gets
// the whole part of its exact quota, and the cases left over go one each to the parts with the
// largest fractional remainders. The result never differs from an exact quota by a whole case.

export interface Part {
  key: string;
  weight: number;
  /** At least this many (default 0). */
  min?: number;
  /** At most this many (default unbounded). */
  max?: number;
}

export interface Allocation {
  key: string;
  /** The exact share before rounding, after bounds (what "largest remainder" rounds). */
  quota: number;
  count: number;
}

const TIE = 1e-9;

/**
 * `total` split between the parts. Bounds are met by water-filling: a common rate λ with each
 * part's quota clamp(λ·weight, min, max) summing to the total. `total` is clamped to what the
 * bounds allow. Ties between equal remainders go to the larger weight, then the earlier key.
 */
export function apportion(total: number, parts: readonly Part[]): Allocation[] {
  if (!Number.isInteger(total) || total < 0)
    throw new RangeError(`apportion: total must be a non-negative integer, got ${total}`);
  const lo = parts.map((p) => p.min ?? 0);
  const hi = parts.map((p) => p.max ?? Number.POSITIVE_INFINITY);
  parts.forEach((p, i) => {
    if (!(p.weight >= 0) || !Number.isFinite(p.weight))
      throw new RangeError(`apportion: weight of ${p.key} must be finite and >= 0, got ${p.weight}`);
    if ((lo[i] as number) > (hi[i] as number)) throw new RangeError(`apportion: min > max for ${p.key}`);
  });
  const sumLo = lo.reduce((a, b) => a + b, 0);
  const sumHi = hi.reduce((a, b) => a + b, 0);
  const target = Math.max(sumLo, Math.min(total, sumHi));
  if (parts.length === 0) return [];

  // Parts without weight can still take cases when the others are full: give them a tiny one.
  const weights = parts.map((p) => p.weight);
  const quotaAt = (rate: number) =>
    weights.map((w, i) => Math.min(hi[i] as number, Math.max(lo[i] as number, rate * w)));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  const weightSum = sum(weights);
  let quotas: number[];
  const plain = weightSum > 0 ? weights.map((w) => (target * w) / weightSum) : null;
  if (plain?.every((q, i) => q >= (lo[i] as number) && q <= (hi[i] as number))) {
    // The textbook case, computed directly so the quotas are exactly total·w/W.
    quotas = plain;
  } else if (weightSum > 0 && sum(quotaAt(Number.MAX_VALUE)) >= target) {
    let low = 0;
    let high = 1;
    while (sum(quotaAt(high)) < target) high *= 2;
    for (let iter = 0; iter < 200; iter++) {
      const mid = (low + high) / 2;
      if (sum(quotaAt(mid)) < target) low = mid;
      else high = mid;
    }
    quotas = quotaAt(high);
  } else {
    // No weight can absorb the rest (all weights zero, or the weighted parts are full): fill the
    // others equally, as if they all weighed the same.
    const fixed = weights.map((w, i) => (w > 0 ? (hi[i] as number) : (lo[i] as number)));
    const free = weights.map((w) => (w > 0 ? 0 : 1));
    const rest = target - sum(fixed);
    let low = 0;
    let high = 1;
    const at = (rate: number) =>
      fixed.map((f, i) => (free[i] ? Math.min(hi[i] as number, Math.max(lo[i] as number, rate)) : f));
    if (rest > 0) {
      while (sum(at(high)) < target) high *= 2;
      for (let iter = 0; iter < 200; iter++) {
        const mid = (low + high) / 2;
        if (sum(at(mid)) < target) low = mid;
        else high = mid;
      }
    }
    quotas = rest > 0 ? at(high) : fixed;
  }

  const counts = quotas.map((q, i) =>
    Math.max(lo[i] as number, Math.min(hi[i] as number, Math.floor(q + TIE))),
  );
  let left = target - sum(counts);
  const order = parts
    .map((p, i) => ({ i, rem: (quotas[i] as number) - (counts[i] as number), w: p.weight, key: p.key }))
    .sort((a, b) =>
      Math.abs(a.rem - b.rem) > TIE
        ? b.rem - a.rem
        : b.w - a.w || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i),
    );
  // One pass hands out what rounding down left; a second covers float residue at the bounds.
  for (let pass = 0; pass < 2 && left > 0; pass++) {
    for (const { i } of order) {
      if (left === 0) break;
      if ((counts[i] as number) < (hi[i] as number)) {
        counts[i] = (counts[i] as number) + 1;
        left--;
      }
    }
  }
  return parts.map((p, i) => ({ key: p.key, quota: quotas[i] as number, count: counts[i] as number }));
}
