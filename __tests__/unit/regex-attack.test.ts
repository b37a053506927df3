// Issue 12 item 8: a pattern with catastrophic backtracking must not stall the job. Each attack
// runs through the real grader context; unprotected, these inputs take from seconds to minutes
// each (2^32 backtracking steps; 250 s measured for the backreference), so a regression fails on
// the time bound instead of hanging for hours.
import { afterAll, describe, expect, it } from "vitest";
import { makeGraderContext } from "../../src/adapters/graders/grader-context.js";
import { describeError } from "../../src/core/errors.js";
import { gradeRun, type RunGrade } from "../../src/core/graders/grade.js";
import type { Case, GraderSpec } from "../../src/core/types.js";

const ctx = makeGraderContext({
  endpoint: "http://127.0.0.1:9/v1",
  apiKey: "",
  timeoutMs: 1000,
  configDir: ".",
  repoRoot: process.cwd(),
  readRepoFile: async () => null,
  embeddingModel: "text-embedding-3-small",
  judgeModel: null,
});
afterAll(() => ctx.close());

const N = 32;
/** A bound with room for a slow machine; the pattern limit itself is 1 s. */
const BOUND_MS = 5000;
/** `a`×32 then a character that makes every way of splitting the run fail. */
const EVIL = `${"a".repeat(N)}b`;
const c: Case = { id: "attack", slice: "s", input: "q", vars: {}, line: 7 };

async function timed(spec: GraderSpec, output: string) {
  const started = performance.now();
  const settled: { ok: true; run: RunGrade } | { ok: false; error: Error } = await gradeRun(
    [spec],
    { case: c, output },
    ctx,
  ).then(
    (run) => ({ ok: true as const, run }),
    (error: Error) => ({ ok: false as const, error }),
  );
  return { ms: performance.now() - started, settled };
}

/** The outcome a bounded engine may give: a correct fail, or a run error that names the timeout. */
function failOrTimeout(settled: Awaited<ReturnType<typeof timed>>["settled"]): string {
  if (settled.ok) return settled.run.pass ? "pass" : "fail";
  expect(describeError(settled.error)).toMatch(/timed out after \d+ ms/);
  return "timeout";
}

describe("regex grader under catastrophic backtracking", () => {
  it.each([
    ["^(a+)+$", EVIL],
    ["(a|a)*c", "a".repeat(N)],
    ["^(\\w+\\s?)+$", `${"word ".repeat(N / 2)}!`],
  ])("grades /%s/ as a fail within the bound (the linear engine takes over)", async (pattern, output) => {
    const { ms, settled } = await timed({ type: "regex", pattern }, output);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(settled.ok && settled.run).toMatchObject({ pass: false, score: 0 });
  });

  it("stops a backreference pattern, which only backtracking can run, and names the timeout", async () => {
    const { ms, settled } = await timed({ type: "regex", pattern: "^(a+)+\\1$" }, EVIL);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(settled.ok).toBe(false);
    if (settled.ok) return;
    expect(describeError(settled.error)).toMatch(
      /^regex\.pattern: \/\^\(a\+\)\+\\1\$\/ timed out after \d+ ms/,
    );
    expect(describeError(settled.error)).toContain('case "attack"');
  });

  it("bounds a flag the linear engine may not support (i) either way", async () => {
    const { ms, settled } = await timed({ type: "regex", pattern: "^(a+)+$", flags: "i" }, EVIL);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(["fail", "timeout"]).toContain(failOrTimeout(settled));
  });

  it("still grades ordinary patterns, backreferences included, after a timeout", async () => {
    await timed({ type: "regex", pattern: "^(a+)+\\1$" }, EVIL);
    const ok = await timed({ type: "regex", pattern: "^(\\w+) \\1$" }, "hey hey");
    expect(ok.settled.ok && ok.settled.run).toMatchObject({ pass: true, score: 1 });
    const plain = await timed({ type: "regex", pattern: "order #\\d+", flags: "i" }, "ORDER #12");
    expect(plain.settled.ok && plain.settled.run.grades[0]?.reason).toBe(
      'Output matched /order #\\d+/i at "ORDER #12"',
    );
  });
});

describe("json_schema grader under catastrophic backtracking", () => {
  it("bounds a `pattern` keyword", async () => {
    const schema = { type: "string", pattern: "^(a+)+$" };
    const { ms, settled } = await timed({ type: "json_schema", schema }, JSON.stringify(EVIL));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(["fail", "timeout"]).toContain(failOrTimeout(settled));
  });

  it("stops a backreference `pattern` and names the timeout and the pattern", async () => {
    const schema = { type: "object", properties: { id: { type: "string", pattern: "^(a+)+\\1$" } } };
    const { ms, settled } = await timed({ type: "json_schema", schema }, JSON.stringify({ id: EVIL }));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(settled.ok).toBe(false);
    if (settled.ok) return;
    expect(describeError(settled.error)).toMatch(
      /^json_schema\.schema: the pattern \/\^\(a\+\)\+\\1\$\/u timed out/,
    );
  });

  it("bounds `patternProperties` keys", async () => {
    const schema = {
      type: "object",
      patternProperties: { "^(a+)+\\1$": { type: "number" } },
      additionalProperties: false,
    };
    const { ms, settled } = await timed({ type: "json_schema", schema }, JSON.stringify({ [EVIL]: 1 }));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(failOrTimeout(settled)).toBe("timeout");
  });

  it("still validates ordinary patterns", async () => {
    const schema = {
      type: "object",
      properties: { code: { type: "string", pattern: "^[A-Z]{2}-\\d+$" } },
      patternProperties: { "^x-": { type: "string" } },
      additionalProperties: false,
    };
    const ok = await timed({ type: "json_schema", schema }, '{"code":"AB-12","x-note":"hi"}');
    expect(ok.settled.ok && ok.settled.run.pass).toBe(true);
    const bad = await timed({ type: "json_schema", schema }, '{"code":"ab-12","y":1}');
    expect(bad.settled.ok && bad.settled.run.grades[0]?.reason).toMatch(/must match pattern/);
  });
});
