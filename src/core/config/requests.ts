import { sha256Hex } from "../text/digest.js";
import { fillSystem } from "../text/template.js";
import type { Case, ChatMessage, ChatRequest, EvalSet } from "../types.js";

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
  if (target.system === null || ownsSystem(c)) return turns;
  const system = fillSystem(target.system, c.vars, {
    file: target.systemFile ?? "system prompt",
    caseId: c.id,
  });
  return [{ role: "system", content: system }, ...turns];
}

/** A case that opens with its own system message: it is sent as it is, without the target's prompt. */
export function ownsSystem(c: Pick<Case, "messages">): boolean {
  return c.messages?.[0]?.role === "system";
}

/**
 * One warning per set whose cases shadow the target's system prompt with their own: a change to
 * the prompt under test never reaches them (and their answers come from the cache after one), so
 * their slices cannot move with it. Nothing when no side has a system prompt to shadow. An
 * aggregate-only set is named with its counts only.
 */
export function shadowedPromptWarnings(
  sets: readonly EvalSet[],
  targets: readonly (TargetSpec | null)[],
): string[] {
  const prompt = targets.find((t) => t && t.system !== null);
  if (!prompt) return [];
  const bySet = new Map<string, { set: EvalSet; total: number; own: Case[] }>();
  for (const set of sets) {
    const entry = bySet.get(set.name) ?? { set, total: 0, own: [] };
    entry.total += set.cases.length;
    // A loop, not a spread: a set of 100,000 such cases would overflow the call stack.
    for (const c of set.cases) if (ownsSystem(c)) entry.own.push(c);
    bySet.set(set.name, entry);
  }
  const file = prompt.systemFile ?? "the system prompt";
  return [...bySet.values()]
    .filter((e) => e.own.length > 0)
    .map(({ set, total, own }) => {
      const first = set.visibility === "full" && own[0] ? ` (first at ${set.path}:${own[0].line})` : "";
      return `${set.name}: ${own.length} of ${total} case(s) ignore target.system (${file}): they start with their own system message, which eval-gate sends instead, so a prompt change cannot move their scores${first}. Take the system message out of those cases (\`eval-gate import openai-evals --system-from-target\` does it on import) to test them with the prompt under test.`;
    });
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
  return sha256Hex(`${targetPart}\n${canonicalJson(request.messages)}\n${request.sample}`);
}

export function targetKeyPart(target: TargetSpec): string {
  return canonicalJson({
    endpoint: target.endpoint,
    model: target.model,
    params: target.params,
    tools: target.tools,
  });
}

/**
 * JSON with every object's keys sorted (by UTF-16 code units, as `<` compares) and undefined
 * members left out: one text for one value, whatever order its keys were written in. Built with
 * loops and one string, not entries, sorts of pairs and joins: a run makes it several times a
 * request.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i++) text += (i > 0 ? "," : "") + canonicalJson(value[i]);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = sortedKeys(record);
  let text = "{";
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    text += `${text.length > 1 ? "," : ""}${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${text}}`;
}

/**
 * The object's keys in `<` order. Most objects keyed here (messages, params) have a handful of
 * keys, which an insertion sort orders in place; Array#sort would allocate a work array each time.
 */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    for (; j >= 0 && (keys[j] as string) > key; j--) keys[j + 1] = keys[j] as string;
    keys[j + 1] = key;
  }
  return keys;
}
