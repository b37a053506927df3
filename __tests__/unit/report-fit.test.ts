import { describe, expect, it } from "vitest";
import type { UserError } from "../../src/core/errors.js";
import { type FittedReport, fitReport, reportJson } from "../../src/core/report/fit.js";
import { parseReport } from "../../src/core/report/schema.js";
import { ARRAY_FRAME_BYTES, elementBytes, skeletonBytes } from "../../src/core/report/size.js";
import { COUNT_LIMITS, REPORT_BYTES, TEXT_LIMITS } from "../../src/core/report-limits.js";
import type { Report } from "../../src/core/report-types.js";
import { flippedCase, makeCase, makeReport, makeSlice } from "./fixtures/report.js";
import { brokenAnchorReport } from "./fixtures/scenarios.js";

/** Fits, writes and reads back: the reader must accept, within the file limit. */
function roundTrip(report: Report): { fitted: FittedReport; bytes: number } {
  const fitted = fitReport(report);
  const json = reportJson(fitted);
  try {
    parseReport(json, "report.json");
  } catch (e) {
    throw new Error((e as UserError).format());
  }
  const bytes = Buffer.byteLength(json);
  expect(bytes).toBeLessThanOrEqual(REPORT_BYTES);
  return { fitted, bytes };
}

// The worst text for size: every character a control, which JSON writes as six bytes (\u0001).
const worst = (n: number, tag = "") => `${tag}${"\u0001".repeat(n - tag.length)}`;

describe("fitReport", () => {
  it("leaves a report within every limit as it is", () => {
    const report = brokenAnchorReport();
    const fitted = fitReport(report);
    expect(fitted).toEqual(report);
    expect(reportJson(fitted)).toBe(`${JSON.stringify(report, null, 2)}\n`);
    expect(fitReport(fitted)).toEqual(fitted);
  });

  it("passes the statistics' fields through, and the reader checks them", () => {
    const report = brokenAnchorReport();
    const stats = {
      ci_level: 0.9,
      noise: 0.05,
      design_effect: 2.5,
      clusters: 8,
      testable: false,
      p_floor: 0.2,
      p_floor_adjusted: 0.6,
      status: "below_floor_unproven" as const,
    };
    const slices = report.slices.map((s, i) => (i === 0 ? { ...s, ...stats } : s));
    const cases = report.cases.map((c, i) => (i === 0 ? { ...c, cluster: "ticket-7" } : c));
    const withStats = { ...report, slices, cases, config: { ...report.config, review_drop: 0.02 } };
    expect(roundTrip(withStats).fitted).toEqual(withStats);
    const json = (over: Record<string, unknown>) =>
      reportJson(fitReport({ ...withStats, slices: [{ ...(slices[0] as (typeof slices)[0]), ...over }] }));
    const refused = (over: Record<string, unknown>) => {
      try {
        parseReport(json(over), "r.json");
      } catch (e) {
        return (e as UserError).field;
      }
      return "accepted";
    };
    expect(refused({ noise: 0.3 })).toBe("slices.0.noise");
    expect(refused({ design_effect: 0.5 })).toBe("slices.0.design_effect");
    expect(refused({ status: "dropped_maybe" })).toBe("slices.0.status");
  });

  it("measures the file to the byte", () => {
    const { fitted, bytes } = roundTrip(brokenAnchorReport());
    const parts =
      skeletonBytes(fitted, ["slices", "cases"]) +
      2 * ARRAY_FRAME_BYTES +
      [...fitted.slices, ...fitted.cases].reduce((sum, x) => sum + elementBytes(x), 0);
    expect(parts).toBe(bytes);
  });

  it("cuts every text to its limit with a marker, and keeps the report's shape", () => {
    const long = "é😀".repeat(60_000);
    const report = makeReport({
      reasons: Array.from({ length: 150 }, (_, i) => `${i} ${long}`),
      slices: [makeSlice({ set: long, slice: long })],
      cases: [flippedCase(long, long, long, 1, { base_output: long, input: long, expected: { text: long } })],
      errors: { base: 1, head: 0, runs: 1, rate: 0.5, causes: Array.from({ length: 30 }, () => long) },
      judges: [
        {
          key: long,
          rubric: long,
          model: long,
          stats: null,
          min_kappa: 0.6,
          trusted: null,
          disagreements: 0,
        },
      ],
    });
    const { fitted } = roundTrip(report);
    expect(fitted.reasons).toHaveLength(COUNT_LIMITS.reasons);
    expect(fitted.reasons[0]).toMatch(/^0 (é😀)+.*… \[cut: \d+ more characters\]$/su);
    expect(fitted.errors.causes).toHaveLength(COUNT_LIMITS.causes);
    const c = fitted.cases[0];
    expect(c?.id.length).toBeLessThanOrEqual(TEXT_LIMITS.id);
    expect(c?.base_output?.length).toBeLessThanOrEqual(TEXT_LIMITS.output);
    // An expected value too big to keep becomes its JSON text, cut like any other.
    expect(c?.expected).toMatch(/^\{"text":"(é😀)+.*… \[cut: \d+ more characters\]$/su);
    expect(fitted.slices[0]?.slice).toBe(c?.slice);
  });

  it("cuts case texts shorter when the whole would pass 50 MB, and says so", () => {
    const output = "a".repeat(TEXT_LIMITS.output);
    const cases = Array.from({ length: 400 }, (_, i) =>
      flippedCase(`c${i}`, "anchor", "refund", i + 1, { base_output: output, head_output: output }),
    );
    const { fitted } = roundTrip(makeReport({ cases }));
    expect(fitted.cases).toHaveLength(400);
    expect(fitted.cases[0]?.base_output).toHaveLength(20_000 - 1);
    expect(fitted.reasons.at(-1)).toBe(
      "Case texts (outputs, inputs, expected values, grader reasons) are cut to 20000 characters each, to keep the report under 50 MB.",
    );
  });

  it("then lists fewer cases, keeping those that got worse", () => {
    const cases = Array.from({ length: 8_000 }, (_, i) =>
      makeCase({
        id: worst(TEXT_LIMITS.id, `c${i}-`),
        set: worst(TEXT_LIMITS.name),
        slice: worst(TEXT_LIMITS.name),
        file: worst(TEXT_LIMITS.path),
        line: i + 1,
        ...(i % 1_000 === 999 ? { head: { runs: 1, passes: 0, errors: 0 } } : {}),
      }),
    );
    const { fitted } = roundTrip(makeReport({ cases }));
    expect(fitted.cases.length).toBeGreaterThan(1_000);
    expect(fitted.cases.length).toBeLessThan(8_000);
    const worse = fitted.cases.filter((c) => c.head.passes === 0).map((c) => c.line);
    expect(worse).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
    expect(fitted.cases.map((c) => c.line)).toEqual(
      [...fitted.cases.map((c) => c.line)].sort((a, b) => a - b),
    );
    expect(fitted.reasons.at(-1)).toMatch(/^The report lists \d+ of 8000 cases \(those that got worse/);
  });

  it("and only then fewer slices, keeping the worst, while the verdict stands", () => {
    const slices = Array.from({ length: 20_000 }, (_, i) =>
      makeSlice({ set: worst(TEXT_LIMITS.name), slice: worst(TEXT_LIMITS.name, `s${i}-`) }),
    );
    slices[19_999] = {
      ...(slices[19_999] as Report["slices"][number]),
      status: "regressed",
      head_score: 0.2,
    };
    const { fitted } = roundTrip(
      makeReport({ verdict: "fail", slices, cases: [flippedCase("c", "anchor", "x", 1)] }),
    );
    expect(fitted.verdict).toBe("fail");
    expect(fitted.slices.length).toBeLessThan(20_000);
    expect(fitted.slices.at(-1)?.status).toBe("regressed");
    expect(fitted.reasons).toContainEqual(
      expect.stringMatching(/^The report lists the \d+ worst of 20000 slices/),
    );
  });

  it("keeps all 100,000 slices the reader takes, and fills the room left with cases", () => {
    const slices = Array.from({ length: COUNT_LIMITS.slices }, (_, i) =>
      makeSlice({ set: "anchor", slice: `slice-${i}`, mde: 0.31, p_value: 0.123456789 }),
    );
    const cases = slices.map((s, i) => makeCase({ id: `c${i}`, set: "anchor", slice: s.slice, line: i + 1 }));
    const { fitted } = roundTrip(makeReport({ slices, cases }));
    expect(fitted.slices).toHaveLength(COUNT_LIMITS.slices);
    expect(fitted.cases.length).toBeGreaterThan(1_000);
    // These cases have no text to cut: the report says only what it did.
    expect(fitted.reasons).toEqual([
      `The report lists ${fitted.cases.length} of ${cases.length} cases (those that got worse, errored or changed first), to stay under 50 MB.`,
    ]);
  });

  it("keeps at most as many cases as the reader takes", () => {
    const cases = Array.from({ length: COUNT_LIMITS.cases + 5 }, (_, i) =>
      makeCase({ id: `c${i}`, set: "a", slice: "s", line: i + 1 }),
    );
    const { fitted } = roundTrip(makeReport({ cases }));
    expect(fitted.cases).toHaveLength(COUNT_LIMITS.cases);
    expect(fitted.reasons).toEqual([
      `The report lists ${COUNT_LIMITS.cases} of ${COUNT_LIMITS.cases + 5} cases (those that got worse, errored or changed first), to stay under 50 MB.`,
    ]);
  });

  it("leaves room for slices and cases when every other field is at its worst", () => {
    const judge = {
      key: worst(TEXT_LIMITS.judgeKey),
      rubric: worst(TEXT_LIMITS.rubric),
      model: worst(TEXT_LIMITS.model),
    };
    const report = makeReport({
      reasons: Array.from({ length: COUNT_LIMITS.reasons }, () => worst(TEXT_LIMITS.reason)),
      judges: Array.from({ length: COUNT_LIMITS.judges }, () => ({
        ...judge,
        stats: null,
        min_kappa: 0.6,
        trusted: false,
        disagreements: 0,
      })),
      slices: [makeSlice({ set: "anchor", slice: "refund", status: "regressed" })],
      cases: [flippedCase("c", "anchor", "refund", 1)],
    });
    const { fitted, bytes } = roundTrip(report);
    expect(bytes).toBeLessThan(REPORT_BYTES / 2);
    expect([fitted.slices.length, fitted.cases.length]).toEqual([1, 1]);
  });
});
