/**
 * Unbiased estimate of pass^k (tau-bench): the chance that k runs drawn without replacement from a
 * case's `runs` all pass, C(passes, k) / C(runs, k). Null when fewer than k runs were made. Computed
 * as a product of ratios, each in [0, 1], so nothing overflows however many runs there are.
 */
export function passHatK(runs: number, passes: number, k: number): number | null {
  if (!Number.isInteger(runs) || runs < 0)
    throw new RangeError(`passHatK: runs must be a non-negative integer, got ${runs}`);
  if (!Number.isInteger(passes) || passes < 0 || passes > runs) {
    throw new RangeError(`passHatK: passes must be an integer in [0, runs], got ${passes}`);
  }
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`passHatK: k must be a positive integer, got ${k}`);
  if (runs < k) return null;
  let estimate = 1;
  for (let i = 0; i < k && estimate > 0; i++) estimate *= (passes - i) / (runs - i);
  return estimate;
}
