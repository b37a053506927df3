export { binomialUpperTail, mcnemarOneSided } from "./binomial.js";
export { type BootstrapOptions, pairedBootstrapCI } from "./bootstrap.js";
export { holm } from "./holm.js";
export { passHatK } from "./passk.js";
export { createRng, createUint32Rng, seedFromString } from "./rng.js";
export {
  type SignFlipMethod,
  type SignFlipOptions,
  type SignFlipResult,
  signFlipOneSided,
  signFlipTest,
} from "./signflip.js";
