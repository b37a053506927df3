import type { Dirent } from "node:fs";
import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../core/errors.js";

/**
 * The paths to grant a script read access to, so that it can read the files under `root` and
 * nothing else: `root` itself when nothing under it has to be hidden, else the entries of each
 * folder one by one, leaving out what must stay hidden:
 *
 * - every `.git` entry, at any depth: `actions/checkout` keeps the workflow's token in
 *   `.git/config`, and a nested checkout has its own;
 * - every symbolic link: Node's permission model checks the path a script names, and the system
 *   then follows the links in it, so a committed link to `/` (or a link to a folder followed by
 *   `..`) would open every file of the machine, `/proc/<pid>/environ` of eval-gate included.
 *
 * Folders are granted whole where they hold nothing hidden, so a clean tree costs one grant.
 * The root is taken with its links resolved, as the permission model compares real paths.
 */
export async function readableGrants(root: string, maxGrants = 10_000): Promise<string[]> {
  const real = await realpath(root);
  const grants: string[] = [];
  const clean = await visit(real, grants, maxGrants);
  return clean ? [real] : grants;
}

/** Adds the grants of `dir`'s entries to `grants`; true when `dir` hides nothing (granted whole by its parent). */
async function visit(dir: string, grants: string[], maxGrants: number): Promise<boolean> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false; // a folder eval-gate cannot list is not granted either
  }
  const mine: string[] = [];
  let clean = true;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.name === ".git" || entry.isSymbolicLink()) {
      clean = false;
    } else if (entry.isDirectory()) {
      // A folder that is not clean has put the grants of its own entries in `grants` already.
      if (await visit(path, grants, maxGrants)) mine.push(path);
      else clean = false;
    } else {
      mine.push(path);
    }
  }
  if (clean) return true;
  grants.push(...mine);
  if (grants.length > maxGrants) {
    throw new UserError(
      `script graders cannot be given ${dir.slice(0, 200)}: it has more than ${maxGrants} entries beside symbolic links or .git folders`,
      {
        field: "script.path",
        fix: "Run eval-gate in a checkout with fewer symbolic links (for example without node_modules installed by pnpm), or use another grader.",
      },
    );
  }
  return false;
}
