import { setMaxListeners } from "node:events";
import { describeError, ProviderError } from "./errors.js";
import { gradeRun } from "./graders/grade.js";
import { ProviderHealth } from "./health.js";
import { AdaptiveLimiter } from "./limiter.js";
import type { Clock, ModelProvider, ProgressEvent, ResponseCache } from "./ports.js";
import { buildRequest, requestKey, type TargetSpec, targetKeyPart } from "./requests.js";
import { backoffMs, defaultRetryPolicy, RetryableError, type RetryPolicy } from "./retry.js";
import type { Case, ChatRequest, EvalSet, GraderSpec, ModelResponse, Run, Side } from "./types.js";

export interface SidePlan {
  side: Side;
  target: TargetSpec;
  provider: ModelProvider;
}

const keyParts = new WeakMap<TargetSpec, string>();

/** The target's part of the cache key, serialised once per side rather than per request. */
function keyPart(target: TargetSpec): string {
  let part = keyParts.get(target);
  if (part === undefined) keyParts.set(target, (part = targetKeyPart(target)));
  return part;
}

export interface RunPlan {
  sets: EvalSet[];
  defaultGraders: GraderSpec[];
  repeats: number;
  concurrency: number;
  sides: SidePlan[];
  retry?: RetryPolicy;
}

export interface RunDeps {
  cache?: ResponseCache;
  clock: Clock;
  random?: () => number;
  onProgress?: (event: ProgressEvent) => void;
}

export interface RunOutcome {
  runs: Run[];
  /** Set when the run was stopped early (a refused key, a provider that is down); verdict `error`. */
  aborted?: string;
}

interface Task {
  set: EvalSet;
  c: Case;
  sample: number;
  side: SidePlan;
}

interface Context {
  plan: RunPlan;
  deps: RunDeps;
  policy: RetryPolicy;
  health: ProviderHealth;
  limiter: AdaptiveLimiter;
  stop: AbortController;
  aborted?: string;
}

/** Statuses that will not get better by asking again for other cases: bad key, unknown model. */
const FATAL_STATUSES = new Set([401, 403, 404]);

/**
 * Runs every case `repeats` times on every side through one pool of `concurrency` workers, so the
 * two sides share the bound and progress together. Provider and grader faults become run errors;
 * a provider that is down stops the whole run at once.
 */
export async function runAll(plan: RunPlan, deps: RunDeps): Promise<RunOutcome> {
  const total = plan.sets.reduce((n, s) => n + s.cases.length, 0) * plan.repeats * plan.sides.length;
  deps.onProgress?.({ kind: "start", total });
  const ctx: Context = {
    plan,
    deps,
    policy: plan.retry ?? defaultRetryPolicy,
    health: new ProviderHealth(plan.concurrency),
    limiter: new AdaptiveLimiter(plan.concurrency, deps.clock.now),
    stop: new AbortController(),
  };
  // Every attempt in flight listens for the stop; that many listeners is expected, not a leak.
  setMaxListeners(plan.concurrency + 16, ctx.stop.signal);
  const runs: Run[] = [];
  const tasks = taskStream(plan);
  const worker = async () => {
    for (let next = tasks.next(); !next.done; next = tasks.next()) {
      const task = next.value;
      const run = ctx.aborted ? skipped(task, ctx.aborted) : await runOne(task, ctx);
      runs.push(run);
      deps.onProgress?.({ kind: "run", done: runs.length, total, cached: run.cached, error: run.error });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, total)) }, worker));
  return { runs, ...(ctx.aborted ? { aborted: ctx.aborted } : {}) };
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

function identity(task: Task): Pick<Run, "caseId" | "set" | "side" | "sample"> {
  return { caseId: task.c.id, set: task.set.name, side: task.side.side, sample: task.sample };
}

function skipped(task: Task, why: string): Run {
  return { ...identity(task), error: `not run: ${why}`, cached: false };
}

function abort(ctx: Context, why: string): void {
  if (ctx.aborted) return;
  ctx.aborted = why;
  ctx.stop.abort();
}

async function runOne(task: Task, ctx: Context): Promise<Run> {
  let request: ChatRequest;
  try {
    request = buildRequest(task.side.target, task.c, task.sample);
  } catch (e) {
    return { ...identity(task), error: describeError(e), cached: false };
  }
  const key = requestKey(keyPart(task.side.target), request);
  let response = await ctx.deps.cache?.get(key);
  const cached = response !== undefined;
  const started = ctx.deps.clock.now();
  if (!response) {
    try {
      response = await ask(task.side, request, ctx);
    } catch (e) {
      if (ctx.aborted) return skipped(task, ctx.aborted);
      return { ...identity(task), error: describeError(e), cached: false };
    }
    await ctx.deps.cache?.set(key, response);
  }
  const common = {
    ...identity(task),
    output: response.content,
    ...(response.tool_calls ? { toolCalls: response.tool_calls } : {}),
    cached,
    ...(cached ? {} : { latencyMs: ctx.deps.clock.now() - started }),
    ...(response.usage ? { usage: response.usage } : {}),
    ...(response.refusal ? { refusal: true } : {}),
  };
  const specs = task.c.graders && task.c.graders.length > 0 ? task.c.graders : ctx.plan.defaultGraders;
  try {
    const graded = await gradeRun(specs, {
      case: task.c,
      output: response.content,
      ...(response.tool_calls ? { toolCalls: response.tool_calls } : {}),
    });
    return { ...common, grades: graded.grades, pass: graded.pass };
  } catch (e) {
    return { ...common, error: `grader: ${describeError(e)}` };
  }
}

/** One response, with jittered exponential backoff between attempts; every attempt feeds the breaker. */
async function ask(side: SidePlan, request: ChatRequest, ctx: Context): Promise<ModelResponse> {
  const random = ctx.deps.random ?? Math.random;
  let faults = 0;
  let rateLimits = 0;
  for (let attempt = 1; ; attempt++) {
    await ctx.limiter.acquire();
    try {
      const response = await side.provider.complete(request, { signal: ctx.stop.signal });
      ctx.limiter.release("ok");
      ctx.health.success();
      return response;
    } catch (e) {
      ctx.limiter.release(e instanceof RetryableError && e.rateLimited ? "rate_limited" : "failed");
      if (ctx.aborted) throw e;
      const cause = describeError(e);
      if (e instanceof ProviderError && e.status !== undefined && FATAL_STATUSES.has(e.status)) {
        abort(ctx, `${side.side} side: ${cause}`);
        throw e;
      }
      const retryable = e instanceof RetryableError;
      const rateLimited = retryable && e.rateLimited;
      const down = ctx.health.failure(cause, rateLimited);
      if (down) {
        abort(ctx, down);
        throw e;
      }
      if (rateLimited) rateLimits++;
      else faults++;
      if (!retryable || faults >= ctx.policy.attempts || rateLimits > ctx.policy.rateLimitRetries) throw e;
      await ctx.deps.clock.sleep(backoffMs(attempt, ctx.policy, random, e.retryAfterMs), ctx.stop.signal);
      if (ctx.aborted) throw e;
    }
  }
}
