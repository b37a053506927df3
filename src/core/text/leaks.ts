// Leakage (seed 003): "if your eval cases end up as few-shot examples in the prompt, you're testing
// memorization, not capability". A case's input or expected text found in a prompt file, exactly
// (after folding case, punctuation and whitespace) or as a large share of its word 8-grams. Read by
// `eval-gate check` and by every run (evaluate.ts), which warns about a leak before it asks a model.

import type { EvalSet } from "../types.js";
import { caseText, lineAt, stringLeaves, tokenize, wordNgrams, words } from "./words.js";

export interface PromptText {
  file: string;
  text: string;
}

export interface Leak {
  set: string;
  /** The case's id; null in a set with `visibility: aggregate`, which is named by line only. */
  id: string | null;
  line: number;
  field: "input" | "expected";
  /** The prompt file the text was found in, and the line of the (first) match there. */
  prompt: string;
  prompt_line: number;
  kind: "exact" | "ngram";
  /** Share of the text's word n-grams found in the prompt; 1 for an exact match. */
  share: number;
}

export interface LeakOptions {
  /** Words per n-gram. Default 8. */
  ngram?: number;
  /** Share of a text's distinct n-grams that must be in a prompt. Default 0.5. */
  minShare?: number;
  /**
   * Shortest text (in words) an exact match counts for: a one-word expected value such as
   * "refund" is in most support prompts without being a leak. Default 5.
   */
  minExactWords?: number;
}

interface PreparedPrompt {
  file: string;
  text: string;
  /** Words joined by single spaces, padded with one space at each end. */
  padded: string;
  /** Offset in `padded` of each word, and its offset in the original text. */
  starts: number[];
  at: number[];
  grams: Map<string, number>;
}

function prepare(p: PromptText, n: number): PreparedPrompt {
  const tokens = tokenize(p.text);
  const starts: number[] = [];
  let padded = " ";
  for (const t of tokens) {
    starts.push(padded.length);
    padded += `${t.word} `;
  }
  const grams = new Map<string, number>();
  wordNgrams(
    tokens.map((t) => t.word),
    n,
  ).forEach((g, i) => {
    if (!grams.has(g)) grams.set(g, i);
  });
  return { file: p.file, text: p.text, padded, starts, at: tokens.map((t) => t.at), grams };
}

function promptLine(p: PreparedPrompt, wordIndex: number): number {
  return lineAt(p.text, p.at[wordIndex] ?? 0);
}

function leakOf(
  ws: readonly string[],
  p: PreparedPrompt,
  o: Required<LeakOptions>,
): Pick<Leak, "kind" | "share" | "prompt_line"> | null {
  if (ws.length >= o.minExactWords) {
    const at = p.padded.indexOf(` ${ws.join(" ")} `);
    if (at >= 0) {
      const wordIndex = p.starts.indexOf(at + 1);
      return { kind: "exact", share: 1, prompt_line: promptLine(p, Math.max(0, wordIndex)) };
    }
  }
  const grams = [...new Set(wordNgrams(ws, o.ngram))];
  if (grams.length === 0) return null;
  let hits = 0;
  let first = Number.POSITIVE_INFINITY;
  for (const g of grams) {
    const i = p.grams.get(g);
    if (i !== undefined) {
      hits++;
      first = Math.min(first, i);
    }
  }
  const share = hits / grams.length;
  if (share < o.minShare) return null;
  return { kind: "ngram", share, prompt_line: promptLine(p, first) };
}

type LeakInput = { prompts: readonly PromptText[]; sets: readonly EvalSet[] };

/** Eval text (inputs, expected values) found in the prompts. One leak per case, field and prompt. */
export function findLeaks(input: LeakInput, options: LeakOptions = {}): Leak[] {
  const search = leakSearch(input, options);
  const leaks: Leak[] = [];
  for (const set of input.sets) for (const c of set.cases) search(set, c, leaks);
  return leaks;
}

/** Cases looked at between two turns of the event loop by findLeaksInTurns. */
const CASES_A_TURN = 200;

/**
 * findLeaks, a few hundred cases a turn of the event loop: for a check that runs while requests
 * are in flight, whose answers should not wait behind thousands of cases at once.
 */
export async function findLeaksInTurns(input: LeakInput, options: LeakOptions = {}): Promise<Leak[]> {
  const search = leakSearch(input, options);
  const leaks: Leak[] = [];
  let done = 0;
  for (const set of input.sets) {
    for (const c of set.cases) {
      search(set, c, leaks);
      if (++done % CASES_A_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return leaks;
}

/** What looks for one case's leaks in the prompts, prepared once. */
function leakSearch(input: LeakInput, options: LeakOptions) {
  const o: Required<LeakOptions> = {
    ngram: options.ngram ?? 8,
    minShare: options.minShare ?? 0.5,
    minExactWords: options.minExactWords ?? 5,
  };
  const prompts = input.prompts.map((p) => prepare(p, o.ngram));
  return (set: EvalSet, c: EvalSet["cases"][number], leaks: Leak[]): void => {
    const hidden = set.visibility === "aggregate";
    const fields: [Leak["field"], string][] = [["input", caseText(c)]];
    if (c.expected !== undefined && c.expected !== null) fields.push(["expected", stringLeaves(c.expected)]);
    for (const [field, text] of fields) {
      const ws = words(text);
      // Too short to count as an exact match and to have one n-gram: nothing to look for.
      if (ws.length < o.minExactWords && ws.length < o.ngram) continue;
      for (const p of prompts) {
        const found = leakOf(ws, p, o);
        if (found) {
          leaks.push({
            set: set.name,
            id: hidden ? null : c.id,
            line: c.line,
            field,
            prompt: p.file,
            ...found,
          });
        }
      }
    }
  };
}
