/**
 * Holm step-down adjusted p-values over the non-null entries, in input order. Nulls (slices with no
 * test, e.g. no baseline) stay null and do not count towards the family size.
 */
export function holm(pValues: readonly (number | null)[]): (number | null)[] {
  const tested: number[] = [];
  pValues.forEach((p, index) => {
    if (p === null) return;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`holm: p-values must be in [0, 1], got ${p}`);
    tested.push(index);
  });
  const m = tested.length;
  // Ties keep input order so the result never depends on the sort's stability.
  tested.sort((a, b) => (pValues[a] as number) - (pValues[b] as number) || a - b);
  const adjusted: (number | null)[] = pValues.map(() => null);
  // The running maximum is what makes the procedure step-down: a larger raw p-value can never
  // come out less significant-looking than a smaller one.
  let running = 0;
  tested.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (pValues[index] as number)));
    adjusted[index] = running;
  });
  return adjusted;
}
