import { UserError } from "../errors.js";
import type { ChatMessage, GraderSpec } from "../types.js";
import { type ImportedCase, type ImportResult, idMaker, type Skipped, sliceName } from "./common.js";

const ROLES = new Set(["system", "user", "assistant", "developer"]);

export interface OpenAIEvalsOptions {
  /** The samples file, for messages. */
  file: string;
  /** A top-level field of each sample that names its slice; otherwise every case is in `default`. */
  sliceFrom?: string;
}

/**
 * OpenAI evals samples (`{"input": [chat messages] | "text", "ideal": "..." | ["...", ...]}`, one
 * per line) as cases: `messages` (or `input`), `expected` = `ideal`, graded by `contains` (any of
 * the ideals), as the evals' `Includes` template does.
 */
export function importOpenAIEvals(text: string, options: OpenAIEvalsOptions): ImportResult {
  const cases: ImportedCase[] = [];
  const skipped: Skipped[] = [];
  const nextId = idMaker();
  let sampleNo = 0;
  let defaulted = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    sampleNo++;
    const where = `${options.file}:${line}`;
    let sample: unknown;
    try {
      sample = JSON.parse(raw);
    } catch (e) {
      throw new UserError(`not valid JSON (${(e as Error).message})`, {
        file: options.file,
        line,
        fix: "Each line of an OpenAI evals samples file is one JSON object.",
      });
    }
    if (sample === null || typeof sample !== "object" || Array.isArray(sample)) {
      skipped.push({ where, reason: "not a JSON object" });
      return;
    }
    const s = sample as Record<string, unknown>;
    const turns = toTurns(s.input);
    if (turns.kind === "skip") {
      skipped.push({ where, reason: turns.reason });
      return;
    }
    const slice = options.sliceFrom ? sliceName(s[options.sliceFrom]) : undefined;
    if (options.sliceFrom && slice === undefined) defaulted++;
    const c: ImportedCase = {
      id: nextId(undefined, `sample-${sampleNo}`),
      slice: slice ?? "default",
      ...(turns.kind === "input" ? { input: turns.text } : { messages: turns.messages }),
      metadata: { source: "openai-evals", line },
    };
    const ideal = ideals(s.ideal);
    if (ideal.length > 0) {
      c.expected = s.ideal;
      const grader: GraderSpec =
        ideal.length === 1
          ? { type: "contains", value: ideal[0] }
          : { type: "contains", value: ideal, all: false };
      c.graders = [grader];
    } else {
      skipped.push({ where, reason: "no usable `ideal`: the case uses the config's default graders" });
    }
    cases.push(c);
  });
  const notes =
    defaulted > 0
      ? [`${defaulted} sample(s) had no \`${options.sliceFrom}\` field: they are in slice \`default\``]
      : [];
  return { cases, skipped, notes };
}

type Turns =
  | { kind: "input"; text: string }
  | { kind: "messages"; messages: ChatMessage[] }
  | { kind: "skip"; reason: string };

function toTurns(input: unknown): Turns {
  const skip = (reason: string): Turns => ({ kind: "skip", reason });
  if (typeof input === "string")
    return input.trim() === "" ? skip("empty `input`") : { kind: "input", text: input };
  if (!Array.isArray(input) || input.length === 0)
    return skip("no `input` (a string or a list of chat messages)");
  const messages: ChatMessage[] = [];
  for (const m of input) {
    const role = (m as { role?: unknown })?.role;
    const content = (m as { content?: unknown })?.content;
    if (typeof role !== "string" || !ROLES.has(role))
      return skip(`a message has role ${JSON.stringify(role)}`);
    if (typeof content !== "string")
      return skip("a message's content is not text (images and parts are not imported)");
    messages.push({ role: role as ChatMessage["role"], content });
  }
  return { kind: "messages", messages };
}

function ideals(ideal: unknown): string[] {
  const list = Array.isArray(ideal) ? ideal : [ideal];
  return list
    .map((x) => (typeof x === "number" || typeof x === "boolean" ? String(x) : x))
    .filter((x): x is string => typeof x === "string" && x.trim() !== "");
}
