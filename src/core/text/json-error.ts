// Where JSON text goes wrong. Node's JSON.parse names the position for some mistakes only ("in JSON
// at position 12") and for others quotes the text around it instead, so messages that must name a
// line and column find the place themselves.

import { UserError } from "../errors.js";

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * The offset of the first character that cannot continue valid JSON (the text's length when it
 * ends too early), or undefined when the text is valid JSON.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const skip = () => {
    while (i < text.length && WHITESPACE.has(text[i] as string)) i++;
  };

  const string = (): boolean => {
    i++; // the opening quote
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return true;
      }
      if (c < " ") return false;
      if (c === "\\") {
        const next = text[i + 1];
        if (next !== undefined && ESCAPES.has(next)) i += 2;
        else if (next === "u" && HEX4.test(text.slice(i + 2, i + 6))) i += 6;
        else {
          i++;
          return false;
        }
      } else i++;
    }
    return false;
  };

  const value = (): boolean => {
    skip();
    const c = text[i];
    if (c === "{") return members("}", true);
    if (c === "[") return members("]", false);
    if (c === '"') return string();
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number) {
      i += number[0].length;
      return true;
    }
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return true;
      }
    }
    return false;
  };

  /** An object's `"key": value` pairs or an array's values, up to the closing bracket. */
  const members = (close: string, keyed: boolean): boolean => {
    i++; // the opening bracket
    skip();
    if (text[i] === close) {
      i++;
      return true;
    }
    for (;;) {
      if (keyed) {
        skip();
        if (text[i] !== '"' || !string()) return false;
        skip();
        if (text[i] !== ":") return false;
        i++;
      }
      if (!value()) return false;
      skip();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return true;
      }
      return false;
    }
  };

  if (!value()) return Math.min(i, text.length);
  skip();
  return i < text.length ? i : undefined;
}

/** The 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** JSON.parse's reason without the position (named separately) and the period. */
export function jsonReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (
    message
      .replace(/\s*in JSON at position \d+(?:\s*\(line \d+ column \d+\))?/, "")
      // `Unexpected token ']', ..."efund"}},\n]" is not valid JSON`: the quoted text is the file's own.
      .replace(/^(Unexpected token .+?), (?:\.\.\.)?".*" is not valid JSON$/s, "$1")
      .replace(/\.$/, "")
      .trim()
  );
}

/** One non-blank, non-comment line of a JSONL file: its object, or why it is not one. */
export type JsonLine =
  | { line: number; object: Record<string, unknown> }
  | { line: number; error: "json"; reason: string }
  | { line: number; error: "not-object"; value: unknown };

/**
 * The lines of a JSONL file as objects, in order, skipping blank lines and `//` comments; what a
 * line is when it is not an object is left to the caller, which knows what the line should be.
 */
export function* jsonLines(text: string): Generator<JsonLine> {
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const trimmed = (lines[index] as string).trim();
    if (trimmed === "" || trimmed.startsWith("//")) continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      yield { line, error: "json", reason: jsonReason(e) };
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value))
      yield { line, error: "not-object", value };
    else yield { line, object: value as Record<string, unknown> };
  }
}

/** A line of a JSONL file that is not valid JSON, as the error that names it (with the caller's fix). */
export function notJsonLine(entry: { line: number; reason: string }, file: string, fix: string): UserError {
  return new UserError(`not valid JSON: ${entry.reason}`, { file, line: entry.line, fix });
}
