import { describe, expect, it } from "vitest";
import { renderJunit, xmlAttr, xmlText } from "../../src/core/report/render/junit.js";
import { findAll, parseXml, type XmlElement } from "../support/xml.js";
import { flippedCase, makeCase, makeReport, makeSlice } from "./fixtures/report.js";

const HOSTILE =
  "a < b && c > \"d\" 'e' ]]> \u0000\u0001\u0008\u000b\u000c\u001f\ud800 \ufffe\uffff ok 😀 \t\r\n<![CDATA[x]]> &amp;";

const behaviour = (latency_ms: number, timed: number) => ({
  outputs: 1,
  chars: 10,
  refusals: 0,
  tool_calls: 0,
  timed,
  latency_ms,
});

function report() {
  return makeReport({
    verdict: "fail",
    slices: [
      makeSlice({ set: "anchor", slice: "refund", status: "regressed" }),
      makeSlice({ set: "rotation", slice: "billing", status: "unchanged" }),
      makeSlice({
        set: "holdout",
        slice: "all",
        status: "regressed",
        aggregate: true,
        n: 40,
        base_score: 0.9,
        head_score: 0.7,
      }),
    ],
    cases: [
      flippedCase("refund-1", "anchor", "refund", 3, {
        file: "evals/anchor.jsonl",
        head: { runs: 1, passes: 0, errors: 0, behaviour: behaviour(1234, 1) },
        head_output: HOSTILE,
        head_reason: HOSTILE,
      }),
      makeCase({
        id: "refund-2",
        set: "anchor",
        slice: "refund",
        line: 4,
        file: "evals/anchor.jsonl",
        head: { runs: 2, passes: 2, errors: 0, behaviour: behaviour(500, 1) },
      }),
      makeCase({
        id: "refund-3",
        set: "anchor",
        slice: "refund",
        line: 5,
        head: { runs: 1, passes: 0, errors: 2, behaviour: behaviour(0, 0) },
      }),
      makeCase({
        id: `billing-${HOSTILE}`,
        set: "rotation",
        slice: "billing",
        line: 1,
        head: { runs: 0, passes: 0, errors: 0 },
      }),
    ],
  });
}

describe("renderJunit", () => {
  it("is well-formed XML with one testsuite per set and one testcase per case, timed by its head runs", () => {
    const xml = renderJunit(report());
    const root = parseXml(xml);
    expect(root.name).toBe("testsuites");
    const suites = findAll(root, "testsuite");
    expect(suites.map((s) => s.attrs.name)).toEqual(["anchor", "rotation", "holdout"]);
    const anchor = suites[0]?.children.filter((c) => c.name === "testcase") ?? [];
    expect(anchor.map((c) => c.attrs.name)).toEqual(["refund-1", "refund-2", "refund-3"]);
    expect(anchor.every((c) => c.attrs.classname === "eval-gate.anchor.refund")).toBe(true);
    expect(anchor[0]?.attrs).toMatchObject({ file: "evals/anchor.jsonl", line: "3" });
    // Seconds the head side's fresh runs took; answers from the cache took none.
    expect(anchor.map((c) => c.attrs.time)).toEqual(["1.234", "0.5", "0"]);
    expect(suites[0]?.attrs).toMatchObject({ tests: "3", failures: "1", errors: "1", skipped: "0" });
    expect(suites[0]?.attrs.time).toBe("1.734");
    expect(root.attrs).toMatchObject({ tests: "5", failures: "2", errors: "1", skipped: "1", time: "1.734" });
  });

  it("fails only on the head side: the base side is folded into the head testcase's properties", () => {
    const r = makeReport({
      slices: [makeSlice({ set: "anchor", slice: "refund" })],
      cases: [
        // Failed on base, passes on head: an improvement, not a failure.
        makeCase({
          id: "better",
          set: "anchor",
          slice: "refund",
          base: { runs: 1, passes: 0, errors: 0 },
          base_reason: "contains: expected 'refund' not found",
        }),
        // Fails on both sides: the head's failure, once.
        makeCase({
          id: "both",
          set: "anchor",
          slice: "refund",
          base: { runs: 3, passes: 1, errors: 0 },
          head: { runs: 3, passes: 0, errors: 0 },
          head_reason: "regex: no match",
        }),
        // Errored on base only: no error either.
        makeCase({
          id: "base-error",
          set: "anchor",
          slice: "refund",
          base: { runs: 0, passes: 0, errors: 1 },
        }),
        // No base side (head only): no base properties.
        makeCase({ id: "new", set: "anchor", slice: "refund", base: null }),
      ],
    });
    const root = parseXml(renderJunit(r));
    const cases = findAll(root, "testcase");
    expect(cases.map((c) => c.attrs.name)).toEqual(["better", "both", "base-error", "new"]);
    expect(findAll(root, "failure").length).toBe(1);
    expect(findAll(root, "error")).toEqual([]);
    const failing = cases.filter((c) => c.children.some((x) => x.name === "failure" || x.name === "error"));
    expect(failing.map((c) => c.attrs.name)).toEqual(["both"]);
    const props = (name: string) =>
      Object.fromEntries(
        findAll(cases.find((c) => c.attrs.name === name) as XmlElement, "property").map((p) => [
          p.attrs.name,
          p.attrs.value,
        ]),
      );
    expect(props("better")).toEqual({
      "eval-gate.base.result": "0 of 1 graded run passed",
      "eval-gate.base.reason": "contains: expected 'refund' not found",
      "eval-gate.change": "better",
    });
    expect(props("both")).toEqual({
      "eval-gate.base.result": "1 of 3 graded runs passed",
      "eval-gate.change": "worse",
    });
    expect(props("base-error")).toEqual({
      "eval-gate.base.result": "0 of 0 graded runs passed; 1 run errored",
      "eval-gate.change": "unknown",
    });
    expect(props("new")).toEqual({});
    expect(root.attrs).toMatchObject({ tests: "4", failures: "1", errors: "0", skipped: "0" });
  });

  it("has a failure with the grader's reason and the base side's, an error for runs that errored, never both", () => {
    const root = parseXml(renderJunit(report()));
    const byName = (n: string) => findAll(root, "testcase").find((c) => c.attrs.name === n);
    const failure = byName("refund-1")?.children.find((c) => c.name === "failure");
    expect(failure?.attrs.message).toContain("0 of 1 graded run passed: a < b && c > \"d\" 'e'");
    expect(failure?.text).toContain("expected: refund");
    expect(failure?.text).toContain("base: 1 of 1 graded run passed: contains: found 'refund'");
    expect(failure?.text).toContain("base output: I'm sorry about that.");
    const error = byName("refund-3")?.children.filter((c) => c.name !== "properties");
    expect(error?.map((c) => c.name)).toEqual(["error"]);
    expect(error?.[0]?.attrs.message).toBe("2 of 3 runs errored (not graded)");
    const holdout = findAll(root, "testcase").find((c) => c.attrs.classname === "eval-gate.holdout");
    expect(holdout?.attrs.name).toBe("all (aggregate of 40 cases)");
    expect(holdout?.children[0]?.attrs.message).toBe("regressed: head 70%, base 90%");
  });

  it("escapes markup and drops the characters XML 1.0 forbids, keeping line breaks in attributes", () => {
    const root = parseXml(renderJunit(report()));
    const failure = findAll(root, "failure")[0];
    // Tab, CR and LF survive as references; U+0000-U+001F (others), lone surrogates, U+FFFE/U+FFFF go.
    expect(failure?.attrs.message).toContain("]]>   ok 😀 \t\r\n<![CDATA[x]]> &amp;");
    const billing = findAll(root, "testcase").find((c) => c.attrs.classname === "eval-gate.rotation.billing");
    expect(billing?.attrs.name).toContain("billing-a < b");
    expect(billing?.children.map((c) => c.name)).toEqual(["properties", "skipped"]);
    expect(xmlText("<&>")).toBe("&lt;&amp;&gt;");
    expect(xmlAttr('"\n')).toBe("&quot;&#10;");
  });

  it("cuts long text, and reports a run that could not be done as one error", () => {
    const long = makeReport({
      cases: [flippedCase("x", "anchor", "refund", 1, { head_output: "y".repeat(10_000) })],
    });
    expect(findAll(parseXml(renderJunit(long, { maxText: 100 })), "failure")[0]?.text).toContain(
      "… (9900 more characters)",
    );
    const failed = makeReport({ verdict: "error", reasons: ["eval-gate.yml:3: bad <thing>"] });
    const root = parseXml(renderJunit(failed));
    expect(root.attrs).toMatchObject({ tests: "1", errors: "1" });
    expect(findAll(root, "error")[0]?.text).toBe("eval-gate.yml:3: bad <thing>");
  });
});

describe("the test's XML reader", () => {
  it("refuses what a conforming parser refuses", () => {
    for (const bad of [
      "<a>",
      "<a></b>",
      "<a><b></a></b>",
      "<a>x & y</a>",
      "<a>&bogus;</a>",
      '<a x="1" x="2"/>',
      '<a x="<"/>',
      "<a/><b/>",
      "<a>\u0001</a>",
      "<a>&#1;</a>",
      "text<a/>",
      "<a>]]></a>",
    ]) {
      expect(() => parseXml(bad), bad).toThrow();
    }
    expect(parseXml("<?xml version=\"1.0\"?><a b='&#x41;'>&lt;</a>")).toEqual({
      name: "a",
      attrs: { b: "A" },
      children: [],
      text: "<",
    });
  });
});

describe("JUnit for a big set", () => {
  it("writes 150,000 cases without overflowing the stack", () => {
    const cases = Array.from({ length: 150_000 }, (_, i) =>
      makeCase({ id: `c${i}`, set: "anchor", slice: `s${i % 5}`, line: i + 1 }),
    );
    const xml = renderJunit(makeReport({ cases }));
    expect(xml.match(/<testcase /g)?.length).toBe(150_000);
  });
});
