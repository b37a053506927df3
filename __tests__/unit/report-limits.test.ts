import { describe, expect, it } from "vitest";
import type { UserError } from "../../src/core/errors.js";
import { parseReport } from "../../src/core/report/schema.js";
import { clip, cutMarker, expectedSize, TEXT_LIMITS } from "../../src/core/report-limits.js";
import { makeCase, makeReport } from "./fixtures/report.js";

describe("clip", () => {
  it("leaves text within the limit alone", () => {
    expect(clip("refund", 6)).toBe("refund");
    expect(clip("", 0)).toBe("");
  });

  it("cuts to the limit, marker included, and says how much is gone", () => {
    const text = "x".repeat(1_000);
    const cut = clip(text, 100);
    // Room is kept for a count as long as the whole text's: 929 leaves one character spare.
    expect(cut).toBe(`${"x".repeat(71)}… [cut: 929 more characters]`);
    expect(cut).toHaveLength(99);
  });

  it("never splits a surrogate pair, wherever the cut falls", () => {
    for (let offset = 0; offset < 4; offset++) {
      const text = `${"a".repeat(offset)}${"😀é".repeat(500)}`;
      for (let max = 0; max <= 80; max++) {
        const cut = clip(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        // In `u` mode a pair is one code point: only a lone half matches `Cs`.
        expect(cut).not.toMatch(/\p{Cs}/u);
        const marker = cut.indexOf("… [cut: ");
        if (marker === -1) expect(text.startsWith(cut)).toBe(true);
        else expect(cut.slice(marker)).toBe(cutMarker(text.length - marker));
      }
    }
  });

  it("cutting twice is cutting once", () => {
    const text = "é😀".repeat(40_000);
    const once = clip(text, TEXT_LIMITS.output);
    expect(clip(once, TEXT_LIMITS.output)).toBe(once);
  });
});

/** The field the reader names when it refuses the report; null when it accepts it. */
function refusal(json: string): string | null {
  try {
    parseReport(json, "report.json");
    return null;
  } catch (e) {
    return (e as UserError).field ?? String(e);
  }
}

describe("the reader's bound on an expected value", () => {
  const withExpected = (expected: unknown) =>
    JSON.stringify(makeReport({ cases: [makeCase({ id: "c", set: "s", slice: "x", expected })] }));

  it("measures strings by length and any other value by its compact JSON", () => {
    expect(expectedSize("abc")).toBe(3);
    expect(expectedSize({ a: [1, 2] })).toBe('{"a":[1,2]}'.length);
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(expectedSize(deep)).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses a value past the limit, as it does any other text", () => {
    const big = Array.from({ length: 30_000 }, (_, i) => i);
    expect(refusal(withExpected(big))).toBe("cases.0.expected");
    expect(refusal(withExpected("x".repeat(TEXT_LIMITS.expected + 1)))).toBe("cases.0.expected");
    expect(refusal(withExpected(big.slice(0, 1_000)))).toBeNull();
  });
});
