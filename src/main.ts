// The action's main step, as GitHub's typescript-action template lays it out: this file exports
// `run()` and does nothing on import; src/index.ts (bundled to dist/index.js) calls it.
// `npx @github/local-action run . src/main.ts .env` calls it too (see the README's Development).
import { run as runAction } from "./action/main.js";
import { boundBacktracking } from "./adapters/patterns/regexp-flags.js";
import { boundHeapGrowth } from "./adapters/process/heap-flags.js";

/** Runs the main step: reads the INPUT_ variables, evaluates, reports, sets the outputs. */
export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  boundBacktracking();
  boundHeapGrowth();
  await runAction(env);
}
