import { buildReport, type Collected, toRunStat } from "./assemble.js";
import { AGGREGATE_SLICE } from "./compare.js";
import { type Config, type LineOf, parseConfigWithLines, validateGraders } from "./config.js";
import { describeError, isUserError, OutsideRepositoryError, UserError, UserErrors } from "./errors.js";
import { graderRegistry } from "./graders/index.js";
import type { GraderContext } from "./graders/types.js";
import { calibrateJudges } from "./judges.js";
import { findLeaks, type Leak } from "./lifecycle/check.js";
import { configPathErrors, graderFiles, pathProblem } from "./paths.js";
import type { Clock, FileSource, ModelProvider, ProgressEvent, ResponseCache } from "./ports.js";
import { reduceCases } from "./reduce.js";
import { RunStop } from "./request-pipeline.js";
import { buildMessages } from "./requests.js";
import { defaultRetryPolicy } from "./retry.js";
import { runAll, type SidePlan } from "./runner.js";
import { parseSet } from "./sets.js";
import { type Shard, selectShard } from "./shard.js";
import {
  atLine,
  checkEndpoint,
  checkKeyEnv,
  type ResolvedTarget,
  resolvePath,
  resolveTarget,
} from "./target.js";
import { type MissingVar, missingSystemVars } from "./template.js";
import type { Case, EvalSet, GraderSpec, Report, Side } from "./types.js";

export interface EvaluateOptions {
  /** The config's path, relative to the repository root (posix separators). */
  configPath: string;
  head: { source: FileSource; sha: string };
  /** The base side, or null for a head-only run (push, schedule, CLI without --base). */
  base: { source: FileSource; ref: string; sha: string } | null;
  env: Record<string, string | undefined>;
  /** Run only this deterministic share of the cases (a matrix job); merge the partials after. */
  shard?: Shard;
  /** Run only these sets, slices or case ids (the CLI's --set, --slice, --case); empty lists keep all. */
  filter?: { sets?: string[]; slices?: string[]; cases?: string[] };
  /** Endpoints a config may name besides OpenAI's; null lets any through (a developer's own machine). */
  allowedEndpoints: string[] | null;
  /** Variables `target.api_key_env` may name; null (the CLI) lets any through but the runner's own. */
  allowedKeyEnvs?: readonly string[] | null;
}

export interface EvaluateDeps {
  providerFor(target: ResolvedTarget, config: Config, side: Side): ModelProvider;
  /**
   * Connects model-backed graders (similarity, judge, script) to the head side's endpoint; their
   * requests share the run's stop, so either endpoint being down stops the whole run.
   */
  graders?(setup: {
    target: ResolvedTarget;
    config: Config;
    configPath: string;
    stop: RunStop;
  }): GraderContext & {
    close(): Promise<void>;
  };
  cache?: ResponseCache;
  clock: Clock;
  onProgress?: (event: ProgressEvent) => void;
  /** Stops the run early (a cancelled job, Ctrl-C): what was answered is kept, the verdict is `error`. */
  signal?: AbortSignal;
}

export interface Evaluation {
  report: Report;
  config: Config;
  sets: EvalSet[];
  /** Why there is no baseline on a run that asked for one, for the log and the comment. */
  notes: string[];
  /** What the report was built from: a shard writes this as its partial result. */
  collected: Collected;
}

/** The one pipeline behind the action and the CLI. Throws user errors before any request is made. */
export async function evaluate(options: EvaluateOptions, deps: EvaluateDeps): Promise<Evaluation> {
  const { configPath, head } = options;
  const {
    config,
    lineOf,
    sets,
    target: headTarget,
  } = await loadProject(head.source, configPath, options.env);
  const notes: string[] = [];
  // Eval cases pasted into the prompt turn the gate into a memory test: an error on a PR, a note
  // on other runs (a push must still warm the cache).
  const leaks = headTarget.system
    ? findLeaks({
        prompts: [{ file: headTarget.systemFile ?? "the system prompt", text: headTarget.system }],
        sets,
      })
    : [];
  const fileOf = (set: string) => sets.find((x) => x.name === set)?.path ?? set;
  if (leaks.length > 0 && options.base) throw new UserErrors(leaks.map((l) => leakError(l, fileOf(l.set))));
  for (const leak of leaks) notes.push(leakError(leak, fileOf(leak.set)).format());
  const baseTarget = options.base ? await loadBaseTarget(options, notes) : null;

  for (const t of [headTarget, baseTarget]) {
    if (t && options.allowedEndpoints) {
      checkEndpoint(t, options.allowedEndpoints, { file: configPath, line: lineOf(["target", "base_url"]) });
    }
    if (t)
      checkKeyEnv(t, options.allowedKeyEnvs ?? null, {
        file: configPath,
        line: lineOf(["target", "api_key_env"]),
      });
  }
  // Fill every head request once before the first call (what checkSystemVars missed still stops here).
  for (const set of sets) for (const c of set.cases) buildMessages(headTarget, c);

  const sides: SidePlan[] = [];
  if (baseTarget)
    sides.push({ side: "base", target: baseTarget, provider: deps.providerFor(baseTarget, config, "base") });
  sides.push({ side: "head", target: headTarget, provider: deps.providerFor(headTarget, config, "head") });

  const filtered = options.filter ? filterSets(sets, options.filter) : sets;
  const runSets = options.shard ? selectShard(filtered, options.shard) : filtered;
  const stop = new RunStop();
  const graders = deps.graders?.({ target: headTarget, config, configPath, stop });
  try {
    // Judges are checked against human labels before they may fail anything.
    const trust = graders
      ? await calibrateJudges({ config, configPath, sets: runSets, source: head.source, ctx: graders })
      : { judges: [], untrustedSlices: new Set<string>() };
    const outcome = await runAll(
      {
        sets: runSets,
        defaultGraders: config.graders,
        repeats: config.repeats,
        concurrency: config.concurrency,
        sides,
        retry: { ...defaultRetryPolicy, attempts: config.requests.attempts },
      },
      {
        ...(deps.cache ? { cache: deps.cache } : {}),
        ...(graders ? { graders } : {}),
        stop,
        clock: deps.clock,
        ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
    );
    const collected: Collected = {
      configPath,
      sets: sets.map((x) => ({ name: x.name, visibility: x.visibility })),
      gate: { ...config.gate, repeats: config.repeats },
      prices: { base: baseTarget?.prices ?? null, head: headTarget.prices ?? null },
      notes,
      base: baseTarget && options.base ? { ref: options.base.ref, sha: options.base.sha } : null,
      headSha: head.sha,
      cases: reduceCases(
        runSets,
        outcome.runs,
        sides.map((x) => x.side),
      ),
      stats: outcome.runs.map(toRunStat),
      ...(outcome.aborted ? { aborted: outcome.aborted } : {}),
      judges: trust.judges,
      untrustedSlices: [...trust.untrustedSlices],
    };
    return { report: buildReport(collected), collected, config, sets, notes };
  } finally {
    await graders?.close();
  }
}

/**
 * The config, the sets and the head side's target, all checked: every problem of the config, the
 * sets and the target's files is reported in one go, before any request.
 */
export async function loadProject(
  source: FileSource,
  configPath: string,
  env: Record<string, string | undefined>,
) {
  const { config, lineOf } = await loadConfig(source, configPath);
  // Paths that leave the repository are refused before any file is read.
  const outside = configPathErrors(config, configPath, lineOf);
  if (outside.length > 0) throw new UserErrors(outside);
  const errors: UserError[] = [];
  const sets = await loadSets(config, configPath, source, lineOf, errors);
  let target: ResolvedTarget | undefined;
  try {
    target = await resolveTarget(config, configPath, source, env, lineOf);
  } catch (e) {
    gather(e, errors);
  }
  // A {{var}} of the system prompt that a case cannot fill stops the run before the first call.
  if (target) errors.push(...checkSystemVars(target, sets));
  errors.push(...(await checkGraderFiles(config, configPath, sets, source, lineOf)));
  if (errors.length > 0 || !target) throw new UserErrors(errors);
  return { config, lineOf, sets, target };
}

async function loadConfig(
  source: FileSource,
  configPath: string,
): Promise<{ config: Config; lineOf: LineOf }> {
  const text = await source.read(configPath);
  if (text === null) {
    throw new UserError("the config file does not exist", {
      file: configPath,
      fix: "Add it (see the README), or point the action's `config` input or the CLI's --config at your config.",
    });
  }
  return parseConfigWithLines(text, configPath);
}

function gather(e: unknown, errors: UserError[]): void {
  if (e instanceof UserErrors) errors.push(...e.errors);
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
    let text: string | null;
    try {
      text = await source.read(file);
    } catch (e) {
      if (!(e instanceof OutsideRepositoryError)) throw e;
      errors.push(atLine(e, { file: configPath, line: lineOf(["sets", name]), field: `sets.${name}` }));
      continue;
    }
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
      const set = parseSet(text, file, name, spec.visibility, { redact });
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
 * The system prompt's placeholders each case must fill, checked before any request: one error per
 * set and placeholder, at the first case that lacks it (a holdout case is named by its line only).
 */
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
      let text: string | null;
      try {
        text = await source.read(file);
      } catch (e) {
        if (!(e instanceof OutsideRepositoryError)) throw e;
        errors.push(atLine(e, { ...where, field: `${where.field}.${field}` }));
        continue;
      }
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

function checkSystemVars(target: ResolvedTarget, sets: EvalSet[]): UserError[] {
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

/** The base side's target, or null (with a note) when the base has no usable config. */
async function loadBaseTarget(options: EvaluateOptions, notes: string[]): Promise<ResolvedTarget | null> {
  const base = options.base;
  if (!base) return null;
  const text = await base.source.read(options.configPath);
  if (text === null) {
    notes.push(`No baseline: ${options.configPath} does not exist at ${base.ref} (${base.sha.slice(0, 7)})`);
    return null;
  }
  try {
    const { config, lineOf } = parseConfigWithLines(text, `${options.configPath}@${base.sha.slice(0, 7)}`);
    return await resolveTarget(config, options.configPath, base.source, options.env, lineOf);
  } catch (e) {
    if (!isUserError(e)) throw e;
    notes.push(`No baseline: the config at ${base.ref} could not be used (${describeError(e)})`);
    return null;
  }
}

function leakError(leak: Leak, file: string): UserError {
  const which = leak.id === null ? "a case" : `case \`${leak.id}\``;
  const how = leak.kind === "exact" ? "word for word" : `${Math.round(leak.share * 100)}% of its 8-word runs`;
  return new UserError(`the ${leak.field} of ${which} is in ${leak.prompt}:${leak.prompt_line} (${how})`, {
    file,
    line: leak.line,
    field: leak.field,
    fix: "Keep eval cases out of the prompt (as few-shot examples they test memory, not the model), or drop the case; `eval-gate check` lists every leak.",
  });
}

/** The sets, slices and cases a filter keeps; a filter that keeps nothing is a mistake worth saying. */
function filterSets(sets: EvalSet[], filter: NonNullable<EvaluateOptions["filter"]>): EvalSet[] {
  const keep = (list: string[] | undefined, value: string) =>
    !list || list.length === 0 || list.includes(value);
  const out = sets
    .filter((s) => keep(filter.sets, s.name))
    .map((s) => ({
      ...s,
      cases: s.cases.filter((c) => keep(filter.slices, c.slice) && keep(filter.cases, c.id)),
    }))
    .filter((s) => s.cases.length > 0);
  if (out.length === 0) {
    throw new UserError("the filters keep no case", {
      field: "--set/--slice/--case",
      fix: `Sets are: ${sets.map((s) => s.name).join(", ")}; check the slice names and case ids.`,
    });
  }
  return out;
}

export { AGGREGATE_SLICE };
