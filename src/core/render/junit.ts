import type { CaseResult, CaseSideResult, Report, Side, SliceDiff } from "../types.js";
import { truncate } from "./escape.js";
import { percent, STATUS_WORD } from "./format.js";

export interface JunitOptions {
  /** Characters kept of each input, expected value and output in a failure's body. Default 2,000. */
  maxText?: number;
}

// XML 1.0 allows tab, line feed, carriage return and these ranges; anything else (other controls,
// lone surrogates, U+FFFE/U+FFFF) makes the whole file unreadable, so it is dropped.
const NOT_XML = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** Character data: the three characters markup gives meaning to, and nothing XML forbids. */
export function xmlText(s: string): string {
  return s.replace(NOT_XML, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** An attribute value in double quotes; line breaks and tabs as references, which parsers keep. */
export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

interface TestCase {
  classname: string;
  name: string;
  file?: string;
  line?: number;
  outcome:
    | { kind: "pass" }
    | { kind: "failure" | "error"; message: string; body: string }
    | { kind: "skipped"; message?: string };
}

/**
 * The report as JUnit XML, for the test-report tools CI systems already have: one `<testsuite>`
 * per set, one `<testcase>` per case and side (`<case id> [base]`, `<case id> [head]`) in class
 * `eval-gate.<set>.<slice>`. A side whose graded runs did not all pass has a `<failure>` with the
 * grader's reason; one with runs that errored has an `<error>` (never a failure: errors are not
 * fails). An aggregate-only set (a holdout) has one testcase per aggregate slice and no case.
 */
export function renderJunit(report: Report, options: JunitOptions = {}): string {
  const max = options.maxText ?? 2000;
  const suites = new Map<string, TestCase[]>();
  const suite = (set: string) => {
    const list = suites.get(set) ?? [];
    suites.set(set, list);
    return list;
  };
  for (const c of report.cases) {
    const sides: Side[] = c.base ? ["base", "head"] : ["head"];
    for (const side of sides) suite(c.set).push(caseSide(c, side, max));
  }
  for (const s of report.slices.filter((x) => x.aggregate)) suite(s.set).push(aggregateCase(s));
  // Cases without a label were not graded: skipped, by id (a holdout's as one count).
  for (const u of report.unlabelled ?? []) {
    const message = `no expected value: not graded; write its \`expected\` in ${u.file}`;
    const named = u.ids ?? [];
    for (const id of named) {
      suite(u.set).push({
        classname: `eval-gate.${u.set}`,
        name: `${id} [unlabelled]`,
        outcome: { kind: "skipped", message },
      });
    }
    const rest = u.count - named.length;
    if (rest > 0) {
      const name = `${rest} ${named.length > 0 ? "more " : ""}unlabelled case${rest === 1 ? "" : "s"}`;
      suite(u.set).push({ classname: `eval-gate.${u.set}`, name, outcome: { kind: "skipped", message } });
    }
  }
  if (report.verdict === "error") {
    suite("eval-gate").push({
      classname: "eval-gate",
      name: "run",
      outcome: { kind: "error", message: "the run could not be done", body: report.reasons.join("\n") },
    });
  }

  const properties = [
    ["eval-gate.verdict", report.verdict],
    ["eval-gate.config", report.config.path],
    ["eval-gate.head", report.head.sha],
    ...(report.base ? [["eval-gate.base", `${report.base.ref} ${report.base.sha}`]] : []),
  ]
    .map(([name, value]) => `      <property name="${xmlAttr(name ?? "")}" value="${xmlAttr(value ?? "")}"/>`)
    .join("\n");
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const body: string[] = [];
  for (const [name, cases] of suites) {
    const counts = count(cases);
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += counts[k];
    body.push(
      `  <testsuite name="${xmlAttr(name)}" ${countAttrs(counts)}>`,
      `    <properties>\n${properties}\n    </properties>`,
      ...cases.map(renderCase),
      "  </testsuite>",
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="eval-gate" ${countAttrs(totals)}>`,
    ...body,
    "</testsuites>",
    "",
  ].join("\n");
}

function caseSide(c: CaseResult, side: Side, max: number): TestCase {
  const r = (side === "base" ? c.base : c.head) as CaseSideResult;
  const tc: TestCase = {
    classname: `eval-gate.${c.set}.${c.slice}`,
    name: `${c.id} [${side}]`,
    ...(c.file ? { file: c.file, line: c.line } : {}),
    outcome: { kind: "pass" },
  };
  const tally = `${r.passes} of ${r.runs} graded run${r.runs === 1 ? "" : "s"} passed`;
  const reason = (side === "base" ? c.baseReason : c.headReason) ?? "";
  const output = side === "base" ? c.baseOutput : c.headOutput;
  const details = [
    tally + (r.errors > 0 ? `; ${r.errors} run${r.errors === 1 ? "" : "s"} errored` : ""),
    ...(c.input !== undefined ? [`input: ${cut(c.input, max)}`] : []),
    ...(c.expected !== undefined ? [`expected: ${cut(shown(c.expected), max)}`] : []),
    ...(output !== undefined ? [`output: ${cut(output, max)}`] : []),
  ].join("\n");
  if (r.errors > 0) {
    const message = `${r.errors} of ${r.runs + r.errors} runs errored (not graded)`;
    tc.outcome = { kind: "error", message, body: details };
  } else if (r.runs === 0) {
    tc.outcome = { kind: "skipped" };
  } else if (r.passes < r.runs) {
    tc.outcome = { kind: "failure", message: reason ? `${tally}: ${reason}` : tally, body: details };
  }
  return tc;
}

function aggregateCase(s: SliceDiff): TestCase {
  const scores = `head ${percent(s.head_score)}${s.base_score !== null ? `, base ${percent(s.base_score)}` : ""}`;
  const failing = s.status === "regressed" || s.status === "below_floor";
  return {
    classname: `eval-gate.${s.set}`,
    name: `${s.slice} (aggregate of ${s.n} cases)`,
    outcome: failing
      ? { kind: "failure", message: `${STATUS_WORD[s.status]}: ${scores}`, body: `status: ${s.status}` }
      : { kind: "pass" },
  };
}

function renderCase(tc: TestCase): string {
  const where = tc.file ? ` file="${xmlAttr(tc.file)}" line="${tc.line}"` : "";
  const open = `    <testcase classname="${xmlAttr(tc.classname)}" name="${xmlAttr(tc.name)}"${where} time="0"`;
  const o = tc.outcome;
  if (o.kind === "pass") return `${open}/>`;
  if (o.kind === "skipped") {
    const message = o.message ? ` message="${xmlAttr(o.message)}"` : "";
    return `${open}>\n      <skipped${message}/>\n    </testcase>`;
  }
  const tag = o.kind;
  return `${open}>\n      <${tag} message="${xmlAttr(o.message)}" type="${tag}">${xmlText(o.body)}</${tag}>\n    </testcase>`;
}

function count(cases: TestCase[]) {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome.kind === "failure").length,
    errors: cases.filter((c) => c.outcome.kind === "error").length,
    skipped: cases.filter((c) => c.outcome.kind === "skipped").length,
  };
}

function countAttrs(c: ReturnType<typeof count>): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}"`;
}

function cut(s: string, max: number): string {
  const { text, cut: dropped } = truncate(s, max);
  return dropped > 0 ? `${text}… (${dropped} more characters)` : text;
}

function shown(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "");
}
