// The parts of a promptfoo config that have no place in an eval-gate set: the providers (eval-gate
// runs the one model `target.model` names), output transforms, per-test options and top-level keys
// such as `scenarios`. None is left out without a line saying so.

import type { Skipped } from "./common.js";

type Dict = Record<string, unknown>;

/** `file:line: label` for a path of the config. */
export type WhereOf = (path: (string | number)[], label: string) => string;

const TRANSFORM =
  "is not imported: eval-gate grades the raw output, so a grader written for the transformed output may fail on it";

/** Why each key of a test's (or defaultTest's) `options` is left out. */
const OPTION_REASONS: Record<string, string> = {
  transform: TRANSFORM,
  postprocess: TRANSFORM,
  transformVars: "is not imported: the vars are used as written",
  provider: "is not imported: judges use the model eval-gate.yml's `judge.model` names",
  prefix: "is not imported: the prompt is target.system's, unchanged",
  suffix: "is not imported: the prompt is target.system's, unchanged",
};

const TEST_KEYS = new Set(["description", "vars", "assert", "metadata", "options"]);

/** Why other keys of a test are left out. */
const TEST_REASONS: Record<string, string> = {
  transform: TRANSFORM,
  threshold: "is not imported: a run passes when every grader passes",
  provider: "is not imported: every case runs the model target.model names",
  providers: "is not imported: every case runs the model target.model names",
  prompts: "is not imported: every case runs with target.system",
};

/** Top-level keys that change nothing about the cases (where results go, sharing, CLI defaults). */
const HARMLESS = new Set([
  "description",
  "prompts",
  "tests",
  "defaultTest",
  "providers",
  "targets",
  "outputPath",
  "sharing",
  "tags",
  "env",
  "evaluateOptions",
  "commandLineOptions",
  "writeLatestResults",
  "metadata",
  "$schema",
]);

function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** What a test (or `defaultTest`, with `index` null) sets that is not imported. */
export function testExtras(test: Dict, index: number | null, whereOf: WhereOf): Skipped[] {
  const base: (string | number)[] = index === null ? ["defaultTest"] : ["tests", index];
  const label = index === null ? "defaultTest" : `test ${index + 1}`;
  const out: Skipped[] = [];
  for (const key of Object.keys(test)) {
    if (TEST_KEYS.has(key)) continue;
    out.push({
      where: whereOf([...base, key], label),
      reason: `${key} ${TEST_REASONS[key] ?? "is not imported"}`,
    });
  }
  if (isDict(test.options)) {
    for (const key of Object.keys(test.options)) {
      out.push({
        where: whereOf([...base, "options", key], label),
        reason: `options.${key} ${OPTION_REASONS[key] ?? "is not imported"}`,
      });
    }
  }
  return out.sort((a, b) => lineOf(a.where) - lineOf(b.where));
}

function lineOf(where: string): number {
  return Number(/:(\d+):/.exec(where)?.[1] ?? 0);
}

/** The config's providers and any top-level key that would change the cases, left out. */
export function configExtras(root: Dict, whereOf: WhereOf): Skipped[] {
  const out: Skipped[] = [];
  for (const key of ["providers", "targets"]) {
    if (root[key] === undefined) continue;
    const ids = providerIds(root[key]);
    const model = ids.map(modelOf).find((m) => m !== null);
    out.push({
      where: whereOf([key], key),
      reason: `not imported (${ids.join(", ") || "none named"}): eval-gate runs one model, the one \`target.model\` names in eval-gate.yml${model ? ` (e.g. \`target: { model: ${model} }\`)` : ""}, with its settings (temperature, max_tokens) under \`target.params\` and another OpenAI-compatible endpoint under \`target.base_url\`, and compares it with the base branch's`,
    });
  }
  for (const key of Object.keys(root)) {
    if (HARMLESS.has(key)) continue;
    const why = key === "scenarios" ? ": its tests are not in the set" : "";
    out.push({ where: whereOf([key], key), reason: `not imported${why}` });
  }
  return out;
}

/** The ids of promptfoo's providers: strings, `{ id }` entries, or `{ "id": config }` maps. */
function providerIds(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((p): string[] => {
    if (typeof p === "string") return [p];
    if (!isDict(p)) return [];
    if (typeof p.id === "string") return [p.id];
    return Object.keys(p);
  });
}

/** The model an OpenAI or Azure provider id names (`openai:chat:gpt-4o` → gpt-4o), else null. */
function modelOf(id: string): string | null {
  const m = /^(?:openai|azure|azureopenai)(?::(?:chat|responses))?:(.+)$/.exec(id);
  return m?.[1] ?? null;
}
