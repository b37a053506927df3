// `eval-gate perturb`: variants of each case that a person would still read as the same request
// (typos, casing, whitespace, punctuation, or an LLM's angry/polite/terse rewrite), so a set can
// show whether the system's answer survives the way real users write (seed 002: "if the model
// answers the polite ticket correctly but hallucinates on the angry one, it is not production-
// ready"). Each variant keeps its original's slice, expected value, graders and vars; the report
// then says how often a variant's result differs from its original's (report/robustness.ts).

import type { SetCase } from "../config/sets.js";
import type { ChatMessage } from "../types.js";
import { choose, streamFor } from "./sample.js";

export const TRANSFORMS = ["typos", "casing", "whitespace", "punctuation"] as const;
export type TransformName = (typeof TRANSFORMS)[number];

type Rng = () => number;

const pick = <T>(items: readonly T[], rng: Rng): T => items[Math.floor(rng() * items.length)] as T;

// Neighbouring keys on a US QWERTY keyboard: the slips a hurried typist makes.
const NEIGHBOURS: Record<string, string> = {
  q: "wa",
  w: "qase",
  e: "wsdr",
  r: "edft",
  t: "rfgy",
  y: "tghu",
  u: "yhji",
  i: "ujko",
  o: "iklp",
  p: "ol",
  a: "qwsz",
  s: "awedxz",
  d: "serfcx",
  f: "drtgvc",
  g: "ftyhbv",
  h: "gyujnb",
  j: "huikmn",
  k: "jiolm",
  l: "kop",
  z: "asx",
  x: "zsdc",
  c: "xdfv",
  v: "cfgb",
  b: "vghn",
  n: "bhjm",
  m: "njk",
};

/**
 * The words a typo may touch: runs of four or more letters, standing alone between whitespace
 * (quotes and sentence punctuation around them allowed). Anything with a digit, `@`, `/`, `_` or a
 * dot inside (order numbers, emails, URLs, codes) and all-caps acronyms are left exactly as they
 * are: a typo there would change what the user asked for, not how they wrote it.
 */
function typoCandidates(text: string): { start: number; word: string }[] {
  const out: { start: number; word: string }[] = [];
  for (const chunk of text.matchAll(/\S+/g)) {
    const m = /^([("'“‘]*)([A-Za-z]{4,})[)"'”’.,!?;:]*$/.exec(chunk[0]);
    if (!m) continue;
    const word = m[2] as string;
    if (word === word.toUpperCase()) continue;
    out.push({ start: chunk.index + (m[1] as string).length, word });
  }
  return out;
}

function sameCase(like: string, ch: string): string {
  return like === like.toUpperCase() ? ch.toUpperCase() : ch;
}

/** One typo in a word, never at its first letter: a neighbouring key, a swap, a drop or a double. */
function typo(word: string, rng: Rng): string {
  const i = 1 + Math.floor(rng() * (word.length - 1));
  const ch = word[i] as string;
  const kind = pick(["neighbour", "swap", "drop", "double"] as const, rng);
  switch (kind) {
    case "neighbour": {
      const near = NEIGHBOURS[ch.toLowerCase()];
      if (!near) return word.slice(0, i) + ch + ch + word.slice(i + 1);
      return word.slice(0, i) + sameCase(ch, pick([...near], rng)) + word.slice(i + 1);
    }
    case "swap": {
      // Swap with the next letter, or the one before at the end of the word.
      const j = i + 1 < word.length ? i : i - 1;
      if (j < 1 || word[j] === word[j + 1]) return word.slice(0, i) + word.slice(i + 1);
      return word.slice(0, j) + word[j + 1] + word[j] + word.slice(j + 2);
    }
    case "drop":
      return word.slice(0, i) + word.slice(i + 1);
    case "double":
      return word.slice(0, i) + ch + ch + word.slice(i + 1);
  }
}

export interface TypoOptions {
  /** Share of the eligible words that get a typo (at least one always does). Default 0.15. */
  rate?: number;
}

function typos(text: string, rng: Rng, options: TypoOptions = {}): string {
  const candidates = typoCandidates(text);
  if (candidates.length === 0) return text;
  const count = Math.max(1, Math.round((options.rate ?? 0.15) * candidates.length));
  const chosen = choose(candidates, count, rng).sort((a, b) => b.start - a.start);
  let out = text;
  for (const c of chosen)
    out = out.slice(0, c.start) + typo(c.word, rng) + out.slice(c.start + c.word.length);
  return out;
}

const CASINGS = ["lower", "upper", "title"] as const;

/** Re-cases every whitespace-separated chunk but codes, emails and URLs (a digit, `@` or `/`). */
function casing(text: string, mode: (typeof CASINGS)[number]): string {
  return text.replace(/\S+/g, (chunk) => {
    if (/[\d@/\\]/.test(chunk)) return chunk;
    if (mode === "lower") return chunk.toLowerCase();
    if (mode === "upper") return chunk.toUpperCase();
    return chunk.toLowerCase().replace(/\p{L}/u, (first) => first.toUpperCase());
  });
}

function whitespace(text: string, rng: Rng): string {
  const ops = choose(["double", "tabs", "trailing", "leading"] as const, 2, rng);
  let out = text;
  for (const op of ops) {
    if (op === "double" || op === "tabs") {
      const spaces = [...out.matchAll(/ /g)].map((m) => m.index);
      if (spaces.length === 0) {
        out = `${out}\n`;
        continue;
      }
      const picked = new Set(choose(spaces, Math.max(1, Math.round(spaces.length * 0.3)), rng));
      // UTF-16 units, as the match indices are: a surrogate pair is never a space, so stays whole.
      out = out
        .split("")
        .map((ch, i) => (picked.has(i) ? (op === "double" ? "  " : "\t") : ch))
        .join("");
    } else if (op === "trailing") out = `${out}${pick(["\n", "\n\n", " \n"], rng)}`;
    else out = `${pick(["  ", "\n", "\t"], rng)}${out}`;
  }
  return out;
}

function punctuation(text: string, rng: Rng): string {
  // Sentence punctuation after a letter and before whitespace or the end: never inside 3.5 or a URL.
  const marks = [...text.matchAll(/(?<=\p{L})[?!.,]+(?=\s|$)/gu)].map((m) => ({
    at: m.index,
    len: m[0].length,
  }));
  const drop = marks.length > 0 && rng() < 0.5;
  if (drop) {
    const chosen = choose(marks, Math.max(1, Math.round(marks.length * 0.6)), rng).sort(
      (a, b) => b.at - a.at,
    );
    let out = text;
    for (const m of chosen) out = out.slice(0, m.at) + out.slice(m.at + m.len);
    return out;
  }
  if (rng() < 0.5) {
    // A new ending: in place of the sentence punctuation the text ends with, if any.
    const trimmed = text.replace(/\s+$/, "");
    const stem = trimmed.replace(/(?<=\p{L})[?!.]+$/u, "");
    const ending = pick(
      ["?", "!", "!!", "...", "??", "?!"].filter((e) => stem + e !== trimmed),
      rng,
    );
    return `${stem}${ending}${text.slice(trimmed.length)}`;
  }
  // A comma after a word, before a word in lower case (not inside a name such as "Elm Street").
  const gaps = [...text.matchAll(/(?<=\p{L})(?= \p{Ll})/gu)].map((m) => m.index);
  if (gaps.length === 0) return `${text.replace(/\s+$/, "")}!`;
  const at = pick(gaps, rng);
  return `${text.slice(0, at)},${text.slice(at)}`;
}

/** One transform of one text; `variant` (1-based) picks among a transform's kinds (casing). */
export function perturbText(text: string, transform: TransformName, rng: Rng, variant = 1): string {
  switch (transform) {
    case "typos":
      return typos(text, rng);
    case "casing": {
      const start = Math.floor(rng() * CASINGS.length);
      // Cycle from a seeded start, skipping kinds that change nothing (an all-lower text stays put).
      for (let k = 0; k < CASINGS.length; k++) {
        const out = casing(
          text,
          CASINGS[(start + variant - 1 + k) % CASINGS.length] as (typeof CASINGS)[number],
        );
        if (out !== text) return out;
      }
      return text;
    }
    case "whitespace":
      return whitespace(text, rng);
    case "punctuation":
      return punctuation(text, rng);
  }
}

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
