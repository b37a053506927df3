import { describeError, ProviderError } from "./errors.js";
import { gradeRun } from "./graders/grade.js";
import type { Clock, ModelProvider, ProgressEvent, ResponseCache } from "./ports.js";
import { buildRequest, requestKey, type TargetSpec } from "./requests.js";
import type { Case, EvalSet, GraderSpec, ModelResponse, Run, Side } from "./types.js";

export interface SidePlan {
  side: Side;
  target: TargetSpec;
  provider: ModelProvider;
}

export interface RunPlan {
  sets: EvalSet[];
  defaultGraders: GraderSpec[];
  repeats: number;
  concurrency: number;
  sides: SidePlan[];
}

export interface RunDeps {
  cache?: ResponseCache;
  clock: Clock;
  onProgress?: (event: ProgressEvent) => void;
}

export interface RunOutcome {
  runs: Run[];
  /** Set when the run was stopped early (e.g. the provider refused the key); the verdict is `error`. */
  aborted?: string;
}

interface RunState {
  done: number;
  /** Provider faults since the last response; a long streak means the provider is down. */
  failuresInARow: number;
  outageAfter: number;
  aborted?: string;
}

interface Task {
  set: EvalSet;
  c: Case;
  sample: number;
  side: SidePlan;
}

/** Statuses that will not get better by asking again for other cases: bad key, unknown model. */
const FATAL_STATUSES = new Set([401, 403, 404]);

/**
 * Runs every case `repeats` times on every side through one pool of `concurrency` workers, so the
 * two sides share the bound and progress together. Provider and grader faults become run errors.
 */
export async function runAll(plan: RunPlan, deps: RunDeps): Promise<RunOutcome> {
  const total = plan.sets.reduce((n, s) => n + s.cases.length, 0) * plan.repeats * plan.sides.length;
  deps.onProgress?.({ kind: "start", total });
  const runs: Run[] = [];
  const state: RunState = { done: 0, failuresInARow: 0, outageAfter: Math.max(8, 2 * plan.concurrency) };
  const tasks = taskStream(plan);

  const worker = async () => {
    for (let next = tasks.next(); !next.done; next = tasks.next()) {
      const task = next.value;
      const run = state.aborted ? skipped(task, state.aborted) : await runOne(task, plan, deps, state);
      runs.push(run);
      state.done++;
      deps.onProgress?.({ kind: "run", done: state.done, total, cached: run.cached, error: run.error });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, total)) }, worker));
  return { runs, ...(state.aborted ? { aborted: state.aborted } : {}) };
}

function* taskStream(plan: RunPlan): Generator<Task> {
  for (const set of plan.sets) {
    for (const c of set.cases) {
      for (let sample = 0; sample < plan.repeats; sample++) {
        for (const side of plan.sides) yield { set, c, sample, side };
      }
    }
  }
}

function base(task: Task): Pick<Run, "caseId" | "set" | "side" | "sample"> {
  return { caseId: task.c.id, set: task.set.name, side: task.side.side, sample: task.sample };
}

function skipped(task: Task, why: string): Run {
  return { ...base(task), error: `not run: ${why}`, cached: false };
}

async function runOne(task: Task, plan: RunPlan, deps: RunDeps, state: RunState): Promise<Run> {
  let request: ReturnType<typeof buildRequest>;
  try {
    request = buildRequest(task.side.target, task.c, task.sample);
  } catch (e) {
    return { ...base(task), error: describeFault(e), cached: false };
  }
  const key = requestKey(request);
  let response: ModelResponse | undefined = await deps.cache?.get(key);
  const cached = response !== undefined;
  const started = deps.clock.now();
  if (!response) {
    try {
      response = await task.side.provider.complete(request);
    } catch (e) {
      const cause = describeFault(e);
      state.failuresInARow++;
      if (e instanceof ProviderError && e.status !== undefined && FATAL_STATUSES.has(e.status)) {
        state.aborted ??= `${task.side.side} side: ${cause}`;
      } else if (state.failuresInARow >= state.outageAfter) {
        state.aborted ??= `the provider failed ${state.failuresInARow} requests in a row (last: ${cause})`;
      }
      return { ...base(task), error: cause, cached: false };
    }
    state.failuresInARow = 0;
    await deps.cache?.set(key, response);
  }
  const latencyMs = cached ? undefined : deps.clock.now() - started;
  const specs = task.c.graders && task.c.graders.length > 0 ? task.c.graders : plan.defaultGraders;
  const common = {
    ...base(task),
    output: response.content,
    ...(response.tool_calls ? { toolCalls: response.tool_calls } : {}),
    cached,
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(response.usage && !cached ? { usage: response.usage } : {}),
  };
  try {
    const graded = await gradeRun(specs, {
      case: task.c,
      output: response.content,
      ...(response.tool_calls ? { toolCalls: response.tool_calls } : {}),
    });
    return { ...common, grades: graded.grades, pass: graded.pass };
  } catch (e) {
    return { ...common, error: `grader: ${describeFault(e)}` };
  }
}

function describeFault(e: unknown): string {
  return describeError(e);
}
