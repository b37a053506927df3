import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  cleanupAll,
  hasCommit,
  makePullRequestRepo,
  makeRepo,
  pullRequestEvent,
  runGit,
  shallowClone,
  TEMP_PREFIX,
  writeEvent,
} from "../support/git-repo.js";
import { type GitHubServer, startGitHubServer } from "../support/github-server.js";
import { hashedBagOfWords, type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { seededRng } from "../support/prng.js";

describe("seeded PRNG", () => {
  it("is reproducible and in [0, 1)", () => {
    const a = seededRng(42);
    const b = seededRng(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(seededRng(43)()).not.toBe(seededRng(42)());
  });
});

describe("OpenAI-compatible server", () => {
  let server: OpenAIServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startOpenAIServer({
      respond: (req) => {
        const last = req.messages.at(-1);
        const text = typeof last?.content === "string" ? last.content : "";
        if (text === "use a tool") return { tool_calls: [{ name: "lookup", arguments: { q: "x" } }] };
        if (text === "sample") return `sample ${req.sampleIndexHint}`;
        return `echo: ${text}`;
      },
    });
    client = new OpenAI({ baseURL: server.url, apiKey: "test", maxRetries: 0 });
  });
  afterEach(() => server.reset());
  afterAll(() => server.close());

  it("serves chat completions in the real wire format", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const r = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hello there" },
      ],
    });
    expect(r.object).toBe("chat.completion");
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.model).toBe("gpt-4o-mini");
    expect(r.choices[0]?.message).toMatchObject({ role: "assistant", content: "echo: hello there" });
    expect(r.choices[0]?.finish_reason).toBe("stop");
    expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0));

    const log = server.stats().requests;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      authorization: "Bearer test",
    });
    expect((log[0]?.body as { model?: string } | undefined)?.model).toBe("gpt-4o-mini");
    server.clearRequests();
    expect(server.requests()).toHaveLength(0);
  });

  it("returns tool calls, n choices with sample hints, and the echo default", async () => {
    const t = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "use a tool" }],
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
    });
    expect(t.choices[0]?.finish_reason).toBe("tool_calls");
    const call = t.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("lookup");
    expect(JSON.parse(call.function.arguments)).toEqual({ q: "x" });

    const s = await client.chat.completions.create({
      model: "m",
      n: 2,
      messages: [{ role: "user", content: "sample" }],
    });
    expect(s.choices.map((c) => c.message.content)).toEqual(["sample 0", "sample 1"]);
    const s2 = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "sample" }],
    });
    expect(s2.choices[0]?.message.content).toBe("sample 2");

    const plain = await startOpenAIServer();
    try {
      const c = new OpenAI({ baseURL: plain.url, apiKey: "test", maxRetries: 0 });
      const r = await c.chat.completions.create({
        model: "m",
        messages: [
          { role: "user", content: [{ type: "text", text: "first" }] },
          { role: "assistant", content: "ok" },
          { role: "user", content: "second" },
        ],
      });
      expect(r.choices[0]?.message.content).toBe("second");
    } finally {
      await plain.close();
    }
  });

  it("serves embeddings (base64 default and float) and models", async () => {
    const r = await client.embeddings.create({
      model: "text-embedding-3-small",
      input: ["red apple", "green apple"],
    });
    expect(r.object).toBe("list");
    expect(r.data).toHaveLength(2);
    expect(r.data[1]?.index).toBe(1);
    const v = r.data[0]?.embedding ?? [];
    expect(v).toHaveLength(64);
    const expected = hashedBagOfWords("red apple");
    v.forEach((x, i) => {
      expect(x).toBeCloseTo(expected[i] ?? 0, 5);
    });
    expect((server.requests()[0]?.body as { encoding_format?: string } | undefined)?.encoding_format).toBe(
      "base64",
    );

    const f = await client.embeddings.create({ model: "e", input: "red apple", encoding_format: "float" });
    expect(f.data[0]?.embedding).toEqual(expected);
    expect(Math.hypot(...expected)).toBeCloseTo(1, 10);

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain("gpt-4o-mini");
  });

  it("answers 429 with retry-after headers and 500s, reproducibly", async () => {
    server.setFaults({ rate429: 1, retryAfter: { seconds: 2, ms: 150 } });
    const err = await client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const headers = (err as InstanceType<typeof OpenAI.APIError>).headers;
    expect(headers?.get("retry-after")).toBe("2");
    expect(headers?.get("retry-after-ms")).toBe("150");

    server.setFaults({ rate500: 1 });
    const e500 = await client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
    expect(server.stats().byStatus).toMatchObject({ 429: 1, 500: 1 });

    // Seeded: the same configuration yields the same outcome sequence.
    const run = async () => {
      server.setFaults({ rate500: 0.5, seed: 7 });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${server.url}/models`);
        out.push(res.status);
      }
      return out;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a).toContain(200);
    expect(a).toContain(500);
  });

  it("lets the client retry a 429 using retry-after-ms", async () => {
    server.setFaults({ rate429: 0.5, retryAfter: { ms: 10 }, seed: 3 });
    const retrying = new OpenAI({ baseURL: server.url, apiKey: "test", maxRetries: 10 });
    for (let i = 0; i < 5; i++) {
      const r = await retrying.chat.completions.create({
        model: "m",
        messages: [{ role: "user", content: "ok" }],
      });
      expect(r.choices[0]?.message.content).toBe("echo: ok");
    }
    expect(server.stats().byStatus[200]).toBe(5);
    expect(server.stats().byStatus[429] ?? 0).toBeGreaterThan(0);
  });

  it("drops connections, goes down, and sends malformed bodies", async () => {
    server.setFaults({ rateDrop: 1 });
    const dropped = await client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(server.stats().dropped).toBe(1);

    server.setFaults({ down: true });
    const down = await client.models.list().catch((e: unknown) => e);
    expect((down as { status?: number }).status).toBe(503);
    server.setFaults({ down: "destroy" });
    expect(await client.models.list().catch((e: unknown) => e)).toBeInstanceOf(OpenAI.APIConnectionError);

    server.setFaults({ malformed: true });
    const bad = await client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Error);
    server.setFaults({ malformed: "empty-choices" });
    const empty = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });
    expect(empty.choices).toEqual([]);

    server.setFaults({});
    const ok = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "y" }],
    });
    expect(ok.choices[0]?.message.content).toBe("echo: y");
  });

  it("hangs until the client gives up", async () => {
    server.setFaults({ hang: true });
    const c = new OpenAI({ baseURL: server.url, apiKey: "test", maxRetries: 0, timeout: 150 });
    const started = Date.now();
    const err = await c.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(server.stats().hung).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(server.stats().inFlight).toBe(0);
  });

  it("aims faults at the models named, answering the others", async () => {
    server.setFaults({ rate429: 1, retryAfter: { ms: 50 }, models: ["judge"] });
    const other = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "x" }],
    });
    expect(other.choices[0]?.message.content).toBe("echo: x");
    const judged = await client.chat.completions
      .create({ model: "judge", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(judged).toBeInstanceOf(OpenAI.RateLimitError);
    expect(server.stats().byStatus).toEqual({ 200: 1, 429: 1 });
  });

  it("limits requests per second over a sliding window", async () => {
    server.setFaults({ requestsPerSecond: 5 });
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${server.url}/models`).then((r) => r)),
    );
    const codes = statuses.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(5);
    expect(codes.filter((c) => c === 429)).toHaveLength(3);
    const limited = statuses.find((r) => r.status === 429);
    const ms = Number(limited?.headers.get("retry-after-ms"));
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(1000);
    expect(limited?.headers.get("retry-after")).toBe("1");

    // A retrying client gets through once the window slides.
    const retrying = new OpenAI({ baseURL: server.url, apiKey: "test", maxRetries: 3 });
    const r = await retrying.models.list();
    expect(r.data.length).toBeGreaterThan(0);
  });

  it("tracks max concurrent in-flight requests", async () => {
    server.setFaults({ latencyMs: { min: 80, max: 120 } });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client.chat.completions.create({ model: "m", messages: [{ role: "user", content: `q${i}` }] }),
      ),
    );
    const s = server.stats();
    expect(s.maxInFlight).toBe(6);
    expect(s.inFlight).toBe(0);
    expect(s.total).toBe(6);
    server.reset();
    await client.models.list();
    await client.models.list();
    expect(server.stats().maxInFlight).toBe(1);
  });

  it("close() does not wait for hung sockets", async () => {
    const s = await startOpenAIServer({ faults: { hang: true } });
    const pending = fetch(`${s.url}/models`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 30));
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe("GitHub server", () => {
  let gh: GitHubServer;
  const auth = { authorization: "token ghs_test", "content-type": "application/json" };

  beforeAll(async () => {
    gh = await startGitHubServer({ tokens: { ghs_test: "github-actions[bot]", ghp_alice: "alice" } });
  });
  afterAll(() => gh.close());

  it("paginates comments with Link headers like GitHub", async () => {
    for (let i = 0; i < 250; i++) gh.addComment("acme", "widgets", 1, { body: `c${i}`, login: "someone" });
    const first = await fetch(`${gh.url}/repos/acme/widgets/issues/1/comments?per_page=100`, {
      headers: auth,
    });
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as {
      id: number;
      body: string;
      html_url: string;
      user: { type: string };
    }[];
    expect(page1).toHaveLength(100);
    expect(page1[0]?.body).toBe("c0");
    expect(page1[0]?.html_url).toBe(
      `https://github.example/acme/widgets/pull/1#issuecomment-${page1[0]?.id}`,
    );
    expect(page1[0]?.user.type).toBe("User");
    const link = first.headers.get("link") ?? "";
    expect(link).toContain(
      `<${gh.url}/repos/acme/widgets/issues/1/comments?per_page=100&page=2>; rel="next"`,
    );
    expect(link).toContain(
      `<${gh.url}/repos/acme/widgets/issues/1/comments?per_page=100&page=3>; rel="last"`,
    );

    // Follow rel="next" to the end.
    const bodies: string[] = [];
    let next: string | undefined = `${gh.url}/repos/acme/widgets/issues/1/comments?per_page=100`;
    let pages = 0;
    while (next) {
      const res = await fetch(next, { headers: auth });
      pages++;
      bodies.push(...((await res.json()) as { body: string }[]).map((c) => c.body));
      next = /<([^>]+)>; rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
    }
    expect(pages).toBe(3);
    expect(bodies).toHaveLength(250);
    expect(bodies.at(-1)).toBe("c249");

    const def = await fetch(`${gh.url}/repos/acme/widgets/issues/1/comments`, { headers: auth });
    expect(((await def.json()) as unknown[]).length).toBe(30);
    const capped = await fetch(`${gh.url}/repos/acme/widgets/issues/1/comments?per_page=500&page=3`, {
      headers: auth,
    });
    expect(((await capped.json()) as unknown[]).length).toBe(50);
    expect(capped.headers.get("link")).toContain('rel="prev"');
    expect(capped.headers.get("link")).not.toContain('rel="next"');
  });

  it("creates and updates comments, checking the author", async () => {
    const created = await fetch(`${gh.url}/repos/acme/widgets/issues/2/comments`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ body: "sticky v1" }),
    });
    expect(created.status).toBe(201);
    const c = (await created.json()) as { id: number; user: { login: string; type: string } };
    expect(c.user).toMatchObject({ login: "github-actions[bot]", type: "Bot" });

    const patched = await fetch(`${gh.url}/repos/acme/widgets/issues/comments/${c.id}`, {
      method: "PATCH",
      headers: auth,
      body: JSON.stringify({ body: "sticky v2" }),
    });
    expect(patched.status).toBe(200);
    expect(gh.comments("acme", "widgets", 2).map((x) => x.body)).toEqual(["sticky v2"]);

    const foreign = gh.addComment("acme", "widgets", 2, { body: "human", login: "alice" });
    const denied = await fetch(`${gh.url}/repos/acme/widgets/issues/comments/${foreign.id}`, {
      method: "PATCH",
      headers: auth,
      body: JSON.stringify({ body: "hijack" }),
    });
    expect(denied.status).toBe(403);
    const asAlice = await fetch(`${gh.url}/repos/acme/widgets/issues/comments/${foreign.id}`, {
      method: "PATCH",
      headers: { ...auth, authorization: "Bearer ghp_alice" },
      body: JSON.stringify({ body: "edited by alice" }),
    });
    expect(asAlice.status).toBe(200);
    expect(gh.comments("acme", "widgets", 2).map((x) => x.body)).toEqual(["sticky v2", "edited by alice"]);
    const missing = await fetch(`${gh.url}/repos/acme/widgets/issues/comments/999999`, {
      method: "PATCH",
      headers: auth,
      body: JSON.stringify({ body: "x" }),
    });
    expect(missing.status).toBe(404);
  });

  it("rejects missing or unknown tokens, answers GraphQL viewer and issue/pull reads", async () => {
    expect((await fetch(`${gh.url}/repos/acme/widgets/issues/1`)).status).toBe(401);
    const bad = await fetch(`${gh.url}/repos/acme/widgets/issues/1`, {
      headers: { authorization: "token nope" },
    });
    expect(bad.status).toBe(401);

    const g = await fetch(`${gh.url}/graphql`, {
      method: "POST",
      headers: { ...auth, authorization: "bearer ghs_test" },
      body: JSON.stringify({ query: "query { viewer { login } }" }),
    });
    expect(await g.json()).toEqual({ data: { viewer: { login: "github-actions[bot]" } } });

    gh.setPull("acme", "widgets", 3, { labels: ["eval-gate:skip"], headSha: "a".repeat(40) });
    const issue = (await (
      await fetch(`${gh.url}/repos/acme/widgets/issues/3`, { headers: auth })
    ).json()) as {
      labels: { name: string }[];
    };
    expect(issue.labels.map((l) => l.name)).toEqual(["eval-gate:skip"]);
    const pull = (await (await fetch(`${gh.url}/repos/acme/widgets/pulls/3`, { headers: auth })).json()) as {
      labels: { name: string }[];
      head: { sha: string; repo: unknown };
    };
    expect(pull.labels.map((l) => l.name)).toEqual(["eval-gate:skip"]);
    expect(pull.head.sha).toBe("a".repeat(40));
    expect(pull.head.repo).toEqual({ full_name: "acme/widgets" });
    gh.setPull("acme", "widgets", 4, { headRepo: "mallory/widgets", headRef: "attack", state: "closed" });
    const fork = (await (await fetch(`${gh.url}/repos/acme/widgets/pulls/4`, { headers: auth })).json()) as {
      state: string;
      head: { ref: string; repo: { full_name: string } | null };
    };
    expect([fork.state, fork.head.ref, fork.head.repo?.full_name]).toEqual([
      "closed",
      "attack",
      "mallory/widgets",
    ]);
    gh.setPull("acme", "widgets", 5, { headRepo: null });
    const gone = (await (await fetch(`${gh.url}/repos/acme/widgets/pulls/5`, { headers: auth })).json()) as {
      head: { repo: unknown };
    };
    expect(gone.head.repo).toBeNull();
    expect(gh.requests().some((r) => r.path === "/graphql" && r.login === "github-actions[bot]")).toBe(true);
  });

  it("injects secondary rate limits, 5xx and failing writes", async () => {
    gh.setFaults({ secondaryRateLimitTimes: 1, retryAfter: 2 });
    const limited = await fetch(`${gh.url}/repos/acme/widgets/issues/1`, { headers: auth });
    expect(limited.status).toBe(403);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(((await limited.json()) as { message: string }).message).toMatch(/secondary rate limit/);
    expect((await fetch(`${gh.url}/repos/acme/widgets/issues/1`, { headers: auth })).status).toBe(200);

    gh.setFaults({ failWritesTimes: 2 });
    const post = () =>
      fetch(`${gh.url}/repos/acme/widgets/issues/4/comments`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ body: "x" }),
      }).then((r) => r.status);
    expect(await post()).toBe(500);
    expect((await fetch(`${gh.url}/repos/acme/widgets/issues/4`, { headers: auth })).status).toBe(200);
    expect(await post()).toBe(500);
    expect(await post()).toBe(201);
    expect(gh.comments("acme", "widgets", 4)).toHaveLength(1);

    const run = async () => {
      gh.setFaults({ rate5xx: 0.5, seed: 11 });
      const out: number[] = [];
      for (let i = 0; i < 10; i++) {
        out.push((await fetch(`${gh.url}/repos/acme/widgets/issues/1`, { headers: auth })).status);
      }
      return out;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a).toContain(502);
    expect(a).toContain(200);
    gh.setFaults({});
  });
});

describe("git helpers", () => {
  afterAll(() => cleanupAll());

  it("makes repos, commits and deletes files", async () => {
    const repo = await makeRepo({ "a.txt": "one\n", "dir/b.txt": "two\n" });
    expect(repo.dir).toContain(TEMP_PREFIX);
    expect(repo.git("rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect(repo.git("config", "commit.gpgsign")).toBe("false");
    const first = repo.head();
    const second = repo.commit({ "a.txt": null, "c.txt": "three\n" }, "second");
    expect(second).not.toBe(first);
    expect(repo.git("ls-files").split("\n").sort()).toEqual(["c.txt", "dir/b.txt"]);
    expect(repo.git("log", "--format=%s")).toBe("second\ninitial commit");
    repo.cleanup();
    expect(existsSync(repo.dir)).toBe(false);
  });

  it("builds a PR repo and a shallow clone that lacks the base until fetched", async () => {
    const { repo, baseSha, headSha } = await makePullRequestRepo({
      base: { "evals/set.jsonl": '{"id":1}\n', "prompt.txt": "v1" },
      head: { "prompt.txt": "v2" },
    });
    expect(repo.head()).toBe(headSha);
    expect(repo.git("rev-parse", "HEAD~1")).toBe(baseSha);
    expect(repo.git("rev-parse", "main")).toBe(baseSha);

    const clone = shallowClone(repo);
    expect(runGit(clone, ["rev-parse", "HEAD"])).toBe(headSha);
    expect(readFileSync(join(clone, "prompt.txt"), "utf8")).toBe("v2");
    expect(runGit(clone, ["rev-parse", "--is-shallow-repository"])).toBe("true");
    expect(hasCommit(clone, baseSha)).toBe(false);

    runGit(clone, ["fetch", "-q", "--depth=1", "origin", baseSha]);
    expect(hasCommit(clone, baseSha)).toBe(true);
    expect(runGit(clone, ["show", `${baseSha}:prompt.txt`])).toBe("v1");

    const eventPath = writeEvent(
      clone,
      pullRequestEvent({
        baseSha,
        headSha,
        labels: ["eval-gate:full"],
        owner: "acme",
        repo: "widgets",
        number: 9,
      }),
    );
    const event = JSON.parse(readFileSync(eventPath, "utf8"));
    expect(event.pull_request).toMatchObject({
      number: 9,
      base: { sha: baseSha, ref: "main" },
      head: { sha: headSha },
      labels: [{ name: "eval-gate:full" }],
    });
    expect(event.repository).toMatchObject({
      full_name: "acme/widgets",
      name: "widgets",
      owner: { login: "acme" },
    });

    repo.cleanup();
    expect(existsSync(clone)).toBe(false);
  });
});
