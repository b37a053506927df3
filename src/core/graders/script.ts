import * as z from "zod";
import { isUserError } from "../errors.js";
import { clip, GraderError, quote, specBase } from "./common.js";
import type { GraderDefinition } from "./types.js";

const DEFAULT_TIMEOUT_MS = 10_000;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export const scriptSchema = z.strictObject({
  type: z.literal("script"),
  ...specBase,
  path: z
    .string()
    .min(1)
    .refine((p) => /\.(?:m?js|cjs)$/.test(p), {
      message: "must name a JavaScript module (.js, .mjs or .cjs)",
      params: {
        safe: true,
        fix: "Give the path of a module of the repository, e.g. `path: evals/grade.mjs`.",
      },
    })
    .refine((p) => !p.startsWith("/") && !p.startsWith("\\") && !/^[A-Za-z]:[\\/]/.test(p), {
      message: "must be relative to the config's folder, not absolute",
      params: {
        safe: true,
        fix: "Write the path relative to the config's folder, e.g. `path: evals/grade.mjs`.",
      },
    }),
  export: z
    .string()
    .refine((e) => IDENTIFIER.test(e), {
      message: "must be the name of an exported function",
      params: { safe: true, fix: "Name the function the module exports, e.g. `export: grade`." },
    })
    .optional(),
  timeout_ms: z.int().min(1).max(600_000).optional(),
});

export type ScriptSpec = z.infer<typeof scriptSchema>;

/** What a script's function is called with (one object, structured-cloned into its worker). */
export interface ScriptArgs {
  case: unknown;
  output: string;
  toolCalls: unknown[];
  /** Every message after the case's own turns (assistant turns, tool results); [] when none. */
  trajectory: unknown[];
}

/**
 * A function of a JS module of the repository decides: for checks with rules (final state of a
 * tool-using run, code that compiles, a computed total). The function gets `{ case, output,
 * toolCalls, trajectory }` and returns (or resolves to) `{ pass, score?, reason? }`. Its `pass`
 * decides, unless the spec sets a `threshold` and the script returns a `score`. A throw, a timeout or
 * any other return value makes the run an error, never a fail.
 */
export const script: GraderDefinition<ScriptSpec> = {
  type: "script",
  summary: "an exported function of a JS module of the repository returns { pass, score?, reason? }",
  schema: scriptSchema,
  async grade(spec, input, ctx) {
    const exportName = spec.export ?? "grade";
    const where = `${spec.path}#${exportName}`;
    const args: ScriptArgs = {
      case: input.case,
      output: input.output,
      toolCalls: input.toolCalls ?? [],
      trajectory: input.trajectory ?? [],
    };
    let result: unknown;
    try {
      result = await ctx.runScript(spec.path, exportName, args, spec.timeout_ms ?? DEFAULT_TIMEOUT_MS);
    } catch (e) {
      if (isUserError(e) || e instanceof GraderError) throw e;
      throw new GraderError("script", `${where}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
    const outcome = readResult(result, where);
    const score = outcome.score ?? (outcome.pass ? 1 : 0);
    const pass =
      spec.threshold !== undefined && outcome.score !== undefined ? score >= spec.threshold : outcome.pass;
    const said = outcome.reason ?? (outcome.pass ? "passed" : "failed");
    return { grader: "script", pass, score, reason: clip(`${spec.path}: ${said}`) };
  },
};

const SHAPE = "{ pass: boolean, score?: number from 0 to 1, reason?: string }";

function readResult(result: unknown, where: string): { pass: boolean; score?: number; reason?: string } {
  const bad = (what: string) => new GraderError("script", `${where} returned ${what}; expected ${SHAPE}`);
  if (typeof result !== "object" || result === null || Array.isArray(result)) {
    throw bad(describe(result));
  }
  const r = result as Record<string, unknown>;
  if (typeof r.pass !== "boolean") throw bad(`an object whose "pass" is ${describe(r.pass)}`);
  if (r.score !== undefined && r.score !== null) {
    if (typeof r.score !== "number" || !Number.isFinite(r.score) || r.score < 0 || r.score > 1) {
      throw bad(`a "score" of ${describe(r.score)}`);
    }
  }
  if (r.reason !== undefined && r.reason !== null && typeof r.reason !== "string") {
    throw bad(`a "reason" that is ${describe(r.reason)}`);
  }
  return {
    pass: r.pass,
    ...(typeof r.score === "number" ? { score: r.score } : {}),
    ...(typeof r.reason === "string" && r.reason.trim() !== "" ? { reason: r.reason.trim() } : {}),
  };
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return `the string ${quote(value, 40)}`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}
