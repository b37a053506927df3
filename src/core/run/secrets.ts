/**
 * Cuts secrets out of text that came from an endpoint before it is stored, cut to length or shown
 * anywhere. In what an endpoint says about a fault (`parts: true`), a key quoted only in part
 * still leaks that part, so every run of `MIN_PART` or more characters of a secret is removed. In
 * answers (`parts: false`) only whole secrets are: an answer is graded, and a key's 8-character
 * runs can be ordinary text (`sk-secret-1234` holds `-secret-`), so cutting them would change a
 * grade without a word; the model never sees a key, so only an endpoint could quote one, and
 * endpoints are the workflow's allowlist. Secrets shorter than 8 characters (a placeholder such
 * as `ollama`) are removed where they appear whole, shorter than 4 not at all.
 */
export const MIN_PART = 8;
const SHORTEST_WHOLE = 4;
const MASK = "***";

export type Scrubber = (text: string) => string;

export function secretScrubber(
  secrets: Iterable<string | undefined>,
  options: { parts: boolean } = { parts: true },
): Scrubber {
  const grams = new Set<string>();
  const whole = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < SHORTEST_WHOLE) continue;
    if (secret.length < MIN_PART || !options.parts) {
      whole.add(secret);
      continue;
    }
    for (let i = 0; i + MIN_PART <= secret.length; i++) grams.add(secret.slice(i, i + MIN_PART));
  }
  if (grams.size === 0 && whole.size === 0) return (text) => text;
  const parts = [...grams];
  const shorts = [...whole];
  return (text) => {
    // Every place a part of a secret starts, as [start, end) ranges; overlapping ones merge below.
    const ranges: [number, number][] = [];
    const mark = (needle: string) => {
      for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
        ranges.push([at, at + needle.length]);
      }
    };
    for (const part of parts) mark(part);
    for (const short of shorts) mark(short);
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0]);
    let out = "";
    let from = 0;
    let [start, end] = ranges[0] as [number, number];
    for (const [s, e] of ranges) {
      if (s <= end) {
        end = Math.max(end, e);
        continue;
      }
      out += text.slice(from, start) + MASK;
      from = end;
      start = s;
      end = e;
    }
    return out + text.slice(from, start) + MASK + text.slice(end);
  };
}
