import * as crypto from "node:crypto";

// `crypto.hash` (Node 20.12, 21.7) digests a string in one call; `createHash` builds a stream
// object per digest, which a run pays several times a request (cache keys, cache lines).
const oneShot: typeof crypto.hash | undefined = crypto.hash;

/** The SHA-256 of a string's UTF-8 bytes, as 64 hex digits. */
export function sha256Hex(text: string): string {
  return oneShot ? oneShot("sha256", text, "hex") : crypto.createHash("sha256").update(text).digest("hex");
}
