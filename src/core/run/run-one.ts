// One run of one case on one side: its request, the conversation (tool rounds, each answer cached
// on its own key), and the grading; runner.ts runs these through its pool.
import { buildRequest, requestKey, type TargetSpec, targetKeyPart } from "../config/requests.js";
import { describeError } from "../errors.js";
import { noGraderContext } from "../graders/context.js";
import { gradeRun } from "../graders/grade.js";
import type { GraderContext } from "../graders/types.js";
import type { Clock, ModelProvider, ResponseCache } from "../ports.js";
import type { ChatMessage, ChatRequest, GraderSpec, ModelResponse, Run, Side, ToolCall } from "../types.js";
import type { RequestPipeline, RunStop } from "./request-pipeline.js";
import type { Task as QueueTask } from "./run-queue.js";

export interface SidePlan {
  side: Side;
  target: TargetSpec;
  provider: ModelProvider;
}

type Task = QueueTask<SidePlan>;

/** What one run needs of the run's plan and deps, and the pipeline and stop they share. */
export interface RunContext {
  plan: { defaultGraders: GraderSpec[]; maxSteps?: number };
  deps: { clock: Clock; cache?: ResponseCache; graders?: GraderContext };
  requests: RequestPipeline;
  stop: RunStop;
}

const DEFAULT_MAX_STEPS = 8;

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

function identity(task: Task): Pick<Run, "caseId" | "set" | "side" | "sample"> {
  return { caseId: task.c.id, set: task.set.name, side: task.side.side, sample: task.sample };
}

/** A run that was never sent: the run's stop came first. */
export function skipped(task: Task, why: string): Run {
  return { ...identity(task), error: `not run: ${why}`, cached: false };
}

/** One run: its request, the answers (from the cache where it has them), its grades; a fault is its error. */
export async function runOne(task: Task, ctx: RunContext): Promise<Run> {
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
async function converse(task: Task, request: ChatRequest, ctx: RunContext): Promise<Conversation> {
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
function ask(side: SidePlan, request: ChatRequest, ctx: RunContext): Promise<ModelResponse> {
  return ctx.requests.send(`${side.side} side`, (signal) => side.provider.complete(request, { signal }));
}
