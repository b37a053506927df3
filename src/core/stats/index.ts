export { binomialUpperTail, logBinomialPmf, mcnemarOneSided } from "./binomial.js";
export { binomialAtLeast, binomialAtMost } from "./binomial-tail.js";
export { type BootstrapOptions, pairedBootstrapCI } from "./bootstrap.js";
export { holm } from "./holm.js";
export { type DiffUnits, differenceInterval, type IntervalMethod, type IntervalOptions } from "./interval.js";
export { normalCdf, normalQuantile } from "./normal.js";
export { passHatK } from "./passk.js";
export { createRng, createUint32Rng, seedFromString } from "./rng.js";
export {
  type SignFlipMethod,
  type SignFlipOptions,
  type SignFlipResult,
  signFlipOneSided,
  signFlipTest,
} from "./signflip.js";
export { type FamilyResult, type FamilyTest, taroneHolm } from "./tarone.js";
