// `--hard-if 'latency_ms>5000'`: one comparison of a trace field with a literal. Parsed by hand
// into data, never evaluated as code, so a predicate can only ever read the field it names.

import { UserError } from "../errors.js";

export type Op = "==" | "!=" | ">" | ">=" | "<" | "<=";

export interface Predicate {
  field: string;
  op: Op;
  value: string | number | boolean | null;
  /** As written, for reports. */
  source: string;
}

const SHAPE = /^\s*([A-Za-z_][\w.-]*)\s*(==|!=|>=|<=|=|>|<)\s*(.*?)\s*$/s;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

export function parsePredicate(source: string): Predicate {
  const m = SHAPE.exec(source);
  const fix =
    "Write `FIELD OP VALUE`, e.g. 'latency_ms>5000', 'status==\"error\"' or 'retries>=1'; OP is one of == != > >= < <=.";
  if (!m) throw new UserError(`--hard-if "${source}" is not a comparison`, { field: "--hard-if", fix });
  const [, field, rawOp, rawValue] = m as unknown as [string, string, string, string];
  const op = (rawOp === "=" ? "==" : rawOp) as Op;
  let value: Predicate["value"];
  if (rawValue === "") throw new UserError(`--hard-if "${source}" has no value`, { field: "--hard-if", fix });
  if (NUMBER.test(rawValue)) value = Number(rawValue);
  else if (rawValue === "true" || rawValue === "false") value = rawValue === "true";
  else if (rawValue === "null") value = null;
  else if (/^(["']).*\1$/s.test(rawValue)) value = rawValue.slice(1, -1);
  else if (/^[^\s"'=<>!]+$/.test(rawValue)) value = rawValue;
  else
    throw new UserError(`--hard-if "${source}": the value is not a number or a word`, {
      field: "--hard-if",
      fix,
    });
  if ((op === ">" || op === ">=" || op === "<" || op === "<=") && typeof value !== "number") {
    throw new UserError(`--hard-if "${source}": ${op} compares numbers`, { field: "--hard-if", fix });
  }
  return { field, op, value, source: source.trim() };
}

/** A value at a dotted path (`meta.latency_ms`); a key that itself holds dots is found first. */
export function fieldValue(record: unknown, path: string): unknown {
  if (record === null || typeof record !== "object") return undefined;
  const obj = record as Record<string, unknown>;
  if (Object.hasOwn(obj, path)) return obj[path];
  const dot = path.indexOf(".");
  if (dot < 0) return undefined;
  // Try every split, so `a.b.c` finds `{"a.b": {"c": 1}}` as well as `{"a": {"b": {"c": 1}}}`.
  for (let i = dot; i >= 0; i = path.indexOf(".", i + 1)) {
    const head = path.slice(0, i);
    if (Object.hasOwn(obj, head)) {
      const found = fieldValue(obj[head], path.slice(i + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function asNumber(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && NUMBER.test(v.trim())) return Number(v.trim());
  return null;
}

export function testPredicate(p: Predicate, record: unknown): boolean {
  const actual = fieldValue(record, p.field);
  if (actual === undefined) return false;
  if (typeof p.value === "number") {
    const x = asNumber(actual);
    if (x === null) return p.op === "!=";
    switch (p.op) {
      case "==":
        return x === p.value;
      case "!=":
        return x !== p.value;
      case ">":
        return x > p.value;
      case ">=":
        return x >= p.value;
      case "<":
        return x < p.value;
      case "<=":
        return x <= p.value;
    }
  }
  const equal = actual === p.value || (typeof actual === "string" && String(p.value) === actual);
  return p.op === "==" ? equal : !equal;
}

/** Truthy as a flag in exported data: true, a non-zero number, a word other than false/0/no/off. */
export function isTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (typeof v === "string")
    return !["", "false", "0", "no", "off", "none", "null"].includes(v.trim().toLowerCase());
  if (Array.isArray(v)) return v.length > 0;
  return true;
}
