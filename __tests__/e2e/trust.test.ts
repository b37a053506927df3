// What a PR author or a steered model cannot do to the people and the secrets around the gate:
// hostile output stays inert, a huge eval set keeps the comment within GitHub's limits, a config
// cannot send the workflow's key to an endpoint of its choosing, the key never lands in anything
// eval-gate writes, the override label passes the check without hiding the verdict, and a holdout
// set shows one score and nothing else. Each test reads what the GitHub stand-in, the runner's
// files, the process output and the cache dir actually received.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makePullRequestRepo, pullRequestEvent } from "../support/git-repo.js";
import { type GitHubServer, startGitHubServer } from "../support/github-server.js";
import {
  messageText,
  type OpenAIServer,
  type RespondRequest,
  type RespondResult,
  startOpenAIServer,
} from "../support/openai-server.js";
import { splitFences, tables, unescapedCount } from "../unit/fixtures/markdown.js";
import { type ActionRun, runAction } from "./harness.js";

// ---------------------------------------------------------------------------------------------
// The fake model. Its behaviour is chosen by a `MODE:` line in the system prompt, so the base
// branch's prompt and the PR's prompt get different answers from one server.

const KEY = "sk-secret-XYZ123";
const TICKS = "`".repeat(12);

/** Everything a hostile output might try, one construct per line. */
const NASTY_LINES = [
  "```",
  "Thanks @octocat, cc @acme/security-team",
  "fixes #1, see acme/widgets#2 and GH-3",
  "<img src=x onerror=alert(1)>",
  "</details>",
  "<details>",
  "<!-- eval-gate:default -->",
  "-->",
  "![x](https://evil.example/x.png)",
  "[click](https://evil.example)",
  "https://evil.example/path and www.evil.example",
  "| a | b |",
  "| --- | --- |",
  "| c | d |",
  TICKS,
  "```html",
  "~~~",
  "windows\r\nline",
  "\u202eevil-rtl",
  "nul\u0000byte",
];

/** Four shapes, so every escaping path (lines, one line, CRLF, fence-breaking runs) is taken. */
function hostileOutput(i: number): string {
  switch (i % 4) {
    case 0:
      return NASTY_LINES.join("\n");
    case 1:
      return `${TICKS}\n${NASTY_LINES.join("\n")}\n${TICKS}`;
    case 2:
      return NASTY_LINES.join(" ");
    default:
      return NASTY_LINES.join("\r\n");
  }
}

const BIG_OUTPUT_CHARS = 20_000;

function bigOutput(i: number): string {
  const unit = `${NASTY_LINES.join("\n")}\n`;
  return `case ${i}\n${unit.repeat(Math.ceil(BIG_OUTPUT_CHARS / unit.length))}`.slice(0, BIG_OUTPUT_CHARS);
}

/** Holdout questions whose number is listed here fail on a `MODE: holdout-break` head. */
const HOLDOUT_BROKEN = new Set([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
/** And this one errors, with an error message that quotes the question. */
const HOLDOUT_ERRORS = 19;

function model(req: RespondRequest): RespondResult {
  const system = messageText(req.messages.find((m) => m.role === "system")?.content ?? "");
  const user = messageText([...req.messages].reverse().find((m) => m.role === "user")?.content ?? "");
  const mode = /MODE: ([a-z-]+)/.exec(system)?.[1] ?? "echo";
  const n = Number(/(\d+)/.exec(user)?.[1] ?? 0);
  if (mode === "hostile") return hostileOutput(n);
  if (mode === "big") return bigOutput(n);
  const holdout = /^holdout secret question (\d+)$/.exec(user);
  if (holdout) {
    const q = Number(holdout[1]);
    if (mode === "holdout-break" && q === HOLDOUT_ERRORS) {
      return { error: { status: 400, message: `cannot answer "${user}" (HOLDOUT-SECRET-ID-${q})` } };
    }
    if (mode === "holdout-break" && HOLDOUT_BROKEN.has(q)) return "I do not know.";
    return "The answer is holdout-secret-answer.";
  }
  // A gateway that quotes the credentials it was sent back in its error messages.
  if (mode === "leaky" && user === "Ticket 3 about billing") {
    return {
      error: { status: 400, message: `invalid request for key ${KEY} (Authorization: Bearer ${KEY})` },
    };
  }
  if (mode === "break-refund" && user.includes("refund")) return "Sorry, I cannot help with that.";
  // Echo: every case's expected value is part of its input, so the echo passes.
  return `You said: ${user}`;
}

// ---------------------------------------------------------------------------------------------
// Repositories and runs.

let openai: OpenAIServer;
let github: GitHubServer;
let prNumber = 500;

beforeAll(async () => {
  openai = await startOpenAIServer({ respond: model });
  github = await startGitHubServer();
});
afterAll(async () => {
  await openai.close();
  await github.close();
  cleanupAll();
});

/** `target`: more lines of the `target:` block, e.g. a `base_url`. */
function config(sets: Record<string, string>, target: string[] = []): string {
  return [
    "version: 1",
    "target:",
    "  model: gpt-4o-mini",
    "  system: prompts/system.md",
    "  params: { temperature: 0 }",
    ...target.map((l) => `  ${l}`),
    "sets:",
    ...Object.entries(sets).map(([name, spec]) => `  ${name}: ${spec}`),
    "concurrency: 16",
    "graders:",
    '  - { type: contains, value: "{{expected}}" }',
    "gate:",
    "  min_slice_n: 10",
    "requests: { timeout_ms: 10000, attempts: 2 }",
  ].join("\n");
}

function jsonl(cases: object[]): string {
  return `${cases.map((c) => JSON.stringify(c)).join("\n")}\n`;
}

/** `perSlice` cases per slice, each passing on the echo model. */
function echoCases(slices: string[], perSlice: number): object[] {
  return slices.flatMap((slice) =>
    Array.from({ length: perSlice }, (_, k) => ({
      id: `case-${slice}-${k + 1}`,
      slice,
      input: `Ticket ${k + 1} about ${slice}`,
      expected: `Ticket ${k + 1}`,
    })),
  );
}

async function openPr(
  base: Record<string, string>,
  head: Record<string, string | null>,
  labels: string[] = [],
) {
  prNumber++;
  const { repo, baseSha, headSha } = await makePullRequestRepo({ base, head });
  const event = pullRequestEvent({
    baseSha,
    headSha,
    number: prNumber,
    owner: "acme",
    repo: "widgets",
    labels,
  });
  return { repo, event, number: prNumber };
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: KEY, GITHUB_API_URL: github.url, ...extra };
}

function commentOf(number: number): string {
  const comments = github.comments("acme", "widgets", number);
  expect(comments).toHaveLength(1);
  return comments[0]?.body as string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile());
}

/** Everything the run wrote that a person or a log can read. */
function everythingWritten(run: ActionRun, comment: string): Record<string, string> {
  return {
    stdout: run.stdout,
    stderr: run.stderr,
    summary: run.summary,
    outputs: JSON.stringify(run.outputs),
    report: JSON.stringify(run.report),
    comment,
  };
}

// ---------------------------------------------------------------------------------------------
// What "inert" means, checked the way GitHub reads Markdown: outside fenced code blocks nothing
// may ping, reference, link or inject; fences must close; tables keep their shape.

const RUN_LINK = "](https://github.example/acme/widgets/actions/runs/42)";

/** `markers`: how many times the sticky comment's marker must occur (1 in the comment, 0 elsewhere). */
function inertnessProblems(body: string, markers: number): string[] {
  const problems: string[] = [];
  const { outside, fences } = splitFences(body);
  const text = outside.join("\n");
  const found = (body.match(/<!-- eval-gate:default -->/g) ?? []).length;
  if (found !== markers) problems.push(`the marker occurs ${found} times, not ${markers}`);
  if ((body.match(/<!--/g) ?? []).length > 1 || (body.match(/-->/g) ?? []).length > 1) {
    problems.push("a second HTML comment opener or closer");
  }
  if (fences.some((f) => !f.closed)) problems.push("an unclosed code fence");
  for (const line of outside) {
    if (/@[A-Za-z0-9]/.test(line)) problems.push(`live mention: ${line}`);
    if (/#\d|[\w.-]+\/[\w.-]+#\d|\bGH-\d/i.test(line)) problems.push(`live issue reference: ${line}`);
    if (/<img/i.test(line)) problems.push(`raw <img: ${line}`);
    if (/https?:\/\/evil|www\.evil/i.test(line)) problems.push(`autolinkable URL: ${line}`);
    if (line.replaceAll(RUN_LINK, "").includes("](")) problems.push(`link syntax: ${line}`);
    const tags = line
      .replace(/<\/?(details|summary|sub)>/g, "")
      .replace(/^<!-- eval-gate:default -->$/, "")
      .match(/<[A-Za-z/!?]/g);
    if (tags) problems.push(`raw HTML: ${line}`);
  }
  const opened = (text.match(/<details>/g) ?? []).length;
  const closed = (text.match(/<\/details>/g) ?? []).length;
  if (opened !== closed) problems.push(`<details> ${opened} vs </details> ${closed}`);
  let depth = 0;
  for (const line of outside) {
    depth += (line.match(/<details>/g) ?? []).length - (line.match(/<\/details>/g) ?? []).length;
    if (depth < 0 || depth > 1) problems.push(`<details> nesting ${depth} at: ${line}`);
  }
  for (const t of tables(outside)) {
    const counts = t.map((row) => unescapedCount(row, "|"));
    if (new Set(counts).size !== 1)
      problems.push(`table rows with different cell counts: ${counts.join(",")}`);
  }
  if (["\r", "\u0000", "\u202e"].some((c) => body.includes(c))) {
    problems.push("a CR, NUL or bidi override survived");
  }
  return problems;
}

/** The body rows of the per-slice table (the one whose first column is `slice`). */
function sliceRows(body: string): string[] {
  const { outside } = splitFences(body);
  const table = tables(outside).find((t) => /^\| slice \|/.test(t[0] ?? ""));
  return table ? table.slice(2) : [];
}

// ---------------------------------------------------------------------------------------------

describe("hostile model output", () => {
  it("reaches the comment and the job summary inert", async () => {
    const refund = Array.from({ length: 12 }, (_, k) => ({
      id: `refund-${k + 1}`,
      slice: "refund",
      input: `Question ${k + 1} about a refund`,
      expected: `Question ${k + 1}`,
    }));
    // Case text is the PR author's, so it is just as untrusted: a hostile slice name, and
    // expected values (quoted by the grader's reason) full of pings, references and links.
    const hostileSlice = "pipes | @octocat #1 <b>x</b> [click](https://evil.example)";
    const pipes = Array.from({ length: 12 }, (_, k) => {
      const expected = `tok-${k + 1} @acme/security-team #1 <details> [click](https://evil.example) | x |`;
      return { id: `pipes-${k + 1}`, slice: hostileSlice, input: `Question ${k + 1}: ${expected}`, expected };
    });
    const files = {
      "eval-gate.yml": config({ anchor: "evals/anchor.jsonl" }),
      "prompts/system.md": "You are a support bot.\nMODE: echo\n",
      "evals/anchor.jsonl": jsonl([...refund, ...pipes]),
    };
    const { repo, event, number } = await openPr(files, {
      "prompts/system.md": "You are a support bot.\nMODE: hostile\n",
    });
    const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    expect(run.outputs.verdict).toBe("fail");
    expect(run.code).toBe(1);
    const comment = commentOf(number);
    // The hostile text did reach the bodies (inside fences), so the checks below are not vacuous.
    for (const body of [comment, run.summary]) {
      const fenced = splitFences(body)
        .fences.flatMap((f) => f.lines)
        .join("\n");
      expect(fenced).toContain("onerror=alert(1)");
      expect(fenced).toContain("evil.example");
    }
    expect(inertnessProblems(comment, 1)).toEqual([]);
    expect(inertnessProblems(run.summary, 0)).toEqual([]);
    // Both slices are rows of the per-slice table, intact.
    expect(sliceRows(comment)).toHaveLength(2);
    expect(sliceRows(run.summary)).toHaveLength(2);
    expect(sliceRows(comment).join("\n")).toContain("refund");
  });
});

describe("size", () => {
  it("keeps a 300-case, 20k-character-output failure within the comment and summary limits", async () => {
    const slices = ["alpha", "beta", "gamma"];
    const files = {
      "eval-gate.yml": config({ anchor: "evals/anchor.jsonl" }).replace("concurrency: 16", "concurrency: 32"),
      "prompts/system.md": "MODE: echo\n",
      "evals/anchor.jsonl": jsonl(echoCases(slices, 100)),
    };
    const { repo, event, number } = await openPr(files, { "prompts/system.md": "MODE: big\n" });
    const run = await runAction({
      workspace: repo.dir,
      eventName: "pull_request",
      event,
      env: env(),
      inputs: { cache: "false" },
    });
    expect(run.outputs.verdict).toBe("fail");
    expect(run.report?.cases).toHaveLength(300);
    const comment = commentOf(number);
    expect(comment.length).toBeLessThanOrEqual(60_000);
    // Far more was failing than fits: the comment says what it left out.
    expect(comment).toMatch(/Left out to fit/);
    expect(comment).toContain("job summary");
    const rows = sliceRows(comment);
    expect(rows).toHaveLength(3);
    for (const s of slices) expect(rows.some((r) => r.startsWith(`| ${s} |`))).toBe(true);
    expect(inertnessProblems(comment, 1)).toEqual([]);

    expect(Buffer.byteLength(run.summary, "utf8")).toBeLessThanOrEqual(1024 * 1024);
    expect(sliceRows(run.summary)).toHaveLength(3);
    expect(inertnessProblems(run.summary, 0)).toEqual([]);
  });
});

describe("endpoints", () => {
  it("refuses a config's base_url the workflow did not allow, before any request", async () => {
    const other = await startOpenAIServer({ respond: model });
    try {
      const otherConfig = config({ anchor: "evals/anchor.jsonl" }, [`base_url: ${other.url}`]);
      const base = {
        "eval-gate.yml": config({ anchor: "evals/anchor.jsonl" }),
        "prompts/system.md": "MODE: echo\n",
        "evals/anchor.jsonl": jsonl(echoCases(["refund", "billing"], 12)),
      };
      const { repo, event, number } = await openPr(base, { "eval-gate.yml": otherConfig });
      openai.reset();

      const refused = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
      expect(refused.outputs.verdict).toBe("error");
      expect(refused.code).toBe(1);
      const error = refused.stdout.split("\n").find((l) => l.startsWith("::error"));
      expect(error).toContain("target.base_url");
      expect(error).toContain("allowed-base-urls");
      expect(refused.report?.verdict).toBe("error");
      expect(JSON.stringify(refused.report?.reasons)).toContain("target.base_url");
      // The comment carries the whole message, and claims nothing about a baseline it never looked for.
      const comment = commentOf(number);
      expect(comment).toContain("allowed-base-urls\\` input.");
      expect(comment).not.toMatch(/no baseline/i);
      expect(openai.stats().total).toBe(0);
      expect(other.stats().total).toBe(0);

      const allowed = await runAction({
        workspace: repo.dir,
        eventName: "pull_request",
        event,
        env: env(),
        inputs: { "allowed-base-urls": `https://gateway.example/v1, ${other.url}` },
      });
      expect(allowed.outputs.verdict).toBe("pass");
      expect(allowed.code).toBe(0);
      // The head side went to the allowed endpoint, the base side to the workflow's.
      expect(other.stats().total).toBe(24);
      expect(openai.stats().total).toBe(24);
    } finally {
      await other.close();
    }
  });
});

describe("secrets", () => {
  const secretFiles = () => ({
    "eval-gate.yml": config({ anchor: "evals/anchor.jsonl" }).replace(
      "  min_slice_n: 10",
      "  min_slice_n: 10\n  max_error_rate: 0.05",
    ),
    "prompts/system.md": "MODE: echo\n",
    "evals/anchor.jsonl": jsonl(echoCases(["refund", "billing"], 12)),
  });

  /** Where the key shows up in what the run wrote, `::add-mask::` lines aside. */
  function keyLeaks(run: ActionRun, comment: string): string[] {
    const unmasked = (s: string) =>
      s
        .split("\n")
        .filter((l) => !l.startsWith("::add-mask::"))
        .join("\n");
    const written = {
      ...everythingWritten(run, comment),
      stdout: unmasked(run.stdout),
      stderr: unmasked(run.stderr),
    };
    return Object.entries(written)
      .filter(([, text]) => text.includes(KEY))
      .map(([where, text]) => {
        const lines = text.split("\n").filter((l) => l.includes(KEY));
        return `${where}: ${lines.join(" / ").slice(0, 200)}`;
      });
  }

  it("keeps the API key out of every log line, file and comment it writes", async () => {
    const { repo, event, number } = await openPr(secretFiles(), {
      "prompts/system.md": "MODE: echo\nreworded\n",
    });
    openai.reset();
    const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    expect(run.outputs.verdict).toBe("pass");
    // The key did reach the model, so finding it nowhere else means something.
    const auth = openai.requests().map((r) => r.authorization);
    expect(auth).toHaveLength(48);
    expect(auth.every((a) => a === `Bearer ${KEY}`)).toBe(true);
    expect(run.stdout).toContain(`::add-mask::${KEY}`);
    expect(keyLeaks(run, commentOf(number))).toEqual([]);

    const cacheFiles = filesUnder(join(run.runnerTemp, "eval-gate-cache"));
    expect(cacheFiles.length).toBeGreaterThan(0);
    for (const file of cacheFiles) {
      expect(readFileSync(file, "utf8").includes(KEY), `the key is in ${file}`).toBe(false);
    }
  });

  it("keeps out the key an endpoint quotes back in an error message", async () => {
    const { repo, event, number } = await openPr(secretFiles(), { "prompts/system.md": "MODE: leaky\n" });
    const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    expect(run.outputs.verdict).toBe("pass");
    expect(run.report?.errors.head).toBe(1);
    expect(keyLeaks(run, commentOf(number))).toEqual([]);
  });
});

describe("the override label", () => {
  it("lets a failing verdict pass the check, keeps `verdict` at fail, and says so", async () => {
    const files = {
      "eval-gate.yml": config({ anchor: "evals/anchor.jsonl" }),
      "prompts/system.md": "MODE: echo\n",
      "evals/anchor.jsonl": jsonl(echoCases(["refund", "billing"], 12)),
    };
    const labelled = await openPr(files, { "prompts/system.md": "MODE: break-refund\n" }, [
      "bug",
      "eval-gate:accept",
    ]);
    const run = await runAction({
      workspace: labelled.repo.dir,
      eventName: "pull_request",
      event: labelled.event,
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe("fail");
    expect(run.report?.verdict).toBe("fail");
    expect(run.stdout).not.toMatch(/^::error::eval-gate: fail/m);
    const comment = commentOf(labelled.number);
    expect(comment).toMatch(/eval-gate:accept\*\* label let the failing verdict pass/);

    // The same PR without the label (another PR number, so another comment): the check fails.
    prNumber++;
    const unlabelled = { number: prNumber, event: structuredClone(labelled.event) };
    unlabelled.event.number = prNumber;
    const pr = unlabelled.event.pull_request as { number: number; labels: { name: string }[] };
    pr.number = prNumber;
    pr.labels = pr.labels.filter((l) => l.name !== "eval-gate:accept");
    const without = await runAction({
      workspace: labelled.repo.dir,
      eventName: "pull_request",
      event: unlabelled.event,
      env: env(),
    });
    expect(without.code).toBe(1);
    expect(without.stdout).toMatch(/^::error::eval-gate: fail/m);
    expect(without.outputs.verdict).toBe("fail");
    expect(commentOf(unlabelled.number)).not.toContain("eval-gate:accept");
  });
});

describe("a holdout set", () => {
  it("shows one aggregate score and no case of it anywhere", async () => {
    const holdout = Array.from({ length: 20 }, (_, k) => ({
      id: `HOLDOUT-SECRET-ID-${k + 1}`,
      slice: "HOLDOUT-SECRET-SLICE",
      input: `holdout secret question ${k + 1}`,
      expected: "holdout-secret-answer",
    }));
    const sets = {
      anchor: "evals/anchor.jsonl",
      holdout: "{ path: evals/holdout.jsonl, visibility: aggregate }",
    };
    const files = {
      "eval-gate.yml": config(sets).replace("  min_slice_n: 10", "  min_slice_n: 10\n  max_error_rate: 0.05"),
      "prompts/system.md": "MODE: echo\n",
      "evals/anchor.jsonl": jsonl(echoCases(["refund", "billing"], 12)),
      "evals/holdout.jsonl": jsonl(holdout),
    };
    const { repo, event, number } = await openPr(files, { "prompts/system.md": "MODE: holdout-break\n" });
    const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env: env() });
    const comment = commentOf(number);

    const slice = run.report?.slices.find((s: { set: string }) => s.set === "holdout");
    expect(slice).toMatchObject({ set: "holdout", slice: "all", aggregate: true });
    expect(run.report?.slices.filter((s: { set: string }) => s.set === "holdout")).toHaveLength(1);
    expect(slice.head_score).toBeLessThan(slice.base_score);
    expect(run.report?.errors.head).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    // The comment's aggregate table has the holdout's one row, with its scores.
    const holdoutRow = splitFences(comment).outside.find((l) => /^\| holdout( \/ all)? \|/.test(l));
    expect(holdoutRow).toBeDefined();
    const pct = (x: number) => `${Math.round(x * 1000) / 10}%`.replace(".0%", "%");
    expect(holdoutRow).toContain(`${pct(slice.base_score)} → ${pct(slice.head_score)}`);

    for (const [where, text] of Object.entries(everythingWritten(run, comment))) {
      for (const secret of [
        "HOLDOUT-SECRET-ID",
        "HOLDOUT-SECRET-SLICE",
        "holdout secret question",
        "holdout-secret-answer",
      ]) {
        expect(text.includes(secret), `${secret} is in ${where}`).toBe(false);
      }
    }
  });
});
