/**
 * A local GitHub REST + GraphQL stand-in for tests and benchmarks (127.0.0.1 only), covering what
 * a sticky PR comment needs: list (paginated, with `Link` headers), create, update (author-checked)
 * and delete issue comments; read an issue / pull request with its labels, state and head (commit,
 * branch, repository); `viewer { login }`.
 *
 * Paths are also accepted under the GHES prefixes (`/api/v3/...`, `/api/graphql`). Owner and repo
 * are matched case-insensitively, like GitHub. Issues exist implicitly (no labels) unless seeded
 * with `setPull`. No vitest imports: usable from plain node scripts.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { hash32, type Rng, readBody, seededRng, tryParseJson } from "./prng.js";

/** The token used by default: maps to `github-actions[bot]`. */
export const DEFAULT_GITHUB_TOKEN = "ghs_test";
export const DEFAULT_GITHUB_TOKENS: Record<string, string> = {
  [DEFAULT_GITHUB_TOKEN]: "github-actions[bot]",
};

export interface GitHubFaults {
  /** Probability of a 502 (checked after auth, before routing). */
  rate5xx?: number;
  /** 403 "secondary rate limit" with `retry-after`: true = every request, a number = probability. */
  secondaryRateLimit?: boolean | number;
  /** Exactly the next n requests get the secondary rate limit 403 (counts down). */
  secondaryRateLimitTimes?: number;
  /** `retry-after` seconds sent with secondary rate limits (default 1; fractions allowed). */
  retryAfter?: number;
  /** The next n writes (POST/PATCH/PUT/DELETE, GraphQL excluded) fail with `failWritesStatus` (counts down). */
  failWritesTimes?: number;
  /** Status for `failWritesTimes` failures (default 500). */
  failWritesStatus?: number;
  /** Seed for the fault PRNG; defaults to the server's `seed` option. */
  seed?: number;
}

export interface GitHubServerOptions {
  /** 0 (default) picks a random free port. */
  port?: number;
  /** Token -> login. Default `{ ghs_test: "github-actions[bot]" }`. Logins ending in `[bot]` are type "Bot". */
  tokens?: Record<string, string>;
  faults?: GitHubFaults;
  /** Seed for fault injection (default 1). */
  seed?: number;
  /** First comment id handed out (default 1000). */
  firstCommentId?: number;
}

export interface GitHubUser {
  login: string;
  id: number;
  node_id: string;
  type: "User" | "Bot";
  site_admin: boolean;
}

export interface GitHubComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: GitHubUser;
  created_at: string;
  updated_at: string;
  author_association: string;
  performed_via_github_app: null;
}

export interface GitHubPullSeed {
  labels?: string[];
  title?: string;
  state?: "open" | "closed";
  headSha?: string;
  headRef?: string;
  /** `owner/name` of the head branch's repository (default: the PR's own); null: a deleted fork. */
  headRepo?: string | null;
  baseSha?: string;
  baseRef?: string;
  /** Author login (default "octocat"). */
  author?: string;
}

export interface GitHubRecordedRequest {
  method: string;
  /** Path without the query string and without a GHES `/api/v3` prefix. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
  /** The identity the token resolved to, if any. */
  login: string | undefined;
  status?: number;
  at: number;
}

export interface GitHubServer {
  /** e.g. `http://127.0.0.1:54321` — use as GITHUB_API_URL. */
  url: string;
  port: number;
  /** Seeds a comment (as if posted by `login`, default "octocat"); returns it. */
  addComment(
    owner: string,
    repo: string,
    number: number,
    comment: { body: string; login?: string; created_at?: string; updated_at?: string },
  ): GitHubComment;
  /** The comments on an issue/PR, oldest first (copies). */
  comments(owner: string, repo: string, number: number): GitHubComment[];
  /** Seeds labels and other fields of an issue / pull request. */
  setPull(owner: string, repo: string, number: number, seed: GitHubPullSeed): void;
  /** A copy of the request log. */
  requests(): GitHubRecordedRequest[];
  clearRequests(): void;
  /** Replaces the whole fault configuration (`setFaults({})` clears all) and reseeds the PRNG. */
  setFaults(faults: GitHubFaults): void;
  /** Stops listening and destroys every open socket. */
  close(): Promise<void>;
}

interface StoredComment {
  id: number;
  owner: string;
  repo: string;
  number: number;
  body: string;
  login: string;
  created_at: string;
  updated_at: string;
}

const DOCS = "https://docs.github.com/rest";
const SECONDARY_MESSAGE =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ";

function isoSeconds(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function issueKey(owner: string, repo: string, number: number): string {
  return `${owner.toLowerCase()}/${repo.toLowerCase()}#${number}`;
}

function userObject(login: string): GitHubUser {
  const id = hash32(login) % 100_000_000;
  return {
    login,
    id,
    node_id: `U_${Buffer.from(`user:${id}`).toString("base64url")}`,
    type: login.endsWith("[bot]") ? "Bot" : "User",
    site_admin: false,
  };
}

function labelObjects(labels: string[]) {
  return labels.map((name) => ({
    id: hash32(name),
    node_id: `LA_${Buffer.from(`label:${name}`).toString("base64url")}`,
    name,
    color: "ededed",
    default: false,
    description: null,
  }));
}

/** Starts the stand-in on 127.0.0.1. Works outside vitest (benchmarks, demos). */
export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const tokens = options.tokens ?? DEFAULT_GITHUB_TOKENS;
  const baseSeed = options.seed ?? 1;
  let faults: GitHubFaults = { ...(options.faults ?? {}) };
  let rng: Rng = seededRng(faults.seed ?? baseSeed);
  let nextCommentId = options.firstCommentId ?? 1000;
  const comments = new Map<number, StoredComment>();
  const pulls = new Map<string, GitHubPullSeed>();
  let log: GitHubRecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let base = "";

  function toJson(c: StoredComment): GitHubComment {
    return {
      id: c.id,
      node_id: `IC_${Buffer.from(`comment:${c.id}`).toString("base64url")}`,
      url: `${base}/repos/${c.owner}/${c.repo}/issues/comments/${c.id}`,
      html_url: `https://github.example/${c.owner}/${c.repo}/pull/${c.number}#issuecomment-${c.id}`,
      issue_url: `${base}/repos/${c.owner}/${c.repo}/issues/${c.number}`,
      body: c.body,
      user: userObject(c.login),
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: c.login.endsWith("[bot]") ? "NONE" : "MEMBER",
      performed_via_github_app: null,
    };
  }

  function listFor(owner: string, repo: string, number: number): StoredComment[] {
    const key = issueKey(owner, repo, number);
    return [...comments.values()]
      .filter((c) => issueKey(c.owner, c.repo, c.number) === key)
      .sort((a, b) => a.id - b.id);
  }

  function addComment(
    owner: string,
    repo: string,
    number: number,
    c: { body: string; login?: string; created_at?: string; updated_at?: string },
  ): GitHubComment {
    const now = isoSeconds();
    const stored: StoredComment = {
      id: nextCommentId++,
      owner,
      repo,
      number,
      body: c.body,
      login: c.login ?? "octocat",
      created_at: c.created_at ?? now,
      updated_at: c.updated_at ?? c.created_at ?? now,
    };
    comments.set(stored.id, stored);
    return toJson(stored);
  }

  function send(
    res: ServerResponse,
    rec: GitHubRecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.destroyed || res.writableEnded) return;
    rec.status = status;
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "x-github-request-id": randomUUID().toUpperCase().slice(0, 23),
      "x-github-media-type": "github.v3; format=json",
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-used": "1",
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-ratelimit-resource": "core",
      ...headers,
    });
    res.end(text);
  }

  const notFound = { message: "Not Found", documentation_url: DOCS, status: "404" };

  function issueJson(owner: string, repo: string, number: number) {
    const seed = pulls.get(issueKey(owner, repo, number)) ?? {};
    return {
      id: hash32(issueKey(owner, repo, number)),
      number,
      title: seed.title ?? `Pull request #${number}`,
      state: seed.state ?? "open",
      labels: labelObjects(seed.labels ?? []),
      user: userObject(seed.author ?? "octocat"),
      comments: listFor(owner, repo, number).length,
      url: `${base}/repos/${owner}/${repo}/issues/${number}`,
      html_url: `https://github.example/${owner}/${repo}/pull/${number}`,
      pull_request: {
        url: `${base}/repos/${owner}/${repo}/pulls/${number}`,
        html_url: `https://github.example/${owner}/${repo}/pull/${number}`,
      },
    };
  }

  function pullJson(owner: string, repo: string, number: number) {
    const seed = pulls.get(issueKey(owner, repo, number)) ?? {};
    const full = `${owner}/${repo}`;
    return {
      ...issueJson(owner, repo, number),
      pull_request: undefined,
      head: {
        sha: seed.headSha ?? "0".repeat(40),
        ref: seed.headRef ?? "feature",
        repo: seed.headRepo === null ? null : { full_name: seed.headRepo ?? full },
      },
      base: { sha: seed.baseSha ?? "0".repeat(40), ref: seed.baseRef ?? "main", repo: { full_name: full } },
    };
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    let prefix = "";
    let path = url.pathname.replace(/\/+$/, "") || "/";
    if (path === "/api/graphql") path = "/graphql";
    else if (path.startsWith("/api/v3/")) {
      prefix = "/api/v3";
      path = path.slice(prefix.length);
    }
    const method = (req.method ?? "GET").toUpperCase();
    const auth = req.headers.authorization;
    const tokenMatch = auth ? /^(?:token|bearer)\s+(\S+)$/i.exec(auth.trim()) : null;
    const login = tokenMatch?.[1] !== undefined ? tokens[tokenMatch[1]] : undefined;
    const body = tryParseJson(raw);
    const rec: GitHubRecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      authorization: auth,
      login,
      at: Date.now(),
    };
    log.push(rec);

    if (login === undefined) {
      send(res, rec, 401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
      return;
    }

    // Faults, in a fixed order; one PRNG draw per request keeps sequences reproducible.
    const f = faults;
    const roll = rng();
    const pSecondary =
      f.secondaryRateLimit === true ? 1 : typeof f.secondaryRateLimit === "number" ? f.secondaryRateLimit : 0;
    const p5xx = f.rate5xx ?? 0;
    let secondary = roll < pSecondary;
    if ((f.secondaryRateLimitTimes ?? 0) > 0) {
      f.secondaryRateLimitTimes = (f.secondaryRateLimitTimes ?? 0) - 1;
      secondary = true;
    }
    if (secondary) {
      const id = randomUUID().toUpperCase().slice(0, 23);
      send(
        res,
        rec,
        403,
        {
          message: `${SECONDARY_MESSAGE}${id}.`,
          documentation_url:
            "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        },
        { "retry-after": String(f.retryAfter ?? 1) },
      );
      return;
    }
    if (roll >= pSecondary && roll < pSecondary + p5xx) {
      send(res, rec, 502, { message: "Server Error" });
      return;
    }
    const isWrite = method !== "GET" && method !== "HEAD" && path !== "/graphql";
    if (isWrite && (f.failWritesTimes ?? 0) > 0) {
      f.failWritesTimes = (f.failWritesTimes ?? 0) - 1;
      const status = f.failWritesStatus ?? 500;
      send(res, rec, status, { message: status >= 500 ? "Server Error" : "Write failed (injected)" });
      return;
    }

    if (path === "/graphql" && method === "POST") {
      const q = (body as { query?: unknown } | undefined)?.query;
      if (typeof q !== "string") {
        send(res, rec, 400, { message: "Problems parsing JSON", documentation_url: DOCS });
        return;
      }
      if (/\bviewer\b/.test(q) && /\blogin\b/.test(q)) {
        send(res, rec, 200, { data: { viewer: { login } } });
      } else {
        send(res, rec, 200, {
          data: null,
          errors: [{ message: "This stand-in only answers `query { viewer { login } }`." }],
        });
      }
      return;
    }

    if (path === "/user" && method === "GET") {
      if (login.endsWith("[bot]")) {
        send(res, rec, 403, { message: "Resource not accessible by integration", documentation_url: DOCS });
      } else {
        send(res, rec, 200, userObject(login));
      }
      return;
    }

    let m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (m) {
      const [owner, repo, num] = [
        decodeURIComponent(m[1] ?? ""),
        decodeURIComponent(m[2] ?? ""),
        Number(m[3]),
      ];
      if (method === "GET") {
        const perPageRaw = Number(url.searchParams.get("per_page") ?? 30);
        const perPage = Math.min(100, Math.max(1, Number.isFinite(perPageRaw) ? Math.floor(perPageRaw) : 30));
        const pageRaw = Number(url.searchParams.get("page") ?? 1);
        const page = Math.max(1, Number.isFinite(pageRaw) ? Math.floor(pageRaw) : 1);
        const since = url.searchParams.get("since");
        let all = listFor(owner, repo, num);
        if (since) all = all.filter((c) => c.updated_at >= since);
        const lastPage = Math.max(1, Math.ceil(all.length / perPage));
        const items = all.slice((page - 1) * perPage, page * perPage).map(toJson);
        const headers: Record<string, string> = {};
        if (lastPage > 1) {
          const pageUrl = (p: number) => {
            const q = new URLSearchParams(url.searchParams);
            q.set("per_page", String(perPage));
            q.set("page", String(p));
            return `<${base}${prefix}${path}?${q.toString()}>`;
          };
          const links: string[] = [];
          if (page > 1) links.push(`${pageUrl(page - 1)}; rel="prev"`);
          if (page < lastPage)
            links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(lastPage)}; rel="last"`);
          if (page > 1) links.push(`${pageUrl(1)}; rel="first"`);
          if (links.length > 0) headers.link = links.join(", ");
        }
        send(res, rec, 200, items, headers);
        return;
      }
      if (method === "POST") {
        const text = (body as { body?: unknown } | undefined)?.body;
        if (typeof text !== "string") {
          send(res, rec, 422, {
            message: 'Invalid request.\n\n"body" wasn\'t supplied.',
            documentation_url: DOCS,
          });
          return;
        }
        const created = addComment(owner, repo, num, { body: text, login });
        send(res, rec, 201, created, { location: created.url });
        return;
      }
    }

    m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(path);
    if (m) {
      const [owner, repo, id] = [
        decodeURIComponent(m[1] ?? ""),
        decodeURIComponent(m[2] ?? ""),
        Number(m[3]),
      ];
      const c = comments.get(id);
      if (
        !c ||
        c.owner.toLowerCase() !== owner.toLowerCase() ||
        c.repo.toLowerCase() !== repo.toLowerCase()
      ) {
        send(res, rec, 404, notFound);
        return;
      }
      if (method === "GET") {
        send(res, rec, 200, toJson(c));
        return;
      }
      if (method === "PATCH" || method === "DELETE") {
        if (c.login !== login) {
          send(res, rec, 403, { message: "Resource not accessible by integration", documentation_url: DOCS });
          return;
        }
        if (method === "DELETE") {
          comments.delete(id);
          send(res, rec, 204, undefined);
          return;
        }
        const text = (body as { body?: unknown } | undefined)?.body;
        if (typeof text !== "string") {
          send(res, rec, 422, {
            message: 'Invalid request.\n\n"body" wasn\'t supplied.',
            documentation_url: DOCS,
          });
          return;
        }
        c.body = text;
        c.updated_at = isoSeconds();
        send(res, rec, 200, toJson(c));
        return;
      }
    }

    m = /^\/repos\/([^/]+)\/([^/]+)\/(issues|pulls)\/(\d+)(\/labels)?$/.exec(path);
    if (m && method === "GET") {
      const [owner, repo, kind, num] = [
        decodeURIComponent(m[1] ?? ""),
        decodeURIComponent(m[2] ?? ""),
        m[3],
        Number(m[4]),
      ];
      if (m[5]) {
        if (kind !== "issues") send(res, rec, 404, notFound);
        else send(res, rec, 200, issueJson(owner, repo, num).labels);
        return;
      }
      send(res, rec, 200, kind === "pulls" ? pullJson(owner, repo, num) : issueJson(owner, repo, num));
      return;
    }

    send(res, rec, 404, notFound);
  }

  const server = createServer((req, res) => {
    readBody(req)
      .then((raw) => handle(req, res, raw))
      .catch((err) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
          res.end(JSON.stringify({ message: `test server error: ${String(err)}` }));
        }
      });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    port,
    addComment,
    comments: (owner, repo, number) => listFor(owner, repo, number).map(toJson),
    setPull: (owner, repo, number, seed) => {
      pulls.set(issueKey(owner, repo, number), { ...seed });
    },
    requests: () => log.map((r) => ({ ...r })),
    clearRequests: () => {
      log = [];
    },
    setFaults: (f) => {
      faults = { ...f };
      rng = seededRng(faults.seed ?? baseSeed);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}
