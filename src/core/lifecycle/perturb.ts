// `eval-gate perturb`: variants of each case that a person would still read as the same request
// (typos, casing, whitespace, punctuation, or an LLM's angry/polite/terse rewrite), so a set can
// show whether the system's answer survives the way real users write (seed 002: "if the model
// answers the polite ticket correctly but hallucinates on the angry one, it is not production-
// ready"). Each variant keeps its original's slice, expected value, graders and vars; the report
// then says how often a variant's result differs from its original's (report/robustness.ts).

import type { SetCase } from "../config/sets.js";
import type { ChatMessage } from "../types.js";
import { perturbText, type TransformName } from "./perturb-text.js";
import { streamFor } from "./sample.js";

export interface PerturbOptions {
  transforms: readonly TransformName[];
  seed: number;
  /** Variants per case and transform. */
  perCase: number;
}

export interface PerturbResult {
  cases: SetCase[];
  /** Variants that could not be made different from the original (e.g. no word long enough). */
  skipped: { id: string; transform: string }[];
}

/** A case already derived from another: never perturbed again. */
export function isVariant(c: Pick<SetCase, "metadata">): boolean {
  return typeof c.metadata?.original === "string" && typeof c.metadata?.perturbation === "string";
}

function mapUserText(c: SetCase, f: (text: string) => string): Pick<SetCase, "input" | "messages"> {
  if (c.input !== undefined) return { input: f(c.input) };
  return {
    messages: (c.messages ?? []).map(
      (m): ChatMessage =>
        m.role === "user" && typeof m.content === "string" ? { ...m, content: f(m.content) } : m,
    ),
  };
}

/** The variant as a case: everything of the original but its id, its user text and two metadata keys. */
export function variantCase(
  c: SetCase,
  text: Pick<SetCase, "input" | "messages">,
  perturbation: string,
  k: number,
  extra: Record<string, unknown> = {},
): SetCase {
  const { line: _line, input: _input, messages: _messages, metadata, ...rest } = c;
  return {
    ...rest,
    id: `${c.id}~${perturbation}-${k}`,
    ...text,
    line: 0,
    metadata: { ...metadata, perturbation, original: c.id, ...extra },
  };
}

function userTextKey(x: Pick<SetCase, "input" | "messages">): string {
  return JSON.stringify(x.input ?? x.messages);
}

/** Deterministic variants: each (case, transform, k) has a seeded stream of its own. */
export function perturbCases(cases: readonly SetCase[], options: PerturbOptions): PerturbResult {
  const out: SetCase[] = [];
  const skipped: PerturbResult["skipped"] = [];
  for (const c of cases) {
    if (isVariant(c)) continue;
    for (const transform of options.transforms) {
      const seen = new Set([userTextKey(c)]);
      for (let k = 1; k <= options.perCase; k++) {
        let made: Pick<SetCase, "input" | "messages"> | null = null;
        // A draw that changes nothing, or repeats an earlier variant, is drawn again a few times.
        for (let attempt = 0; attempt < 5 && !made; attempt++) {
          const rng = streamFor(options.seed, "perturb", c.id, transform, String(k), String(attempt));
          const text = mapUserText(c, (t) => perturbText(t, transform, rng, k + attempt));
          if (!seen.has(userTextKey(text))) made = text;
        }
        if (!made) {
          skipped.push({ id: c.id, transform });
          continue;
        }
        seen.add(userTextKey(made));
        out.push(variantCase(c, made, transform, k));
      }
    }
  }
  return { cases: out, skipped };
}

/** A case as a line of a set file, keys in a fixed order (the same case always gives the same bytes). */
export function caseLine(c: SetCase): string {
  const o: Record<string, unknown> = { id: c.id, slice: c.slice };
  if (c.input !== undefined) o.input = c.input;
  if (c.messages !== undefined) o.messages = c.messages;
  if (c.expected !== undefined) o.expected = c.expected;
  if (Object.keys(c.vars ?? {}).length > 0) o.vars = c.vars;
  if (c.graders !== undefined) o.graders = c.graders;
  if (c.tool_results !== undefined) o.tool_results = c.tool_results;
  if (c.cluster !== undefined) o.cluster = c.cluster;
  if (c.metadata !== undefined) o.metadata = c.metadata;
  return JSON.stringify(o);
}
