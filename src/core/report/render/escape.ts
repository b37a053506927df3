import { integer } from "./format.js";

// Model output, case text and slice names come from whoever can open a PR or steer the model, so
// everything they write reaches GitHub inert: no pings, no issue links, no HTML, no broken tables,
// no forged or closed comment marker. GitHub applies its mention and reference filters to the text
// of the rendered HTML, so entities and backslash escapes alone do not stop them: a zero-width
// space after the trigger character does.

const ZWSP = "\u200b";

// C0/C1 controls (ESC included, so nothing reaches a terminal as a control sequence) and the
// bidirectional overrides that make text display in an order other than the one it is read in.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const UNSAFE_INLINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// Same, but line breaks and tabs survive for code blocks.
const UNSAFE_BLOCK =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Longest backtick run kept inside a code block; longer runs would need an ever longer fence. */
const MAX_BACKTICK_RUN = 8;

/** Index of the code unit after the first `max` code points, so surrogate pairs are never split. */
function codePointPrefix(s: string, max: number): number {
  let i = 0;
  for (let taken = 0; taken < max && i < s.length; taken++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
  }
  return i;
}

function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      !(c >= 0xdc00 && c <= 0xdfff && i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)
    )
      n++;
  }
  return n;
}

/** Cuts `s` to at most `max` code points; `cut` is how many were dropped. */
export function truncate(s: string, max: number): { text: string; cut: number } {
  // Code points never outnumber code units, so short strings need no counting.
  if (s.length <= max) return { text: s, cut: 0 };
  const end = codePointPrefix(s, Math.max(0, max));
  if (end >= s.length) return { text: s, cut: 0 };
  return { text: s.slice(0, end), cut: codePointCount(s.slice(end)) };
}

/** One line: unsafe controls gone, whitespace runs (line breaks included) as single spaces. */
function flatten(s: string): string {
  return s.replace(/\s+/g, " ").replace(UNSAFE_INLINE, "").replace(/ {2,}/g, " ").trim();
}

function ellipsize(s: string, max: number): string {
  const limit = Math.max(1, max);
  const { text, cut } = truncate(s, limit);
  return cut === 0 ? text : `${truncate(text, limit - 1).text.trimEnd()}…`;
}

/** Breaks everything GitHub would turn into a ping, a cross-reference or a link. */
function neutralise(s: string): string {
  return (
    s
      // @user, @org/team, and email addresses with them
      .replace(/@/g, `@${ZWSP}`)
      // #123, owner/repo#123, and GitHub's other #-triggered references
      .replace(/#/g, `#${ZWSP}`)
      .replace(/\b(GH)-(?=\d)/gi, `$1-${ZWSP}`)
      // scheme:// and www. are what the autolink extension looks for
      .replace(/([a-z][a-z0-9+.-]*):\/\//gi, `$1${ZWSP}://`)
      .replace(/\bwww\./gi, `www${ZWSP}.`)
  );
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Text for a table cell or a one-line Markdown context: one line, at most `max` characters of the
 * original (before escaping), every Markdown and HTML construct shown literally.
 */
export function inlineText(s: string, max = 80): string {
  const text = neutralise(ellipsize(flatten(s), max));
  return (
    escapeHtml(text)
      .replace(/[\\`*_[\]()!#~|$]/g, "\\$&")
      // Line-start constructs, for when a caller puts the text at the start of a line.
      .replace(/^([-+=])/, "\\$1")
      .replace(/^(\d+)([.)])/, "$1\\$2")
  );
}

/**
 * Text inside raw HTML (a `<summary>`), where Markdown is not parsed, so backslash escapes would
 * show up literally: only entities, plus the ping/reference/link breaks. Brackets become entities
 * too, so no `[text](url)` is left in the body for a renderer that does parse Markdown there.
 */
export function htmlText(s: string, max = 80): string {
  return escapeHtml(neutralise(ellipsize(flatten(s), max)))
    .replace(/\[/g, "&lbrack;")
    .replace(/\]/g, "&rbrack;");
}

/** One line for a terminal: no control sequences, no bidi tricks, at most `max` characters. */
export function plainText(s: string, max = 80): string {
  return ellipsize(flatten(s), max);
}

/** So neither the comment's hidden marker nor its end can come from untrusted text. */
export function defuseHtmlComments(s: string): string {
  return s.replace(/<!--/g, `<!${ZWSP}--`).replace(/-->/g, `--${ZWSP}>`);
}

function capBacktickRuns(s: string): string {
  return s.replace(new RegExp(`\`{${MAX_BACKTICK_RUN + 1},}`, "g"), (run) =>
    (run.match(new RegExp(`\`{1,${MAX_BACKTICK_RUN}}`, "g")) ?? []).join(ZWSP),
  );
}

function longestBacktickRun(s: string): number {
  let longest = 0;
  for (const run of s.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

/** A fenced block plus whether its content had to be cut. */
export function fencedBlock(s: string, max = 2000): { text: string; cut: number } {
  // Cut first: outputs can be huge and only the kept part needs the work below.
  const { text: kept, cut } = truncate(s, max);
  const content = defuseHtmlComments(capBacktickRuns(kept.replace(/\r\n?/g, "\n").replace(UNSAFE_BLOCK, "")));
  // Only a run at least as long as the opening fence closes it.
  const fence = "`".repeat(Math.max(3, longestBacktickRun(content) + 1));
  const body = content.endsWith("\n") ? content : `${content}\n`;
  let text = `${fence}text\n${body}${fence}`;
  if (cut > 0) text += `\n<sub>… ${integer(cut)} more characters cut</sub>`;
  return { text, cut };
}

/**
 * A fenced code block: inside it mentions, references, HTML and links are already inert on
 * GitHub; what is left to do is keep the fence closed and the marker unforgeable.
 */
export function codeBlock(s: string, max = 2000): string {
  return fencedBlock(s, max).text;
}
