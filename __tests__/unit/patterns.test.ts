// The bounded pattern engine: which patterns V8 runs in linear time on this Node, that the worker
// path answers as a RegExp would, and that its time limit stops a match and recovers.
import { afterAll, describe, expect, it } from "vitest";
import { createPatternEngine } from "../../src/adapters/patterns/patterns.js";
import {
  boundBacktracking,
  fallbackHolds,
  runsInLinearTime,
} from "../../src/adapters/patterns/regexp-flags.js";
import { PatternTimeout } from "../../src/core/graders/patterns.js";

const engine = createPatternEngine({ limitMs: 300 });
afterAll(() => engine.close());

/** Unprotected, about 2^32 backtracking steps: tens of seconds. */
const EVIL = `${"a".repeat(32)}b`;

describe("V8's linear-time fallback, enabled at run time", () => {
  it("holds on this Node, so catastrophic linear-capable patterns finish in this thread", () => {
    boundBacktracking();
    expect(fallbackHolds()).toBe(true);
    for (const source of ["^(a+)+$", "(a|a)*c", "^(a*)*$", "^(?:a|aa)+$", "^(\\w+\\s?)+!$"]) {
      const started = performance.now();
      expect(new RegExp(source).test(EVIL)).toBe(false);
      expect(performance.now() - started).toBeLessThan(500);
    }
  });

  it("asks V8 which patterns it can run in linear time", () => {
    expect(runsInLinearTime("^(a+)+$", "")).toBe(true);
    expect(runsInLinearTime("\\bword\\b", "gmsy")).toBe(true);
    expect(runsInLinearTime("^(a+)+\\1$", "")).toBe(false); // backreference
    expect(runsInLinearTime("a(?=b)", "")).toBe(false); // lookahead
    expect(runsInLinearTime("(?<!x)a", "")).toBe(false); // lookbehind
    expect(runsInLinearTime("a", "l")).toBe(false); // `ll` is no flag set
  });

  // The fallback hands a match to a different engine mid-run; it must answer as backtracking does,
  // captures and alternation priority included (a leftmost-longest engine would say "ab" for a|ab).
  it.each([
    ["a|ab", "", "xab"],
    ["(a|ab)(c|bcd)(d*)", "", "abcd"],
    ["(a+?)(a*)", "", "aaa"],
    ["(?:(a)|b)+", "", "ab"],
    ["(a*)*b", "", "aab"],
    ["^\\w+$", "m", "one\ntwo words\nthree"],
    ["a.c", "s", "a\nc"],
    ["(?<year>\\d{4})-(\\d\\d)", "", "on 2024-05-01"],
  ])("the linear engine matches /%s/%s on %j as backtracking does", (source, flags, text) => {
    const linear = new RegExp(source, `${flags}l`).exec(text);
    const backtracking = new RegExp(source, flags).exec(text);
    expect(linear ? [...linear] : null).toEqual(backtracking ? [...backtracking] : null);
    expect(linear?.index).toBe(backtracking?.index);
  });
});

describe("createPatternEngine", () => {
  it("hands back a plain RegExp for a linear-capable pattern: nothing extra per match", () => {
    expect(engine.compile("order #\\d+")).toBeInstanceOf(RegExp);
    expect(engine.compile("^(a+)+$").test(EVIL)).toBe(false);
    expect(engine.compile("^\\d+(\\.\\d+)?$", "m")).toBeInstanceOf(RegExp);
  });

  it.each([
    ["^(\\w+) \\1$", "", "hey hey"],
    ["(?<=\\$)\\d+", "", "costs $42"],
    ["refund(?!ed)", "i", "REFUNDED, then Refund"],
    ["\\p{Lu}\\p{Ll}+", "u", "hello World"],
    ["(?<w>o)\\k<w>", "", "foo"],
    ["nothing here", "i", "something else"],
    ["[\\p{L}--[a-z]]", "v", "abcD"],
    ["b", "dy", "ab"],
  ])("answers /%s/%s on %j through its worker as a RegExp does", (source, flags, text) => {
    const matcher = engine.compile(source, flags);
    expect(matcher).not.toBeInstanceOf(RegExp);
    const want = new RegExp(source, flags).exec(text);
    const got = matcher.exec(text);
    expect(got === null ? null : [got[0], got.index]).toEqual(want === null ? null : [want[0], want.index]);
    expect(matcher.test(text)).toBe(want !== null);
  });

  it("reads each text from its start, even with the g or y flag", () => {
    for (const flags of ["g", "y", "gi"]) {
      const matcher = engine.compile("a", flags);
      expect([matcher.test("a"), matcher.test("a"), matcher.exec("a")?.index]).toEqual([true, true, 0]);
      expect(matcher.test("ba")).toBe(flags.includes("g"));
    }
  });

  it("throws the engine's SyntaxError for a bad pattern, in this thread", () => {
    expect(() => engine.compile("(unclosed")).toThrow(SyntaxError);
    expect(() => engine.compile("a", "q")).toThrow(SyntaxError);
  });

  it("stops a match past its limit, then answers the next one on a fresh worker", () => {
    const matcher = engine.compile("^(a+)+\\1$");
    const started = performance.now();
    expect(() => matcher.test(EVIL)).toThrow(PatternTimeout);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(() => matcher.test(EVIL)).toThrow(/^\/\^\(a\+\)\+\\1\$\/ timed out after 300 ms/);
  });

  it("gives each match its own limit, and the matches inside shareLimit one between them", () => {
    const slow = engine.compile("^(a+)+\\1$");
    const quick = engine.compile("(\\w)\\1");
    // Grades of other cases may run right after a timed-out one: they must not inherit its clock.
    expect(() => slow.test(EVIL)).toThrow(PatternTimeout);
    expect(quick.test("aa")).toBe(true);
    const shared = engine.shareLimit(() => {
      expect(quick.test("bb")).toBe(true);
      expect(() => slow.test(EVIL)).toThrow(PatternTimeout);
      // The limit is spent, so even a quick match is refused at once.
      const started = performance.now();
      expect(() => quick.test("aa")).toThrow(/timed out after 300 ms/);
      expect(performance.now() - started).toBeLessThan(50);
      return "done";
    });
    expect(shared).toBe("done");
    expect(quick.test("cc")).toBe(true);
  });
});
