// Behaviour drift: the exact sign test per slice and measure, the size rule, how cached runs are
// left out of latency, the verdict under gate.drift, and the rate of "behaviour changed" on PRs
// that change nothing, measured by simulation.
import { describe, expect, it } from "vitest";
import { buildReport, type Collected } from "../../src/core/gate/assemble.js";
import { bigEnough, compareDrift, describeChange } from "../../src/core/gate/drift.js";
import type { Behaviour, CaseResult } from "../../src/core/types.js";
import { printRate as print, rate } from "../support/null-prs.js";

const sets = [{ name: "anchor", visibility: "full" as const }];
const gate = { alpha: 0.05, drift: "report" as const };

function behaviour(chars: number, extra: Partial<Behaviour> = {}): Behaviour {
  return { outputs: 1, chars, refusals: 0, tool_calls: 0, timed: 1, latency_ms: 500, ...extra };
}

function kase(i: number, base: Behaviour, head: Behaviour, slice = "refund"): CaseResult {
  const side = (b: Behaviour) => ({ runs: 1, passes: 1, errors: 0, behaviour: b });
  return { id: `c${i}`, set: "anchor", slice, line: i + 1, base: side(base), head: side(head) };
}

describe("compareDrift", () => {
  it("flags outputs three times as long with the exact two-sided sign test, with alpha split between outputs and latency", () => {
    const cases = Array.from({ length: 12 }, (_, i) =>
      kase(i, behaviour(100 + i, { latency_ms: 500 + i }), behaviour(3 * (100 + i), { latency_ms: 501 + i })),
    );
    const report = compareDrift(sets, cases, gate);
    expect(report).toMatchObject({ mode: "report", min_relative: 0.2, min_points: 0.05 });
    // Refusals and tool calls are 0 on both sides: nothing to say, no row.
    expect(report.rows.map((r) => r.measure)).toEqual(["output_chars", "latency_ms"]);
    const [chars, latency] = report.rows;
    expect(chars).toMatchObject({ n: 12, base: 105.5, head: 316.5, change: 2, changed: true });
    expect(chars?.p_value).toBeCloseTo(2 * 2 ** -12, 15);
    // Alone in the output family, which has 3/4 of alpha: p / 0.75 compares to alpha.
    expect(chars?.p_adjusted).toBeCloseTo((2 * 2 ** -12) / 0.75, 15);
    // Every case 1 ms slower is significant (latency has 1/4 of alpha), and far below the size that counts.
    expect(latency?.p_adjusted).toBeCloseTo((2 * 2 ** -12) / 0.25, 15);
    expect(latency).toMatchObject({ changed: false });
    expect(describeChange(chars as NonNullable<typeof chars>)).toBe("output length +200% (106 → 317 chars)");
  });

  it("keeps latency in a family apart, so measured latencies cannot move the output measures' adjusted p", () => {
    const cases = (jitter: number) =>
      Array.from({ length: 12 }, (_, i) =>
        kase(
          i,
          behaviour(100, { latency_ms: 500 }),
          behaviour(i < 9 ? 130 : 90, { latency_ms: 500 + jitter * (i - 3) }),
        ),
      );
    const adjusted = (jitter: number) =>
      compareDrift(sets, [...cases(jitter), ...cases(jitter).map((c) => ({ ...c, slice: "b" }))], gate)
        .rows.filter((r) => r.measure === "output_chars")
        .map((r) => r.p_adjusted);
    expect(adjusted(0)).toEqual(adjusted(1));
    expect(adjusted(0)).toEqual(adjusted(-7));
  });

  it("leaves a case out of latency unless both sides asked fresh, and tells refusals in points", () => {
    const cases = Array.from({ length: 100 }, (_, i) =>
      kase(
        i,
        behaviour(100, { refusals: i < 2 ? 1 : 0, timed: i < 50 ? 0 : 1, latency_ms: i < 50 ? 0 : 400 }),
        behaviour(100, { refusals: i < 9 ? 1 : 0 }),
      ),
    );
    const rows = compareDrift(sets, cases, gate).rows;
    const refusals = rows.find((r) => r.measure === "refusal_rate");
    expect(refusals).toMatchObject({ n: 100, base: 0.02, head: 0.09, changed: true });
    expect(refusals?.change).toBeCloseTo(0.07, 12);
    expect(refusals?.p_value).toBeCloseTo(2 * 2 ** -7, 15);
    expect(describeChange(refusals as NonNullable<typeof refusals>)).toBe("refusals 2% → 9%");
    expect(rows.find((r) => r.measure === "latency_ms")?.n).toBe(50);
  });

  it("needs the change in the direction most cases moved, and of the minimum size", () => {
    // Eleven cases a little shorter, one enormous: the mean rises, the cases did not.
    const cases = Array.from({ length: 12 }, (_, i) =>
      kase(i, behaviour(200), behaviour(i === 0 ? 5000 : 190)),
    );
    const row = compareDrift(sets, cases, gate).rows[0];
    expect(row?.head).toBeGreaterThan(row?.base as number);
    expect(row?.changed).toBe(false);
    expect(bigEnough({ measure: "output_chars", base: 10, head: 25 })).toBe(false); // +150%, 15 chars
    expect(bigEnough({ measure: "output_chars", base: 1000, head: 1150 })).toBe(false); // +15%
    expect(bigEnough({ measure: "output_chars", base: 1000, head: 1250 })).toBe(true);
    expect(bigEnough({ measure: "latency_ms", base: 100, head: 140 })).toBe(false); // 40 ms
    expect(bigEnough({ measure: "tool_calls", base: 0, head: 1 })).toBe(true);
    expect(bigEnough({ measure: "refusal_rate", base: 0.5, head: 0.46 })).toBe(false);
  });
});

function collected(cases: CaseResult[], drift: "report" | "fail"): Collected {
  return {
    configPath: "eval-gate.yml",
    sets: [{ name: "anchor", visibility: "full" }],
    gate: {
      mode: "statistical",
      alpha: 0.05,
      floor: null,
      min_slice_n: 10,
      repeats: 1,
      max_error_rate: 0,
      drift,
    },
    prices: { base: null, head: null },
    notes: [],
    base: { ref: "main", sha: "a".repeat(40) },
    headSha: "b".repeat(40),
    cases,
    stats: [],
  };
}

describe("the report and the verdict", () => {
  const longer = Array.from({ length: 20 }, (_, i) => kase(i, behaviour(100), behaviour(300)));

  it("shows a changed behaviour without changing the verdict, unless gate.drift is fail", () => {
    const informative = buildReport(collected(longer, "report"));
    expect(informative.verdict).toBe("pass");
    expect(informative.drift?.rows[0]).toMatchObject({ measure: "output_chars", changed: true });
    const failing = buildReport(collected(longer, "fail"));
    expect(failing.verdict).toBe("fail");
    expect(failing.reasons).toContain(
      "Behaviour changed (gate.drift: fail): anchor/refund output length +200% (100 → 300 chars)",
    );
  });

  it("has no drift without a baseline", () => {
    const headOnly = longer.map((c) => ({ ...c, base: null }));
    expect(buildReport({ ...collected(headOnly, "fail"), base: null }).drift).toBeUndefined();
  });
});

describe("'behaviour changed' on PRs that change nothing (5 slices × 60 cases, per-request noise)", () => {
  const shape = { slices: 5, cases: 60, dimensions: 1, repeats: 1 };
  const changed = (cases: CaseResult[]) => compareDrift(sets, cases, gate).rows.some((r) => r.changed);

  it("is rare on null PRs, certain for outputs three times as long", () => {
    const nullRate = rate(1000, shape, changed);
    const significantOnly = rate(1000, shape, (c) =>
      compareDrift(sets, c, gate).rows.some((r) => r.p_adjusted !== null && r.p_adjusted < 0.05),
    );
    const repeats = rate(300, { ...shape, repeats: 3 }, changed);
    const longer = rate(200, { ...shape, lengthFactor: 3 }, changed);
    const refusals = rate(200, { ...shape, refusal: 0.02, headRefusal: 0.12 }, changed);
    const refusals3 = rate(200, { ...shape, repeats: 3, refusal: 0.02, headRefusal: 0.12 }, changed);
    print("null drift rate (single runs)", nullRate);
    print("null drift rate, significance alone", significantOnly);
    print("null drift rate (repeats 3)", repeats);
    print("detected: outputs 3x as long", longer);
    print("detected: refusals 2% -> 12% (single runs)", refusals);
    print("detected: refusals 2% -> 12% (repeats 3)", refusals3);
    expect(nullRate).toBeLessThanOrEqual(0.05);
    expect(repeats).toBeLessThanOrEqual(0.05);
    expect(significantOnly).toBeLessThanOrEqual(0.05);
    expect(longer).toBe(1);
    // Ten points of refusals are six cases of sixty: a third of the time with single runs.
    expect(refusals).toBeGreaterThan(0.2);
    expect(refusals3).toBeGreaterThan(0.8);
  });
});
