// The world a pull request's e2e tests run in: a local OpenAI-compatible model and a GitHub
// stand-in for the file, a fresh PR number per test, and PR repositories made on demand.
import { afterAll, beforeAll, beforeEach } from "vitest";
import { cleanupAll, makePullRequestRepo, pullRequestEvent } from "../support/git-repo.js";
import { type GitHubServer, startGitHubServer } from "../support/github-server.js";
import { type OpenAIServer, type RespondFn, startOpenAIServer } from "../support/openai-server.js";

export interface PrWorld {
  readonly openai: OpenAIServer;
  readonly github: GitHubServer;
  /** This test's PR number (acme/widgets). */
  readonly prNumber: number;
  /** A repository whose `main` holds `base` and whose checked-out branch adds `head`, and its event. */
  pr(
    head: Record<string, string | null>,
    base: Record<string, string>,
  ): Promise<Awaited<ReturnType<typeof makePullRequestRepo>> & { event: Record<string, unknown> }>;
  /** The step's environment: the local endpoints and `key` as OPENAI_API_KEY. */
  env(key: string, extra?: Record<string, string>): Record<string, string>;
}

export function prWorld(options: {
  respond: RespondFn;
  firstPr: number;
  /** Run before each test, after the PR number moved on (e.g. clear what the servers saw). */
  beforeEach?: (world: PrWorld) => void;
}): PrWorld {
  let openai: OpenAIServer | undefined;
  let github: GitHubServer | undefined;
  let prNumber = options.firstPr;
  const world: PrWorld = {
    get openai() {
      if (!openai) throw new Error("the model server starts in beforeAll");
      return openai;
    },
    get github() {
      if (!github) throw new Error("the GitHub stand-in starts in beforeAll");
      return github;
    },
    get prNumber() {
      return prNumber;
    },
    async pr(head, base) {
      const made = await makePullRequestRepo({ base, head });
      const event = pullRequestEvent({
        baseSha: made.baseSha,
        headSha: made.headSha,
        number: prNumber,
        owner: "acme",
        repo: "widgets",
      });
      return { ...made, event };
    },
    env(key, extra = {}) {
      return {
        OPENAI_BASE_URL: world.openai.url,
        OPENAI_API_KEY: key,
        GITHUB_API_URL: world.github.url,
        ...extra,
      };
    },
  };
  beforeAll(async () => {
    openai = await startOpenAIServer({ respond: options.respond });
    github = await startGitHubServer();
  });
  afterAll(async () => {
    await openai?.close();
    await github?.close();
    cleanupAll();
  });
  beforeEach(() => {
    prNumber++;
    options.beforeEach?.(world);
  });
  return world;
}
