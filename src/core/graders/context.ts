import { UserError } from "../errors.js";
import { plainPatterns } from "./patterns.js";
import type { GraderContext } from "./types.js";

const unavailable = (what: string) => () => {
  throw new UserError(`${what} is not available in this run`, {
    fix: "Run through the action or `eval-gate run`, which connect model-backed graders to the endpoint.",
  });
};

/** For runs wired without model access (unit tests): model-backed graders say so instead of guessing. */
export const noGraderContext: GraderContext = {
  embed: unavailable("embeddings (similarity grader)"),
  complete: unavailable("a judge model (judge grader)"),
  readFile: async () => null,
  runScript: unavailable("running scripts (script grader)"),
  patterns: plainPatterns,
  defaults: { embeddingModel: "text-embedding-3-small", judgeModel: null },
};
