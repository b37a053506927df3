// How far V8 lets the old generation grow past what the last full collection left alive. V8
// picks a factor between 1.1 and 4 from how fast the program allocates against how fast it
// collects; a run that keeps a little of every answer while it asks for thousands gets the 4, and
// its heap (and the step's memory) ends up about four times what it holds. A fixed 1.5 keeps a
// 100,000-case run at ~250 MB instead of ~400 MB, for a few more full collections, which mark
// concurrently (the bench's wall time did not move). V8 reads the flag each time it sets the
// limit, so it may be set at start-up; an action cannot pass node flags on the command line.

import { setFlagsFromString } from "node:v8";

/** Old generation growth past the live heap, in percent (V8's `--heap-growing-percent`). */
export const HEAP_GROWING_PERCENT = 50;

let set = false;

/** Idempotent; called first by both entry points. */
export function boundHeapGrowth(): void {
  if (set) return;
  set = true;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
