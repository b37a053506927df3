// The report file's text in pieces: byte for byte `JSON.stringify(report, null, 2)` and a newline,
// without ever holding it whole. A run of 100,000 cases writes a file of ~40 MB; as one string
// (and the buffer it is written from) that was the largest allocation of the run.

/** Text is handed on in pieces of about this many characters: few writes, little held. */
const PIECE = 64 * 1024;

/**
 * How one element of a top-level array is written, when not by JSON.stringify: `undefined` leaves
 * it to JSON.stringify. Must give exactly `JSON.stringify(item, null, 2)`.
 */
export type ElementText = (key: string, item: unknown) => string | undefined;

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
        const text = element?.(key, item) ?? JSON.stringify(item, null, 2) ?? "null";
        buffer += `${i === 0 ? "" : ","}\n    ${indent(text, "    ")}`;
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

/** JSON text nested one level deeper: a newline in JSON text is always between tokens. */
function indent(text: string, by: string): string {
  return text.includes("\n") ? text.replaceAll("\n", `\n${by}`) : text;
}
