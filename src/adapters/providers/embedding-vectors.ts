import { RetryableError } from "../../core/run/retry.js";
import type { ModelResponse } from "../../core/types.js";

/** A cached vector (stored as a response's JSON content); undefined when the entry is not one. */
export function readVector(response: ModelResponse): number[] | undefined {
  try {
    const value: unknown = JSON.parse(response.content);
    return Array.isArray(value) && value.every((x) => typeof x === "number") ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The vectors of an embeddings answer, in input order; floats, or base64 float32 from servers that ignore `encoding_format`. */
export function parseEmbeddings(body: unknown, count: number): number[][] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== count) {
    throw new RetryableError(
      `malformed embeddings response (${Array.isArray(data) ? `${data.length} vectors for ${count} texts` : "no data"})`,
    );
  }
  const out: (number[] | undefined)[] = Array.from({ length: count }, () => undefined);
  data.forEach((item: unknown, position) => {
    const { index, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
    const at = typeof index === "number" && index >= 0 && index < count ? index : position;
    let vector: number[] | undefined;
    if (typeof embedding === "string") {
      const bytes = Buffer.from(embedding, "base64");
      vector = Array.from({ length: Math.floor(bytes.length / 4) }, (_, i) => bytes.readFloatLE(i * 4));
    } else if (Array.isArray(embedding) && embedding.every((x) => typeof x === "number")) {
      vector = embedding;
    }
    if (!vector || vector.length === 0) throw new RetryableError("malformed embeddings response (no vector)");
    out[at] = vector;
  });
  if (out.some((v) => v === undefined)) throw new RetryableError("malformed embeddings response (indexes)");
  return out as number[][];
}
