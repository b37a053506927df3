import { buildRequest, requestKey, type TargetSpec, targetKeyPart } from "../config/requests.js";
import { describeError } from "../errors.js";
import { noGraderContext } from "../graders/context.js";
import { gradeRun } from "../graders/grade.js";
import type { GraderContext } from "../graders/types.js";
import type { Clock, ModelProvider, ProgressEvent, ResponseCache } from "../ports.js";
import type {
  Case,
  ChatMessage,
  ChatRequest,
  EvalSet,
  GraderSpec,
  ModelResponse,
  Run,
  Side,
  ToolCall,
} from "../types.js";
import { RequestPipeline, RunStop } from "./request-pipeline.js";
import { defaultRetryPolicy, type RetryPolicy } from "./retry.js";
import { type Task as QueueTask, RunQueue } from "./run-queue.js";

/** Which case a run belongs to: its set, the case, and its place in the plan (set by set, from 0). */
export interface RunOf {
  set: EvalSet;
  c: Case;
  index: number;
}

export interface SidePlan {
  side: Side;
  target: TargetSpec;
  provider: ModelProvider;
}

const keyParts = new WeakMap<TargetSpec, string>();

/** The target's part of the cache key, serialised once per side rather than per request. */
function keyPart(target: TargetSpec): string {
  let part = keyParts.get(target);
  if (part === undefined) {
    part = targetKeyPart(target);
    keyParts.set(target, part);
  }
  return part;
}

export interface RunPlan {
  sets: EvalSet[];
  defaultGraders: GraderSpec[];
  /** Runs per case and side; with `adaptive`, the most a case gets (`max_repeats`). */
  repeats: number;
  /** `repeats: auto`: a case runs again while its sides differ (adaptive.ts). */
  adaptive?: boolean;
  concurrency: number;
  sides: SidePlan[];
  retry?: RetryPolicy;
  /** Answers per run when the model calls tools (each tool round is one more answer). */
  maxSteps?: number;
}

const DEFAULT_MAX_STEPS = 8;

export interface RunDeps {
  cache?: ResponseCache;
  /** What model-backed graders (similarity, judge, script) need; absent, they stop with a fix. */
  graders?: GraderContext;
  /** The run's stop, shared with the graders' requests so either side's outage stops both. */
  stop?: RunStop;
  clock: Clock;
  random?: () => number;
  onProgress?: (event: ProgressEvent) => void;
  /** The caller's stop (a cancelled job, Ctrl-C): no new request, those in flight cancelled. */
  signal?: AbortSignal;
  /**
   * Takes each run as it is done, `last` when no run of its case comes after it (a CaseCollector);
   * the outcome then lists no run. Without one, the outcome lists every run.
   */
  sink?: (run: Run, of: RunOf, last: boolean) => void;
}

export interface RunOutcome {
  /** Every run, unless they went to `deps.sink`. */
  runs: Run[];
  /**
   * Set when the run was stopped early (a refused key, a provider that is down, the caller's
   * signal); verdict `error`.
   */
  aborted?: string;
}

type Task = QueueTask<SidePlan>;

interface Context {
  plan: RunPlan;
  deps: RunDeps;
  requests: RequestPipeline;
  stop: RunStop;
}

/**
 * Runs every case `repeats` times on every side (under `adaptive`, once, and again while its sides
 * differ) through one pool of workers (`concurrency`, twice that once requests wait out backoffs)
 * and one pipeline of `concurrency` slots, so the two sides share the bound and progress together.
 * Provider and grader faults become run errors; a provider that is down stops the whole run at
 * once, and so does the graders' endpoint when their requests share `deps.stop`.
 */
export async function runAll(plan: RunPlan, deps: RunDeps): Promise<RunOutcome> {
  const stop = deps.stop ?? new RunStop();
  const tasks = new RunQueue(plan, () => stop.reason !== undefined);
  const sets = plan.sets.map((s) => ({
    name: s.name,
    path: s.path,
    visibility: s.visibility,
    cases: s.cases.length,
  }));
  deps.onProgress?.({ kind: "start", total: tasks.total, sets });
  // The pool of workers: `concurrency` of them, and as many again once a request has to wait out
  // a backoff (a 429's retry-after): it holds its worker but not its slot, which another worker's
  // request then takes meanwhile. Under auto the first round sets the size; later rounds only add
  // to the queue.
  const pool: Promise<void>[] = [];
  const grow = (size: number) => {
    while (pool.length < Math.max(1, Math.min(size, tasks.total))) pool.push(worker());
  };
  let grown = false;
  const requests = new RequestPipeline({
    concurrency: plan.concurrency,
    policy: plan.retry ?? defaultRetryPolicy,
    clock: deps.clock,
    stop,
    ...(deps.random ? { random: deps.random } : {}),
    subject: "the provider",
    onBackoff: () => {
      if (grown) return;
      grown = true;
      // The pipeline expects a listener per slot; each extra worker may wait in a backoff too.
      stop.expectListeners(plan.concurrency);
      grow(2 * plan.concurrency);
    },
  });
  const ctx: Context = { plan, deps, requests, stop };
  // The caller's stop (a cancelled job, Ctrl-C) stops the run as a provider outage would.
  const stopped = () => stop.stop(stopReason(deps.signal));
  if (deps.signal?.aborted) stopped();
  deps.signal?.addEventListener("abort", stopped, { once: true });
  const runs: Run[] = [];
  let done = 0;
  const worker = async () => {
    for (let task = await tasks.next(); task; task = await tasks.next()) {
      const why = stop.reason;
      const run = why !== undefined ? skipped(task, why) : await runOne(task, ctx);
      done++;
      const last = tasks.done(task, run);
      if (deps.sink) deps.sink(run, task, last);
      else runs.push(run);
      deps.onProgress?.({
        kind: "run",
        done,
        total: tasks.total,
        cached: run.cached,
        error: run.error,
      });
    }
  };
  try {
    grow(plan.concurrency);
    // The pool may grow while it is awaited.
    for (let i = 0; i < pool.length; i++) await pool[i];
  } finally {
    deps.signal?.removeEventListener("abort", stopped);
  }
  return { runs, ...(stop.reason !== undefined ? { aborted: stop.reason } : {}) };
}

function identity(task: Task): Pick<Run, "caseId" | "set" | "side" | "sample"> {
  return { caseId: task.c.id, set: task.set.name, side: task.side.side, sample: task.sample };
}

function skipped(task: Task, why: string): Run {
  return { ...identity(task), error: `not run: ${why}`, cached: false };
}

function stopReason(signal: AbortSignal | undefined): string {
  return typeof signal?.reason === "string" ? signal.reason : "cancelled";
}

async function runOne(task: Task, ctx: Context): Promise<Run> {
  let request: ChatRequest;
  try {
    request = buildRequest(task.side.target, task.c, task.sample);
  } catch (e) {
    return { ...identity(task), error: describeError(e), cached: false };
  }
  const started = ctx.deps.clock.now();
  let result: Conversation;
  try {
    result = await converse(task, request, ctx);
  } catch (e) {
    const why = ctx.stop.reason;
    if (why !== undefined) return skipped(task, why);
    return { ...identity(task), error: describeError(e), cached: false };
  }
  const { response, cached, trajectory, toolCalls, usage } = result;
  const common = {
    ...identity(task),
    output: response.content,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(trajectory.length > 1 ? { trajectory } : {}),
    cached,
    ...(cached ? {} : { latencyMs: ctx.deps.clock.now() - started }),
    ...(usage ? { usage } : {}),
    ...(response.refusal ? { refusal: true } : {}),
  };
  const specs = task.c.graders && task.c.graders.length > 0 ? task.c.graders : ctx.plan.defaultGraders;
  try {
    const graded = await gradeRun(
      specs,
      {
        case: task.c,
        output: response.content,
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        ...(trajectory.length > 1 ? { trajectory } : {}),
      },
      ctx.deps.graders ?? noGraderContext,
    );
    return { ...common, grades: graded.grades, pass: graded.pass };
  } catch (e) {
    return { ...common, error: `grader: ${describeError(e)}` };
  }
}

interface Conversation {
  response: ModelResponse;
  cached: boolean;
  trajectory: ChatMessage[];
  toolCalls: ToolCall[];
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/**
 * Asks until the model gives a final answer. When it calls tools, the case's canned
 * `tool_results` are sent back (by tool name) and the model is asked again, up to `maxSteps`
 * answers. Every step is cached on its own key, which includes the trajectory so far.
 */
async function converse(task: Task, request: ChatRequest, ctx: Context): Promise<Conversation> {
  const trajectory: ChatMessage[] = [];
  const toolCalls: ToolCall[] = [];
  let usage: Conversation["usage"];
  let allCached = true;
  const maxSteps = ctx.plan.maxSteps ?? DEFAULT_MAX_STEPS;
  for (let step = 1; ; step++) {
    const req = step === 1 ? request : { ...request, messages: [...request.messages, ...trajectory] };
    const key = requestKey(keyPart(task.side.target), req);
    let response = await ctx.deps.cache?.get(key);
    if (!response) {
      allCached = false;
      response = await ask(task.side, req, ctx);
      await ctx.deps.cache?.set(key, response);
    }
    if (response.usage) {
      usage = {
        prompt_tokens: (usage?.prompt_tokens ?? 0) + response.usage.prompt_tokens,
        completion_tokens: (usage?.completion_tokens ?? 0) + response.usage.completion_tokens,
      };
    }
    const calls = task.side.target.tools ? (response.tool_calls ?? []) : [];
    trajectory.push({
      role: "assistant",
      content: response.content === "" && calls.length > 0 ? null : response.content,
      ...(calls.length > 0 ? { tool_calls: calls } : {}),
    });
    if (calls.length === 0 || step >= maxSteps) {
      return { response, cached: allCached, trajectory, toolCalls, ...(usage ? { usage } : {}) };
    }
    toolCalls.push(...calls);
    for (const call of calls) {
      const canned = task.c.tool_results?.[call.function.name];
      trajectory.push({
        role: "tool",
        tool_call_id: call.id,
        content:
          canned === undefined
            ? JSON.stringify({ error: `no result for ${call.function.name} in this case` })
            : typeof canned === "string"
              ? canned
              : JSON.stringify(canned),
      });
    }
  }
}

/** One response, through the run's request discipline (limiter, breaker, retries, stop). */
function ask(side: SidePlan, request: ChatRequest, ctx: Context): Promise<ModelResponse> {
  return ctx.requests.send(`${side.side} side`, (signal) => side.provider.complete(request, { signal }));
}
