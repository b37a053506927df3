// Exact byte counts of the report file (`JSON.stringify(report, null, 2)` and a newline), taken
// piece by piece so the writer can tell what to cut without building a text that may not fit.

/**
 * UTF-8 bytes of a JSON text, as the file will hold them. JSON.stringify escapes lone surrogates,
 * so the text is well-formed and Node's count (which would count one as the 3-byte U+FFFD the
 * writer puts in its place) is exact.
 */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function newlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * What one element of a top-level array (`slices`, `cases`) adds to the file: its own pretty text,
 * re-indented by two levels (4 spaces a line), and the `,\n` or `\n` after it.
 */
export function elementBytes(item: unknown): number {
  const text = JSON.stringify(item, null, 2);
  return utf8Bytes(text) + 4 * (newlines(text) + 1) + 2;
}

/** What a non-empty top-level array adds beyond its elements: `[]` becomes `[\n … \n  ]`. */
export const ARRAY_FRAME_BYTES = 2;

/** The file's bytes with these arrays empty: everything but the elements. */
export function skeletonBytes(report: object, emptied: string[]): number {
  const skeleton: Record<string, unknown> = { ...report };
  for (const key of emptied) skeleton[key] = [];
  return utf8Bytes(`${JSON.stringify(skeleton, null, 2)}\n`);
}
