/**
 * Real temporary git repositories for tests and benchmarks (runs the `git` binary).
 *
 * Every repo gets a local identity, `commit.gpgsign=false` and a `main` default branch; commit
 * dates are fixed and increase by one minute per commit, so SHAs are deterministic for the same
 * sequence of calls. Temp dirs live under os.tmpdir() with the prefix `eval-gate-test-`.
 * No vitest imports: usable from plain node scripts.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

export const TEMP_PREFIX = "eval-gate-test-";

export interface Repo {
  /** Absolute path of the working tree. */
  dir: string;
  /** Writes (string) or deletes (null) files, stages everything and commits; returns the new HEAD sha. */
  commit(files: Record<string, string | null>, message?: string): string;
  /** Runs `git <args>` in the repo; returns stdout with the trailing newline trimmed. */
  git(...args: string[]): string;
  /** The current HEAD sha. */
  head(): string;
  /** Removes the repo and any clones made from it with `shallowClone`. */
  cleanup(): void;
}

export interface PullRequestRepo {
  /** The repo, checked out on the head branch. */
  repo: Repo;
  baseSha: string;
  headSha: string;
  baseRef: string;
  headRef: string;
}

const EPOCH = Date.UTC(2024, 0, 1, 12, 0, 0) / 1000;
const GIT_LOCATION_VARS = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
];

const liveDirs = new Set<string>();

/**
 * process.env without variables that would redirect git to another repository (as set inside
 * git hooks), plus `GIT_TERMINAL_PROMPT=0` and no system config. Also handy for spawning the action.
 */
export function cleanGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const v of GIT_LOCATION_VARS) delete env[v];
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_CONFIG_NOSYSTEM = "1";
  return { ...env, ...extra };
}

/** Runs git in `cwd` and returns stdout (trailing newline trimmed); throws with stderr on failure. */
export function runGit(cwd: string, args: string[], env: Record<string, string> = {}): string {
  try {
    return execFileSync("git", args, {
      cwd,
      env: cleanGitEnv(env),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    }).replace(/\n$/, "");
  } catch (err) {
    const e = err as { stderr?: string | Buffer; message?: string };
    const stderr = e.stderr ? String(e.stderr).trim() : "";
    throw new Error(`git ${args.join(" ")} failed in ${cwd}: ${stderr || e.message}`);
  }
}

/** A fresh temp dir `<tmpdir>/eval-gate-test-<label>-XXXXXX`, removed by `cleanupAll()`. */
export function makeTempDir(label = "tmp"): string {
  const dir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${label}-`));
  liveDirs.add(dir);
  return dir;
}

/** Removes a dir made by these helpers (ignores missing). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

/** Removes every temp dir these helpers created in this process and has not yet removed. */
export function cleanupAll(): void {
  for (const d of [...liveDirs]) removeDir(d);
}

/** Appends local config directly to `.git/config` (one file write instead of a git spawn per key). */
function appendConfig(dir: string, extra = ""): void {
  const gitDir = resolve(dir, runGit(dir, ["rev-parse", "--git-dir"]));
  appendFileSync(
    join(gitDir, "config"),
    "[user]\n\tname = eval-gate test\n\temail = eval-gate-test@example.com\n" +
      "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n[core]\n\tautocrlf = false\n" +
      extra,
  );
}

function writeFiles(dir: string, files: Record<string, string | null>): void {
  const root = resolve(dir);
  for (const [rel, content] of Object.entries(files)) {
    const abs = resolve(root, rel);
    if (abs !== root && !abs.startsWith(root + sep)) throw new Error(`path escapes the repo: ${rel}`);
    if (content === null) {
      rmSync(abs, { recursive: true, force: true });
    } else {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, content);
    }
  }
}

const clonesOf = new Map<string, Set<string>>();

function repoAt(dir: string, commitCount: number): Repo {
  let n = commitCount;
  const git = (...args: string[]) => runGit(dir, args);
  return {
    dir,
    git,
    head: () => git("rev-parse", "HEAD"),
    commit(files, message = "update") {
      writeFiles(dir, files);
      git("add", "-A");
      const date = `${EPOCH + n * 60} +0000`;
      n++;
      runGit(dir, ["commit", "--allow-empty", "--no-verify", "-q", "-m", message], {
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
      });
      return git("rev-parse", "HEAD");
    },
    cleanup() {
      for (const c of clonesOf.get(dir) ?? []) removeDir(c);
      clonesOf.delete(dir);
      removeDir(dir);
    },
  };
}

function makeRepoSync(files: Record<string, string>, message = "initial commit"): Repo {
  const dir = makeTempDir("repo");
  runGit(dir, ["init", "-q", "-b", "main"]);
  // Identity, no signing, and let shallow clones fetch any commit by SHA (`git fetch --depth=1 origin <sha>`).
  appendConfig(
    dir,
    "[init]\n\tdefaultBranch = main\n" +
      "[uploadpack]\n\tallowReachableSHA1InWant = true\n\tallowAnySHA1InWant = true\n\tallowFilter = true\n",
  );
  const repo = repoAt(dir, 0);
  repo.commit(files, message);
  return repo;
}

/** A new repo on `main` with `files` committed (one commit). */
export async function makeRepo(files: Record<string, string> = {}, message?: string): Promise<Repo> {
  return makeRepoSync(files, message);
}

/**
 * A repo where `main` holds `base` and branch `headRef` (default "feature", checked out) adds
 * `head` on top (null deletes a file). The working tree is the head.
 */
export async function makePullRequestRepo(spec: {
  base: Record<string, string>;
  head: Record<string, string | null>;
  headRef?: string;
  message?: string;
}): Promise<PullRequestRepo> {
  const repo = makeRepoSync(spec.base, "base commit");
  const baseSha = repo.head();
  const headRef = spec.headRef ?? "feature";
  repo.git("checkout", "-q", "-b", headRef);
  const headSha = repo.commit(spec.head, spec.message ?? "head commit");
  return { repo, baseSha, headSha, baseRef: "main", headRef };
}

/**
 * Clones `repo` (its checked-out branch) through a `file://` URL with `--depth`, so older commits
 * (e.g. a PR's base) are missing until `git fetch --depth=1 origin <sha>`. Returns the clone's dir
 * (removed by the source repo's `cleanup()` or `cleanupAll()`). The clone gets the same identity.
 */
export function shallowClone(repo: Repo | string, depth = 1): string {
  const src = typeof repo === "string" ? repo : repo.dir;
  const dir = makeTempDir("clone");
  runGit(dir, ["clone", "-q", `--depth=${depth}`, "--no-tags", pathToFileURL(src).href, "."]);
  appendConfig(dir);
  let set = clonesOf.get(src);
  if (!set) {
    set = new Set();
    clonesOf.set(src, set);
  }
  set.add(dir);
  return dir;
}

/** True when `sha` names a commit object present in the repo at `dir`. */
export function hasCommit(dir: string, sha: string): boolean {
  try {
    runGit(dir, ["cat-file", "-e", `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Writes a GitHub event payload as `<dir>/event.json` (dir created if needed); returns its path. */
export function writeEvent(dir: string, payload: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "event.json");
  writeFileSync(path, `${JSON.stringify(payload, null, 2)}\n`);
  return path;
}

export interface PullRequestEventSpec {
  owner?: string;
  repo?: string;
  number?: number;
  baseSha: string;
  headSha: string;
  baseRef?: string;
  headRef?: string;
  labels?: string[];
  action?: string;
  title?: string;
  sender?: string;
}

/** A realistic `pull_request` event payload (the fields eval-gate reads, and a few more). */
export function pullRequestEvent(spec: PullRequestEventSpec): Record<string, unknown> {
  const owner = spec.owner ?? "acme";
  const name = spec.repo ?? "widgets";
  const number = spec.number ?? 7;
  const fullName = `${owner}/${name}`;
  const repository = {
    id: 123456,
    name,
    full_name: fullName,
    private: false,
    owner: { login: owner, type: "Organization" },
    html_url: `https://github.example/${fullName}`,
    default_branch: spec.baseRef ?? "main",
  };
  return {
    action: spec.action ?? "synchronize",
    number,
    pull_request: {
      number,
      title: spec.title ?? `Pull request #${number}`,
      state: "open",
      html_url: `https://github.example/${fullName}/pull/${number}`,
      labels: (spec.labels ?? []).map((l, i) => ({ id: i + 1, name: l })),
      user: { login: spec.sender ?? "octocat", type: "User" },
      base: { sha: spec.baseSha, ref: spec.baseRef ?? "main", repo: repository },
      head: { sha: spec.headSha, ref: spec.headRef ?? "feature", repo: repository },
    },
    repository,
    sender: { login: spec.sender ?? "octocat", type: "User" },
  };
}
