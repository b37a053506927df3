// The dimension and drift parts of a report: the writer cuts them to the reader's limits, the
// reader refuses them misshapen.
import { describe, expect, it } from "vitest";
import type { UserError } from "../../src/core/errors.js";
import { fitReport, reportJson } from "../../src/core/report/fit.js";
import { parseReport } from "../../src/core/report/schema.js";
import { COUNT_LIMITS, TEXT_LIMITS } from "../../src/core/report-limits.js";
import type { DimensionDiff, DriftDiff, Report } from "../../src/core/report-types.js";
import { makeCase, makeReport } from "./fixtures/report.js";

function read(report: Report): Report {
  try {
    return parseReport(reportJson(fitReport(report)), "report.json");
  } catch (e) {
    throw new Error(typeof (e as UserError).format === "function" ? (e as UserError).format() : String(e));
  }
}

const dimensionRow = (i: number, status: DimensionDiff["status"] = "unchanged"): DimensionDiff => ({
  set: "anchor",
  slice: `s${i}`,
  dimension: "judge: polite",
  n: 20,
  base_score: 0.9,
  head_score: 0.9,
  delta: 0,
  p_value: null,
  p_adjusted: null,
  p_improved: null,
  p_improved_adjusted: null,
  status,
  undersampled: false,
});

const driftRow = (i: number, changed = false): DriftDiff => ({
  set: "anchor",
  slice: `s${i}`,
  measure: "output_chars",
  n: 20,
  base: 100,
  head: changed ? 300 : 101,
  change: changed ? 2 : 0.01,
  p_value: 0.5,
  p_adjusted: 1,
  changed,
});

describe("dimensions and drift in the report file", () => {
  it("cuts a case's dimension names and list with its tallies, and keeps the rows that matter first", () => {
    const keys = Array.from({ length: 150 }, (_, i) => `${"k".repeat(400)}${i}`);
    const side = {
      runs: 1,
      passes: 0,
      errors: 0,
      dim_passes: keys.map(() => 1),
      dim_scores: keys.map(() => 1),
    };
    const rows = Array.from({ length: COUNT_LIMITS.dimensionRows + 5 }, (_, i) => dimensionRow(i));
    rows.push(dimensionRow(-1, "dropped"));
    const drift = Array.from({ length: COUNT_LIMITS.driftRows + 5 }, (_, i) => driftRow(i));
    drift.push(driftRow(-1, true));
    const report = makeReport({
      cases: [
        { ...makeCase({ id: "c", set: "anchor", slice: "s" }), base: side, head: side, dimensions: keys },
      ],
      dimensions: { review_drop: 0.01, rows },
      drift: {
        mode: "fail",
        min_relative: 0.2,
        min_points: 0.05,
        min_absolute: { output_chars: 20, latency_ms: 50, tool_calls: 0.2 },
        rows: drift,
      },
    });
    const back = read(report);
    const c = back.cases[0];
    expect(c?.dimensions).toHaveLength(COUNT_LIMITS.caseDimensions);
    expect(c?.head.dim_passes).toHaveLength(COUNT_LIMITS.caseDimensions);
    expect(c?.base?.dim_scores).toHaveLength(COUNT_LIMITS.caseDimensions);
    expect(Math.max(...(c?.dimensions ?? []).map((k) => k.length))).toBe(TEXT_LIMITS.dimension);
    expect(back.dimensions?.rows).toHaveLength(COUNT_LIMITS.dimensionRows);
    expect(back.dimensions?.rows.some((r) => r.status === "dropped")).toBe(true);
    expect(back.drift?.rows).toHaveLength(COUNT_LIMITS.driftRows);
    expect(back.drift?.rows.some((r) => r.changed)).toBe(true);
    expect(back.reasons).toContain(
      `The report lists ${COUNT_LIMITS.dimensionRows} of ${rows.length} dimension rows (dropped first); the verdict counts them all.`,
    );
  });

  const kase = makeCase({ id: "c", set: "anchor", slice: "s" });
  const behaviour = { outputs: 1, chars: 2, refusals: 0, tool_calls: 0, timed: 0, latency_ms: 0 };
  const drift = (rows: unknown[]) => ({
    mode: "report",
    min_relative: 0.2,
    min_points: 0.05,
    min_absolute: { output_chars: 20, latency_ms: 50, tool_calls: 0.2 },
    rows,
  });
  // Each pair differs in the one field under test: the reader takes the first and refuses the second.
  it.each([
    ["a negative tally", { dim_passes: [1] }, { dim_passes: [-1] }],
    ["a score past 1", { dim_scores: [1] }, { dim_scores: [1.5] }],
    ["behaviour with a fraction", { behaviour }, { behaviour: { ...behaviour, chars: 1.5 } }],
  ])("refuses a case side with %s", (_, good, bad) => {
    const side = (extra: object) =>
      JSON.stringify(makeReport({ cases: [{ ...kase, head: { ...kase.head, ...extra } }] }));
    expect(parseReport(side(good), "good.json").cases[0]?.head).toMatchObject(good);
    expect(() => parseReport(side(bad), "bad.json")).toThrow(/not an eval-gate report/);
  });

  it.each([
    [
      "an unknown status",
      { dimensions: { review_drop: 0.01, rows: [dimensionRow(1)] } },
      { dimensions: { review_drop: 0.01, rows: [{ ...dimensionRow(1), status: "regressed" }] } },
    ],
    [
      "an unknown key",
      { dimensions: { review_drop: 0.01, rows: [dimensionRow(1)] } },
      { dimensions: { review_drop: 0.01, rows: [{ ...dimensionRow(1), extra: 1 }] } },
    ],
    [
      "an unknown measure",
      { drift: drift([driftRow(1)]) },
      { drift: drift([{ ...driftRow(1), measure: "tokens" }]) },
    ],
    [
      "a change under -100%",
      { drift: drift([driftRow(1)]) },
      { drift: drift([{ ...driftRow(1), change: -2 }]) },
    ],
  ])("refuses a report with %s", (_, good, bad) => {
    expect(() => parseReport(JSON.stringify({ ...makeReport(), ...good }), "good.json")).not.toThrow();
    expect(() => parseReport(JSON.stringify({ ...makeReport(), ...bad }), "bad.json")).toThrow(
      /not an eval-gate report/,
    );
  });
});
