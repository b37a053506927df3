// Named imports: ajv is CommonJS, and under NodeNext a default import types as the module object.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { RegExpEngine } from "ajv/dist/types/index.js";
import * as z from "zod";
import { UserError } from "../errors.js";
import { clip, issueIfThrows, passAt, specBase } from "./common.js";
import { type Patterns, PatternTimeout, patternTimedOut, plainPatterns } from "./patterns.js";
import type { GraderDefinition } from "./types.js";

export const jsonSchemaSchema = z
  .strictObject({
    type: z.literal("json_schema"),
    ...specBase,
    schema: z.record(z.string(), z.unknown()),
  })
  .superRefine((spec, ctx) => issueIfThrows(ctx, ["schema"], () => validatorFor(spec.schema)));

export type JsonSchemaSpec = z.infer<typeof jsonSchemaSchema>;

export const jsonSchema: GraderDefinition<JsonSchemaSpec> = {
  type: "json_schema",
  summary: "the output is JSON (bare or in a ```json block) that a JSON Schema accepts",
  schema: jsonSchemaSchema,
  grade(spec, input, ctx) {
    let validate: ValidateFunction;
    try {
      validate = validatorFor(spec.schema, ctx.patterns);
    } catch (e) {
      throw new UserError(`json_schema.schema is invalid: ${(e as Error).message}`, {
        field: "json_schema.schema",
        fix: "Fix the schema; it must be a JSON Schema (draft-07, or 2020-12 via $schema).",
        cause: e,
      });
    }
    const parsed = parseOutput(input.output);
    if (!parsed.ok) {
      return {
        grader: "json_schema",
        pass: false,
        score: 0,
        reason: clip(`Output is not JSON: ${parsed.error}`),
      };
    }
    const from = parsed.fenced ? " (from a ```json block)" : "";
    let valid: boolean;
    try {
      valid = ctx.patterns.shareLimit(() => validate(parsed.value) as boolean);
    } catch (e) {
      if (!(e instanceof PatternTimeout)) throw e;
      throw patternTimedOut(e, {
        field: "json_schema.schema",
        caseId: input.case.id,
        line: input.case.line,
        what: "the pattern ",
      });
    }
    const score = valid ? 1 : 0;
    const reason =
      score === 1
        ? `Output is JSON matching the schema${from}`
        : `Output JSON${from} does not match the schema: ${describeErrors(validate.errors ?? [])}`;
    return { grader: "json_schema", pass: passAt(spec, score), score, reason: clip(reason) };
  },
};

// Per pattern engine (the config check compiles with plain RegExps, a run with its context's
// bounded engine), then by content: a spec re-parsed from config is a new object with the same schema.
const validators = new WeakMap<Patterns, Map<string, ValidateFunction>>();

function validatorFor(schema: Record<string, unknown>, patterns = plainPatterns): ValidateFunction {
  let cache = validators.get(patterns);
  if (!cache) {
    cache = new Map();
    validators.set(patterns, cache);
  }
  const key = JSON.stringify(schema);
  const cached = cache.get(key);
  if (cached) return cached;
  // An async schema's validator returns a promise, which is truthy: every output would pass.
  if (schema.$async === true) throw new Error("$async schemas are not supported");
  // One instance per schema, so two schemas that reuse an $id do not collide. strictSchema stays on
  // so a misspelled keyword is a config error instead of a check that silently never runs.
  const options = {
    allErrors: true,
    strictTypes: false,
    strictTuples: false,
    logger: false,
    code: { regExp: patternEngine(patterns) },
  } as const;
  const is2020 = typeof schema.$schema === "string" && schema.$schema.includes("2020-12");
  const ajv = is2020 ? new Ajv2020(options) : new Ajv(options);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (e) {
    // ajv says an unknown format is "ignored", but strict mode has just refused it.
    const message = (e as Error).message;
    if (!message.startsWith("unknown format")) throw e;
    throw new Error(`${message.replace(" ignored", "")}: formats are not checked here; use "pattern"`);
  }
  cache.set(key, validate);
  return validate;
}

/**
 * `pattern`, `patternProperties` and `propertyNames.pattern` through the context's engine. ajv keys
 * each compiled pattern by its `toString()`, so the matcher must print as the pattern it runs.
 */
function patternEngine(patterns: Patterns): RegExpEngine {
  const engine = (pattern: string, flags: string) => {
    const matcher = patterns.compile(pattern, flags);
    return { test: (text: string) => matcher.test(text), toString: () => `/${pattern}/${flags}` };
  };
  // `code` names the engine in standalone code, which eval-gate never generates.
  return Object.assign(engine, { code: "evalGatePattern" });
}

type Parsed = { ok: true; value: unknown; fenced: boolean } | { ok: false; error: string };

const FENCE = /```(?:json)?[^\S\n]*\n([\s\S]*?)```/i;

/** Models often wrap JSON in a fenced block despite being asked not to; accept the first one. */
function parseOutput(output: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(output), fenced: false };
  } catch (e) {
    const block = FENCE.exec(output)?.[1];
    if (block === undefined) return { ok: false, error: (e as Error).message };
    try {
      return { ok: true, value: JSON.parse(block), fenced: true };
    } catch (inner) {
      return { ok: false, error: `in the \`\`\`json block: ${(inner as Error).message}` };
    }
  }
}

const SHOWN_ERRORS = 3;

function describeErrors(errors: ErrorObject[]): string {
  const lines = errors.slice(0, SHOWN_ERRORS).map((e) => {
    const detail =
      e.keyword === "additionalProperties"
        ? ` ${JSON.stringify(e.params.additionalProperty)}`
        : e.keyword === "enum"
          ? `: ${JSON.stringify(e.params.allowedValues)}`
          : "";
    return `${e.instancePath || "(root)"} ${e.message ?? e.keyword}${detail}`;
  });
  const more = errors.length > SHOWN_ERRORS ? ` (and ${errors.length - SHOWN_ERRORS} more)` : "";
  return lines.join("; ") + more;
}
