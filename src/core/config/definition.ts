// The gate definition (sets and their cases, graders and the files they read, repeats, gate
// settings: everything of the config but `target`) decides how a PR is judged, so on a pull
// request it comes from the base commit. What the PR changes in it is listed for people to review.

import { OutsideRepositoryError } from "../errors.js";
import type { FileSource } from "../ports.js";
import type { CaseChange, DefinitionChanges } from "../report-types.js";
import type { Case, EvalSet } from "../types.js";
import type { Config } from "./config.js";
import { graderFiles } from "./paths.js";
import { canonicalJson } from "./requests.js";
import { resolvePath } from "./target.js";

export function definitionChanged(d: DefinitionChanges | undefined): boolean {
  return d !== undefined && (d.settings.length > 0 || d.files.length > 0 || d.cases.length > 0);
}

const SHOWN_VALUE = 120;

/** Every setting of the definition as `key → JSON`, objects flattened, lists kept whole. */
function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.set(`${prefix}[${i}]`, canonicalJson(item));
    });
    if (value.length === 0) out.set(prefix, "[]");
    return;
  }
  if (value !== undefined) out.set(prefix, JSON.stringify(value));
}

function settingsOf(config: Config): Map<string, string> {
  const { target: _target, ...definition } = config;
  const out = new Map<string, string>();
  flatten(definition, "", out);
  return out;
}

function shown(value: string | undefined): string | null {
  if (value === undefined) return null;
  return value.length > SHOWN_VALUE ? `${value.slice(0, SHOWN_VALUE - 1)}…` : value;
}

export function settingChanges(base: Config, head: Config): DefinitionChanges["settings"] {
  const b = settingsOf(base);
  const h = settingsOf(head);
  const keys = [...new Set([...b.keys(), ...h.keys()])].sort();
  return keys
    .filter((k) => b.get(k) !== h.get(k))
    .map((key) => ({ key, base: shown(b.get(key)), head: shown(h.get(key)) }));
}

/** The files a definition's graders read, relative to the config's folder as written. */
export function definitionFiles(config: Config, sets: EvalSet[]): string[] {
  const files = new Set<string>();
  if (config.judge?.calibration) files.add(config.judge.calibration);
  for (const spec of config.graders) for (const [, p] of graderFiles(spec)) files.add(p);
  for (const set of sets) {
    for (const c of set.cases)
      for (const spec of c.graders ?? []) for (const [, p] of graderFiles(spec)) files.add(p);
  }
  return [...files].sort();
}

/** A case as written, without where it was written: moving a line is no change. */
function content(c: Case): string {
  const { line: _line, ...rest } = c;
  return canonicalJson(rest);
}

/** Cases whose content is worked out between two turns of the event loop. */
const CONTENTS_A_TURN = 200;

/**
 * Every case's content, worked out a few hundred cases a turn: the diff runs while requests are
 * in flight, and their answers should not wait behind thousands of cases at once.
 */
async function contentsInTurns(sets: EvalSet[]): Promise<Map<Case, string>> {
  const out = new Map<Case, string>();
  let done = 0;
  for (const set of sets) {
    for (const c of set.cases) {
      out.set(c, content(c));
      if (++done % CONTENTS_A_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return out;
}

/** The cases each set gains, loses or rewrites between the base's definition and the PR's. */
export function caseChanges(
  base: EvalSet[],
  head: EvalSet[],
  contentOf: (c: Case) => string = content,
): CaseChange[] {
  const changes = new Map<string, CaseChange>();
  const entry = (set: string, slice: string, hidden: boolean) => {
    const key = `${set}\u0000${slice}`;
    let e = changes.get(key);
    if (!e) {
      e = {
        set,
        slice,
        added: 0,
        removed: 0,
        changed: 0,
        ids: hidden ? null : { added: [], removed: [], changed: [] },
      };
      changes.set(key, e);
    }
    return e;
  };
  const names = [...new Set([...base.map((s) => s.name), ...head.map((s) => s.name)])];
  for (const name of names) {
    const b = base.find((s) => s.name === name);
    const h = head.find((s) => s.name === name);
    const hidden = (b ?? h)?.visibility === "aggregate";
    const sliceOf = (c: Case) => (hidden ? "all" : c.slice);
    const before = new Map((b?.cases ?? []).map((c) => [c.id, c]));
    const after = new Map((h?.cases ?? []).map((c) => [c.id, c]));
    for (const [id, c] of after) {
      const was = before.get(id);
      if (!was) {
        const e = entry(name, sliceOf(c), hidden);
        e.added++;
        e.ids?.added.push(id);
      } else if (contentOf(was) !== contentOf(c)) {
        const e = entry(name, sliceOf(was), hidden);
        e.changed++;
        e.ids?.changed.push(id);
      }
    }
    for (const [id, c] of before) {
      if (after.has(id)) continue;
      const e = entry(name, sliceOf(c), hidden);
      e.removed++;
      e.ids?.removed.push(id);
    }
  }
  return [...changes.values()];
}

/**
 * The cases of the PR's sets that the base's definition does not have: they run on both sides and
 * are shown apart, outside the gating family (a PR cannot dilute or pad a slice with them).
 */
export function addedCases(definition: EvalSet[], head: EvalSet[]): EvalSet[] {
  const out: EvalSet[] = [];
  for (const h of head) {
    const d = definition.find((s) => s.name === h.name);
    const known = new Set((d?.cases ?? []).map((c) => c.id));
    const cases = h.cases.filter((c) => !known.has(c.id));
    if (cases.length > 0) out.push({ ...h, visibility: d?.visibility ?? h.visibility, cases, added: true });
  }
  return out;
}

/** One line for the verdict's reasons. */
export function changeSummary(d: DefinitionChanges): string {
  const count = (k: "added" | "removed" | "changed") => d.cases.reduce((n, c) => n + c[k], 0);
  const parts: string[] = [];
  for (const k of ["added", "removed", "changed"] as const)
    if (count(k) > 0) parts.push(`${count(k)} case(s) ${k}`);
  if (d.settings.length > 0) parts.push(`${d.settings.length} setting(s) changed`);
  if (d.files.length > 0) parts.push(`${d.files.length} grader file(s) changed`);
  return parts.join(", ");
}

/** A side of the comparison: its project and where its files are read. */
interface Side {
  config: Config;
  sets: EvalSet[];
  source: FileSource;
}

/**
 * Everything the PR changes in the definition: settings, cases per slice, and the files graders
 * read (compared by content at the base commit and in the PR).
 */
export async function describeChanges(options: {
  base: Side;
  head: Side;
  configPath: string;
  from: "base" | "head";
}): Promise<DefinitionChanges> {
  const { base, head, configPath } = options;
  const files: DefinitionChanges["files"] = [];
  const paths = new Set([
    ...definitionFiles(base.config, base.sets),
    ...definitionFiles(head.config, head.sets),
  ]);
  for (const p of [...paths].sort()) {
    const file = resolvePath(configPath, p);
    const [before, after] = await Promise.all([readOrNull(base.source, file), readOrNull(head.source, file)]);
    if (before === after) continue;
    files.push({ path: file, change: before === null ? "added" : after === null ? "removed" : "changed" });
  }
  const contents = await contentsInTurns([...base.sets, ...head.sets]);
  return {
    source: options.from,
    settings: settingChanges(base.config, head.config),
    files,
    cases: caseChanges(base.sets, head.sets, (c) => contents.get(c) ?? content(c)),
  };
}

/** A file's text, or null when it is absent or not readable as a repository file. */
async function readOrNull(source: FileSource, path: string): Promise<string | null> {
  try {
    return await source.read(path);
  } catch (e) {
    if (e instanceof OutsideRepositoryError) return null;
    throw e;
  }
}
