// A case's side counts graded runs in `runs` and errored ones apart in `errors` (reduce.ts). The
// comment's and summary's case lists must read them so: a case that passed its one graded run and
// errored on another passed, and one whose graded runs all passed did not get worse.
import { describe, expect, it } from "vitest";
import { renderComment } from "../../src/core/report/render/comment.js";
import { caseScore } from "../../src/core/report/render/format.js";
import { brokenAnchorReport } from "./fixtures/scenarios.js";

describe("cases with errored runs in the views", () => {
  it("score over graded runs only", () => {
    expect(caseScore({ runs: 1, passes: 1, errors: 1 })).toBe(1);
    expect(caseScore({ runs: 2, passes: 1, errors: 1 })).toBe(0.5);
    expect(caseScore({ runs: 0, passes: 0, errors: 2 })).toBeNull();
  });

  it("do not list a case as changed when its graded runs passed on both sides", () => {
    const report = brokenAnchorReport();
    const c = report.cases.find((x) => x.head.passes < x.head.runs);
    if (!c) throw new Error("fixture has no failing case");
    // Both sides passed both graded runs; head also errored once.
    const steady = {
      ...c,
      id: "steady-with-errors",
      base: { runs: 2, passes: 2, errors: 0 },
      head: { runs: 2, passes: 2, errors: 1 },
    };
    const body = renderComment({ ...report, cases: [...report.cases, steady] }, { commentId: "default" });
    expect(body).not.toContain("steady-with-errors");
  });
});
