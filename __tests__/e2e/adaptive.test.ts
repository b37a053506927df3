// `repeats: auto` through the bundled action: only the cases whose sides differ run again, and a
// second run of the same PR is answered from the response cache alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makePullRequestRepo, pullRequestEvent } from "../support/git-repo.js";
import {
  caseInput,
  expectedOf,
  noisyModel,
  systemPrompt,
  type World,
  worldOf,
} from "../support/noisy-model.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { runAction } from "./harness.js";

const IDS = Array.from({ length: 12 }, (_, i) => `c${i}`);
const BROKEN = new Set(["c0", "c1", "c2", "c3", "c4"]);

/**
 * c0-c4 pass on base and fail on head every time: they differ round after round, to max_repeats.
 * c5 fails base's first sample and head's second: it differs, then evens out at 1/2 a side.
 * The rest pass everywhere: they agree at once.
 */
const world: World = (id, side, sample) => {
  if (BROKEN.has(id)) return side === "base" ? 1 : 0;
  if (id === "c5") return (side === "base" && sample === 0) || (side === "head" && sample === 1) ? 0 : 1;
  return 1;
};
const EXPECTED_RUNS: Record<string, number> = { c0: 3, c1: 3, c2: 3, c3: 3, c4: 3, c5: 2 };

let openai: OpenAIServer;

beforeAll(async () => {
  openai = await startOpenAIServer({ respond: noisyModel(new Map([["w1", world]])) });
});
afterAll(async () => {
  await openai.close();
  cleanupAll();
});

function files(side: "base" | "head"): Record<string, string> {
  const cases = IDS.map((id) =>
    JSON.stringify({ id, slice: "answers", input: caseInput(id), expected: expectedOf(id) }),
  );
  return {
    "eval-gate.yml": [
      "version: 1",
      "target: { model: noisy, system: prompts/system.md, params: { temperature: 1 } }",
      "sets: { anchor: evals/anchor.jsonl }",
      "repeats: auto",
      "max_repeats: 3",
      "concurrency: 4",
      'graders: [{ type: contains, value: "{{expected}}" }]',
      "gate: { min_slice_n: 5 }",
      "",
    ].join("\n"),
    "evals/anchor.jsonl": `${cases.join("\n")}\n`,
    "prompts/system.md": systemPrompt("w1", side),
  };
}

describe("repeats: auto end to end", () => {
  it("reruns only the cases whose sides differ, on both sides, and nothing on a rerun of the PR", async () => {
    const { repo, baseSha, headSha } = await makePullRequestRepo({
      base: files("base"),
      head: { "prompts/system.md": systemPrompt("w1", "head") },
    });
    const event = pullRequestEvent({ baseSha, headSha, number: 5 });
    const env = { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test" };
    const inputs = { comment: "false" };

    openai.clearRequests();
    const first = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env, inputs });
    // Requests per case and side, as the server saw them.
    const seen = new Map<string, number>();
    for (const r of openai.requests()) {
      const w = worldOf(r.body);
      if (w) seen.set(`${w.id}/${w.side}`, (seen.get(`${w.id}/${w.side}`) ?? 0) + 1);
    }
    for (const id of IDS) {
      const runs = EXPECTED_RUNS[id] ?? 1;
      expect([seen.get(`${id}/base`), seen.get(`${id}/head`)], id).toEqual([runs, runs]);
    }
    const total = 2 * (5 * 3 + 2 + 6);
    expect(openai.requests()).toHaveLength(total);
    expect(first.report?.usage.requests).toBe(total);
    expect(first.report?.config).toMatchObject({ repeats: "auto", max_repeats: 3 });
    // Five cases all worse and one even: the sign-flip p-value is 1/32.
    expect(first.report?.slices[0]).toMatchObject({ extra_runs: 22, rerun_cases: 6, p_value: 1 / 32 });
    expect(first.outputs.verdict).toBe("fail");
    expect(first.summary).toContain("anchor/answers +22 (6 cases)");

    openai.clearRequests();
    const again = await runAction({
      workspace: repo.dir,
      eventName: "pull_request",
      event,
      env,
      inputs,
      runnerTemp: first.runnerTemp,
    });
    expect(openai.requests()).toHaveLength(0);
    expect(again.report?.usage.requests).toBe(0);
    expect(again.outputs.verdict).toBe("fail");
    // The same runs and grades; only latency differs, since answers from the cache have none.
    const tallies = (cases: { id: string; base: Side; head: Side }[]) =>
      cases.map(({ id, base, head }) => [id, tally(base), tally(head)]);
    expect(tallies(again.report?.cases)).toEqual(tallies(first.report?.cases));
  });
});

interface Side {
  runs: number;
  passes: number;
  errors: number;
}

function tally({ runs, passes, errors }: Side): Side {
  return { runs, passes, errors };
}
