// Text as the life-cycle tools compare it: words only, in lower case, so "Where is my order?" and
// "where is  my order" are the same text. Near-duplicates are found by the Jaccard similarity of
// word shingles, exactly (no MinHash), with a prefix filter that keeps the search near linear.

import type { Case } from "../types.js";

/** A word: letters, digits and the marks that belong to them, in any script. */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const NON_ASCII = /[\u0080-\uffff]/;

export interface Token {
  word: string;
  /** Offset of the word in the original text, for naming the line a match is on. */
  at: number;
}

/** The words of `text`, lower-cased and NFKC-normalised, with where each starts. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  // exec() rather than matchAll(): no iterator per text, which counts on thousands of short texts.
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    // ASCII is its own NFKC form; skipping normalize() there keeps ICU out of most runs.
    const w = NON_ASCII.test(m[0]) ? m[0].normalize("NFKC") : m[0];
    out.push({ word: w.toLowerCase(), at: m.index });
  }
  return out;
}

export function words(text: string): string[] {
  return tokenize(text).map((t) => t.word);
}

/** Words joined by single spaces: case, punctuation and whitespace no longer matter. */
export function normalizeText(text: string): string {
  return words(text).join(" ");
}

/** 1-based line of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The user's side of a case: its input, or its user messages one per line. */
export function caseText(c: Pick<Case, "input" | "messages">): string {
  if (c.input !== undefined) return c.input;
  return (c.messages ?? [])
    .filter((m) => m.role === "user" && typeof m.content === "string")
    .map((m) => m.content as string)
    .join("\n");
}

/** Every string inside a JSON value (an `expected` of any shape), joined by newlines. */
export function stringLeaves(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(value);
  return out.join("\n");
}

/** Word n-grams as strings; empty when the text has fewer than n words. */
export function wordNgrams(ws: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= ws.length; i++) out.push(ws.slice(i, i + n).join(" "));
  return out;
}

/** The shingles near-duplicates are compared on; a text shorter than `k` words is one shingle. */
export function shingles(ws: readonly string[], k: number): Set<string> {
  if (ws.length === 0) return new Set();
  if (ws.length < k) return new Set([ws.join(" ")]);
  return new Set(wordNgrams(ws, k));
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let common = 0;
  for (const x of small) if (large.has(x)) common++;
  return common / (a.size + b.size - common);
}

export const NEAR_DUPLICATE_THRESHOLD = 0.9;
export const SHINGLE_WORDS = 3;

export interface NearDuplicateOptions {
  /** Jaccard similarity at or above which two texts are the same case. Default 0.9. */
  threshold?: number;
  /** Words per shingle. Default 3. */
  shingle?: number;
}

/**
 * Finds, for a text, the texts added before it with a shingle Jaccard of at least the threshold.
 * All texts are given up front so every shingle gets a global rank (rarest first); each text is
 * then a sorted list of ranks. Two texts that reach the threshold must share a rank among the first
 * `size - ceil(t * size) + 1` ranks of each (the prefix filter), so only those are indexed.
 */
export class NearDuplicates {
  private readonly docs: Int32Array[];
  private readonly index = new Map<number, number[]>();
  private readonly threshold: number;

  constructor(texts: readonly string[], options: NearDuplicateOptions = {}) {
    this.threshold = options.threshold ?? NEAR_DUPLICATE_THRESHOLD;
    const k = options.shingle ?? SHINGLE_WORDS;
    if (!(this.threshold > 0 && this.threshold <= 1)) {
      throw new RangeError(`NearDuplicates: threshold must be in (0, 1], got ${this.threshold}`);
    }
    const sets = texts.map((t) => shingles(words(t), k));
    const df = new Map<string, number>();
    for (const s of sets) for (const x of s) df.set(x, (df.get(x) ?? 0) + 1);
    const order = [...df.keys()].sort(
      (a, b) => (df.get(a) as number) - (df.get(b) as number) || (a < b ? -1 : a > b ? 1 : 0),
    );
    const rank = new Map(order.map((x, i) => [x, i]));
    this.docs = sets.map((s) => Int32Array.from([...s].map((x) => rank.get(x) as number)).sort());
  }

  private prefix(size: number): number {
    // The small epsilon keeps 0.9 * 10 from rounding up to 10 on a float that lands just above 9.
    return size - Math.ceil(this.threshold * size - 1e-9) + 1;
  }

  /** Makes text `i` findable by later queries. */
  add(i: number): void {
    const doc = this.docs[i] as Int32Array;
    const p = Math.min(doc.length, this.prefix(doc.length));
    for (let j = 0; j < p; j++) {
      const r = doc[j] as number;
      const list = this.index.get(r);
      if (list) list.push(i);
      else this.index.set(r, [i]);
    }
  }

  /** The added texts similar to text `i`, in the order they were added, with their similarity. */
  matches(i: number): { index: number; similarity: number }[] {
    const doc = this.docs[i] as Int32Array;
    if (doc.length === 0) return [];
    const p = Math.min(doc.length, this.prefix(doc.length));
    const seen = new Set<number>();
    const out: { index: number; similarity: number }[] = [];
    for (let j = 0; j < p; j++) {
      for (const other of this.index.get(doc[j] as number) ?? []) {
        if (other === i || seen.has(other)) continue;
        seen.add(other);
        const o = this.docs[other] as Int32Array;
        // A set can only reach t with one between t and 1/t times its size.
        if (o.length < this.threshold * doc.length - 1e-9 || o.length * this.threshold > doc.length + 1e-9)
          continue;
        const similarity = sortedJaccard(doc, o);
        if (similarity >= this.threshold - 1e-12) out.push({ index: other, similarity });
      }
    }
    return out.sort((a, b) => a.index - b.index);
  }
}

function sortedJaccard(a: Int32Array, b: Int32Array): number {
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      common++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return common / (a.length + b.length - common);
}
