import { createHash } from "node:crypto";
import { fillSystem } from "./template.js";
import type { Case, ChatMessage, ChatRequest } from "./types.js";

/** One side's system under test, resolved from its config and files. */
export interface TargetSpec {
  /** The endpoint URL, or `replay:FILE` for recorded responses. */
  endpoint: string;
  model: string;
  system: string | null;
  systemFile?: string;
  params: Record<string, unknown>;
  tools?: unknown[];
}

/** The messages a case sends: the target's system prompt (vars filled) then the case's turns. */
export function buildMessages(target: TargetSpec, c: Case): ChatMessage[] {
  const turns: ChatMessage[] = c.messages ?? [{ role: "user", content: c.input ?? "" }];
  if (target.system === null || turns[0]?.role === "system") return turns;
  const system = fillSystem(target.system, c.vars, {
    file: target.systemFile ?? "system prompt",
    caseId: c.id,
  });
  return [{ role: "system", content: system }, ...turns];
}

export function buildRequest(target: TargetSpec, c: Case, sample: number): ChatRequest {
  return {
    endpoint: target.endpoint,
    model: target.model,
    messages: buildMessages(target, c),
    params: target.params,
    ...(target.tools ? { tools: target.tools } : {}),
    sample,
  };
}

/**
 * The cache key: a digest of everything that decides a response (endpoint, model, params, tools,
 * messages, sample index), independent of key order. `targetPart` is `targetKeyPart(target)`,
 * computed once per side rather than per request.
 */
export function requestKey(targetPart: string, request: Pick<ChatRequest, "messages" | "sample">): string {
  return createHash("sha256")
    .update(`${targetPart}\n${canonicalJson(request.messages)}\n${request.sample}`)
    .digest("hex");
}

export function targetKeyPart(target: TargetSpec): string {
  return canonicalJson({
    endpoint: target.endpoint,
    model: target.model,
    params: target.params,
    tools: target.tools,
  });
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
