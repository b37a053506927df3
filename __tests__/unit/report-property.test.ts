// Property: every report eval-gate writes, post-report reads. Random runs go through the writer's
// real path (buildReport, the PR fields the action adds, fitReport, reportJson) into parseReport.
// A failure names its seed: `new RandomText(seededRng(seed), ...)` rebuilds the run.
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/core/errors.js";
import { buildReport, type Collected } from "../../src/core/gate/assemble.js";
import { type FittedReport, fitReport, reportJson } from "../../src/core/report/fit.js";
import { errorReport } from "../../src/core/report/report.js";
import { parseReport } from "../../src/core/report/schema.js";
import { COUNT_LIMITS, REPORT_BYTES } from "../../src/core/report-limits.js";
import type { Report } from "../../src/core/report-types.js";
import { seededRng } from "../support/prng.js";
import { RandomText, randomCollected, wellFormed } from "../support/random-run.js";

const SAMPLES = 200;

function write(report: Report, t: RandomText): { fitted: FittedReport; json: string } {
  const fitted = fitReport({ ...report, pr: 1 + t.int(99_999), pr_head_sha: t.sized(64) });
  return { fitted, json: reportJson(fitted) };
}

function expectAccepted(json: string, seed: number | string): void {
  expect(Buffer.byteLength(json)).toBeLessThanOrEqual(REPORT_BYTES);
  let refusal = "";
  try {
    parseReport(json, `seed ${seed}`);
  } catch (e) {
    refusal = e instanceof UserError ? e.format() : String(e);
  }
  expect(refusal).toBe("");
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) strings(v, out);
  return out;
}

describe("every report the writer makes, the reader accepts", () => {
  it(`holds for ${SAMPLES} seeded random runs`, () => {
    let cut = 0;
    let signals = 0;
    for (let seed = 1; seed <= SAMPLES; seed++) {
      const t = new RandomText(seededRng(seed), { lone: seed % 2 === 0 });
      const collected = randomCollected(t, {
        cases: t.int(t.chance(0.05) ? 150 : 30),
        slices: 1 + t.int(30),
        errorRate: t.pick([0, 0.05, 0.5]),
        withBase: t.chance(0.8),
      });
      const { fitted, json } = write(buildReport(collected), t);
      expectAccepted(json, seed);
      // Cuts never split a surrogate pair: text that was well formed stays so.
      if (!t.options.lone) expect(strings(fitted).filter((s) => !wellFormed(s))).toEqual([]);
      if (json.includes("… [cut: ")) cut++;
      if (fitted.dimensions && fitted.drift) signals++;
    }
    // Dimension and drift sections were part of many of them.
    expect(signals).toBeGreaterThan(SAMPLES / 4);
    // The samples did reach the limits (else this test would prove little).
    expect(cut).toBeGreaterThan(SAMPLES / 2);
  }, 120_000);

  it("holds for the report of a run that could not be done, whatever its messages", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const t = new RandomText(seededRng(seed), { lone: true });
      const messages = Array.from({ length: t.int(300) }, () => t.sized(10_000));
      const report = errorReport(messages, { configPath: t.sized(500), headSha: t.sized(64) });
      expectAccepted(write(report, t).json, `error ${seed}`);
    }
  });

  it("holds for a 10,000-slice run with a 300 KB output, which the reader refuses uncut", () => {
    const t = new RandomText(seededRng(7), { lone: false, huge: 0.001, long: 0.01 });
    const collected: Collected = randomCollected(t, {
      cases: 10_000,
      slices: 10_000,
      errorRate: 0.01,
      withBase: true,
      expected: "text",
    });
    // One slice a case, as a set whose slices are its case ids would have.
    collected.sets = collected.sets.map((s) => ({ ...s, visibility: "full" }));
    collected.cases = collected.cases.map(({ new: _new, ...c }, i) => ({
      ...c,
      set: "anchor",
      slice: `slice-${i}`,
    }));
    const first = collected.cases[0] as Collected["cases"][number];
    collected.cases[0] = { ...first, head_output: "é😀a".repeat(75_000) };
    const report = buildReport(collected);
    expect(report.slices).toHaveLength(10_000);
    expect(() => parseReport(JSON.stringify(report), "uncut")).toThrow(/not an eval-gate report/);
    const { fitted, json } = write(report, t);
    expectAccepted(json, "10,000 slices");
    expect(fitted.slices).toHaveLength(report.slices.length);
    // More behaviour rows than the reader takes: the writer keeps the changed ones first, and says so.
    expect(report.drift?.rows.length).toBeGreaterThan(COUNT_LIMITS.driftRows);
    expect(fitted.drift?.rows).toHaveLength(COUNT_LIMITS.driftRows);
    expect(fitted.reasons.some((r) => r.startsWith(`The report lists ${COUNT_LIMITS.driftRows} of`))).toBe(
      true,
    );
    expect(fitted.cases[0]?.head_output).toMatch(/^(é😀a)+.*… \[cut: \d+ more characters\]$/su);
  });
});
