import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { UserError } from "../core/errors.js";
import type { FileSource } from "../core/ports.js";

const run = promisify(execFile);

/** Runs git in `cwd`; returns stdout, or throws with git's own message. */
export async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" });
  return stdout;
}

async function gitOk(cwd: string, args: string[]): Promise<boolean> {
  try {
    await git(cwd, args);
    return true;
  } catch {
    return false;
  }
}

/** Files of the working tree, relative to the repository root `root`. */
export function workspaceSource(root: string): FileSource {
  return {
    label: "workspace",
    async read(path) {
      try {
        return await readFile(join(root, path), "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "EISDIR")
          return null;
        throw e;
      }
    },
  };
}

/** Files as they are at a commit, read with `git show` (paths relative to the repository root). */
export function revisionSource(root: string, sha: string): FileSource {
  return {
    label: `git:${sha.slice(0, 7)}`,
    async read(path) {
      // `cat-file -e` first: `git show` of a missing path and of a broken repo both exit 128.
      if (!(await gitOk(root, ["cat-file", "-e", `${sha}:${path}`]))) return null;
      return git(root, ["show", `${sha}:${path}`]);
    },
  };
}

/**
 * Resolves `ref` to a commit, fetching it from `origin` when a shallow checkout lacks it
 * (actions/checkout fetches one commit by default, so a PR's base is usually missing).
 */
export async function resolveCommit(root: string, ref: string): Promise<string> {
  const local = await tryRevParse(root, ref);
  if (local) return local;
  try {
    await git(root, ["fetch", "--no-tags", "--depth=1", "origin", ref]);
  } catch (e) {
    throw new UserError(`the base ${ref} is not in this checkout and could not be fetched`, {
      field: "base-ref",
      fix: "Check the ref, or use actions/checkout with fetch-depth: 0.",
      cause: e,
    });
  }
  const fetched = (await tryRevParse(root, ref)) ?? (await tryRevParse(root, "FETCH_HEAD"));
  if (!fetched) throw new UserError(`could not resolve ${ref} after fetching it`, { field: "base-ref" });
  return fetched;
}

async function tryRevParse(root: string, ref: string): Promise<string | null> {
  try {
    return (await git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim() || null;
  } catch {
    return null;
  }
}

/** The repository root containing `dir`, or null outside a git checkout. */
export async function repositoryRoot(dir: string): Promise<string | null> {
  try {
    return (await git(dir, ["rev-parse", "--show-toplevel"])).trim();
  } catch {
    return null;
  }
}

export async function headSha(root: string): Promise<string> {
  return (await tryRevParse(root, "HEAD")) ?? "";
}
