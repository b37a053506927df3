import { mkdir, readFile, realpath } from "node:fs/promises";
import { isAbsolute, join, posix, relative, sep } from "node:path";
import { promisify } from "node:util";
import { repositoryPath } from "../../core/config/paths.js";
import { OutsideRepositoryError, UserError } from "../../core/errors.js";
import type { FileSource } from "../../core/ports.js";
import { lazyChildProcess } from "../process/builtin.js";
import { GitObjects } from "./git-objects.js";

/** Runs git in `cwd`; returns stdout, or throws with git's own message. */
export async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(lazyChildProcess().execFile)("git", args, {
    cwd,
    maxBuffer: 256 * 1024 * 1024,
    encoding: "utf8",
  });
  return stdout;
}

/** Files of the working tree, relative to the repository root `root`; none outside it, links included. */
export function workspaceSource(root: string): FileSource {
  let realRoot: Promise<string> | undefined;
  return {
    label: "workspace",
    async read(path) {
      const parts = repositoryPath(path);
      let real: string;
      try {
        real = await realpath(join(root, ...parts));
      } catch (e) {
        if (missing(e)) return null;
        throw e;
      }
      realRoot ??= realpath(root);
      const top = await realRoot;
      if (!isInside(top, real) || relative(top, real).split(sep).includes(".git")) {
        throw new OutsideRepositoryError(path, "is a symbolic link to a file outside the repository");
      }
      try {
        return await readFile(real, "utf8");
      } catch (e) {
        if (missing(e)) return null;
        throw e;
      }
    },
  };
}

function missing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR";
}

const MAX_LINKS = 8;

/** One `git cat-file --batch` per repository, shared by every revision read from it. */
const batches = new Map<string, GitObjects>();

/**
 * Files as they are at a commit, read from git's objects (paths relative to the repository root).
 * A symbolic link is followed inside the commit's tree, never onto the machine's files.
 */
function objectsOf(root: string): GitObjects {
  let objects = batches.get(root);
  if (!objects) {
    objects = new GitObjects(root);
    batches.set(root, objects);
  }
  return objects;
}

export function revisionSource(root: string, sha: string): FileSource {
  const git = objectsOf(root);
  return {
    label: `git:${sha.slice(0, 7)}`,
    async read(path) {
      let parts = repositoryPath(path);
      for (let hops = 0; hops <= MAX_LINKS; hops++) {
        const entry = await treeEntry(git, sha, parts);
        if (!entry || !isBlobMode(entry.mode)) return null;
        const blob = await git.get(entry.oid);
        if (blob?.type !== "blob") return null;
        const text = blob.data.toString("utf8");
        if (entry.mode !== "120000") return text;
        const target = posix.normalize(posix.join(posix.dirname(parts.join("/")), text));
        if (text.startsWith("/") || target === ".." || target.startsWith("../")) {
          throw new OutsideRepositoryError(path, "is a symbolic link to a file outside the repository");
        }
        parts = repositoryPath(target);
      }
      throw new OutsideRepositoryError(path, `is a chain of more than ${MAX_LINKS} symbolic links`);
    },
  };
}

/** A file (100644, 100755, or an old 100664) or a symbolic link; not a folder (40000) or a submodule. */
function isBlobMode(mode: string): boolean {
  return mode === "120000" || mode.startsWith("100");
}

/**
 * The tree entry at `parts` in commit `sha`, read from its folder's tree: each folder on the way
 * must be a folder of the tree (a link to a folder is not followed there, as `git ls-tree` did not).
 */
async function treeEntry(git: GitObjects, sha: string, parts: string[]) {
  const folder = parts.slice(0, -1).join("/");
  const entries = await git.tree(folder === "" ? `${sha}^{tree}` : `${sha}:${folder}`);
  const name = parts[parts.length - 1];
  return entries?.find((e) => e.name === name) ?? null;
}

/**
 * Resolves `ref` to a commit, fetching it from `origin` when a shallow checkout lacks it
 * (actions/checkout fetches one commit by default, so a PR's base is usually missing).
 */
export async function resolveCommit(root: string, ref: string): Promise<string> {
  // No ref starts with a dash: such a "ref" would reach `git fetch` as an option (--upload-pack=…).
  if (ref.startsWith("-") || /[\0\n\r]/.test(ref)) {
    throw new UserError(`the base ${JSON.stringify(ref)} is not a git ref or commit`, {
      field: "base-ref",
      fix: "Name a branch, a tag or a commit SHA.",
      cli: { field: "--base", fix: "Name a branch, a tag or a commit SHA, e.g. --base main." },
    });
  }
  // Asked of the batch process that then reads the commit's files: one git process, not two.
  const local = await tryBatch(root, ref);
  if (local) return local;
  try {
    await git(root, ["fetch", "--no-tags", "--depth=1", "origin", ref]);
  } catch (e) {
    throw new UserError(`the base ${ref} is not in this checkout and could not be fetched`, {
      field: "base-ref",
      fix: "Check the ref, or use actions/checkout with fetch-depth: 0.",
      cli: {
        field: "--base",
        fix: `Check the name (\`git branch -a\` lists branches), or fetch it first: run \`git fetch origin ${ref}\`, or pass --base origin/${ref}.`,
      },
      cause: e,
    });
  }
  const fetched = (await tryRevParse(root, ref)) ?? (await tryRevParse(root, "FETCH_HEAD"));
  if (!fetched)
    throw new UserError(`could not resolve ${ref} after fetching it`, {
      field: "base-ref",
      cli: { field: "--base" },
    });
  return fetched;
}

/** The commit `ref` names, as `git rev-parse --verify` finds it, from the repository's batch process. */
async function tryBatch(root: string, ref: string): Promise<string | null> {
  try {
    const object = await objectsOf(root).get(`${ref}^{commit}`);
    return object?.type === "commit" ? object.oid : null;
  } catch {
    // No batch process (git missing, a broken repository): rev-parse says why, or finds it.
    return tryRevParse(root, ref);
  }
}

/** After a fetch, from a new process: one started before it may not see the fetched refs. */
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

/**
 * The files under `dir` that git tracks in the checkout at `root`, as absolute paths; none when
 * `dir` is outside the checkout or `root` is no repository. A committed cache file is the PR's
 * own answer, so callers never read these.
 */
export async function trackedFilesUnder(root: string, dir: string): Promise<Set<string>> {
  const rel = relative(root, dir);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return new Set();
  try {
    // Paths come relative to the working directory, so they join onto `root` as the caller wrote it.
    const out = await git(root, ["ls-files", "-z", "--", rel === "" ? "." : rel]);
    return new Set(
      out
        .split("\0")
        .filter(Boolean)
        .map((f) => join(root, f)),
    );
  } catch {
    return new Set();
  }
}

/** True when `path` is `root` or inside it (lexically; both absolute). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The files of commit `sha` in a new folder (git archive, untarred), for script graders of the
 * base's definition: they run the base's code, never the PR's. The caller removes the folder.
 */
export async function snapshotCommit(root: string, sha: string, into: string): Promise<string> {
  await mkdir(into, { recursive: true });
  await new Promise<void>((done, fail) => {
    const { spawn } = lazyChildProcess();
    const archive = spawn("git", ["archive", "--format=tar", sha], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const untar = spawn("tar", ["-x", "-f", "-", "-C", into], { stdio: ["pipe", "ignore", "pipe"] });
    archive.stdout.pipe(untar.stdin);
    let errors = "";
    archive.stderr.on("data", (d) => {
      errors += d;
    });
    untar.stderr.on("data", (d) => {
      errors += d;
    });
    let left = 2;
    const exited = (code: number | null) => {
      if (code !== 0)
        fail(
          new Error(
            `could not check out ${sha.slice(0, 7)} for the graders: ${errors.trim() || `exit ${code}`}`,
          ),
        );
      else if (--left === 0) done();
    };
    archive.on("error", fail);
    untar.on("error", fail);
    archive.on("close", exited);
    untar.on("close", exited);
  });
  return into;
}
