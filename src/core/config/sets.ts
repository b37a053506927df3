import * as z from "zod";
import { UserError, UserErrors } from "../errors.js";
import { jsonErrorOffset, jsonReason } from "../text/json-error.js";
import type { Case, ChatMessage, EvalSet, Visibility } from "../types.js";
import { graderSpecSchema } from "./config.js";
import { describeIssues, describeKind, describeValue, type Hint } from "./zod-issues.js";

/** Past this many, more messages bury the first (usually the cause) instead of helping. */
const MAX_ERRORS = 50;

const EXAMPLE_CASE =
  '{"id": "refund-001", "slice": "refund", "input": "Can I get my money back?", "expected": "refund"}';

const toolCallSchema = z.strictObject({
  id: z.string().min(1),
  type: z.literal("function").default("function"),
  function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
});

const messageSchema = z
  .strictObject({
    role: z.enum(["system", "user", "assistant", "tool", "developer"]),
    content: z.string().nullable().optional(),
    name: z.string().optional(),
    tool_calls: z.array(toolCallSchema).optional(),
    tool_call_id: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    // Only an assistant turn that calls tools may leave its text out, as in the OpenAI API.
    if (m.content === undefined && !(m.role === "assistant" && m.tool_calls?.length)) {
      ctx.addIssue({
        code: "custom",
        path: ["content"],
        message: "`content` is required",
        params: {
          safe: true,
          fix: 'Add "content": the text of the message (null only for an assistant turn with tool_calls).',
        },
      });
    }
  });

/** The name of the one slice an aggregate-only set (a holdout) is reported as. */
export const AGGREGATE_SLICE = "all";

export const caseSchema = z.strictObject({
  id: z.string().min(1),
  slice: z.string().min(1),
  input: z.string().optional(),
  messages: z.array(messageSchema).min(1).optional(),
  expected: z.unknown().optional(),
  vars: z.record(z.string(), z.unknown()).default(() => ({})),
  graders: z.array(graderSpecSchema).optional(),
  tool_results: z.record(z.string(), z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  cluster: z.string().min(1).optional(),
});

/** A case as loaded: the shared Case plus the keys kept for later features. */
export interface SetCase extends Case {
  tool_results?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

const FIXES: Record<string, string> = {
  id: 'Give the case a unique name, e.g. "id": "refund-001".',
  slice: 'Name the group the case is reported in, e.g. "slice": "refund".',
  input: 'Use a string: the user\'s message, e.g. "input": "Can I get my money back?".',
  messages: 'Use an array of chat messages, e.g. "messages": [{"role": "user", "content": "Hi"}].',
  "messages[]": 'Write each message as an object, e.g. {"role": "user", "content": "Hi"}.',
  "messages[].role": "Use one of system, user, assistant, tool, developer.",
  vars: 'Use an object of values for the system prompt, e.g. "vars": {"name": "Ada"}.',
  graders: 'Use an array of graders, e.g. "graders": [{"type": "contains", "value": "refund"}].',
  "graders[]": 'Write each grader as an object with a "type", e.g. {"type": "exact", "value": "yes"}.',
  "graders[].type": 'Name the grader type, e.g. "type": "contains".',
  "graders[].weight": 'Use a number greater than 0, e.g. "weight": 2.',
  "graders[].threshold": 'Use a number between 0 and 1, e.g. "threshold": 0.8.',
  tool_results:
    'Use an object keyed by tool name, e.g. "tool_results": {"lookup_order": {"status": "shipped"}}.',
  metadata: 'Use an object, e.g. "metadata": {"source": "ticket-123"}.',
  cluster:
    'Name the group of cases that share an origin (one conversation, one ticket rewritten), e.g. "cluster": "ticket-123".',
};

const caseHint: Hint = ({ pattern }) => {
  const fix = FIXES[pattern];
  return fix ? { fix } : undefined;
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checked outside zod so it is reported even when other keys of the line are wrong too. */
function checkInputOrMessages(
  raw: Record<string, unknown>,
): { message: string; field: string; fix: string } | undefined {
  const hasInput = Object.hasOwn(raw, "input");
  const hasMessages = Object.hasOwn(raw, "messages");
  if (hasInput && hasMessages) {
    return {
      message: "the case has both `input` and `messages`",
      field: "input",
      fix: "Keep one: `input` for a single user message, `messages` for a conversation.",
    };
  }
  if (!hasInput && !hasMessages) {
    return {
      message: "the case has no `input` or `messages`",
      field: "input",
      fix: "Add `input` (the user's message) or `messages` (a list of chat messages).",
    };
  }
  return undefined;
}

const PLAIN_KEYS = new Set([
  "id",
  "slice",
  "input",
  "expected",
  "vars",
  "metadata",
  "tool_results",
  "cluster",
]);

/** The vars of every case that has none: one frozen object, not one per case of a large set. */
const NO_VARS: Record<string, unknown> = Object.freeze({});

function isRecord(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) && !Object.hasOwn(v, "__proto__");
}

/**
 * The common case (`id`, `slice`, `input`, maybe `expected`, `vars`, `metadata`) checked without
 * zod, which costs ~10 µs a line and so a noticeable part of start-up on a large set. Anything
 * else, valid or not, returns undefined and goes through caseSchema, which owns the messages.
 */
export function plainCase(raw: Record<string, unknown>): z.output<typeof caseSchema> | undefined {
  // Any other key, an own `__proto__` included, is caseSchema's to judge.
  for (const key in raw) if (!PLAIN_KEYS.has(key)) return undefined;
  const { id, slice, input, expected, vars, metadata, tool_results, cluster } = raw;
  if (typeof id !== "string" || id === "" || typeof slice !== "string" || slice === "") return undefined;
  if (typeof input !== "string") return undefined;
  if (vars !== undefined && !isRecord(vars)) return undefined;
  if (metadata !== undefined && !isRecord(metadata)) return undefined;
  if (tool_results !== undefined && !isRecord(tool_results)) return undefined;
  if (cluster !== undefined && (typeof cluster !== "string" || cluster === "")) return undefined;
  const data: z.output<typeof caseSchema> = { id, slice, input, vars: vars ?? NO_VARS };
  if (Object.hasOwn(raw, "expected")) data.expected = expected;
  if (metadata !== undefined) data.metadata = metadata;
  if (tool_results !== undefined) data.tool_results = tool_results;
  if (cluster !== undefined) data.cluster = cluster;
  return data;
}

function toCase(data: z.output<typeof caseSchema>, line: number): SetCase {
  const c: SetCase = { id: data.id, slice: data.slice, vars: data.vars, line };
  if (data.input !== undefined) c.input = data.input;
  if (data.messages !== undefined) {
    c.messages = data.messages.map((m) => ({ ...m, content: m.content ?? null }) as ChatMessage);
  }
  if (data.expected !== undefined) c.expected = data.expected;
  if (data.graders !== undefined) c.graders = data.graders;
  if (data.tool_results !== undefined) c.tool_results = data.tool_results;
  if (data.metadata !== undefined) c.metadata = data.metadata;
  if (data.cluster !== undefined) c.cluster = data.cluster;
  return c;
}

/** Why a line is not JSON, with the column of the mistake. */
function jsonProblem(e: unknown, line: string, redact: boolean): string {
  const trimmed = line.trim();
  const offset = jsonErrorOffset(trimmed);
  const indent = line.length - line.trimStart().length;
  const column = offset === undefined ? "" : ` at column ${indent + offset + 1}`;
  const reason = jsonReason(e);
  // Some reasons quote the text around the mistake (`Unexpected token 'x', "..." is not valid JSON`).
  if (redact && /["'`]/.test(reason)) return `not valid JSON${column}`;
  return `not valid JSON${column}: ${reason}`;
}

export interface ParseSetOptions {
  /**
   * Quote nothing the set holds (case ids, inputs, expected values): messages name the file, the
   * line and the field only. On by default for a set with `visibility: aggregate`.
   */
  redact?: boolean;
}

/**
 * Reads a JSONL eval set: one case per line; blank lines and `//` comments are skipped. Throws
 * UserErrors naming every bad line, so a person fixes the whole file in one go. Case graders are
 * left for the caller to check against the registry (validateGraders, with the case's line).
 */
export function parseSet(
  text: string,
  file: string,
  name: string,
  visibility: Visibility,
  options: ParseSetOptions = {},
): EvalSet {
  const redact = options.redact ?? visibility === "aggregate";
  const errors: UserError[] = [];
  const cases: SetCase[] = [];
  const firstLineOf = new Map<string, number>();
  const fail = (line: number, message: string, field?: string, fix?: string) =>
    errors.push(new UserError(message, { file, line, field, fix }));
  let seen = 0;

  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const written = lines[index] as string;
    const trimmed = written.trim();
    if (trimmed === "" || trimmed.startsWith("//")) continue;
    seen++;
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch (e) {
      const fix =
        "Write one JSON object per line, with double-quoted keys and strings and no trailing commas.";
      fail(line, jsonProblem(e, written, redact), undefined, fix);
      continue;
    }
    if (!isPlainObject(raw)) {
      const got = redact ? describeKind(raw, "json") : describeValue(raw, "json");
      fail(
        line,
        `each line must be a JSON object (one case), got ${got}`,
        undefined,
        `Write e.g. ${EXAMPLE_CASE}`,
      );
      continue;
    }
    const shape = checkInputOrMessages(raw);
    if (shape) fail(line, shape.message, shape.field, shape.fix);

    const id = typeof raw.id === "string" && raw.id !== "" ? raw.id : undefined;
    if (id !== undefined) {
      const first = firstLineOf.get(id);
      if (first === undefined) firstLineOf.set(id, line);
      else
        fail(
          line,
          redact
            ? `this case has the same id as the case on line ${first}`
            : `duplicate id \`${id}\` (lines ${first} and ${line})`,
          "id",
          redact
            ? `Give each case of a set its own id (lines ${first} and ${line} share one).`
            : "Give each case of a set its own id.",
        );
    }

    const plain = plainCase(raw);
    if (plain) {
      if (!shape) cases.push(toCase(plain, line));
      continue;
    }
    const result = caseSchema.safeParse(raw, { reportInput: true });
    if (!result.success) {
      const problems = describeIssues(result.error.issues, {
        schema: caseSchema,
        data: raw,
        dialect: "json",
        hint: caseHint,
        redact,
      });
      for (const p of problems) fail(line, p.message, p.field, p.fix);
      continue;
    }
    if (!shape) cases.push(toCase(result.data, line));
  }

  if (errors.length === 0 && seen === 0) {
    const fix = `Add one JSON object per line, e.g. ${EXAMPLE_CASE}`;
    errors.push(new UserError(`the set \`${name}\` has no cases`, { file, fix }));
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_ERRORS);
    if (errors.length > MAX_ERRORS) {
      shown.push(new UserError(`…and ${errors.length - MAX_ERRORS} more errors in this file`, { file }));
    }
    throw new UserErrors(shown);
  }
  return { name, path: file, visibility, cases };
}
