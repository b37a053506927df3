// The response cache's lines on disk: how one is made and checked, and how a segment file is read
// a piece at a time (a saved cache may hold hundreds of megabytes).
import { readSync } from "node:fs";
import { open } from "node:fs/promises";
import { sha256Hex } from "../../core/text/digest.js";
import type { ModelResponse } from "../../core/types.js";

/** A line: the digest of its JSON, a space, then `{"k": key, "r": response}`. */
const DIGEST_CHARS = 64;
const KEY = /^[\w:.-]{1,200}$/;
const CHUNK = 1024 * 1024;

/**
 * One cache line: a digest of the rest, then the request's key and the response, newline-terminated.
 * The digest binds the answer to its key, so a torn, edited or spliced line is dropped; it is no
 * secret, so it is no defence against someone who can write the folder: that is why the folder
 * lives outside the checkout and files a PR could have placed are never read (see `distrust`).
 */
export function lineOf(key: string, response: ModelResponse): string {
  const json = JSON.stringify({ k: key, r: response });
  return `${digest(json)} ${json}\n`;
}

function digest(json: string): string {
  return sha256Hex(json);
}

/** The line's key and response, or undefined when it does not verify (with or without its newline). */
export function verified(line: string): { k: string; r: ModelResponse } | undefined {
  const text = line.endsWith("\n") ? line.slice(0, -1) : line;
  if (text.charCodeAt(DIGEST_CHARS) !== 32) return undefined;
  const json = text.slice(DIGEST_CHARS + 1);
  if (digest(json) !== text.slice(0, DIGEST_CHARS)) return undefined;
  try {
    const row = JSON.parse(json) as { k?: unknown; r?: { content?: unknown } };
    if (typeof row.k !== "string" || !KEY.test(row.k) || typeof row.r?.content !== "string") return undefined;
    return row as { k: string; r: ModelResponse };
  } catch {
    return undefined;
  }
}

/** The bytes every line has between its digest and its key: a space, then `{"k":"`. */
const KEY_PREFIX = Buffer.from(' {"k":"');
const QUOTE = 34;

/**
 * The key a line claims, read from its bytes without decoding or checking the rest: the index of
 * a cache is built from claims, and a claim is checked against the line's digest only when its
 * answer is asked for (`verified`), so a run checks the answers it uses and no others. Undefined
 * when the line is not shaped like a cache line at all.
 */
export function claimedKey(data: Buffer, start: number, end: number): string | undefined {
  const from = start + DIGEST_CHARS + KEY_PREFIX.length;
  if (end - from < 2) return undefined;
  if (data.compare(KEY_PREFIX, 0, KEY_PREFIX.length, start + DIGEST_CHARS, from) !== 0) return undefined;
  const close = data.indexOf(QUOTE, from);
  if (close === -1 || close >= end) return undefined;
  const key = data.toString("latin1", from, close);
  return KEY.test(key) ? key : undefined;
}

/**
 * Calls `each` with every non-empty line of the file: the buffer that holds it, where the line
 * starts and ends in it (without its newline), its byte offset in the file and its length in bytes
 * with the newline; a last line without one is passed as it is. Reads the file a megabyte at a
 * time; the buffer is only valid during the call. A file that cannot be read has no lines.
 */
export async function scanLines(
  file: string,
  each: (data: Buffer, start: number, end: number, offset: number, bytes: number) => void,
): Promise<void> {
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return;
  try {
    let carry = Buffer.alloc(0);
    let base = 0;
    // One buffer for every read: a chunk's lines are handled, and its tail copied, before the next.
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle
        .read(chunk, 0, CHUNK, base + carry.length)
        .catch(() => ({ bytesRead: 0 }));
      const data =
        carry.length > 0
          ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
          : chunk.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
        if (nl > start) each(data, start, nl, base + start, nl + 1 - start);
        start = nl + 1;
      }
      base += start;
      carry = Buffer.from(data.subarray(start));
      if (bytesRead === 0) break;
    }
    if (carry.length > 0) each(carry, 0, carry.length, base, carry.length);
  } finally {
    await handle.close().catch(() => {});
  }
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/** The bytes of one line, read back from an open file. */
export function readAt(fd: number, offset: number, bytes: number): string {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, 2 * scratch.length));
  const buffer = scratch;
  let done = 0;
  while (done < bytes) {
    const n = readSync(fd, buffer, done, bytes - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.toString("utf8", 0, done);
}
