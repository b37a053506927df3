import { readFileSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { pathProblem } from "../../core/config/paths.js";
import { resolvePath } from "../../core/config/target.js";
import type { ReadFile } from "../../core/import/promptfoo-files.js";

/**
 * Reads the files a config names (relative to its folder; `config` is its path from `root`), and
 * only inside `root`: a path that climbs out, an absolute path elsewhere, `.git`, or a symbolic
 * link that leads out is refused with why, before or instead of being read.
 */
export function projectReader(root: string, config: string): ReadFile {
  const realRoot = realpathSync(root);
  const outside = { outside: `it is outside the project folder ${realRoot}` };
  return (path) => {
    let file: string;
    if (isAbsolute(path)) {
      const rel = relative(realRoot, path);
      if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return outside;
      file = rel.split(sep).join("/");
      if (pathProblem(".", file)) return outside;
    } else {
      if (pathProblem(config, path)) return outside;
      file = resolvePath(config, path.replace(/\\/g, "/"));
    }
    let real: string;
    try {
      real = realpathSync(join(realRoot, ...file.split("/")));
    } catch {
      return { missing: true };
    }
    const rel = relative(realRoot, real);
    if (rel.startsWith("..") || isAbsolute(rel) || rel.split(sep).includes(".git")) {
      return { outside: `it is a symbolic link to a file outside the project folder ${realRoot}` };
    }
    try {
      return { text: readFileSync(real, "utf8") };
    } catch {
      return { missing: true };
    }
  };
}
