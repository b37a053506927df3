// The statistics live in ./stats/; this file keeps `core/stats.js` importable as one module.
export * from "./stats/index.js";
