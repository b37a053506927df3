// The eval set's life cycle: from production traces to a set that can see what matters.

export {
  fisherCombined,
  type OverfittingSets,
  overfittingSignal,
  pooledChange,
} from "../gate/overfitting.js";
export { flipRates, type Robustness, robustness } from "../report/robustness.js";
export {
  fitNoise,
  mdeAlpha,
  minimumDetectableDrop,
  type NoiseModel,
  type PowerDesign,
  slicePower,
} from "../stats/power.js";
export { findLeaks, type Leak, type LeakOptions, type PromptText } from "../text/leaks.js";
export { NearDuplicates, normalizeText } from "../text/words.js";
export { type Allocation, apportion, type Part } from "./allocate.js";
export {
  type CheckOptions,
  type CheckResult,
  checkEvalSets,
  type Overlap,
  type SliceCheck,
  setOverlap,
} from "./check.js";
export { isVariant, type PerturbOptions, perturbCases } from "./perturb.js";
export { perturbText, TRANSFORMS, type TransformName } from "./perturb-text.js";
export { type Predicate, parsePredicate, testPredicate } from "./predicate.js";
export { cleanRewrite, type RewriteFn, rejectionCounts, rewriteCases } from "./rewrite.js";
export { type RotateOptions, type RotateResult, rotateSet } from "./rotation.js";
export {
  type ExistingCase,
  type SampleOptions,
  type SampleResult,
  sampleTraces,
  screenTraces,
} from "./sample.js";
export {
  DEFAULT_TRACE_FIELDS,
  parseSeed,
  parseTraces,
  type Trace,
  type TraceFields,
  traceToCase,
} from "./traces.js";
