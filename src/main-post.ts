// The action's `post:` step, laid out as src/main.ts: `run()` exported, nothing done on import;
// src/post.ts (bundled to dist/post.js) calls it, and so does local-action's `--post`.
import { runPost } from "./action/post-cache.js";

/** Runs the post step: saves the response cache if the main step could not. */
export async function run(): Promise<void> {
  await runPost();
}
