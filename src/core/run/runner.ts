import type { GraderContext } from "../graders/types.js";
import type { Clock, ProgressEvent, ResponseCache } from "../ports.js";
import type { Case, EvalSet, GraderSpec, Run } from "../types.js";
import { RequestPipeline, RunStop } from "./request-pipeline.js";
import { defaultRetryPolicy, type RetryPolicy } from "./retry.js";
import { type RunContext, runOne, type SidePlan, skipped } from "./run-one.js";
import { RunQueue } from "./run-queue.js";

export type { SidePlan } from "./run-one.js";

/** Which case a run belongs to: its set, the case, and its place in the plan (set by set, from 0). */
export interface RunOf {
  set: EvalSet;
  c: Case;
  index: number;
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
  const ctx: RunContext = { plan, deps, requests, stop };
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

function stopReason(signal: AbortSignal | undefined): string {
  return typeof signal?.reason === "string" ? signal.reason : "cancelled";
}
