// A hostile contributor against the bundled action: every way a PR could make the required check
// pass without being good, or reach a secret, tried the way an attacker would try it. Each attack
// must leave the verdict an honest run would give, or stop the run with a clear error, with no
// secret in any output.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makePullRequestRepo, pullRequestEvent } from "../support/git-repo.js";
import { type ActionRun, runAction } from "./harness.js";
import { baseFiles, configYaml, NO_ADDRESS, supportModel } from "./scenario.js";
import { prWorld } from "./world.js";

const KEY = "sk-test-key-123";
const TOKEN = "ghs_test";
const world = prWorld({ respond: supportModel, firstPr: 900, beforeEach: (w) => w.openai.reset() });
const pr = (head: Record<string, string | null>, base = baseFiles()) => world.pr(head, base);
const env = (extra: Record<string, string> = {}) => world.env(KEY, extra);

/** Everything a run wrote that a person or another job can read. */
function written(run: ActionRun): string {
  return [run.stdout, run.stderr, run.summary, JSON.stringify(run.outputs), JSON.stringify(run.report)].join(
    "\n",
  );
}

/** The cache lines an honest run of this PR left, rewritten so every answer passes, digests recomputed. */
function forgedSegment(honestCacheDir: string): string {
  const lines: string[] = [];
  for (const file of readdirSync(honestCacheDir)) {
    for (const line of readFileSync(join(honestCacheDir, file), "utf8").split("\n")) {
      if (line === "") continue;
      const row = JSON.parse(line.slice(65)) as { k: string; r: { content: string } };
      row.r.content = "Done: I handled your refund address tracking request.";
      const json = JSON.stringify(row);
      lines.push(`${createHash("sha256").update(json).digest("hex")} ${json}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

describe("a PR that commits its own answers", () => {
  it("is never served them: the default cache lives outside the checkout, and one inside is not read on a PR", async ({
    annotate,
  }) => {
    // The attacker runs the gate once on their own branch to learn the cache keys, then forges the answers.
    const honest = await pr({ "prompts/support.md": NO_ADDRESS });
    const learned = await runAction({
      workspace: honest.repo.dir,
      eventName: "pull_request",
      event: honest.event,
      env: env(),
      inputs: { comment: "false" },
    });
    expect(learned.outputs.verdict).toBe("fail");
    // The rotation repeats some anchor inputs, so an honest run answers those from its own cache.
    const runs = learned.report?.usage.requests as number;
    const ownHits = learned.report?.usage.cached as number;
    const forged = forgedSegment(join(learned.runnerTemp, "eval-gate-cache"));

    const attack = await pr({
      "prompts/support.md": NO_ADDRESS,
      ".eval-gate/cache/responses-forged.jsonl": forged,
      "eval-gate-cache/responses-forged.jsonl": forged,
    });
    world.openai.reset();
    const byDefault = await runAction({
      workspace: attack.repo.dir,
      eventName: "pull_request",
      event: attack.event,
      env: env(),
      inputs: { comment: "false" },
    });
    expect(byDefault.outputs.verdict).toBe("fail");
    expect(byDefault.report?.usage.requests).toBe(runs);
    expect(byDefault.report?.usage.cached).toBe(ownHits);

    world.openai.reset();
    const inside = await runAction({
      workspace: attack.repo.dir,
      eventName: "pull_request",
      event: attack.event,
      env: env(),
      inputs: { comment: "false", "cache-dir": ".eval-gate/cache" },
    });
    expect(inside.outputs.verdict).toBe("fail");
    expect(inside.report?.usage.requests).toBe(runs);
    expect(world.openai.requests()).toHaveLength(runs);
    expect(inside.stdout).toMatch(/::warning::The response cache \.eval-gate\/cache is inside the checkout/);
    await annotate(
      `committed forged cache: ${byDefault.report?.usage.requests} requests (default dir), ${inside.report?.usage.requests} (cache-dir in the checkout); an honest run makes ${runs}; verdict ${inside.outputs.verdict}`,
    );
  });

  it("on a push, never reads a cache file git tracks, and names it", async () => {
    const honest = await pr({});
    const learned = await runAction({
      workspace: honest.repo.dir,
      eventName: "push",
      event: {},
      env: env(),
      inputs: { comment: "false" },
    });
    const forged = forgedSegment(join(learned.runnerTemp, "eval-gate-cache"));
    const attack = await pr({ ".eval-gate/cache/responses-forged.jsonl": forged });
    const run = await runAction({
      workspace: attack.repo.dir,
      eventName: "push",
      event: {},
      env: env(),
      inputs: { "cache-dir": ".eval-gate/cache" },
    });
    expect(run.report?.usage.requests).toBe(learned.report?.usage.requests);
    expect(run.report?.usage.cached).toBe(learned.report?.usage.cached);
    expect(run.stdout).toMatch(
      /::warning::Not read: 1 response cache file\(s\) in the checkout \(responses-forged\.jsonl\)/,
    );
  });
});

describe("a PR that picks the secret or skips itself", () => {
  it("cannot send the GitHub token as the model's key", async () => {
    for (const name of ["INPUT_GITHUB-TOKEN", "GITHUB_TOKEN", "github_token", "ACTIONS_RUNTIME_TOKEN"]) {
      const attack = await pr({
        "eval-gate.yml": configYaml().replace("  model:", `  api_key_env: ${name}\n  model:`),
      });
      world.openai.reset();
      const run = await runAction({
        workspace: attack.repo.dir,
        eventName: "pull_request",
        event: attack.event,
        env: env({ GITHUB_TOKEN: TOKEN, ACTIONS_RUNTIME_TOKEN: TOKEN }),
        inputs: { comment: "false" },
      });
      expect(run.outputs.verdict, name).toBe("error");
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/eval-gate\.yml:\d+: target\.api_key_env: /);
      expect(world.openai.requests()).toHaveLength(0);
      expect(written(run).replace(/::add-mask::.*/g, "")).not.toContain(TOKEN);
    }
  });

  it("cannot name a variable the workflow did not allow", async () => {
    const attack = await pr({
      "eval-gate.yml": configYaml().replace("  model:", "  api_key_env: DEPLOY_KEY\n  model:"),
    });
    const run = await runAction({
      workspace: attack.repo.dir,
      eventName: "pull_request",
      event: attack.event,
      env: env({ DEPLOY_KEY: "deploy-secret-value" }),
      inputs: { comment: "false" },
    });
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toMatch(/api_key_env DEPLOY_KEY is not an allowed key variable.*allowed-key-envs/);
    expect(world.openai.requests()).toHaveLength(0);
    expect(written(run)).not.toContain("deploy-secret-value");
  });

  it("cannot skip its own check by pointing api_key_env at an unset name", async () => {
    const attack = await pr({
      "eval-gate.yml": configYaml().replace("  model:", "  api_key_env: SPARE_KEY\n  model:"),
    });
    const run = await runAction({
      workspace: attack.repo.dir,
      eventName: "pull_request",
      event: attack.event,
      env: env(),
      inputs: { comment: "false", "missing-key": "skip", "allowed-key-envs": "OPENAI_API_KEY,SPARE_KEY" },
    });
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toMatch(/::error::.*SPARE_KEY is not set/);
    expect(run.stdout).toMatch(/missing-key: skip` applies only to pull requests from forks/);
  });
});

describe("a PR that reads files outside the repository", () => {
  it("is stopped at the config line that names the path, before any request", async () => {
    const cases: [string, RegExp][] = [
      [
        "system: ../../../../proc/self/environ",
        /eval-gate\.yml:\d+: target\.system: the path .* is outside the repository/,
      ],
      ["system: /proc/self/environ", /target\.system: the path .* is outside the repository/],
      ["system: .git/config", /target\.system: the path .* is outside the repository/],
    ];
    for (const [line, message] of cases) {
      const attack = await pr({ "eval-gate.yml": configYaml().replace("system: prompts/support.md", line) });
      world.openai.reset();
      const run = await runAction({
        workspace: attack.repo.dir,
        eventName: "pull_request",
        event: attack.event,
        env: env({ PLANTED_SECRET: "planted-secret-value" }),
        inputs: { comment: "false" },
      });
      expect(run.outputs.verdict, line).toBe("error");
      expect(run.stdout, line).toMatch(message);
      expect(world.openai.requests()).toHaveLength(0);
      expect(written(run)).not.toContain("planted-secret-value");
    }
  });

  it("is stopped when a committed symbolic link points out of the repository", async () => {
    const attack = await pr({});
    symlinkSync("/proc/self/environ", join(attack.repo.dir, "prompts/leak.md"));
    writeFileSync(
      join(attack.repo.dir, "eval-gate.yml"),
      configYaml().replace("system: prompts/support.md", "system: prompts/leak.md"),
    );
    const headSha = attack.repo.commit({}, "a link");
    const event = pullRequestEvent({ baseSha: attack.baseSha, headSha, number: world.prNumber });
    const run = await runAction({
      workspace: attack.repo.dir,
      eventName: "pull_request",
      event,
      env: env({ PLANTED_SECRET: "planted-secret-value" }),
      inputs: { comment: "false" },
    });
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toMatch(
      /eval-gate\.yml:\d+: target\.system: prompts\/leak\.md is a symbolic link to a file outside the repository/,
    );
    expect(world.openai.requests()).toHaveLength(0);
    expect(written(run)).not.toContain("planted-secret-value");
  });
});

/** The scenario's sets without the cases of `slice`: what a PR that hides a broken slice commits. */
function withoutSlice(text: string, slice: string): string {
  return text
    .split("\n")
    .filter((l) => l === "" || JSON.parse(l).slice !== slice)
    .join("\n");
}

describe("a PR that rewrites its own rules", () => {
  const files = baseFiles();
  const breaks = { "prompts/support.md": NO_ADDRESS };

  async function gate(
    head: Record<string, string | null>,
    base = files,
    inputs: Record<string, string> = {},
  ) {
    const p = await pr(head, base);
    world.openai.reset();
    const run = await runAction({
      workspace: p.repo.dir,
      eventName: "pull_request",
      event: p.event,
      env: env(),
      inputs,
    });
    return { run, comment: world.github.comments("acme", "widgets", world.prNumber)[0]?.body ?? "" };
  }

  it("is judged on the base's cases when it deletes the slice it breaks", async ({ annotate }) => {
    const { run, comment } = await gate({
      ...breaks,
      "evals/anchor.jsonl": withoutSlice(files["evals/anchor.jsonl"] as string, "address_change"),
      "evals/rotation.jsonl": withoutSlice(files["evals/rotation.jsonl"] as string, "address_change"),
    });
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    const regressed = run.report?.slices.filter((s: { status: string }) => s.status === "regressed");
    expect(regressed.map((s: { set: string; slice: string }) => `${s.set}/${s.slice}`).sort()).toEqual([
      "anchor/address_change",
      "rotation/address_change",
    ]);
    expect(run.report?.definition.source).toBe("base");
    expect(run.report?.definition.cases).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ set: "anchor", slice: "address_change", removed: 15, added: 0 }),
      ]),
    );
    expect(run.report?.reasons.join("\n")).toMatch(/This PR changes the eval set \(25 case\(s\) removed\)/);
    expect(comment).toContain("### This PR changes the eval set");
    expect(comment).toMatch(/\| anchor \/ address\\_change \| 0 \| 15 \| 0 \|/);
    await annotate(`PR that breaks address_change and deletes its 25 cases: verdict ${run.outputs.verdict}`);
  });

  it("is judged by the base's graders, alpha, floor and repeats when it loosens them", async () => {
    const loose = configYaml()
      .replace('  - { type: contains, value: "{{expected}}" }', '  - { type: regex, pattern: "." }')
      .replace("  min_slice_n: 10", "  min_slice_n: 10\n  alpha: 0.0000001\n  mode: statistical")
      .concat("\nrepeats: 1\n");
    const base = { ...files, "eval-gate.yml": `${configYaml()}\nrepeats: 2\n` };
    const { run, comment } = await gate({ ...breaks, "eval-gate.yml": loose }, base);
    expect(run.outputs.verdict).toBe("fail");
    expect(run.report?.config).toMatchObject({ repeats: 2, alpha: 0.05 });
    expect(run.report?.cases[0].head.runs).toBe(2);
    const keys = run.report?.definition.settings.map((s: { key: string }) => s.key);
    expect(keys).toEqual(expect.arrayContaining(["gate.alpha", "graders[0]", "repeats"]));
    expect(comment).toContain("- gate.alpha: 0\\.05 → 1e-7");
  });

  it("runs the cases it adds on both sides, outside the gate, and asks for review", async () => {
    const extra = `${JSON.stringify({ id: "new-1", slice: "refund", input: "Ticket 99 (refund)", expected: "refund" })}\n${JSON.stringify({ id: "new-2", slice: "gift_cards", input: "Ticket 98 (gift)", expected: "gift" })}\n`;
    const { run, comment } = await gate({ "evals/anchor.jsonl": `${files["evals/anchor.jsonl"]}${extra}` });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe("review");
    expect(run.report?.reasons.join("\n")).toMatch(/This PR changes the eval set \(2 case\(s\) added\)/);
    const added = run.report?.cases.filter((c: { new?: boolean }) => c.new);
    expect(added.map((c: { id: string }) => c.id).sort()).toEqual(["new-1", "new-2"]);
    for (const c of added) expect(c.base).toMatchObject({ runs: 1 });
    expect(run.report?.slices.some((s: { slice: string }) => s.slice === "gift_cards")).toBe(false);
    expect(run.report?.new_slices.map((s: { slice: string }) => s.slice).sort()).toEqual([
      "gift_cards",
      "refund",
    ]);
    expect(comment).toMatch(/\| anchor \/ gift\\_cards \| 1 \| 0% → 0% \|/);
  });

  it("is judged by the base's script, not the one it rewrites to pass everything", async () => {
    const script = (body: string) => `export function grade({ output }) { ${body} }\n`;
    const strict = script('return { pass: output.startsWith("Done"), reason: "checked" };');
    const base = {
      ...files,
      "eval-gate.yml": configYaml().replace(
        '  - { type: contains, value: "{{expected}}" }',
        "  - { type: script, path: graders/check.mjs }",
      ),
      "graders/check.mjs": strict,
    };
    const { run, comment } = await gate(
      { ...breaks, "graders/check.mjs": script('return { pass: true, reason: "anything goes" };') },
      base,
    );
    expect(run.outputs.verdict).toBe("fail");
    expect(run.report?.definition.files).toEqual([{ path: "graders/check.mjs", change: "changed" }]);
    expect(comment).toMatch(/graders\/check\.mjs.*: changed/);
  });

  it("is judged by its own definition only when the base opts out with gate.definition: head", async () => {
    const base = {
      ...files,
      "eval-gate.yml": configYaml().replace("  min_slice_n: 10", "  min_slice_n: 10\n  definition: head"),
    };
    const { run, comment } = await gate(
      {
        ...breaks,
        "evals/anchor.jsonl": withoutSlice(files["evals/anchor.jsonl"] as string, "address_change"),
        "evals/rotation.jsonl": withoutSlice(files["evals/rotation.jsonl"] as string, "address_change"),
      },
      base,
    );
    expect(run.outputs.verdict).toBe("pass");
    expect(run.report?.definition.source).toBe("head");
    expect(comment).toContain("gate.definition: head");
  });
});

describe("a fork's PR on pull_request_target, with the repository's key at hand", () => {
  const files = baseFiles();
  // The PR's script, if anything ever imported it, would say so in the log.
  const hostileScript = 'console.log("PWNED-MARKER");\nexport function grade() { return { pass: true }; }\n';
  const head = {
    "prompts/support.md": NO_ADDRESS,
    "graders/pass.mjs": hostileScript,
    "eval-gate.yml": configYaml()
      .replace(
        '  - { type: contains, value: "{{expected}}" }',
        "  - { type: script, path: graders/pass.mjs }",
      )
      .replace("  min_slice_n: 10", "  min_slice_n: 10\n  definition: head"),
  };
  // Even a base that lets PRs bring their own definition cannot let a fork's code run here.
  const base = {
    ...files,
    "eval-gate.yml": configYaml().replace("  min_slice_n: 10", "  min_slice_n: 10\n  definition: head"),
  };

  async function targetRun(labels: string[]) {
    const p = await makePullRequestRepo({ base, head });
    // pull_request_target checks out the base branch; the PR's commit is only in git's objects.
    p.repo.git("checkout", "-q", "main");
    const event = pullRequestEvent({
      baseSha: p.baseSha,
      headSha: p.headSha,
      number: world.prNumber,
      labels,
    });
    const pull = event.pull_request as { head: { repo: { full_name: string; fork: boolean } } };
    pull.head.repo = { full_name: "stranger/widgets", fork: true };
    world.openai.reset();
    const run = await runAction({
      workspace: p.repo.dir,
      eventName: "pull_request_target",
      event,
      env: env(),
      inputs: { "required-label": "safe-to-eval" },
    });
    return { run, headSha: p.headSha };
  }

  it("waits for a maintainer's label before it sends anything", async () => {
    const { run } = await targetRun([]);
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toMatch(
      /required-label: this pull request comes from a fork and has no `safe-to-eval` label yet/,
    );
    expect(world.openai.requests()).toHaveLength(0);
  });

  it("once labelled, evaluates the PR's prompt from git objects by the base's definition, running none of its code", async () => {
    const { run, headSha } = await targetRun(["safe-to-eval"]);
    expect(run.outputs.verdict).toBe("fail");
    expect(run.report?.head.sha).toBe(headSha);
    const regressed = run.report?.slices.filter((s: { status: string }) => s.status === "regressed");
    expect(regressed.map((s: { slice: string }) => s.slice)).toContain("address_change");
    expect(run.report?.definition.source).toBe("base");
    expect(`${run.stdout}\n${run.stderr}`).not.toContain("PWNED-MARKER");
    expect(world.openai.requests().length).toBeGreaterThan(0);
  });
});

describe("a PR that switches its side to recorded answers", () => {
  it("is refused: the recordings are a file the PR writes", async () => {
    const { createHash: sha } = await import("node:crypto");
    const promptSha = sha("sha256").update(NO_ADDRESS).digest("hex").slice(0, 16);
    const files = baseFiles();
    const recordings = (files["evals/anchor.jsonl"] as string)
      .concat(files["evals/rotation.jsonl"] as string)
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const c = JSON.parse(l) as { input: string; expected: string };
        return JSON.stringify({ prompt_sha: promptSha, input: c.input, output: `Done: ${c.expected}` });
      })
      .join("\n");
    const attack = await pr({
      "prompts/support.md": NO_ADDRESS,
      "evals/answers.jsonl": `${recordings}\n`,
      "eval-gate.yml": configYaml().replace(
        "  params: { temperature: 0 }",
        "  params: { temperature: 0 }\n  provider: replay\n  recordings: evals/answers.jsonl",
      ),
    });
    const run = await runAction({
      workspace: attack.repo.dir,
      eventName: "pull_request",
      event: attack.event,
      env: env(),
      inputs: { comment: "false" },
    });
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toMatch(
      /eval-gate\.yml:\d+: target\.provider: `provider: replay` serves answers from a file/,
    );
    expect(world.openai.requests()).toHaveLength(0);
  });
});
