import type { Report, SliceDiff } from "../../report-types.js";
import type { CaseResult, CaseSideResult } from "../../types.js";
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
  /** Milliseconds: what the case's head runs took. */
  ms: number;
  properties: [string, string][];
  outcome:
    | { kind: "pass" }
    | { kind: "failure" | "error"; message: string; body: string }
    | { kind: "skipped"; message?: string };
}

/**
 * The report as JUnit XML, for the test-report tools CI systems already have: one `<testsuite>`
 * per set, one `<testcase>` per case (named by its id) in class `eval-gate.<set>.<slice>`. The
 * testcase is the head side, the side a PR is judged on: a `<failure>` with the grader's reason when
 * its graded runs did not all pass, an `<error>` when runs errored (never a failure: errors are not
 * fails), and `time` the seconds its head runs took (latencies of the runs asked fresh, summed; an
 * answer from the cache takes none). The base side never fails a testcase: it is folded into the
 * testcase's properties (`eval-gate.base.result`, `eval-gate.base.reason` when the base did not pass
 * every run, `eval-gate.change`) and its failure text. An aggregate-only set (a holdout) has one testcase per aggregate slice and no case.
 */
export function renderJunit(report: Report, options: JunitOptions = {}): string {
  const max = options.maxText ?? 2000;
  const suites = new Map<string, TestCase[]>();
  const suite = (set: string) => {
    const list = suites.get(set) ?? [];
    suites.set(set, list);
    return list;
  };
  for (const c of report.cases) suite(c.set).push(caseTest(c, max));
  for (const s of report.slices.filter((x) => x.aggregate)) suite(s.set).push(aggregateCase(s));
  // Cases without a label were not graded: skipped, by id (a holdout's as one count).
  for (const u of report.unlabelled ?? []) {
    const message = `no expected value: not graded; write its \`expected\` in ${u.file}`;
    const named = u.ids ?? [];
    for (const id of named) {
      suite(u.set).push({
        classname: `eval-gate.${u.set}`,
        name: `${id} [unlabelled]`,
        ms: 0,
        properties: [],
        outcome: { kind: "skipped", message },
      });
    }
    const rest = u.count - named.length;
    if (rest > 0) {
      const name = `${rest} ${named.length > 0 ? "more " : ""}unlabelled case${rest === 1 ? "" : "s"}`;
      suite(u.set).push({
        classname: `eval-gate.${u.set}`,
        name,
        ms: 0,
        properties: [],
        outcome: { kind: "skipped", message },
      });
    }
  }
  if (report.verdict === "error") {
    suite("eval-gate").push({
      classname: "eval-gate",
      name: "run",
      ms: 0,
      properties: [],
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
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0, ms: 0 };
  const body: string[] = [];
  for (const [name, cases] of suites) {
    const counts = count(cases);
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += counts[k];
    body.push(
      `  <testsuite name="${xmlAttr(name)}" ${countAttrs(counts)}>`,
      `    <properties>\n${properties}\n    </properties>`,
    );
    // One push a case: spreading 100,000 of them into one call overflows the stack.
    for (const tc of cases) body.push(renderCase(tc));
    body.push("  </testsuite>");
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="eval-gate" ${countAttrs(totals)}>`,
    ...body,
    "</testsuites>",
    "",
  ].join("\n");
}

function tally(r: CaseSideResult): string {
  const runs = `${r.passes} of ${r.runs} graded run${r.runs === 1 ? "" : "s"} passed`;
  return runs + (r.errors > 0 ? `; ${r.errors} run${r.errors === 1 ? "" : "s"} errored` : "");
}

/** How the case moved from base to head: `worse`, `better`, `same`, or `unknown` (a side with no graded run). */
function change(base: CaseSideResult, head: CaseSideResult): string {
  if (base.runs === 0 || head.runs === 0) return "unknown";
  const d = head.passes / head.runs - base.passes / base.runs;
  return d < 0 ? "worse" : d > 0 ? "better" : "same";
}

function caseTest(c: CaseResult, max: number): TestCase {
  const r = c.head;
  const tc: TestCase = {
    classname: `eval-gate.${c.set}.${c.slice}`,
    name: c.id,
    ...(c.file ? { file: c.file, line: c.line } : {}),
    ms: r.behaviour?.latency_ms ?? 0,
    properties: c.base
      ? [
          ["eval-gate.base.result", tally(c.base)],
          // The reason says why the base side failed; a base that passed every run needs none.
          ...(c.base_reason && !passedEvery(c.base)
            ? [["eval-gate.base.reason", cut(c.base_reason, max)] as [string, string]]
            : []),
          ["eval-gate.change", change(c.base, r)],
        ]
      : [],
    outcome: { kind: "pass" },
  };
  const runs = `${r.passes} of ${r.runs} graded run${r.runs === 1 ? "" : "s"} passed`;
  const reason = c.head_reason ?? "";
  const details = [
    tally(r),
    ...(c.base ? [`base: ${tally(c.base)}${c.base_reason ? `: ${cut(c.base_reason, max)}` : ""}`] : []),
    ...(c.input !== undefined ? [`input: ${cut(c.input, max)}`] : []),
    ...(c.expected !== undefined ? [`expected: ${cut(shown(c.expected), max)}`] : []),
    ...(c.head_output !== undefined ? [`output: ${cut(c.head_output, max)}`] : []),
    ...(c.base && c.base_output !== undefined ? [`base output: ${cut(c.base_output, max)}`] : []),
  ].join("\n");
  if (r.errors > 0) {
    const message = `${r.errors} of ${r.runs + r.errors} runs errored (not graded)`;
    tc.outcome = { kind: "error", message, body: details };
  } else if (r.runs === 0) {
    tc.outcome = { kind: "skipped" };
  } else if (r.passes < r.runs) {
    tc.outcome = { kind: "failure", message: reason ? `${runs}: ${reason}` : runs, body: details };
  }
  return tc;
}

function aggregateCase(s: SliceDiff): TestCase {
  const scores = `head ${percent(s.head_score)}${s.base_score !== null ? `, base ${percent(s.base_score)}` : ""}`;
  const failing = s.status === "regressed" || s.status === "below_floor";
  return {
    classname: `eval-gate.${s.set}`,
    name: `${s.slice} (aggregate of ${s.n} cases)`,
    ms: 0,
    properties: [],
    outcome: failing
      ? { kind: "failure", message: `${STATUS_WORD[s.status]}: ${scores}`, body: `status: ${s.status}` }
      : { kind: "pass" },
  };
}

/** Milliseconds as JUnit's seconds: `1234` -> `1.234`. */
function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

function renderCase(tc: TestCase): string {
  const where = tc.file ? ` file="${xmlAttr(tc.file)}" line="${tc.line}"` : "";
  const open = `    <testcase classname="${xmlAttr(tc.classname)}" name="${xmlAttr(tc.name)}"${where} time="${seconds(tc.ms)}"`;
  const inner: string[] = [];
  if (tc.properties.length > 0) {
    inner.push(
      "      <properties>",
      ...tc.properties.map(
        ([name, value]) => `        <property name="${xmlAttr(name)}" value="${xmlAttr(value)}"/>`,
      ),
      "      </properties>",
    );
  }
  const o = tc.outcome;
  if (o.kind === "skipped")
    inner.push(`      <skipped${o.message ? ` message="${xmlAttr(o.message)}"` : ""}/>`);
  if (o.kind === "failure" || o.kind === "error") {
    inner.push(
      `      <${o.kind} message="${xmlAttr(o.message)}" type="${o.kind}">${xmlText(o.body)}</${o.kind}>`,
    );
  }
  return inner.length === 0 ? `${open}/>` : `${open}>\n${inner.join("\n")}\n    </testcase>`;
}

function count(cases: TestCase[]) {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome.kind === "failure").length,
    errors: cases.filter((c) => c.outcome.kind === "error").length,
    skipped: cases.filter((c) => c.outcome.kind === "skipped").length,
    ms: cases.reduce((sum, c) => sum + c.ms, 0),
  };
}

function countAttrs(c: ReturnType<typeof count>): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${seconds(c.ms)}"`;
}

function cut(s: string, max: number): string {
  const { text, cut: dropped } = truncate(s, max);
  return dropped > 0 ? `${text}… (${dropped} more characters)` : text;
}

function shown(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "");
}

/** Every graded run passed and none errored. */
function passedEvery(side: { runs: number; passes: number; errors: number }): boolean {
  return side.errors === 0 && side.passes === side.runs;
}
