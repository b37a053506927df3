// Monospace text for the terminal: how wide a string shows, cutting a line to the width, and
// wrapping text (names included) onto more lines instead of cutting it.

function isZeroWidth(cp: number): boolean {
  return (cp >= 0x300 && cp <= 0x36f) || cp === 0x200b || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f);
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  return isZeroWidth(cp) ? 0 : isWide(cp) ? 2 : 1;
}

/** Columns a string takes in a monospace terminal, near enough for CJK and emoji names. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/** The longest prefix of `s` that takes at most `width` columns. */
function prefix(s: string, width: number): string {
  let out = "";
  let w = 0;
  for (const ch of s) {
    if (w + charWidth(ch) > width) break;
    out += ch;
    w += charWidth(ch);
  }
  return out;
}

/** Cut to `width` columns, ending in `…` when anything was cut. For text, never for names. */
export function clip(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  return `${prefix(s, Math.max(0, width - 1))}…`;
}

export function pad(s: string, width: number, right = false): string {
  const gap = " ".repeat(Math.max(0, width - displayWidth(s)));
  return right ? gap + s : s + gap;
}

/**
 * `text` on lines of at most `width` columns: broken at spaces, and a word longer than a line (a
 * long slice name) broken where the line ends. Lines after the first start with `indent`.
 */
export function wrap(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  // The text's own leading spaces indent its first line.
  let line = /^ */.exec(text)?.[0] ?? "";
  const room = () => width - displayWidth(line);
  const push = () => {
    lines.push(line.trimEnd());
    line = indent;
  };
  for (const word of text.split(" ")) {
    if (word === "") continue;
    const lead = line.trim() === "" ? "" : " ";
    if (displayWidth(lead + word) <= room()) {
      line += lead + word;
      continue;
    }
    // A word that fits a line of its own moves to the next one; a longer one fills lines whole.
    if (line.trim() !== "" && displayWidth(word) <= width - displayWidth(indent)) {
      push();
      line += word;
      continue;
    }
    let rest = word;
    if (line.trim() !== "") line += " ";
    while (rest !== "") {
      let take = prefix(rest, Math.max(1, room()));
      // Where the word goes on, break after a separator of the name's own if one is near the end.
      const soft = take.length < rest.length ? Math.max(...[..."_-./:"].map((c) => take.lastIndexOf(c))) : -1;
      if (soft >= take.length / 2) take = take.slice(0, soft + 1);
      // Not even one character fits what is left of the line: start the next.
      if (take === "" && line.trim() !== "") {
        push();
        continue;
      }
      const piece = take === "" ? ([...rest][0] ?? "") : take;
      line += piece;
      rest = rest.slice(piece.length);
      if (rest !== "") push();
    }
  }
  if (line.trim() !== "" || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}

/** Fields on lines of at most `width` columns, two spaces apart, each line starting with `indent`. */
export function packFields(fields: string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const field of fields) {
    if (line !== "" && displayWidth(`${line}  ${field}`) <= width) {
      line += `  ${field}`;
      continue;
    }
    if (line !== "") lines.push(line);
    // A field wider than a line of its own is wrapped as text.
    const parts = wrap(`${indent}${field}`, width, indent);
    line = parts.pop() ?? "";
    lines.push(...parts);
  }
  if (line !== "") lines.push(line);
  return lines;
}
