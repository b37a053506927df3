import * as z from "zod";
import { fill } from "../text/template.js";
import type { Case, ToolCall } from "../types.js";
import { clip, specBase } from "./common.js";
import type { GraderDefinition } from "./types.js";

const expectedCall = z.strictObject({
  name: z.string().min(1),
  /** A subset of the arguments: every key given must be there with an equal value. */
  args: z.record(z.string(), z.unknown()).optional(),
});

export const toolCallsSchema = z.strictObject({
  type: z.literal("tool_calls"),
  ...specBase,
  /** Calls that must happen. */
  calls: z.array(expectedCall).optional(),
  /** `in_order` (default): as a subsequence; `exact`: these calls and no others, in order; `any`: in any order. */
  order: z.enum(["in_order", "exact", "any"]).optional(),
  /** Tools that must not be called. */
  forbidden: z.array(z.string().min(1)).optional(),
  /** At most this many tool calls. */
  max_calls: z.int().min(0).optional(),
  /** "Confirm before refund": every call of `tool` must come after a call of `after`. */
  policies: z.array(z.strictObject({ tool: z.string().min(1), after: z.string().min(1) })).optional(),
});

export type ToolCallsSpec = z.infer<typeof toolCallsSchema>;

interface Check {
  ok: boolean;
  says: string;
}

/**
 * Grades the trajectory, not just the answer (seed 000 §4): which tools were called, in what
 * order, with which arguments, which were not, and whether a policy such as "confirm before
 * refund" held. The score is the share of checks that held; the run passes when all did.
 */
export const toolCalls: GraderDefinition<ToolCallsSpec> = {
  type: "tool_calls",
  summary:
    "the tools called: required calls (in order or any), argument subsets, forbidden tools, policies, a call limit",
  schema: toolCallsSchema,
  grade(spec, input) {
    const calls = (input.toolCalls ?? []).map(parseCall);
    const checks: Check[] = [];
    const wanted = (spec.calls ?? []).map((w) => ({ name: w.name, args: fillArgs(w.args, input.case) }));
    if (wanted.length > 0) checks.push(checkCalls(wanted, calls, spec.order ?? "in_order"));
    for (const name of spec.forbidden ?? []) {
      const used = calls.some((c) => c.name === name);
      checks.push({ ok: !used, says: used ? `called forbidden tool ${name}` : `did not call ${name}` });
    }
    if (spec.max_calls !== undefined) {
      const ok = calls.length <= spec.max_calls;
      checks.push({
        ok,
        says: `${calls.length} call(s)${ok ? "" : `, more than max_calls ${spec.max_calls}`}`,
      });
    }
    for (const p of spec.policies ?? []) checks.push(checkPolicy(p, calls));
    const held = checks.filter((c) => c.ok).length;
    const score = checks.length === 0 ? 1 : held / checks.length;
    const failed = checks.filter((c) => !c.ok);
    const pass = failed.length === 0 && score >= (spec.threshold ?? 1);
    const trail = calls.length > 0 ? calls.map((c) => c.name).join(" → ") : "no tool calls";
    const reason =
      failed.length > 0
        ? `${failed.map((c) => c.says).join("; ")} (calls: ${trail})`
        : `Tool calls as expected (${trail})`;
    return { grader: "tool_calls", pass, score, reason: clip(reason) };
  },
};

interface Call {
  name: string;
  args: unknown;
}

function parseCall(call: ToolCall): Call {
  try {
    return { name: call.function.name, args: JSON.parse(call.function.arguments || "{}") };
  } catch {
    return { name: call.function.name, args: call.function.arguments };
  }
}

function fillArgs(args: Record<string, unknown> | undefined, c: Case): Record<string, unknown> | undefined {
  if (!args) return undefined;
  return JSON.parse(JSON.stringify(args), (_k, v) =>
    typeof v === "string" ? fill(v, c, { field: "tool_calls.args" }) : v,
  );
}

function matches(want: { name: string; args?: Record<string, unknown> }, call: Call): boolean {
  return call.name === want.name && (want.args === undefined || isSubset(want.args, call.args));
}

/** Every key of `want` is in `got` with an equal value (objects compared the same way, deeply). */
function isSubset(want: unknown, got: unknown): boolean {
  if (want === null || typeof want !== "object") return want === got;
  if (Array.isArray(want)) {
    return Array.isArray(got) && want.length === got.length && want.every((w, i) => isSubset(w, got[i]));
  }
  if (got === null || typeof got !== "object") return false;
  return Object.entries(want).every(([k, v]) => isSubset(v, (got as Record<string, unknown>)[k]));
}

function describe(w: { name: string; args?: Record<string, unknown> }): string {
  return w.args ? `${w.name}(${JSON.stringify(w.args)})` : w.name;
}

function checkCalls(
  wanted: { name: string; args?: Record<string, unknown> }[],
  calls: Call[],
  order: "in_order" | "exact" | "any",
): Check {
  if (order === "exact") {
    const ok = calls.length === wanted.length && wanted.every((w, i) => matches(w, calls[i] as Call));
    return {
      ok,
      says: ok ? "calls exactly as expected" : `expected exactly ${wanted.map(describe).join(" → ")}`,
    };
  }
  if (order === "any") {
    const missing = wanted.filter((w) => !calls.some((c) => matches(w, c)));
    return {
      ok: missing.length === 0,
      says:
        missing.length === 0
          ? "every expected call made"
          : `missing call ${missing.map(describe).join(", ")}`,
    };
  }
  let at = 0;
  for (const w of wanted) {
    while (at < calls.length && !matches(w, calls[at] as Call)) at++;
    if (at >= calls.length) return { ok: false, says: `expected ${describe(w)} (in order) not found` };
    at++;
  }
  return { ok: true, says: "expected calls made in order" };
}

function checkPolicy(p: { tool: string; after: string }, calls: Call[]): Check {
  let allowed = false;
  for (const c of calls) {
    if (c.name === p.after) allowed = true;
    if (c.name === p.tool && !allowed) return { ok: false, says: `called ${p.tool} before ${p.after}` };
  }
  return { ok: true, says: `${p.tool} only after ${p.after}` };
}
