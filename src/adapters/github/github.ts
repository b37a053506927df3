import { getOctokit } from "@actions/github";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import type { PullHead } from "../../core/report/post-target.js";
import type { CommentStore, StoredComment } from "../../core/report/sticky.js";

export interface RepoRef {
  owner: string;
  repo: string;
}

/** A PR's state and head now, to check a report's claim to it; null when there is no such PR. */
export async function pullRequestHead(
  token: string,
  repo: RepoRef,
  pr: number,
  options: { baseUrl?: string } = {},
): Promise<PullHead | null> {
  try {
    const { data } = await client(token, options).rest.pulls.get({ ...repo, pull_number: pr });
    return {
      state: data.state,
      sha: data.head.sha,
      ref: data.head.ref,
      repo: data.head.repo?.full_name ?? null,
    };
  } catch (e) {
    if ((e as { status?: unknown }).status === 404) return null;
    throw e;
  }
}

/** Octokit with 5xx and rate limits retried by its plugins, a couple of times. */
function client(token: string, options: { baseUrl?: string }) {
  return getOctokit(
    token,
    {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      retry: { retries: 2 },
      throttle: {
        onRateLimit: (_after: number, _opts: unknown, _o: unknown, retryCount: number) => retryCount < 2,
        onSecondaryRateLimit: (_after: number, _opts: unknown, _o: unknown, retryCount: number) =>
          retryCount < 2,
      },
    },
    retry,
    throttling,
  );
}

/** The sticky comment's REST and GraphQL calls. */
export function githubCommentStore(
  token: string,
  repo: RepoRef,
  options: { baseUrl?: string } = {},
): CommentStore {
  const octokit = client(token, options);
  const toStored = (c: {
    id: number;
    body?: string | null;
    user?: { login: string } | null;
    html_url: string;
  }) =>
    ({ id: c.id, body: c.body ?? "", login: c.user?.login ?? "", url: c.html_url }) satisfies StoredComment;
  return {
    async viewerLogin() {
      const result = await octokit.graphql<{ viewer: { login: string } }>("query { viewer { login } }");
      return result.viewer.login;
    },
    async listComments(issue) {
      const all = await octokit.paginate(octokit.rest.issues.listComments, {
        ...repo,
        issue_number: issue,
        per_page: 100,
      });
      return all.map(toStored);
    },
    async createComment(issue, body) {
      const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: issue, body });
      return toStored(data);
    },
    async deleteComment(id) {
      await octokit.rest.issues.deleteComment({ ...repo, comment_id: id });
    },
    async updateComment(id, body) {
      const { data } = await octokit.rest.issues.updateComment({ ...repo, comment_id: id, body });
      return toStored(data);
    },
  };
}
