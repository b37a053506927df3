import { describe, expect, it } from "vitest";
import { buildReport, type Collected } from "../../src/core/gate/assemble.js";
import type { TextStore } from "../../src/core/ports.js";
import { regressionAnnotations } from "../../src/core/report/annotations.js";
import { type FittedReport, fitReport, reportJson, reportPieces } from "../../src/core/report/fit.js";
import { keepTexts, ParkedTexts } from "../../src/core/report/park.js";
import { parkedId } from "../../src/core/report/parked.js";
import { renderComment } from "../../src/core/report/render/comment.js";
import { renderJunit } from "../../src/core/report/render/junit.js";
import { renderSummary } from "../../src/core/report/render/summary.js";
import { renderTerminal } from "../../src/core/report/render/terminal.js";
import { REPORT_BYTES, TEXT_LIMITS } from "../../src/core/report-limits.js";
import type { Report } from "../../src/core/report-types.js";
import type { CaseResult } from "../../src/core/types.js";
import { seededRng } from "../support/prng.js";
import { RandomText, randomCollected } from "../support/random-run.js";
import { makeCase, makeReport } from "./fixtures/report.js";

/** A TextStore in memory that counts what is read back. */
class Memory implements TextStore {
  texts: string[] = [];
  reads = 0;
  put(text: string): number {
    return this.texts.push(text) - 1;
  }
  get(id: number): string {
    this.reads++;
    return this.texts[id] as string;
  }
}

/** Everything a run shows: the report file and every renderer's view of the report. */
function views(fitted: FittedReport, file: string) {
  return {
    file,
    summary: renderSummary(fitted),
    comment: renderComment(fitted, { commentId: "x", overrideLabelUsed: null }),
    terminal: renderTerminal(fitted, { width: 160 }),
    junit: renderJunit(fitted),
    annotations: regressionAnnotations(fitted),
  };
}

/** The same run written as it was (texts in memory) and with its texts put aside. */
function bothWays(collected: Collected, pr = 7) {
  const whole = fitReport({ ...buildReport(collected), pr });
  const store = new Memory();
  const parked = new ParkedTexts(store);
  const aside: Collected = structuredClone(collected);
  const keep = keepTexts(
    aside.sets.map((s) => ({ ...s, path: "", cases: [] })),
    parked,
  );
  aside.cases = aside.cases.map(keep);
  const fitted = fitReport({ ...buildReport(aside), pr }, parked);
  return {
    before: views(whole, reportJson(whole)),
    after: views(fitted, [...reportPieces(fitted, parked)].join("")),
    store,
    parked: aside.cases.filter((c) => parkedId(c) !== undefined).length,
    fitted,
  };
}

describe("texts put aside while the run goes on", () => {
  it("leave the report file and every renderer's output as they were", () => {
    let parked = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const t = new RandomText(seededRng(seed), { lone: seed % 2 === 0 });
      const collected = randomCollected(t, {
        cases: t.int(60),
        slices: 1 + t.int(8),
        errorRate: t.pick([0, 0.05, 0.5]),
        withBase: t.chance(0.7),
      });
      // Nesting deep enough to overflow JSON.stringify's stack is written either way depending on
      // the stack left at the call (report/fit-case.ts), so it is kept out of this comparison.
      for (const c of collected.cases) if (depth(c.expected) > 50) c.expected = "deep";
      const run = bothWays(collected, seed);
      expect(run.after).toEqual(run.before);
      parked += run.parked;
    }
    // Many cases were put aside (else this would prove little).
    expect(parked).toBeGreaterThan(100);
  });

  it("are cut to the report's limits as the texts in memory are, when the report must shrink", () => {
    // Over 50 MB of outputs: texts are cut to 20,000 characters, then fewer cases kept.
    const long = (i: number) => `${i} ${"é😀\u0001".repeat(36_000)}`;
    const cases: CaseResult[] = Array.from({ length: 120 }, (_, i) =>
      makeCase({
        id: `c${i}`,
        set: "anchor",
        slice: `s${i % 3}`,
        line: i + 1,
        ...(i % 10 === 0 ? { head: { runs: 1, passes: 0, errors: 0 } } : {}),
        base_output: long(i),
        head_output: long(i + 1),
        base_reason: `reason ${"x".repeat(i % 2 === 0 ? 3000 : 10)}`,
        head_reason: "passed",
        input: `input ${i}`,
        expected: "ok",
      }),
    );
    const collected = {
      ...emptyCollected(),
      cases,
    };
    const run = bothWays(collected);
    expect(run.after.file).toBe(run.before.file);
    expect(run.after).toEqual(run.before);
    expect(Buffer.byteLength(run.after.file)).toBeLessThanOrEqual(REPORT_BYTES);
    expect(run.after.file).toContain("are cut to 20000 characters each");
    expect(run.parked).toBe(108);
    // Texts at most as long as the report keeps them were put aside, not the whole outputs.
    const lengths = run.store.texts.flatMap((s) => (JSON.parse(s) as string[]).map((t) => t.length));
    expect(Math.max(...lengths)).toBeLessThanOrEqual(TEXT_LIMITS.output);
    expect(Math.max(...lengths)).toBeGreaterThan(TEXT_LIMITS.output - 2);
  });

  it("leave the report as it was when it must list fewer cases, their texts left out", () => {
    // Case ids, names and paths at their limits, in control characters (six bytes each in JSON).
    const worst = (n: number, tag = "") => `${tag}${"\u0001".repeat(n - tag.length)}`;
    const cases: CaseResult[] = Array.from({ length: 8_000 }, (_, i) =>
      makeCase({
        id: worst(TEXT_LIMITS.id, `c${i}-`),
        set: worst(TEXT_LIMITS.name),
        slice: worst(TEXT_LIMITS.name),
        file: worst(TEXT_LIMITS.path),
        line: i + 1,
        ...(i % 1_000 === 999 ? { head: { runs: 1, passes: 0, errors: 0 } } : {}),
        head_output: `output ${i}`,
        head_reason: "passed",
        input: `input ${i}`,
      }),
    );
    const whole = fitReport(makeReport({ cases }));
    const store = new Memory();
    const parked = new ParkedTexts(store);
    const aside = fitReport(makeReport({ cases: structuredClone(cases).map((c) => parked.park(c)) }), parked);
    const file = reportJson(whole);
    expect(file).toContain("are left out, to keep the report under 50 MB");
    expect(file).toMatch(/The report lists \d+ of 8000 cases/);
    expect([...reportPieces(aside, parked)].join("")).toBe(file);
    expect(store.texts).toHaveLength(7_992);
  });

  it("keeps the texts of cases a renderer shows in memory, and none of an aggregate-only set", () => {
    const shown = makeCase({
      id: "worse",
      set: "anchor",
      slice: "s",
      head: { runs: 1, passes: 0, errors: 0 },
      head_output: "no",
    });
    const same = makeCase({ id: "same", set: "anchor", slice: "s", head_output: "yes" });
    const hidden = makeCase({ id: "h", set: "holdout", slice: "s", head_output: "secret" });
    const parked = new ParkedTexts(new Memory());
    const keep = keepTexts(
      [
        { name: "anchor", path: "a", visibility: "full", cases: [] },
        { name: "holdout", path: "h", visibility: "aggregate", cases: [] },
      ],
      parked,
    );
    expect(keep(structuredClone(shown))).toEqual(shown);
    const aside = keep(structuredClone(same));
    expect(aside.head_output).toBeUndefined();
    expect(parkedId(aside)).toBe(0);
    expect(parked.unpark(aside)).toEqual(same);
    const gone = keep(structuredClone(hidden));
    expect(gone.head_output).toBeUndefined();
    expect(parkedId(gone)).toBeUndefined();
  });

  it("are never written without their store", () => {
    const parked = new ParkedTexts(new Memory());
    const c = parked.park(makeCase({ id: "a", set: "s", slice: "x", head_output: "ok" }));
    const report = makeReport({ cases: [c] }) as Report;
    expect(() => fitReport(report)).toThrow(/put aside/);
    expect(() => reportJson(fitReport(report, parked))).toThrow(/put aside/);
    expect(() => [...reportPieces(fitReport(report, parked))]).toThrow(/put aside/);
    const fitted = fitReport(report, parked);
    expect([...reportPieces(fitted, parked)].join("")).toBe(
      reportJson(fitReport(makeReport({ cases: [parked.unpark(c)] }))),
    );
  });
});

function depth(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  let deepest = 0;
  for (let v: unknown = value; v !== null && typeof v === "object"; v = Object.values(v)[0]) deepest++;
  return deepest;
}

function emptyCollected(): Collected {
  return {
    configPath: "eval-gate.yml",
    sets: [{ name: "anchor", visibility: "full" }],
    gate: { alpha: 0.05, mode: "statistical", floor: null, repeats: 1, max_error_rate: 0.1 },
    prices: { base: null, head: null },
    notes: [],
    base: { ref: "main", sha: "a".repeat(40) },
    headSha: "b".repeat(40),
    cases: [],
    stats: [],
  } as unknown as Collected;
}
