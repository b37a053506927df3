import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeGraderContext } from "../../src/adapters/graders/grader-context.js";
import { UserError, UserErrors } from "../../src/core/errors.js";
import type { JudgeSpec } from "../../src/core/graders/judge.js";
import { calibrationStats, type Label, parseLabels, runCalibration } from "../../src/core/run/calibration.js";
import {
  messageText,
  type OpenAIServer,
  type RespondRequest,
  startOpenAIServer,
} from "../support/openai-server.js";

const FILE = "evals/judge-labels.jsonl";

/** (human, judge) pairs in the given cell counts. */
function pairs(tp: number, fn: number, fp: number, tn: number) {
  const cell = (count: number, human: boolean, judge: boolean) =>
    Array.from({ length: count }, () => ({ human, judge }));
  return [
    ...cell(tp, true, true),
    ...cell(fn, true, false),
    ...cell(fp, false, true),
    ...cell(tn, false, false),
  ];
}

function errorsOf(text: string): UserError[] {
  try {
    parseLabels(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(UserErrors);
    return (e as UserErrors).errors;
  }
  throw new Error("expected the labels to be rejected");
}

describe("parseLabels", () => {
  it("reads labels as booleans or pass/fail, skipping blanks and comments", () => {
    const text = [
      '{"input": "Can I get my money back?", "output": "Sorry, yes.", "label": "pass"}',
      "",
      "// a comment",
      '{"output": "No.", "label": "FAIL", "expected": {"tone": "kind"}, "id": "t-2", "notes": "curt"}',
      '{"output": "Sure!", "label": true}',
      '{"output": "Go away.", "label": false}',
    ].join("\n");
    expect(parseLabels(text, FILE)).toEqual<Label[]>([
      { line: 1, input: "Can I get my money back?", output: "Sorry, yes.", label: true },
      { line: 4, id: "t-2", expected: { tone: "kind" }, output: "No.", label: false },
      { line: 5, output: "Sure!", label: true },
      { line: 6, output: "Go away.", label: false },
    ]);
  });

  it("names every bad line with its file, line and field", () => {
    const errors = errorsOf(
      [
        '{"output": "fine", "label": "pass"}',
        '{"label": "pass"}',
        '{"output": "x", "label": "maybe"}',
        "{not json",
        '{"output": "x", "label": "pass", "lable": "fail"}',
        "[1, 2]",
        '{"output": 3, "label": 1}',
      ].join("\n"),
    );
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [2, "output"],
      [3, "label"],
      [4, undefined],
      [5, "lable"],
      [6, undefined],
      [7, "output"],
      [7, "label"],
    ]);
    expect(errors[0]?.format()).toBe(
      `${FILE}:2: output: \`output\` is required. Add the output the person judged, e.g. "output": "Yes, within 30 days.".`,
    );
    expect(errors[1]?.format()).toContain(`${FILE}:3: label: must be true, false, "pass" or "fail"`);
    expect(errors[2]?.format()).toMatch(new RegExp(`^${FILE}:4: not valid JSON`));
    expect(errors[3]?.message).toBe("unknown key `lable`; did you mean `label`?");
    expect(errors[4]?.message).toContain("each line must be a JSON object");
    expect(errors[6]?.message).toBe('must be true, false, "pass" or "fail"');
  });

  it("refuses a file without labels", () => {
    const [error] = errorsOf("\n// nothing yet\n");
    expect(error?.format()).toContain(`${FILE}:1: the labels file has no labels`);
  });
});

describe("calibrationStats", () => {
  it("matches the classic 2x2 example: agreement 0.7, kappa 0.4", () => {
    // 50 items: both pass 20, human pass / judge fail 5, human fail / judge pass 10, both fail 15.
    const stats = calibrationStats(pairs(20, 5, 10, 15));
    expect(stats).toEqual({
      n: 50,
      agreement: 0.7,
      kappa: expect.closeTo(0.4, 12),
      tpr: 0.8,
      tnr: 0.6,
      confusion: { tp: 20, fp: 10, tn: 15, fn: 5 },
    });
  });

  it("matches a second hand-computed table: po 0.6, pe 0.54, kappa 0.06/0.46", () => {
    const stats = calibrationStats(pairs(45, 15, 25, 15));
    expect(stats.agreement).toBe(0.6);
    expect(stats.kappa).toBeCloseTo(0.06 / 0.46, 12);
    expect(stats.tpr).toBe(0.75);
    expect(stats.tnr).toBe(0.375);
  });

  it("gives high agreement but kappa 0 to a judge that passes everything on skewed labels", () => {
    const stats = calibrationStats(pairs(90, 0, 10, 0));
    expect(stats.agreement).toBe(0.9);
    expect(stats.kappa).toBe(0);
    expect(stats).toMatchObject({ tpr: 1, tnr: 0 });
  });

  it("is 1 for perfect agreement, -1 for perfect disagreement on balanced labels", () => {
    expect(calibrationStats(pairs(5, 0, 0, 5)).kappa).toBe(1);
    expect(calibrationStats(pairs(0, 5, 5, 0)).kappa).toBe(-1);
  });

  it("handles the degenerate tables without dividing by zero", () => {
    // Both raters say pass to everything: pe = po = 1, kappa defined as 1.
    expect(calibrationStats(pairs(8, 0, 0, 0))).toMatchObject({ kappa: 1, agreement: 1, tpr: 1, tnr: null });
    expect(calibrationStats(pairs(0, 0, 0, 8))).toMatchObject({ kappa: 1, tpr: null, tnr: 1 });
    // People pass everything, the judge nothing: pe = 0, kappa 0.
    expect(calibrationStats(pairs(0, 8, 0, 0))).toMatchObject({ kappa: 0, agreement: 0, tpr: 0, tnr: null });
    expect(calibrationStats([])).toEqual({
      n: 0,
      agreement: 0,
      kappa: 0,
      tpr: null,
      tnr: null,
      confusion: { tp: 0, fp: 0, tn: 0, fn: 0 },
    });
  });
});

describe("runCalibration against a judge model", () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  const ctx = () =>
    makeGraderContext({
      endpoint: server.url,
      apiKey: "sk-test",
      timeoutMs: 2000,
      configDir: "evals",
      repoRoot: "/nonexistent",
      readRepoFile: async () => null,
      embeddingModel: "text-embedding-3-small",
      judgeModel: "gpt-4o",
      retry: { attempts: 1 },
    });

  // People passed the outputs that apologise.
  const labels = parseLabels(
    [
      '{"input": "Where is my parcel?", "output": "Sorry, it is late.", "label": "pass"}',
      '{"input": "Where is my parcel?", "output": "It is late.", "label": "fail"}',
      '{"output": "We apologise for the delay.", "label": "pass"}',
      '{"output": "Not our problem.", "label": "fail"}',
      '{"output": "So sorry! Refund sent.", "label": "pass"}',
      '{"output": "Read the FAQ.", "label": "fail"}',
    ].join("\n"),
    FILE,
  );
  const spec: JudgeSpec = { type: "judge", rubric: "The reply apologises." };

  const outputOf = (req: RespondRequest) =>
    /<output>\n([\s\S]*?)\n<\/output>/.exec(messageText(req.messages.at(-1)?.content))?.[1] ?? "";
  const apologises = (text: string) => /sorry|apologi[sz]e/i.test(text);

  it("trusts a judge that agrees with people: kappa 1", async () => {
    server.setRespond((req) => JSON.stringify({ pass: apologises(outputOf(req)), reason: "checked" }));
    const result = await runCalibration(labels, spec, ctx());
    expect(result.stats).toMatchObject({ n: 6, agreement: 1, kappa: 1, tpr: 1, tnr: 1 });
    expect(result.rows.map((r) => [r.line, r.human, r.judge, r.agree])).toEqual([
      [1, true, true, true],
      [2, false, false, true],
      [3, true, true, true],
      [4, false, false, true],
      [5, true, true, true],
      [6, false, false, true],
    ]);
    expect(result.rows[0]).toMatchObject({ input: "Where is my parcel?", output: "Sorry, it is late." });
    expect(server.requests()).toHaveLength(6);
  });

  it("exposes a judge that disagrees: kappa -1", async () => {
    server.setRespond((req) => JSON.stringify({ pass: !apologises(outputOf(req)), reason: "inverted" }));
    const result = await runCalibration(labels, spec, ctx());
    expect(result.stats).toMatchObject({ agreement: 0, kappa: -1, tpr: 0, tnr: 0 });
    expect(result.rows.every((r) => !r.agree && r.reason.includes("inverted"))).toBe(true);
  });

  it("lists a row the judge could not grade as a disagreement, not dropped", async () => {
    server.setRespond((req) => {
      const output = outputOf(req);
      return output === "Not our problem."
        ? "no idea"
        : JSON.stringify({ pass: apologises(output), reason: "ok" });
    });
    const result = await runCalibration(labels, spec, ctx(), { concurrency: 2 });
    expect(result.rows).toHaveLength(6);
    const bad = result.rows[3];
    expect(bad).toMatchObject({ line: 4, human: false, judge: null, agree: false });
    expect(bad?.error).toMatch(/the judge's answer is not JSON/);
    // Counted against the judge: a human "fail" that the judge did not confirm is a false pass.
    expect(result.stats).toMatchObject({ n: 6, confusion: { tp: 3, fp: 1, tn: 2, fn: 0 } });
    expect(result.stats.agreement).toBeCloseTo(5 / 6, 12);
  });

  it("stops on a user error instead of counting it", async () => {
    const noModel = makeGraderContext({
      endpoint: server.url,
      apiKey: "k",
      timeoutMs: 1000,
      configDir: ".",
      repoRoot: "/nonexistent",
      readRepoFile: async () => null,
      embeddingModel: "e",
      judgeModel: null,
    });
    await expect(runCalibration(labels, spec, noModel)).rejects.toBeInstanceOf(UserError);
    expect(server.requests()).toHaveLength(0);
  });
});
