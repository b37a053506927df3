import { UserError } from "../errors.js";
import type { ChatMessage, GraderSpec } from "../types.js";
import {
  type ImportedCase,
  type ImportResult,
  idMaker,
  lineList,
  type Skipped,
  sliceName,
} from "./common.js";

const ROLES = new Set(["system", "user", "assistant", "developer"]);

export interface OpenAIEvalsOptions {
  /** The samples file, for messages. */
  file: string;
  /** A top-level field of each sample that names its slice; otherwise every case is in `default`. */
  sliceFrom?: string;
  /**
   * Leave out each sample's leading system message, so the case runs with `target.system` (the
   * prompt under test) instead; the text they share, if they all share one, is handed back.
   */
  systemFromTarget?: boolean;
}

/**
 * OpenAI evals samples (`{"input": [chat messages] | "text", "ideal": "..." | ["...", ...]}`, one
 * per line) as cases: `messages` (or `input`), `expected` = `ideal`, graded by `contains` (any of
 * the ideals), as the evals' `Includes` template does.
 */
export function importOpenAIEvals(text: string, options: OpenAIEvalsOptions): ImportResult {
  const cases: ImportedCase[] = [];
  const skipped: Skipped[] = [];
  const changed: Skipped[] = [];
  const nextId = idMaker();
  // Lines of the written cases that start with a system message, and that message's text.
  const ownSystem: { line: number; text: string }[] = [];
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
    let turns = toTurns(s.input);
    if (turns.kind === "skip") {
      skipped.push({ where, reason: turns.reason });
      return;
    }
    const system = turns.kind === "messages" ? leadingSystem(turns.messages) : null;
    if (system && options.systemFromTarget) {
      const rest = (turns as { messages: ChatMessage[] }).messages.slice(system.count);
      if (!rest.some((m) => m.role === "user")) {
        skipped.push({ where, reason: "no user message besides the system message" });
        return;
      }
      turns = { kind: "messages", messages: rest };
      changed.push({
        where,
        reason: "system message left out (--system-from-target): the case runs with target.system",
      });
    }
    if (system) ownSystem.push({ line, text: system.text });
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
      changed.push({ where, reason: "no usable `ideal`: the case uses the config's default graders" });
    }
    cases.push(c);
  });
  const notes =
    defaulted > 0
      ? [`${defaulted} sample(s) had no \`${options.sliceFrom}\` field: they are in slice \`default\``]
      : [];
  const result: ImportResult = { cases, skipped, dropped: [], changed, notes };
  systemNotes(ownSystem, cases.length, options, result);
  return result;
}

/**
 * What to say about the samples' own system messages. Kept, they replace `target.system` (eval-gate
 * puts the target's prompt first only when a case has none), so a prompt change never reaches
 * those cases; left out, the text they share goes to the target.
 */
function systemNotes(
  own: { line: number; text: string }[],
  written: number,
  options: OpenAIEvalsOptions,
  result: ImportResult,
): void {
  if (own.length === 0) return;
  const texts = new Set(own.map((o) => o.text));
  const lines = `line${own.length === 1 ? "" : "s"} ${lineList(own.map((o) => o.line))}`;
  if (!options.systemFromTarget) {
    result.notes.push(
      `${own.length} of ${written} case(s) start with their own system message (${lines}): eval-gate sends it instead of \`target.system\`, so a change to the prompt under test never reaches them (their answers even come from the cache after a prompt edit). Import with --system-from-target to leave it out${texts.size === 1 ? " and write it to a file for `target.system`" : ""}.`,
    );
    return;
  }
  if (texts.size === 1) {
    result.system = { text: own[0]?.text as string, cases: own.length };
    return;
  }
  result.notes.push(
    `The samples had ${texts.size} different system messages (${lines}), all left out: none was written for \`target.system\`. Write one prompt that serves every case into the file \`target.system\` names, or import without --system-from-target to keep them in the cases.`,
  );
}

/** The system messages a conversation opens with, joined, and how many they are; null when none. */
function leadingSystem(messages: ChatMessage[]): { text: string; count: number } | null {
  let count = 0;
  while (messages[count]?.role === "system") count++;
  if (count === 0) return null;
  return {
    text: messages
      .slice(0, count)
      .map((m) => m.content)
      .join("\n\n"),
    count,
  };
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
