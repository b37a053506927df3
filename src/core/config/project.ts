// A project as one side of a run sees it: the config, the sets and the target, with every problem
// found in one pass and reported at its file and line before any request is made.

import { UserError, UserErrors } from "../errors.js";
import { graderRegistry } from "../graders/index.js";
import type { FileSource } from "../ports.js";
import { type MissingVar, missingSystemVars } from "../text/template.js";
import type { Case, EvalSet, GraderSpec, Visibility } from "../types.js";
import type { Config } from "./config.js";
import { type LineOf, parseConfigWithLines } from "./parse-config.js";
import { configPathErrors, graderFiles, pathProblem } from "./paths.js";
import { parseSet } from "./sets.js";
import { type ResolvedTarget, readAt, resolvePath, resolveTarget } from "./target.js";
import { validateGraders } from "./validate-graders.js";

/**
 * Parses the two sides of a pull request share. A file whose text is the same on both sides (a PR
 * that changes only the prompt leaves the config and every set as they were) is parsed and
 * checked once, and both projects hold the same objects: nothing reads a parsed config or set
 * and then changes it. On a 1,000-case set that is 10-20 ms of a PR run's start.
 */
export class ParseMemo {
  private readonly configs = new Map<string, { text: string; parsed: { config: Config; lineOf: LineOf } }>();
  private readonly sets = new Map<string, { text: string; set: EvalSet }>();

  config(text: string, file: string): { config: Config; lineOf: LineOf } {
    const known = this.configs.get(file);
    if (known?.text === text) return known.parsed;
    const parsed = parseConfigWithLines(text, file);
    this.configs.set(file, { text, parsed });
    return parsed;
  }

  set(text: string, file: string, name: string, visibility: Visibility, redact: boolean): EvalSet {
    const key = [file, name, visibility, redact].join("\u0000");
    const known = this.sets.get(key);
    if (known?.text === text) return known.set;
    const set = parseSet(text, file, name, visibility, { redact });
    this.sets.set(key, { text, set });
    return set;
  }
}

export interface Project {
  config: Config;
  lineOf: LineOf;
  sets: EvalSet[];
  target: ResolvedTarget;
}

/**
 * The config, the sets and the head side's target, all checked: every problem of the config, the
 * sets and the target's files is reported in one go, before any request.
 */
export async function loadProject(
  source: FileSource,
  configPath: string,
  env: Record<string, string | undefined>,
  memo = new ParseMemo(),
): Promise<Project> {
  const { config, lineOf } = await loadConfig(source, configPath, memo);
  // Paths that leave the repository are refused before any file is read.
  const outside = configPathErrors(config, configPath, lineOf);
  if (outside.length > 0) throw new UserErrors(outside);
  const errors: UserError[] = [];
  const sets = await loadSets(config, configPath, source, lineOf, errors, {}, memo);
  let target: ResolvedTarget | undefined;
  try {
    target = await resolveTarget(config, configPath, source, env, lineOf);
  } catch (e) {
    gather(e, errors);
  }
  // A {{var}} of the system prompt that a case cannot fill stops the run before the first call.
  // Loops, not spreads: every case of a big set may have the same problem.
  if (target) for (const e of checkSystemVars(target, sets)) errors.push(e);
  for (const e of await checkGraderFiles(config, configPath, sets, source, lineOf)) errors.push(e);
  if (errors.length > 0 || !target) throw new UserErrors(errors);
  return { config, lineOf, sets, target };
}

async function loadConfig(
  source: FileSource,
  configPath: string,
  memo: ParseMemo,
): Promise<{ config: Config; lineOf: LineOf }> {
  const text = await source.read(configPath);
  if (text === null) {
    throw new UserError("the config file does not exist", {
      file: configPath,
      fix: "Add it (see the README), or point the action's `config` input at your config.",
      cli: { fix: "Run `eval-gate init` to write a starter config, or pass --config FILE." },
    });
  }
  return memo.config(text, configPath);
}

function gather(e: unknown, errors: UserError[]): void {
  if (e instanceof UserErrors) for (const x of e.errors) errors.push(x);
  else if (e instanceof UserError) errors.push(e);
  else throw e;
}

/**
 * Every set the config lists, parsed; problems are added to `errors`, not thrown. `graders: false`
 * skips checking graders against the registry; `skipMissingSets` passes over set files that do not
 * exist yet (`sample` and `rotate` fill them).
 */
export async function loadSets(
  config: Config,
  configPath: string,
  source: FileSource,
  lineOf: LineOf,
  errors: UserError[],
  options: { graders?: boolean; skipMissingSets?: boolean } = {},
  memo = new ParseMemo(),
): Promise<EvalSet[]> {
  const graders = options.graders ?? true;
  if (graders) {
    errors.push(
      ...validateGraders(config.graders, graderRegistry, {
        file: configPath,
        field: "graders",
        lineOf: (path) => lineOf(["graders", ...path]),
      }),
    );
  }
  const sets: EvalSet[] = [];
  for (const [name, spec] of Object.entries(config.sets)) {
    const file = resolvePath(configPath, spec.path);
    const where = { file: configPath, line: lineOf(["sets", name]), field: `sets.${name}` };
    const text = await readAt(source, file, where, errors);
    if (text === undefined) continue;
    if (text === null) {
      if (options.skipMissingSets) continue;
      errors.push(
        new UserError(`set file ${file} does not exist`, {
          file: configPath,
          line: lineOf(["sets", name]),
          field: `sets.${name}`,
          fix: "Create the JSONL file or fix the path; paths are relative to the config file's folder.",
        }),
      );
      continue;
    }
    // A holdout set's cases appear in no message: errors name its file, line and field only.
    const redact = spec.visibility === "aggregate";
    try {
      const set = memo.set(text, file, name, spec.visibility, redact);
      for (const c of set.cases) {
        if (!c.graders) continue;
        if (graders) {
          errors.push(
            ...validateGraders(c.graders, graderRegistry, { file, line: c.line, field: "graders", redact }),
          );
        }
        c.graders.forEach((g, i) => {
          for (const [key, value] of graderFiles(g)) {
            const problem = pathProblem(configPath, value);
            if (problem) {
              errors.push(
                new UserError(redact ? "the path is outside the repository" : problem, {
                  file,
                  line: c.line,
                  field: `graders[${i}].${key}`,
                  fix: "Name a file inside the repository, relative to the config file's folder.",
                }),
              );
            }
          }
        });
      }
      sets.push(set);
    } catch (e) {
      gather(e, errors);
    }
  }
  return sets;
}

/**
 * What model-backed graders need and the config must provide, checked before the first request
 * rather than failing every run: a judge model, rubric files and scripts that exist.
 */
async function checkGraderFiles(
  config: Config,
  configPath: string,
  sets: EvalSet[],
  source: FileSource,
  lineOf: LineOf,
): Promise<UserError[]> {
  const errors: UserError[] = [];
  const seen = new Set<string>();
  const check = async (spec: GraderSpec, where: { file: string; line?: number; field: string }) => {
    const key = `${where.file}\u0000${JSON.stringify(spec)}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (spec.type === "judge" && !spec.model && !config.judge?.model) {
      errors.push(
        new UserError("a judge grader has no model", {
          ...where,
          fix: "Set `judge: { model: gpt-4o }` in the config, or `model` on the grader.",
        }),
      );
    }
    for (const [field, value] of [
      ["rubric_file", spec.type === "judge" ? spec.rubric_file : undefined],
      ["path", spec.type === "script" ? spec.path : undefined],
    ] as const) {
      if (typeof value !== "string") continue;
      const file = resolvePath(configPath, value);
      const text = await readAt(source, file, { ...where, field: `${where.field}.${field}` }, errors);
      if (text === undefined) continue;
      if (text === null) {
        errors.push(
          new UserError(`${file} does not exist`, {
            ...where,
            field: `${where.field}.${field}`,
            fix: "Fix the path; it is relative to the config file's folder.",
          }),
        );
      }
    }
  };
  for (const [i, spec] of config.graders.entries()) {
    await check(spec, { file: configPath, line: lineOf(["graders", i]) ?? 0, field: `graders[${i}]` });
  }
  for (const set of sets) {
    for (const c of set.cases) {
      for (const [i, spec] of (c.graders ?? []).entries()) {
        await check(spec, { file: set.path, line: c.line, field: `graders[${i}]` });
      }
    }
  }
  return errors;
}

/**
 * The system prompt's placeholders each case must fill, checked before any request: one error per
 * set and placeholder, at the first case that lacks it (a holdout case is named by its line only).
 */
export function checkSystemVars(target: ResolvedTarget, sets: EvalSet[]): UserError[] {
  const system = target.system;
  if (system === null) return [];
  const prompt = target.systemFile ?? "the system prompt";
  const errors: UserError[] = [];
  for (const set of sets) {
    const lacking = new Map<string, { missing: MissingVar; first: Case; count: number }>();
    for (const c of set.cases) {
      if (c.messages?.[0]?.role === "system") continue; // the case brings its own system message
      for (const missing of missingSystemVars(system, c.vars)) {
        const seen = lacking.get(missing.placeholder);
        if (seen) seen.count++;
        else lacking.set(missing.placeholder, { missing, first: c, count: 1 });
      }
    }
    for (const { missing, first, count } of lacking.values()) {
      const who = set.visibility === "aggregate" ? "this case" : `case \`${first.id}\``;
      const more = count > 1 ? ` (nor do ${count - 1} more case${count > 2 ? "s" : ""} of this set)` : "";
      errors.push(
        new UserError(
          `${prompt}:${missing.promptLine} uses ${missing.placeholder}, but ${who} has no var \`${missing.name}\`${more}`,
          {
            file: set.path,
            line: first.line,
            field: `vars.${missing.name}`,
            fix: `Add it to the case's vars, e.g. "vars": {"${missing.name}": "..."}, or remove ${missing.placeholder} from ${prompt}.`,
          },
        ),
      );
    }
  }
  return errors;
}
