import { readFile } from "node:fs/promises";

/** What the run needs to know of the triggering event. */
export interface EventInfo {
  name: string;
  /** The PR number, when there is a PR to comment on. */
  pr: number | null;
  /** That PR's head commit (GITHUB_SHA is the merge commit GitHub made of it). */
  prHeadSha: string | null;
  /** The commit to compare against, on PR-like events. */
  baseSha: string | null;
  baseRef: string | null;
  labels: string[];
  /** A PR from another repository: GitHub gives its runs no secrets and a read-only token. */
  fromFork: boolean;
  owner: string;
  repo: string;
}

interface Payload {
  number?: number;
  repository?: { full_name?: string };
  pull_request?: {
    number?: number;
    base?: { sha?: string; ref?: string; repo?: { full_name?: string } };
    head?: { sha?: string; repo?: { full_name?: string; fork?: boolean } | null };
    labels?: { name?: string }[];
  };
  merge_group?: { base_sha?: string; base_ref?: string };
}

const PR_EVENTS = new Set(["pull_request", "pull_request_target"]);

export async function readEvent(env: Record<string, string | undefined>): Promise<EventInfo> {
  const name = env.GITHUB_EVENT_NAME ?? "";
  let payload: Payload = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, "utf8"));
    } catch {
      payload = {};
    }
  }
  const [owner = "", repo = ""] = (env.GITHUB_REPOSITORY ?? payload.repository?.full_name ?? "/").split("/");
  const pr = payload.pull_request;
  if (PR_EVENTS.has(name) && pr) {
    return {
      name,
      pr: Number(pr.number ?? payload.number) || null,
      prHeadSha: pr.head?.sha ?? null,
      baseSha: pr.base?.sha ?? null,
      baseRef: pr.base?.ref ?? null,
      labels: (pr.labels ?? []).map((l) => l.name ?? "").filter(Boolean),
      fromFork: Boolean(pr.head?.repo?.full_name && pr.head.repo.full_name !== `${owner}/${repo}`),
      owner,
      repo,
    };
  }
  if (name === "merge_group" && payload.merge_group) {
    const mg = payload.merge_group;
    return {
      name,
      pr: null,
      prHeadSha: null,
      baseSha: mg.base_sha ?? null,
      baseRef: mg.base_ref ?? null,
      labels: [],
      fromFork: false,
      owner,
      repo,
    };
  }
  return {
    name,
    pr: null,
    prHeadSha: null,
    baseSha: null,
    baseRef: null,
    labels: [],
    fromFork: false,
    owner,
    repo,
  };
}
