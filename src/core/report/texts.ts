// The report file's text in pieces: byte for byte `JSON.stringify(report, null, 2)` and a newline,
// without ever holding it whole. A run of 100,000 cases writes a file of ~40 MB; as one string
// (and the buffer it is written from) that was the largest allocation of the run.

/** Text is handed on in pieces of about this many characters: few writes, little held. */
const PIECE = 64 * 1024;

/**
 * How one element of a top-level array is written, when not as it is: `undefined` leaves it as it
 * is. Must give exactly `elementText` of the element as it is to be written.
 */
export type ElementText = (key: string, item: unknown) => string | undefined;

/**
 * An element of a top-level array as the file has it: `JSON.stringify(item, null, 2)` with every
 * line after the first indented by four spaces. Serialized two arrays deep, where JSON.stringify
 * indents it so itself, instead of re-indenting its text line by line.
 */
export function elementText(item: unknown): string {
  // "[\n  [\n    " before it and "\n  ]\n]" after it.
  return JSON.stringify([[item]], null, 2).slice(10, -6);
}

/**
 * The report's text, piece by piece: top-level arrays element by element, everything else by
 * JSON.stringify itself, indented as JSON.stringify indents it at that depth.
 */
export function* reportText(report: object, element?: ElementText): Generator<string> {
  let buffer = "";
  let fields = 0;
  for (const key of Object.keys(report)) {
    const value = (report as Record<string, unknown>)[key];
    const name = JSON.stringify(key);
    if (
      Array.isArray(value) &&
      value.length > 0 &&
      typeof (value as { toJSON?: unknown }).toJSON !== "function"
    ) {
      buffer += `${fields === 0 ? "{" : ","}\n  ${name}: [`;
      fields++;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        buffer += `${i === 0 ? "" : ","}\n    ${element?.(key, item) ?? elementText(item)}`;
        if (buffer.length >= PIECE) {
          yield buffer;
          buffer = "";
        }
      }
      buffer += "\n  ]";
      continue;
    }
    // Through JSON.stringify of the one field, so undefined values, functions and toJSON behave
    // exactly as they do in the whole; "{\n" and "\n}" around it are cut off.
    const field = JSON.stringify({ [key]: value }, null, 2);
    if (field === "{}") continue;
    buffer += `${fields === 0 ? "{" : ","}\n${field.slice(2, -2)}`;
    fields++;
    if (buffer.length >= PIECE) {
      yield buffer;
      buffer = "";
    }
  }
  yield `${buffer}${fields === 0 ? "{}" : "\n}"}\n`;
}
