import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ResponseCache } from "../core/ports.js";
import type { ModelResponse } from "../core/types.js";

const SEGMENT = /^responses-[\w.-]+\.jsonl$/;
/** A line: the digest of its JSON, a space, then `{"k": key, "r": response}`. */
const DIGEST_CHARS = 64;
const KEY = /^[\w:.-]{1,200}$/;

export interface DiskCacheOptions {
  /**
   * Segment files found in the folder that must not be read: files git tracks, or every file of a
   * folder inside the checkout on a pull request (a PR could have committed its own answers).
   */
  distrust?: (file: string) => boolean;
}

/** Lists the segment files now in `dir` (none when it does not exist). */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => SEGMENT.test(f)).sort();
}

/**
 * Responses on disk as append-only JSONL segments: each run appends what it asked for to a
 * segment of its own, and a run reads every segment once at its start. A line is written whole or
 * not at all as far as readers care (a torn last line is skipped), so a run killed mid-write
 * leaves nothing half-read; and one file per run instead of one per response keeps a 1,000-case
 * run from spending its time in file-system calls.
 */
export class DiskCache implements ResponseCache {
  readonly used = new Set<string>();
  hits = 0;
  writes = 0;
  // Responses only: a run of 10,000 cases would otherwise hold each answer twice, parsed and as text.
  private entries?: Promise<Map<string, ModelResponse>>;
  private out?: WriteStream;
  private opening?: Promise<WriteStream | undefined>;
  /** Set when this run's answers could not be saved; the run itself goes on. */
  problem?: string;
  /** Segment files that were not read, because `distrust` refused them. */
  readonly refused: string[] = [];
  /** Lines that did not verify against their digest (torn, edited or forged): dropped, never served. */
  dropped = 0;

  constructor(
    readonly dir: string,
    private readonly options: DiskCacheOptions = {},
  ) {}

  private load() {
    this.entries ??= (async () => {
      const map = new Map<string, ModelResponse>();
      for (const file of await segmentFiles(this.dir)) {
        if (this.options.distrust?.(join(this.dir, file))) {
          this.refused.push(file);
          continue;
        }
        const text = await readFile(join(this.dir, file), "utf8").catch(() => "");
        for (const line of text.split("\n")) {
          if (line === "") continue;
          const row = verified(line);
          if (row) map.set(row.k, row.r);
          else this.dropped++;
        }
      }
      return map;
    })();
    return this.entries;
  }

  async get(key: string): Promise<ModelResponse | undefined> {
    const response = (await this.load()).get(key);
    if (!response) return undefined;
    this.used.add(key);
    this.hits++;
    return response;
  }

  async set(key: string, response: ModelResponse): Promise<void> {
    const entries = await this.load();
    entries.set(key, response);
    this.used.add(key);
    this.writes++;
    if (this.problem) return;
    (this.out ?? (await this.segment()))?.write(lineOf(key, response));
  }

  // Opened once, however many answers arrive before the folder exists: a run writes one segment.
  // A cache that cannot be written costs the next run its hits, never this run its answers.
  private segment(): Promise<WriteStream | undefined> {
    this.opening ??= mkdir(this.dir, { recursive: true }).then(
      () => {
        const out = createWriteStream(
          join(this.dir, `responses-${Date.now()}-${randomBytes(4).toString("hex")}.jsonl`),
          { flags: "a" },
        );
        out.on("error", (e) => this.fail(e));
        this.out = out;
        return out;
      },
      (e) => {
        this.fail(e);
        return undefined;
      },
    );
    return this.opening;
  }

  private fail(e: Error): void {
    this.problem ??= `the response cache in ${this.dir} could not be written (${e.message})`;
  }

  /** Flushes this run's segment; call once the run is over. */
  async close(): Promise<void> {
    const out = this.out ?? (await this.opening);
    this.out = undefined;
    this.opening = undefined;
    if (out && !out.destroyed) await new Promise<void>((resolve) => out.end(() => resolve()));
  }

  /**
   * Rewrites the cache as one segment holding only what this run used, so the saved cache holds
   * what the next run needs and no more; above `maxBytes`, the largest entries are left out.
   */
  async prune(maxBytes: number): Promise<{ removed: number; entries: number; bytes: number }> {
    await this.close();
    const entries = await this.load();
    const keep = [...this.used].flatMap((k) => {
      const response = entries.get(k);
      return response ? [lineOf(k, response)] : [];
    });
    keep.sort((a, b) => a.length - b.length);
    let bytes = 0;
    let kept = 0;
    for (const line of keep) {
      if (bytes + line.length > maxBytes) break;
      bytes += line.length;
      kept++;
    }
    const files = await segmentFiles(this.dir);
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.compact-${randomBytes(4).toString("hex")}.tmp`);
    await new Promise<void>((resolve, reject) => {
      const w = createWriteStream(tmp);
      w.on("error", reject);
      for (const line of keep.slice(0, kept)) w.write(line);
      w.end(() => resolve());
    });
    for (const f of files) await rm(join(this.dir, f), { force: true });
    await rename(tmp, join(this.dir, "responses-compacted.jsonl"));
    return { removed: entries.size - kept, entries: kept, bytes };
  }
}

/**
 * One cache line: a digest of the rest, then the request's key and the response, newline-terminated.
 * The digest binds the answer to its key, so a torn, edited or spliced line is dropped; it is no
 * secret, so it is no defence against someone who can write the folder: that is why the folder
 * lives outside the checkout and files a PR could have placed are never read (see `distrust`).
 */
function lineOf(key: string, response: ModelResponse): string {
  const json = JSON.stringify({ k: key, r: response });
  return `${digest(json)} ${json}\n`;
}

function digest(json: string): string {
  return createHash("sha256").update(json).digest("hex");
}

function verified(line: string): { k: string; r: ModelResponse } | undefined {
  if (line.charCodeAt(DIGEST_CHARS) !== 32) return undefined;
  const json = line.slice(DIGEST_CHARS + 1);
  if (digest(json) !== line.slice(0, DIGEST_CHARS)) return undefined;
  try {
    const row = JSON.parse(json) as { k?: unknown; r?: { content?: unknown } };
    if (typeof row.k !== "string" || !KEY.test(row.k) || typeof row.r?.content !== "string") return undefined;
    return row as { k: string; r: ModelResponse };
  } catch {
    return undefined;
  }
}
