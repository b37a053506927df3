import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTempDir, shallowClone } from "../support/git-repo.js";
import { runAction } from "./harness.js";
import { ALL_SKILLS, baseFiles, NO_ADDRESS, REWORDED, supportModel } from "./scenario.js";
import { prWorld } from "./world.js";

const world = prWorld({ respond: supportModel, firstPr: 100, beforeEach: (w) => w.github.clearRequests() });
const pr = (head: Record<string, string | null>, base = baseFiles()) => world.pr(head, base);
const env = () => world.env("sk-test-key-123");

describe("the action on pull_request", () => {
  it("fails a PR that breaks one slice, names it, and writes one comment that a rerun updates", async () => {
    const { repo, event } = await pr({ "prompts/support.md": NO_ADDRESS });
    const first = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    expect(first.code).toBe(1);
    expect(first.outputs.verdict).toBe("fail");
    expect(first.outputs["worst-slice"]).toMatch(/\/address_change$/);
    expect(first.outputs["worst-slice-score"]).toBe("0");
    expect(first.stdout).toContain("::error::");
    expect(first.stdout).toContain("anchor/address_change");
    const regressed = first.report?.slices.filter((s: { status: string }) => s.status === "regressed");
    expect(regressed.map((s: { set: string; slice: string }) => `${s.set}/${s.slice}`).sort()).toEqual([
      "anchor/address_change",
      "rotation/address_change",
    ]);
    const comments = world.github.comments("acme", "widgets", world.prNumber);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("<!-- eval-gate:default -->");
    expect(comments[0]?.body).toContain("address_change");
    expect(first.outputs["comment-url"]).toBe(comments[0]?.html_url);
    expect(first.summary).toContain("address_change");
    // The key is handed to the runner's masker and appears in no other line.
    const lines = first.stdout.split("\n").filter((l) => !l.startsWith("::add-mask::"));
    expect(lines.join("\n")).not.toContain("sk-test-key-123");
    expect(first.summary).not.toContain("sk-test-key-123");

    // The same RUNNER_TEMP stands for the Actions cache restoring what the first run saved.
    const second = await runAction({
      workspace: repo.dir,
      eventName: "pull_request",
      event,
      env: env(),
      runnerTemp: first.runnerTemp,
    });
    expect(second.outputs.verdict).toBe("fail");
    const after = world.github.comments("acme", "widgets", world.prNumber);
    expect(after).toHaveLength(1);
    expect(after[0]?.id).toBe(comments[0]?.id);
    expect(world.github.requests().some((r) => r.method === "PATCH")).toBe(true);
    // The second run asked the model nothing new: every response came from the on-disk cache.
    expect(second.report?.usage.requests).toBe(0);
  });

  it("leaves a human's comment that carries the marker alone", async () => {
    const { repo, event } = await pr({ "prompts/support.md": NO_ADDRESS });
    const human = world.github.addComment("acme", "widgets", world.prNumber, {
      body: "quoting the bot: <!-- eval-gate:default --> please look",
      login: "octocat",
    });
    const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    expect(run.outputs.verdict).toBe("fail");
    const comments = world.github.comments("acme", "widgets", world.prNumber);
    expect(comments).toHaveLength(2);
    expect(comments.find((c) => c.id === human.id)?.body).toBe(human.body);
    expect(comments.find((c) => c.id !== human.id)?.user.login).toBe("github-actions[bot]");
  });

  it("passes a wording-only PR", async () => {
    const { repo, event } = await pr({ "prompts/support.md": REWORDED });
    const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe("pass");
    expect(run.report?.slices.every((s: { status: string }) => s.status === "unchanged")).toBe(true);
    expect(world.github.comments("acme", "widgets", world.prNumber)[0]?.body).toMatch(/pass/i);
  });

  it("warns, in the log and the comment, when cases carry their own system message that no prompt change reaches", async () => {
    const base = baseFiles();
    // The anchor's address cases were imported with production's prompt in them.
    base["evals/anchor.jsonl"] = (base["evals/anchor.jsonl"] as string)
      .trim()
      .split("\n")
      .map((line) => {
        const c = JSON.parse(line);
        if (c.slice !== "address_change") return line;
        const { input, ...rest } = c;
        return JSON.stringify({
          ...rest,
          messages: [
            { role: "system", content: ALL_SKILLS },
            { role: "user", content: input },
          ],
        });
      })
      .join("\n");
    const { repo, event } = await pr({ "prompts/support.md": NO_ADDRESS }, base);
    const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    const status = (set: string) =>
      run.report?.slices.find(
        (s: { set: string; slice: string }) => s.set === set && s.slice === "address_change",
      )?.status;
    // The prompt lost the address skill: the rotation set sees it, the shadowed anchor cases cannot.
    expect(status("rotation")).toBe("regressed");
    expect(status("anchor")).toBe("unchanged");
    expect(run.stdout).toMatch(
      /::warning::anchor: 15 of 45 case\(s\) ignore target\.system \(prompts\/support\.md\): they start with their own system message.*\(first at evals\/anchor\.jsonl:16\)/,
    );
    // The comment escapes Markdown: compare without the backslashes.
    const comment = (world.github.comments("acme", "widgets", world.prNumber)[0]?.body ?? "").replace(
      /\\/g,
      "",
    );
    expect(comment).toContain(
      "anchor: 15 of 45 case(s) ignore target.system (prompts/support.md): they start with their own system message",
    );
  });

  it("runs head only and says so on the PR that adds the gate", async () => {
    const files = baseFiles();
    const { repo, event } = await pr(files, { "README.md": "# shop\n" });
    const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe("pass");
    expect(run.report?.base).toBeNull();
    const body = world.github.comments("acme", "widgets", world.prNumber)[0]?.body ?? "";
    expect(body).toMatch(/no baseline/i);
    // Nothing was compared, so nothing is called unchanged.
    expect(run.report?.slices.every((s: { status: string }) => s.status === "no_baseline")).toBe(true);
    expect(body).not.toMatch(/unchanged/);
    expect(run.summary).not.toMatch(/unchanged/);
  });

  it("grades no case that waits for a label, and warns and comments how many, per set", async () => {
    const files = baseFiles();
    const fresh = [1, 2].map((i) =>
      JSON.stringify({
        id: `june-${i}`,
        slice: "refund",
        input: `UNLABELLED ticket ${i} (refund)`,
        expected: null,
        metadata: { needs_label: true },
      }),
    );
    files["evals/rotation.jsonl"] = `${files["evals/rotation.jsonl"]}${fresh.join("\n")}\n`;
    const { repo, event } = await pr({ "prompts/support.md": REWORDED }, files);
    world.openai.clearRequests();
    const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    expect(run.outputs.verdict).toBe("pass");
    expect(JSON.stringify(world.openai.requests().map((r) => r.body))).not.toContain("UNLABELLED");
    expect(run.report?.unlabelled).toEqual([
      { set: "rotation", file: "evals/rotation.jsonl", count: 2, ids: ["june-1", "june-2"] },
    ]);
    const warning = run.stdout.split("\n").find((l) => l.startsWith("::warning ") && l.includes("rotation"));
    expect(warning).toContain("file=evals/rotation.jsonl");
    expect(warning).toContain("title=eval-gate%3A cases not graded (no expected value)");
    expect(warning).toContain("::2 cases in set rotation have no expected value and were not graded");
    const body = world.github.comments("acme", "widgets", world.prNumber)[0]?.body ?? "";
    expect(body).toContain("2 cases in set rotation have no expected value and were not graded");
    expect(run.summary).toContain("june-1, june-2");
  });

  it("fetches the base commit a shallow checkout lacks", async () => {
    const { repo, event } = await pr({ "prompts/support.md": NO_ADDRESS });
    const clone = shallowClone(repo);
    const run = await runAction({ workspace: clone, eventName: "pull_request", event, env: env() });
    expect(run.outputs.verdict).toBe("fail");
    expect(run.report?.base?.sha).toBe(
      event.pull_request && (event.pull_request as { base: { sha: string } }).base.sha,
    );
  });
});

describe("repeats and the concurrency bound", () => {
  it("runs each case k times, reports per-case counts and pass^k, and keeps at most `concurrency` in flight", async () => {
    const { supportModel } = await import("./scenario.js");
    world.openai.reset();
    // Refund answers fail on every third sample of the same request; the rest always pass.
    world.openai.setRespond((req) => {
      const text = supportModel(req);
      return req.sampleIndexHint % 3 === 2 && text.includes("refund") ? "Sorry." : text;
    });
    world.openai.setFaults({ latencyMs: 20 });
    try {
      const files = {
        ...baseFiles(),
        "eval-gate.yml": (baseFiles()["eval-gate.yml"] as string).replace(
          "concurrency: 4",
          "concurrency: 3\nrepeats: 3",
        ),
      };
      const { repo, event } = await pr({ "prompts/support.md": REWORDED }, files);
      const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
      expect(run.outputs.verdict).toBe("pass");
      const refundCase = run.report?.cases.find((c: { id: string }) => c.id === "a-refund-1");
      expect(refundCase.base).toMatchObject({ runs: 3, passes: 2, errors: 0 });
      expect(refundCase.head).toMatchObject({ runs: 3, passes: 2, errors: 0 });
      const refund = run.report?.slices.find(
        (x: { set: string; slice: string }) => x.set === "anchor" && x.slice === "refund",
      );
      expect(refund.pass_k_head).toBe(0);
      expect(refund.head_score).toBeCloseTo(2 / 3);
      const tracking = run.report?.slices.find((x: { slice: string }) => x.slice === "order_status");
      expect(tracking.pass_k_head).toBe(1);
      const stats = world.openai.stats();
      // 75 cases, but rotation's 30 inputs repeat anchor's: identical requests are asked once.
      expect(stats.total).toBe(45 * 3 * 2);
      expect(run.report?.usage.cached).toBe(30 * 3 * 2);
      expect(stats.maxInFlight).toBeLessThanOrEqual(3);
      expect(stats.maxInFlight).toBe(3);
    } finally {
      world.openai.setFaults({});
      world.openai.setRespond(supportModel);
    }
  });
});

describe("faults around the run", () => {
  it("keeps the verdict, outputs and summary when the comment cannot be written", async () => {
    const { repo, event } = await pr({ "prompts/support.md": NO_ADDRESS });
    world.github.setFaults({ failWritesTimes: 100, failWritesStatus: 502 });
    try {
      const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
      expect(run.code).toBe(1);
      expect(run.outputs.verdict).toBe("fail");
      expect(run.outputs["comment-url"]).toBe("");
      expect(run.stdout).toMatch(/::warning::Could not write the PR comment/);
      expect(run.summary).toContain("address_change");
      expect(run.report?.verdict).toBe("fail");
    } finally {
      world.github.setFaults({});
    }
  });

  it("explains a fork PR without a key, and fails the check unless the workflow opts into skipping", async () => {
    const { repo, event } = await pr({ "prompts/support.md": REWORDED });
    const forkEvent = structuredClone(event) as {
      pull_request: { head: { repo: { full_name: string; fork: boolean } } };
    };
    forkEvent.pull_request.head.repo = { full_name: "stranger/widgets", fork: true };
    const noKey = { OPENAI_BASE_URL: world.openai.url, GITHUB_API_URL: world.github.url };
    const strict = await runAction({
      workspace: repo.dir,
      eventName: "pull_request",
      event: forkEvent,
      env: noKey,
    });
    expect(strict.code).toBe(1);
    expect(strict.outputs.verdict).toBe("error");
    expect(strict.stdout).toMatch(/::error::No API key: this pull request comes from a fork/);
    expect(strict.summary).toMatch(/comes from a fork/);
    expect(strict.stderr + strict.stdout).not.toMatch(/\n\s+at /);

    const lenient = await runAction({
      workspace: repo.dir,
      eventName: "pull_request",
      event: forkEvent,
      env: noKey,
      inputs: { "missing-key": "skip" },
    });
    expect(lenient.code).toBe(0);
    expect(lenient.outputs.verdict).toBe("skipped");
    expect(lenient.stdout).toMatch(/::notice::/);
    expect(lenient.summary).toMatch(/skipped/i);
  });
});

describe("the action on push", () => {
  it("writes only the summary: no comment, no GitHub API call", async () => {
    const { repo, headSha } = await pr({ "prompts/support.md": ALL_SKILLS.replace("refund", "refunds") });
    const run = await runAction({
      workspace: repo.dir,
      eventName: "push",
      event: { ref: "refs/heads/main", after: headSha, repository: { full_name: "acme/widgets" } },
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe("pass");
    expect(run.report?.base).toBeNull();
    expect(run.summary).toContain("refund");
    expect(world.github.requests()).toHaveLength(0);
    expect(run.outputs["comment-url"]).toBe("");
  });

  it("loads none of the built-ins this run does not use (each is milliseconds before the first request)", async () => {
    const { repo, headSha } = await pr({ "prompts/support.md": ALL_SKILLS.replace("refund", "refunds") });
    const list = join(makeTempDir("modules"), "loaded.txt");
    // A preload that writes, at exit, every Node module the process loaded.
    const preload = `import { writeFileSync } from "node:fs"; process.on("exit", () => writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join("\\n")));`;
    const run = await runAction({
      workspace: repo.dir,
      eventName: "push",
      event: { ref: "refs/heads/main", after: headSha, repository: { full_name: "acme/widgets" } },
      // The runner always sets GITHUB_SHA; without it the action asks git for HEAD.
      env: {
        ...env(),
        GITHUB_SHA: headSha,
        NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(preload)}`,
      },
    });
    expect(run.code, run.stderr).toBe(0);
    const loaded = new Set(
      readFileSync(list, "utf8")
        .split("\n")
        .map((m) => m.replace(/^NativeModule /, "")),
    );
    expect(loaded.has("http"), "the list is read").toBe(true);
    // The endpoint is http://127.0.0.1, there is no git base, no script, no regex grader and no
    // Actions cache service: https/tls, child_process, worker_threads and assert stay unloaded, and
    // the clock is process.hrtime, not perf_hooks.
    const unused = ["https", "tls", "child_process", "worker_threads", "assert", "perf_hooks"];
    expect(unused.filter((m) => loaded.has(m))).toEqual([]);
  });
});
