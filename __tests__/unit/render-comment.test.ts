import { describe, expect, it } from "vitest";
import { commentMarker, renderComment } from "../../src/core/report/render/comment.js";
import { NO_BASELINE } from "../../src/core/report/render/sections.js";
import { errorReport } from "../../src/core/report/report.js";
import type { Report } from "../../src/core/report-types.js";
import { seededRng } from "../support/prng.js";
import { splitFences, structuralProblems, tables } from "./fixtures/markdown.js";
import { flippedCase, makeReport, makeSlice } from "./fixtures/report.js";
import {
  brokenAnchorReport,
  errorsReport,
  holdoutReport,
  hugeReport,
  manySlicesReport,
  noBaselineReport,
  repeatsReport,
} from "./fixtures/scenarios.js";

const MARKER = "<!-- eval-gate:default -->";
const render = (report: Report, extra: { maxChars?: number; overrideLabelUsed?: string } = {}) =>
  renderComment(report, {
    commentId: "default",
    runUrl: "https://github.com/acme/app/actions/runs/42",
    ...extra,
  });

function expectSound(body: string, max = 60_000): void {
  expect(body.length).toBeLessThanOrEqual(max);
  expect(body.startsWith(`${MARKER}\n`)).toBe(true);
  expect(body.split(MARKER)).toHaveLength(2);
  expect(structuralProblems(body)).toEqual([]);
}

/** Data rows of the first table, as cell arrays. */
function firstTableRows(body: string): string[][] {
  const t = tables(splitFences(body).outside)[0] ?? [];
  return t.slice(2).map((row) => row.split(" | ").map((c) => c.replace(/^\| |\s\|$/g, "")));
}

describe("renderComment", () => {
  it("(a) names the broken anchor slice first and shows its flipped cases", () => {
    const body = render(brokenAnchorReport());
    expectSound(body);
    expect(body).toMatchSnapshot();
    expect(body).toContain("## ❌ eval-gate: fail");
    expect(body).toContain("**Worst slice:** anchor / refund: 90% → 45%, -45 pts [-63, -25] (🔴 regressed)");
    const rows = firstTableRows(body);
    expect(rows[0]?.[0]).toBe("refund");
    expect(rows[0]).toContain("90% → 45%");
    expect(rows[0]).toContain("-45 pts [-63, -25]");
    // anchor and rotation side by side: one table, both groups, the union of slice names.
    // …plus the usage table, which compares the two sides' monitoring signals.
    expect(tables(splitFences(body).outside).filter((t) => !t[0]?.startsWith("| usage"))).toHaveLength(1);
    expect(rows.map((r) => r[0]).sort()).toEqual(["billing", "refund", "smalltalk", "tone"]);
    expect(body).toContain("8 †");
    expect(body).toContain(
      "<details><summary>🔴 anchor / refund (regressed): 9 cases passed on base, fail on head</summary>",
    );
    expect(body).toContain("rotation / billing (improved): 2 cases failed on base, pass on head");
    // The forged marker in a model output is defused, the mention inside a fence stays text.
    expect(body).toContain("<!\u200b-- eval-gate:default --\u200b>");
    expect(body).not.toContain("Left out to fit");
    expect(body).toContain("[workflow run](https://github.com/acme/app/actions/runs/42)");
  });

  it("(b) says there is no baseline and shows the cases under the floor", () => {
    const body = render(noBaselineReport());
    expectSound(body);
    expect(body).toContain(NO_BASELINE);
    expect(body).toContain("### Failing cases");
    expect(body).toContain("anchor / refund (below floor): 1 case fail on head");
    expect(body).not.toContain("Base output");
    expect(body).not.toContain("billing-001");
    expect(firstTableRows(body)[0]).toContain("70%");
  });

  it("(c) adds pass^k columns only when repeats > 1", () => {
    const body = render(repeatsReport());
    expectSound(body);
    expect(body).toMatchSnapshot();
    expect(body).toContain("pass^3");
    expect(body).toContain("80% → 60%");
    expect(body).toContain("passed 3/3");
    expect(body).toContain("pass less often on head");
    expect(render(brokenAnchorReport())).not.toContain("pass^");
  });

  it("(d) summarises errors with their top causes, inert", () => {
    const body = render(errorsReport());
    expectSound(body);
    expect(body).toContain("## 💥 eval-gate: error");
    expect(body).toContain("12 runs ended in error (base 2, head 10; 5% of all runs)");
    expect(body).toContain("- 429 Too Many Requests \\(x9\\)");
    expect(body).toContain("@\u200bjudge-bot");
    expect(render(brokenAnchorReport())).not.toContain("### 💥 Errors");
  });

  it("(e) reports a holdout set as a score only, never its cases", () => {
    const report = holdoutReport();
    report.cases.push(flippedCase("secret-1", "holdout", "*", 1, { head_output: "HOLDOUT SECRET" }));
    const body = render(report);
    expectSound(body);
    expect(body).toContain("### Aggregate sets (scores only, no case detail)");
    expect(body).toMatch(/\| holdout \| 60 \| 85% → 80% \| -5 pts \[-12, \+2\] \| 0\.30 \| 🟡 dropped \|/);
    expect(body).not.toContain("secret-1");
    expect(body).not.toContain("HOLDOUT SECRET");
  });

  it("(f) says when the override label let the failing verdict pass", () => {
    const body = render(brokenAnchorReport(), { overrideLabelUsed: "eval-gate:accept" });
    expectSound(body);
    expect(body).toContain("🏷️ The **eval-gate:accept** label let the failing verdict pass the check");
    expect(render(brokenAnchorReport())).not.toContain("🏷️");
  });

  it("uses the verdict icons", () => {
    expect(render(makeReport())).toContain("## ✅ eval-gate: pass");
    expect(render(repeatsReport())).toContain("## \u26a0\ufe0f eval-gate: review");
  });

  it("keeps 300 failing cases with 20,000-character outputs under the budget, tables intact", () => {
    const report = hugeReport(300, 20_000);
    const body = render(report);
    expectSound(body);
    expect(body.length).toBeGreaterThan(30_000);
    const rows = tables(splitFences(body).outside)[0] ?? [];
    expect(rows).toHaveLength(2 + 10);
    expect(body).toContain("✂️ **Left out to fit:**");
    expect(body).toContain("The job summary and the JSON report artifact have the full detail.");
    // The worst slice keeps its detail longest.
    expect(body).toContain("<details><summary>🔴 anchor / slice-0 (regressed)");
  });

  it("cuts in stages as the budget shrinks, and never exceeds it", () => {
    const report = hugeReport(300, 20_000);
    let previous = Number.POSITIVE_INFINITY;
    for (const max of [60_000, 20_000, 8_000, 3_000, 1_500, 600, 120, 10]) {
      const body = render(report, { maxChars: max });
      expect(body.length).toBeLessThanOrEqual(max);
      const blocks = (body.match(/<details>/g) ?? []).length;
      expect(blocks).toBeLessThanOrEqual(previous);
      previous = blocks;
      if (max >= 600) expectSound(body, max);
    }
    // With no room for detail the tables are still there.
    const tight = render(report, { maxChars: 3_000 });
    expect(tight).not.toContain("<details>");
    expect(tight).toContain("| slice-0 |");
    expect(tight).toContain("all case detail");
  });

  it("drops table rows least severe first when even the tables do not fit", () => {
    const body = render(manySlicesReport(5000));
    expectSound(body);
    expect(body).toMatch(/_… and [\d,]+ more slice rows not shown/);
    const rows = firstTableRows(body);
    expect(rows[0]?.[0]).toBe("slice-0042");
  });

  it("stays sound for random reports full of nasty text", () => {
    const rng = seededRng(7);
    const nasty = [
      "@a",
      "#1",
      "<b>",
      "|",
      "```",
      "<!--",
      "-->",
      "</details>",
      "a/b#3",
      "\u202e",
      "\n",
      "http://x",
    ];
    const word = () =>
      nasty[Math.floor(rng() * nasty.length)] + String.fromCharCode(97 + Math.floor(rng() * 26));
    const text = (n: number) => Array.from({ length: n }, word).join(rng() < 0.3 ? "\n" : " ");
    for (let round = 0; round < 25; round++) {
      const slices = Array.from({ length: 1 + Math.floor(rng() * 30) }, (_, i) =>
        makeSlice({
          set: ["anchor", "rotation", text(1), "holdout"][i % 4] as string,
          slice: text(2),
          status: (["regressed", "below_floor", "dropped", "improved", "unchanged"] as const)[
            Math.floor(rng() * 5)
          ],
          head_score: rng(),
          aggregate: i % 4 === 3,
        }),
      );
      const cases = Array.from({ length: Math.floor(rng() * 60) }, (_, i) => {
        const s = slices[i % slices.length] as (typeof slices)[number];
        return flippedCase(text(1), s.set, s.slice, i + 1, {
          input: text(5),
          expected: { deep: text(3) },
          base_output: text(Math.floor(rng() * 400)),
          head_output: text(Math.floor(rng() * 400)),
          head_reason: text(3),
        });
      });
      const report = makeReport({ verdict: "fail", reasons: [text(4)], slices, cases });
      const max = [60_000, 10_000, 2_000][round % 3] as number;
      const body = renderComment(report, { commentId: "default", overrideLabelUsed: text(1), maxChars: max });
      expectSound(body, max);
    }
  });
});

describe("a run that could not be done", () => {
  it("shows the whole error message and claims nothing about a baseline", () => {
    const message =
      "eval-gate.yml: target.base_url: endpoint https://a-rather-long-gateway-name.internal.example.com/openai/v1 is not allowed. Use the workflow's OPENAI_BASE_URL or https://api.openai.com/v1, or add the URL to the action's `allowed-base-urls` input.";
    const body = render(errorReport([message], { configPath: "eval-gate.yml", headSha: "a".repeat(40) }));
    expectSound(body);
    expect(body).toContain("allowed-base-urls\\` input.");
    expect(body).not.toMatch(/no baseline/i);
  });
});

describe("commentMarker", () => {
  it("keeps ordinary ids and defuses ones that could end the comment", () => {
    expect(commentMarker("default")).toBe(MARKER);
    expect(commentMarker("nightly.v2")).toBe("<!-- eval-gate:nightly.v2 -->");
    const body = renderComment(brokenAnchorReport(), { commentId: "nightly" });
    expect(body.startsWith("<!-- eval-gate:nightly -->\n## ❌ eval-gate · nightly: fail\n")).toBe(true);
    expect(commentMarker("x --> <b>")).toBe("<!-- eval-gate:x_-___b_ -->");
  });
});

describe("judges in the comment", () => {
  it("shows an untrusted judge with its figures and the slices it cannot fail", () => {
    const report = brokenAnchorReport();
    report.judges = [
      {
        key: "k",
        rubric: "Pass when the reply confirms the refund.",
        model: "gpt-4o",
        stats: {
          n: 20,
          agreement: 0.55,
          kappa: 0.1,
          tpr: 0.6,
          tnr: 0.5,
          confusion: { tp: 6, fp: 5, tn: 5, fn: 4 },
        },
        min_kappa: 0.6,
        trusted: false,
        disagreements: 9,
      },
    ];
    report.slices = report.slices.map((s) =>
      s.slice === "refund" && s.set === "anchor" ? { ...s, judge_untrusted: true } : s,
    );
    const body = renderComment(report, { commentId: "default" });
    expect(body).toContain("### Judges");
    expect(body).toContain("| 20 | 55% | 0.10 | 60% / 50% | ⛔ judge not trusted (κ under 0.6)");
    expect(body).toContain("Graded by a judge that is not trusted: anchor / refund");
  });
});
