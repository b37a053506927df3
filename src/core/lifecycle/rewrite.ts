// `eval-gate perturb --rewrite`: a model rewrites each case's user message in a style (angry,
// polite, terse...), keeping every fact; a rewrite that lost a number or changed nothing is
// rejected, and the command says how many were and why.

import type { SetCase } from "../config/sets.js";
import type { ChatMessage } from "../types.js";
import { isVariant, variantCase } from "./perturb.js";

const STYLE_HINTS: Record<string, string> = {
  angry:
    "as the same customer would write it when angry and fed up: blunt, irritated, perhaps with capitals or exclamation marks",
  polite: "as a very polite, formal customer would write it: a greeting, please and thank you",
  terse: "as tersely as possible: a few words, no greeting, no full sentences",
  rambling: "as a customer who rambles would write it: extra context and asides around the same request",
  "non-native": "as a customer with limited English would write it: simple words and imperfect grammar",
};

/** The instruction for one rewrite style; a style not listed is used as a tone word. */
export function rewriteInstruction(style: string): string {
  const how = STYLE_HINTS[style] ?? `in a ${style} tone`;
  return [
    `Rewrite the user's message ${how}.`,
    "Keep the request and every fact, number, name, date, order number, code and identifier exactly as they are.",
    "Do not answer the message, and do not add or drop any request.",
    "Reply with the rewritten message only, without quotes or comments.",
  ].join(" ");
}

/** Asks the model for one rewrite: the system instruction and the user's message; returns the text. */
export type RewriteFn = (instruction: string, text: string) => Promise<string>;

export interface RewriteResult {
  cases: SetCase[];
  /** Rewrites rejected, with why (`unchanged`, `empty answer`, `dropped 1234`). */
  skipped: { id: string; style: string; reason: string }[];
  /** Rewrites asked for: one per case with a user message and style. */
  asked: number;
}

/** What a model returned, cleaned; null when it is not a usable rewrite of `original`. */
export function cleanRewrite(original: string, answer: string): { text: string } | { reason: string } {
  let text = answer.trim();
  const quoted = /^(["“'])([\s\S]*)(["”'])$/.exec(text);
  if (quoted) text = (quoted[2] as string).trim();
  if (text === "") return { reason: "empty answer" };
  if (text === original.trim()) return { reason: "unchanged" };
  // Numbers are what a rewrite most often breaks, and a changed order number is another request.
  const missing = (original.match(/\d+/g) ?? []).filter((n) => !text.includes(n));
  if (missing.length > 0) return { reason: `dropped ${missing.slice(0, 3).join(", ")}` };
  return { text };
}

/**
 * One rewrite per case and style (at temperature 0 a second one would be the same). A
 * conversation has its last user turn rewritten. At most `concurrency` requests are in flight.
 */
export async function rewriteCases(
  cases: readonly SetCase[],
  styles: readonly string[],
  rewrite: RewriteFn,
  options: { concurrency?: number; model?: string; onDone?: (done: number, total: number) => void } = {},
): Promise<RewriteResult> {
  const jobs: { c: SetCase; style: string; text: string }[] = [];
  for (const c of cases) {
    if (isVariant(c)) continue;
    const text = c.input ?? [...(c.messages ?? [])].reverse().find((m) => m.role === "user")?.content;
    if (typeof text !== "string" || text.trim() === "") continue;
    for (const style of styles) jobs.push({ c, style, text });
  }
  const results: (SetCase | { id: string; style: string; reason: string })[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      const { c, style, text } = jobs[index] as (typeof jobs)[number];
      const cleaned = cleanRewrite(text, await rewrite(rewriteInstruction(style), text));
      if ("reason" in cleaned) results[index] = { id: c.id, style, reason: cleaned.reason };
      else {
        const replaced =
          c.input !== undefined
            ? { input: cleaned.text }
            : { messages: replaceLastUser(c.messages ?? [], cleaned.text) };
        results[index] = variantCase(
          c,
          replaced,
          style,
          1,
          options.model ? { rewrite_model: options.model } : {},
        );
      }
      options.onDone?.(++done, jobs.length);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, jobs.length)) }, worker),
  );
  const out: RewriteResult = { cases: [], skipped: [], asked: jobs.length };
  for (const r of results) {
    if ("reason" in r) out.skipped.push(r);
    else out.cases.push(r);
  }
  return out;
}

function replaceLastUser(messages: ChatMessage[], text: string): ChatMessage[] {
  const out = messages.map((m) => ({ ...m }));
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]?.role === "user") {
      (out[i] as ChatMessage).content = text;
      break;
    }
  }
  return out;
}

/**
 * Why rewrites were rejected, counted: `20 unchanged` or, with examples,
 * `2 unchanged (a~polite, b~terse), 1 lost a number (c~terse: dropped 1234)`.
 */
export function rejectionCounts(skipped: RewriteResult["skipped"], examples = 3): string {
  const kinds = new Map<string, { id: string; style: string; reason: string }[]>();
  for (const s of skipped) {
    const kind = s.reason.startsWith("dropped ") ? "lost a number" : s.reason;
    kinds.set(kind, [...(kinds.get(kind) ?? []), s]);
  }
  return [...kinds.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([kind, list]) => {
      if (examples === 0) return `${list.length} ${kind}`;
      const shown = list
        .slice(0, examples)
        .map((s) => `${s.id}~${s.style}${kind === "lost a number" ? `: ${s.reason}` : ""}`);
      return `${list.length} ${kind} (${shown.join(", ")}${list.length > examples ? ", …" : ""})`;
    })
    .join(", ");
}
