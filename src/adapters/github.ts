import { getOctokit } from "@actions/github";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import type { CommentStore, StoredComment } from "../core/sticky.js";

export interface RepoRef {
  owner: string;
  repo: string;
}

/** The head commit of a PR, to check that a report's claimed PR is the one that was tested. */
export async function pullRequestHeadSha(
  token: string,
  repo: RepoRef,
  pr: number,
  options: { baseUrl?: string } = {},
): Promise<string> {
  const octokit = getOctokit(token, options.baseUrl ? { baseUrl: options.baseUrl } : {});
  const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: pr });
  return data.head.sha;
}

/** The sticky comment's REST and GraphQL calls, retried on 5xx and rate limits by octokit's plugins. */
export function githubCommentStore(
  token: string,
  repo: RepoRef,
  options: { baseUrl?: string } = {},
): CommentStore {
  const octokit = getOctokit(
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
