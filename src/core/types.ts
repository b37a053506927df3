// The domain model of a run, shared by every stage of the pipeline:
// config -> cases -> runs (base, head) -> grades -> per-case reduce
// What is compared and reported from there (slices, verdict, the report) is report-types.ts.

/** An OpenAI chat message, kept loose: cases may carry any role the endpoint accepts. */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool" | "developer";
  content: string | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A grader as written in the config or on a case. `type` picks the implementation. */
export interface GraderSpec {
  type: string;
  weight?: number;
  threshold?: number;
  [key: string]: unknown;
}

/** One line of a set file. */
export interface Case {
  id: string;
  slice: string;
  input?: string;
  messages?: ChatMessage[];
  expected?: unknown;
  vars: Record<string, unknown>;
  graders?: GraderSpec[];
  /** Canned answers of the case's tools, by tool name: the runner replies with them. */
  tool_results?: Record<string, unknown>;
  /** Cases with the same cluster (turns of one conversation, rewrites of one ticket) are tested as one unit. */
  cluster?: string;
  /** 1-based line of the set file the case came from, for messages and annotations. */
  line: number;
}

export type Visibility = "full" | "aggregate";

export interface EvalSet {
  name: string;
  path: string;
  visibility: Visibility;
  cases: Case[];
  /** Cases a PR adds to the base's definition: run on both sides, shown apart, never gating. */
  added?: boolean;
}

/** What a model returned for one request. */
export interface ModelResponse {
  content: string;
  /** The API said it refused (a `refusal` message or a `content_filter` stop). */
  refusal?: boolean;
  tool_calls?: ToolCall[];
  finish_reason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** A request to the system under test, fully resolved: everything that decides the response. */
export interface ChatRequest {
  endpoint: string;
  model: string;
  messages: ChatMessage[];
  params: Record<string, unknown>;
  tools?: unknown[];
  /** Which of the `repeats` samples this is; part of the cache key. */
  sample: number;
}

/** The result of a grader on one run. "Not scored" is an error, never a fail. */
export interface Grade {
  grader: string;
  pass: boolean;
  score: number;
  reason: string;
}

export type Side = "base" | "head";

/** One run of one case on one side. */
export interface Run {
  caseId: string;
  set: string;
  side: Side;
  sample: number;
  /** Present when the run produced an output that was graded. */
  output?: string;
  /** Every tool call of the run, in order, across its steps. */
  toolCalls?: ToolCall[];
  /** The messages after the case's own turns: assistant steps and the tool results sent back. */
  trajectory?: ChatMessage[];
  grades?: Grade[];
  pass?: boolean;
  /** Present when the run could not be done (provider fault, grader fault). Not a fail. */
  error?: string;
  cached: boolean;
  latencyMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
  refusal?: boolean;
}

/** A case's runs on one side, reduced. */
export interface CaseSideResult {
  runs: number;
  passes: number;
  errors: number;
  /** Per dimension (`CaseResult.dimensions`, same order): graded runs that passed that grader. */
  dim_passes?: number[];
  /** Per dimension: the grader's mean score over the graded runs. */
  dim_scores?: number[];
  /** What the runs that produced an output did besides their grades (drift measures). */
  behaviour?: Behaviour;
}

/**
 * Sums over a case's runs on one side that produced an output (graded or not), so a per-case
 * mean is `sum / outputs`; latency only over the runs that were not served from the cache.
 */
export interface Behaviour {
  outputs: number;
  /** Characters of the outputs, summed. */
  chars: number;
  refusals: number;
  tool_calls: number;
  /** Runs that were asked fresh (not cached): the only ones with a latency. */
  timed: number;
  /** Their latencies, summed and rounded to whole milliseconds. */
  latency_ms: number;
}

export interface CaseResult {
  id: string;
  set: string;
  slice: string;
  line: number;
  /** The set's file, relative to the repository root: with `line`, where an annotation points. */
  file?: string;
  base: CaseSideResult | null;
  head: CaseSideResult;
  /** First graded run of each side, for the "flipped cases" detail. */
  base_output?: string;
  head_output?: string;
  base_reason?: string;
  head_reason?: string;
  expected?: unknown;
  input?: string;
  /** A perturbed variant (`eval-gate perturb`): the id of the case it was derived from. */
  original?: string;
  /** A perturbed variant: how it was derived (`typos`, `casing`, `angry`...). */
  perturbation?: string;
  /** The case's `cluster`: with a variant's `original`, what makes cases one unit of the paired test. */
  cluster?: string;
  /** A case the PR adds to the eval set: run on both sides, outside the gating family. */
  new?: boolean;
  /** Its graders as dimensions (`dimensionKey`), in grader order; the sides' `dim_*` follow it. */
  dimensions?: string[];
}
