// The rule-based transforms of `eval-gate perturb`: typos, casing, whitespace and punctuation, each
// a seeded change of one text that a person would still read as the same request. Making variant
// cases of them is perturb.ts.

import { choose } from "./sample.js";

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
