// The gate's settings as the statistics read them (`gate:` in eval-gate.yml, resolved).

export interface GateOptions {
  mode: "statistical" | "strict";
  alpha: number;
  floor: number | null;
  min_slice_n: number;
  repeats: number;
  /** The smallest drop worth a review (`gate.review_drop`, default 0.01). */
  review_drop?: number;
  /** Tarone's rule on the Holm family (default on); off only to measure what it recovers. */
  tarone?: boolean;
}

export const DEFAULT_REVIEW_DROP = 0.01;
