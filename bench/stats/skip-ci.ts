// Stands in for src/core/stats/bootstrap.ts when bench/stats/ts-run.mjs gets --skip-ci: the
// bootstrap interval is most of the time compareSlices takes and decides no status (statusOf reads
// the p-values, the delta and the floor), so a simulation of verdicts can leave it out. A run
// without the flag gives the same verdicts, only slower.
export type BootstrapOptions = { resamples?: number; seed?: number; level?: number };

export function pairedBootstrapCI(_diffs: number[], _options?: BootstrapOptions): null {
  return null;
}
