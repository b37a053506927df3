// Size budgets. GitHub refuses a comment over 65,536 characters and a job summary over 1 MiB, and
// a refused body means no report at all, so every renderer measures what it adds as it goes.

/** How a renderer counts the size of its text; must add up over concatenation. */
export type Measure = (s: string) => number;

/** UTF-16 code units, which is what GitHub's comment limit counts. */
export const charLength: Measure = (s) => s.length;

/** UTF-8 bytes, which is what the job summary limit counts; never less than `charLength`. */
export const utf8Length: Measure = (s) => {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
};

/** Blocks joined by blank lines: the layout of every rendered body. */
export function joinBlocks(blocks: readonly (string | null | undefined | false)[]): string {
  return blocks.filter((b): b is string => typeof b === "string" && b.length > 0).join("\n\n");
}

export const BLOCK_SEPARATOR = "\n\n";

/**
 * The longest prefix of `blocks` whose joined size fits `budget`, so that what is dropped is always
 * the tail: callers order blocks most important first.
 */
export function fitPrefix(blocks: readonly string[], budget: number, measure: Measure): number {
  let used = 0;
  const sep = measure(BLOCK_SEPARATOR);
  for (let i = 0; i < blocks.length; i++) {
    used += measure(blocks[i] as string) + (i > 0 ? sep : 0);
    if (used > budget) return i;
  }
  return blocks.length;
}
