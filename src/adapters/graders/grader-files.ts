// The repository files graders read (a judge's rubric, a script grader's module): where a path
// written in the config points, and a script's real file, which may not lead out of the repository.
import { realpath, stat } from "node:fs/promises";
import { posix, resolve, sep } from "node:path";
import { pathProblem } from "../../core/config/paths.js";
import { UserError } from "../../core/errors.js";

/**
 * A path written relative to the config's folder, as a posix path from the repository root.
 * Refuses absolute paths and any that climb out of the repository.
 */
export function inRepository(configDir: string, path: string, field: string): string {
  const problem = pathProblem(`${configDir || "."}/config`, path);
  if (problem) {
    throw new UserError(problem, {
      field,
      fix: "Give a path inside the repository, relative to the config's folder.",
    });
  }
  return posix.normalize(posix.join(configDir || ".", path.replace(/\\/g, "/")));
}

/** The script's file on disk, which must exist and (symbolic links followed) stay inside the repository. */
export async function scriptFile(repoRoot: string, repoPath: string): Promise<string> {
  const file = resolve(repoRoot, ...repoPath.split("/"));
  let real: string;
  let root: string;
  try {
    [real, root] = await Promise.all([realpath(file), realpath(repoRoot)]);
    if (!(await stat(real)).isFile()) throw new Error("not a file");
  } catch {
    throw new UserError(`the script ${repoPath} does not exist`, {
      field: "script.path",
      fix: "Give the path of a JS module of the repository, relative to the config's folder.",
    });
  }
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new UserError(`the script ${repoPath} links to a file outside the repository`, {
      field: "script.path",
      fix: "Point the grader at a module inside the repository.",
    });
  }
  return real;
}
