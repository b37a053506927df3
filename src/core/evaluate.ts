import type { Config } from "./config/config.js";
import { addedCases, describeChanges } from "./config/definition.js";
import { type CaseFilter, filterSets } from "./config/filter.js";
import { nothingLabelled, splitUnlabelled } from "./config/labels.js";
import {
  checkBaseVars,
  checkLeaks,
  checkTargets,
  judgingDefinition,
  leakNotes,
  loadBaseProject,
} from "./config/preflight.js";
import { loadProject, ParseMemo } from "./config/project.js";
import { buildMessages, shadowedPromptWarnings } from "./config/requests.js";
import { AGGREGATE_SLICE } from "./config/sets.js";
import type { ResolvedTarget } from "./config/target.js";
import { buildReport, type Collected } from "./gate/assemble.js";
import { CaseCollector } from "./gate/collect.js";
import { type Shard, selectShard } from "./gate/shard.js";
import type { GraderContext } from "./graders/types.js";
import type { Clock, FileSource, ModelProvider, ProgressEvent, ResponseCache } from "./ports.js";
import { keepTexts, type ParkedTexts } from "./report/park.js";
import type { Report } from "./report-types.js";
import { repeatDesign } from "./run/adaptive.js";
import { calibrateJudges } from "./run/judges.js";
import { RunStop } from "./run/request-pipeline.js";
import { defaultRetryPolicy } from "./run/retry.js";
import { runAll, type SidePlan } from "./run/runner.js";
import type { EvalSet, Side } from "./types.js";

export interface EvaluateOptions {
  /** The config's path, relative to the repository root (posix separators). */
  configPath: string;
  head: { source: FileSource; sha: string };
  /**
   * The base side, or null for a head-only run (push, schedule, CLI without --base). It may still
   * be on its way (its commit looked up in git): the head's files are read meanwhile.
   */
  base: BaseSide | null | Promise<BaseSide | null>;
  env: Record<string, string | undefined>;
  /** Run only this deterministic share of the cases (a matrix job); merge the partials after. */
  shard?: Shard;
  /** Run only these sets, slices or case ids (the CLI's --set, --slice, --case); empty lists keep all. */
  filter?: CaseFilter;
  /** Endpoints a config may name besides OpenAI's; null lets any through (a developer's own machine). */
  allowedEndpoints: string[] | null;
  /** Variables `target.api_key_env` may name; null (the CLI) lets any through but the runner's own. */
  allowedKeyEnvs?: readonly string[] | null;
  /**
   * The base's definition judges even when the base opts out (`gate.definition: head`): a run
   * that holds secrets next to a fork's files (pull_request_target) must never run the PR's scripts.
   */
  forceBaseDefinition?: boolean;
}

export interface BaseSide {
  source: FileSource;
  ref: string;
  sha: string;
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
    /**
     * Where the gate definition's files are read: the base commit on a pull request (`sha`), so
     * rubrics, labels and scripts are the base's; the workspace otherwise (`sha` null).
     */
    definition: { source: FileSource; sha: string | null };
  }): GraderContext & {
    close(): Promise<void>;
  };
  cache?: ResponseCache;
  clock: Clock;
  onProgress?: (event: ProgressEvent) => void;
  /** Stops the run early (a cancelled job, Ctrl-C): what was answered is kept, the verdict is `error`. */
  signal?: AbortSignal;
  /**
   * Where the texts that only the report file shows wait while the run goes on (report/park.ts);
   * the report is then cut and written with it. Not used by a shard: its partial holds every text.
   */
  park?: ParkedTexts;
}

export interface Evaluation {
  report: Report;
  config: Config;
  sets: EvalSet[];
  /** Why there is no baseline on a run that asked for one, for the log and the comment. */
  notes: string[];
  /** Of the notes, those that say the run measures less than it seems to (logged as warnings). */
  warnings: string[];
  /** What the report was built from: a shard writes this as its partial result. */
  collected: Collected;
}

/** The one pipeline behind the action and the CLI. Throws user errors before any request is made. */
export async function evaluate(given: EvaluateOptions, deps: EvaluateDeps): Promise<Evaluation> {
  const { configPath, head } = given;
  const notes: string[] = [];
  // The PR's own files are checked whole: what it would merge must be a working config. Both
  // sides are read at once (the base from git objects, once its commit is found); the head's
  // errors come first. What is the same on both sides is parsed once (ParseMemo).
  const memo = new ParseMemo();
  const [headLoad, baseLoad] = await Promise.allSettled([
    loadProject(head.source, configPath, given.env, memo),
    Promise.resolve(given.base).then(async (base) =>
      base ? { base, project: await loadBaseProject(base, configPath, given.env, notes, memo) } : null,
    ),
  ]);
  if (headLoad.status === "rejected") throw headLoad.reason;
  if (baseLoad.status === "rejected") throw baseLoad.reason;
  const options = { ...given, base: baseLoad.value?.base ?? null };
  const headProject = headLoad.value;
  const baseProject = baseLoad.value?.project ?? null;
  const judge = judgingDefinition(headProject, baseProject, options);
  const { config } = judge.project;
  // What the PR changes in the definition is only shown in the report: it is read from git once
  // the first answer from the endpoint is in, while the rest are in flight (it raises no user
  // error). Not on a cached answer: those come before any request has gone out, and the diff
  // would hold up the requests' sockets.
  const firstAnswer = signal();
  const definitionChanges = baseProject
    ? after(firstAnswer.promise, () =>
        describeChanges({
          base: { ...baseProject, source: (options.base as { source: FileSource }).source },
          head: { ...headProject, source: head.source },
          configPath,
          from: judge.from,
        }),
      )
    : undefined;
  // Cases the PR adds run on both sides, outside the gating family.
  const added = judge.from === "base" ? addedCases(judge.project.sets, headProject.sets) : [];
  const sets = [...judge.project.sets, ...added];
  const headTarget = headProject.target;
  const baseTarget = baseProject?.target ?? null;

  // A leak stops a pull request before any request; elsewhere it is a note, found while the
  // requests are in flight (like the definition's changes) and kept in its place among the notes.
  const leaksAt = notes.length;
  if (options.base !== null) checkLeaks(headTarget, sets);
  // Not looked for once the job is cancelled: what is written then is no verdict.
  const leaks =
    options.base === null
      ? after(firstAnswer.promise, async () => (deps.signal?.aborted ? [] : leakNotes(headTarget, sets)))
      : null;
  checkTargets(options, headProject, baseProject);
  if (judge.from === "base") checkBaseVars(headTarget, judge.project.sets);
  // Fill every head request once before the first call (what checkSystemVars missed still stops here).
  for (const set of judge.project.sets) for (const c of set.cases) buildMessages(headTarget, c);

  const sides: SidePlan[] = [];
  if (baseTarget)
    sides.push({ side: "base", target: baseTarget, provider: deps.providerFor(baseTarget, config, "base") });
  sides.push({ side: "head", target: headTarget, provider: deps.providerFor(headTarget, config, "head") });

  const filtered = options.filter ? filterSets(sets, options.filter) : sets;
  // A case waiting for a label is sent to no model and graded by nothing: counted apart (labels.ts).
  const labels = splitUnlabelled(filtered, config.graders);
  if (labels.labelled === 0 && labels.unlabelled.length > 0) throw nothingLabelled(labels.unlabelled);
  // Before sharding, so every shard carries the same warnings and a merge keeps one copy.
  const warnings = shadowedPromptWarnings(labels.sets, [headTarget, baseTarget]);
  notes.push(...warnings);
  const runSets = options.shard ? selectShard(labels.sets, options.shard) : labels.sets;
  const stop = new RunStop();
  const graders = deps.graders?.({
    target: headTarget,
    config,
    configPath,
    stop,
    definition: { source: judge.source, sha: judge.sha },
  });
  try {
    // Judges are checked against human labels before they may fail anything.
    const trust = graders
      ? await calibrateJudges({ config, configPath, sets: runSets, source: judge.source, ctx: graders })
      : { judges: [], untrustedSlices: new Set<string>() };
    const design = repeatDesign(config);
    const collector = new CaseCollector(
      runSets,
      sides.map((x) => x.side),
      {
        defaultGraders: config.graders,
        ...(deps.park && !options.shard ? { keep: keepTexts(judge.project.sets, deps.park) } : {}),
      },
    );
    const outcome = await runAll(
      {
        sets: runSets,
        defaultGraders: config.graders,
        ...design,
        concurrency: config.concurrency,
        sides,
        retry: { ...defaultRetryPolicy, attempts: config.requests.attempts },
      },
      {
        ...(deps.cache ? { cache: deps.cache } : {}),
        ...(graders ? { graders } : {}),
        stop,
        clock: deps.clock,
        onProgress: (event) => {
          if (event.kind === "run" && !event.cached) firstAnswer.fire();
          deps.onProgress?.(event);
        },
        ...(deps.signal ? { signal: deps.signal } : {}),
        sink: (run, of, last) => collector.add(run, of, last),
      },
    );
    firstAnswer.fire();
    const definition = await definitionChanges;
    if (leaks) insertAt(notes, leaksAt, await leaks);
    const collected: Collected = {
      configPath,
      sets: judge.project.sets.map((x) => ({ name: x.name, visibility: x.visibility })),
      // pass^k needs k runs of every case; under auto the counts follow the data (adaptive.ts).
      gate: { ...config.gate, repeats: design.adaptive ? 1 : design.repeats },
      ...(design.adaptive ? { maxRepeats: design.repeats } : {}),
      prices: { base: baseTarget?.prices ?? null, head: headTarget.prices ?? null },
      notes,
      base: baseTarget && options.base ? { ref: options.base.ref, sha: options.base.sha } : null,
      headSha: head.sha,
      cases: collector.cases(),
      // A run of a case the PR adds is marked `added` (its set is one of `added`).
      stats: collector.stats,
      ...(outcome.aborted ? { aborted: outcome.aborted } : {}),
      judges: trust.judges,
      untrustedSlices: [...trust.untrustedSlices],
      ...(definition ? { definition } : {}),
      ...(labels.unlabelled.length > 0 ? { unlabelled: labels.unlabelled } : {}),
    };
    return { report: buildReport(collected), collected, config, sets, notes, warnings };
  } finally {
    await graders?.close();
  }
}

/**
 * Puts `items` into `list` at `at`, in place and one by one: not spread into splice's arguments,
 * which overflows the stack past about 100,000 (there may be a leak note a case).
 */
export function insertAt<T>(list: T[], at: number, items: readonly T[]): void {
  const later = list.splice(at);
  for (const item of items) list.push(item);
  for (const item of later) list.push(item);
}

/** A promise that `fire` resolves, once. */
function signal(): { promise: Promise<void>; fire(): void } {
  let fire = () => {};
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

/**
 * Starts `work` once `start` resolves, and keeps its failure from being unhandled until it is
 * awaited.
 */
function after<T>(start: Promise<void>, work: () => Promise<T>): Promise<T> {
  const started = start.then(work);
  started.catch(() => {});
  return started;
}

export { loadProject, loadSets } from "./config/project.js";
export { AGGREGATE_SLICE };
