import { describe, expect, it } from "vitest";
import { buildReport } from "../../src/core/gate/assemble.js";
import { fitReport, reportJson } from "../../src/core/report/fit.js";
import { reportText } from "../../src/core/report/texts.js";
import { seededRng } from "../support/prng.js";
import { RandomText, randomCollected } from "../support/random-run.js";

const whole = (value: object) => `${JSON.stringify(value, null, 2)}\n`;
const pieces = (value: object) => [...reportText(value)].join("");

describe("reportText", () => {
  it("writes what JSON.stringify(report, null, 2) writes, for reports with odd text", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const t = new RandomText(seededRng(seed), { lone: seed % 2 === 0 });
      const collected = randomCollected(t, {
        cases: t.int(seed % 10 === 0 ? 200 : 40),
        slices: 1 + t.int(10),
        errorRate: t.pick([0, 0.05, 0.5]),
        withBase: t.chance(0.8),
      });
      const fitted = fitReport({ ...buildReport(collected), pr: seed, pr_head_sha: t.sized(40) });
      expect(pieces(fitted)).toBe(reportJson(fitted));
    }
  });

  it("writes values as JSON.stringify does, at any depth and in any field", () => {
    const odd = {
      schema: 'quote " backslash \\ slash / \u2028 \u0000 \ud800 😀',
      empty: [],
      none: {},
      gone: undefined,
      fn: () => 1,
      when: new Date(0),
      'key "with" quotes\n': [1, -0, Number.NaN, Number.POSITIVE_INFINITY, null],
      cases: [
        { a: 1, b: undefined, c: [undefined, () => 0, { d: "e\nf" }], g: {} },
        undefined,
        [],
        [[]],
        "text",
        0,
        { nested: { deeper: [{ deepest: ["x", { y: null }] }] } },
      ],
      last: [{}],
    };
    expect(pieces(odd)).toBe(whole(odd));
    expect(pieces({})).toBe(whole({}));
    expect(pieces({ a: undefined })).toBe(whole({ a: undefined }));
    expect(pieces({ cases: [] })).toBe(whole({ cases: [] }));
    expect(pieces({ cases: [1] })).toBe(whole({ cases: [1] }));
  });

  it("hands the text on in pieces of bounded size", () => {
    const big = {
      cases: Array.from({ length: 5000 }, (_, i) => ({ id: `case-${i}`, text: "x".repeat(i % 50) })),
    };
    const list = [...reportText(big)];
    expect(list.join("")).toBe(whole(big));
    expect(list.length).toBeGreaterThan(5);
    expect(Math.max(...list.map((p) => p.length))).toBeLessThan(70 * 1024);
  });
});
