import { randomBytes } from "node:crypto";
import { closeSync, createWriteStream, mkdirSync, openSync, writeSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ResponseCache } from "../../core/ports.js";
import type { ModelResponse } from "../../core/types.js";
import { claimedKey, lineOf, readAt, scanLines, verified } from "./cache-lines.js";
import { Places } from "./cache-places.js";

const SEGMENT = /^responses-[\w.-]+\.jsonl$/;
/** This run's lines are written in pieces of about this many bytes. */
const PIECE = 256 * 1024;

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
 * run from spending its time in file-system calls. In memory, only where each answer is: its key
 * and its line's place (Places); an answer is read back, and checked, when it is asked for.
 */
export class DiskCache implements ResponseCache {
  hits = 0;
  writes = 0;
  private index?: Promise<Map<string, number>>;
  /** The index once loaded. */
  private known?: Map<string, number>;
  private readonly places = new Places();
  private readonly files: string[] = [];
  private readonly fds = new Map<number, number>();
  /** Earlier lines that claim a key a later line claims too (rare): tried when the later one fails. */
  private readonly older = new Map<string, number[]>();
  /** Answers that could not be written: kept here, so the run still has them. */
  private readonly memory = new Map<string, ModelResponse>();
  /** This run's segment, opened on its first answer; lines not yet written wait in `pending`. */
  private own?: { file: number; fd: number; written: number };
  private pending: { line: string }[] = [];
  private pendingBytes = 0;
  /** Set when this run's answers could not be saved; the run itself goes on. */
  problem?: string;
  /** Segment files that were not read, because `distrust` refused them. */
  readonly refused: string[] = [];
  /**
   * Lines that did not verify against their digest (torn, edited or forged): dropped, never served.
   * A line is checked when its answer is first asked for, so this counts the lines that were read.
   */
  dropped = 0;

  constructor(
    readonly dir: string,
    private readonly options: DiskCacheOptions = {},
  ) {}

  private load() {
    this.index ??= (async () => {
      const index = new Map<string, number>();
      for (const name of await segmentFiles(this.dir)) {
        const path = join(this.dir, name);
        if (this.options.distrust?.(path)) {
          this.refused.push(name);
          continue;
        }
        const file = this.files.push(path) - 1;
        await scanLines(path, (data, start, end, offset, bytes) => {
          const key = claimedKey(data, start, end);
          if (key === undefined) {
            this.dropped++;
            return;
          }
          const earlier = index.get(key);
          if (earlier !== undefined) this.older.set(key, [...(this.older.get(key) ?? []), earlier]);
          index.set(key, this.places.add(file, offset, bytes));
        });
      }
      this.known = index;
      return index;
    })();
    return this.index;
  }

  /**
   * Starts reading the segments' keys now, so the index is ready, or nearly, when the first
   * request looks in it: the read overlaps the config and git work that comes before.
   */
  warm(): void {
    this.load().catch(() => {});
  }

  async get(key: string): Promise<ModelResponse | undefined> {
    let id = (await this.load()).get(key);
    let response: ModelResponse | undefined;
    // The last line that claims the key first; should it not verify, the ones before it.
    while (id !== undefined && response === undefined) {
      response = this.read(id, key);
      if (response === undefined) id = this.forget(key, id);
    }
    response ??= this.memory.get(key);
    if (!response) return undefined;
    if (id !== undefined) this.places.use(id);
    this.hits++;
    return response;
  }

  async set(key: string, response: ModelResponse): Promise<void> {
    const index = await this.load();
    this.writes++;
    const own = this.problem === undefined ? this.segment() : undefined;
    if (!own) {
      this.memory.set(key, response);
      index.delete(key);
      return;
    }
    const line = lineOf(key, response);
    const bytes = Buffer.byteLength(line);
    const id = this.places.add(own.file, own.written + this.pendingBytes, bytes);
    this.places.use(id);
    index.set(key, id);
    this.older.delete(key);
    this.memory.delete(key);
    this.pending.push({ line });
    this.pendingBytes += bytes;
    if (this.pendingBytes >= PIECE) this.flush();
  }

  /**
   * The answer on line `id`, checked against its digest here, when it is first asked for (the index
   * holds what lines claim); undefined, counted and forgotten when it does not verify.
   */
  private read(id: number, key: string): ModelResponse | undefined {
    // A line of this run's segment not written yet is written first.
    if (this.own?.file === this.places.fileOf(id) && this.places.offsetOf(id) >= this.own.written)
      this.flush();
    const line = this.lineAt(id);
    if (line === undefined) return undefined;
    const row = verified(line);
    if (row?.k === key) return row.r;
    this.dropped++;
    return undefined;
  }

  /** Drops line `id` as the key's answer; returns the line before it that claims the key, if any. */
  private forget(key: string, id: number): number | undefined {
    if (this.known?.get(key) !== id) return undefined;
    const earlier = this.older.get(key)?.pop();
    if (earlier === undefined) {
      this.known.delete(key);
      this.older.delete(key);
      return undefined;
    }
    this.known.set(key, earlier);
    return earlier;
  }

  private fd(file: number): number {
    if (this.own?.file === file) return this.own.fd;
    let fd = this.fds.get(file);
    if (fd === undefined) {
      fd = openSync(this.files[file] as string, "r");
      this.fds.set(file, fd);
    }
    return fd;
  }

  // Opened once, on the first answer: a run writes one segment. A cache that cannot be written
  // costs the next run its hits, never this run its answers.
  private segment(): { file: number; fd: number; written: number } | undefined {
    if (this.own) return this.own;
    try {
      mkdirSync(this.dir, { recursive: true });
      const path = join(this.dir, `responses-${Date.now()}-${randomBytes(4).toString("hex")}.jsonl`);
      const fd = openSync(path, "a+");
      this.own = { file: this.files.push(path) - 1, fd, written: 0 };
      return this.own;
    } catch (e) {
      this.fail(e as Error);
      return undefined;
    }
  }

  /** Writes the lines that wait; when that fails, their answers stay in memory. */
  private flush(): void {
    const own = this.own;
    if (!own || this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const piece = Buffer.from(lines.map((p) => p.line).join(""));
    try {
      let done = 0;
      while (done < piece.length) done += writeSync(own.fd, piece, done, piece.length - done);
      own.written += piece.length;
    } catch (e) {
      this.fail(e as Error);
      for (const { line } of lines) {
        const row = verified(line);
        if (row) this.memory.set(row.k, row.r);
      }
      // Nothing more goes to this segment; what it holds of this piece is never read.
      for (const { line } of lines) {
        const row = verified(line);
        if (row) this.known?.delete(row.k);
      }
    }
  }

  private fail(e: Error): void {
    this.problem ??= `the response cache in ${this.dir} could not be written (${e.message})`;
  }

  /** Writes this run's segment out; call once the run is over. */
  async close(): Promise<void> {
    this.flush();
    if (this.own) {
      closeSync(this.own.fd);
      this.fds.delete(this.own.file);
      // Read back from here on like any other segment.
      this.own = undefined;
    }
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  /**
   * Rewrites the cache as one segment holding only what this run used, so the saved cache holds
   * what the next run needs and no more; above `maxBytes`, the largest entries are left out.
   */
  async prune(maxBytes: number): Promise<{ removed: number; entries: number; bytes: number }> {
    const index = await this.load();
    await this.close();
    const used = [...index.values()].filter((id) => this.places.isUsed(id));
    const memory = [...this.memory].map(([k, r]) => lineOf(k, r));
    // The smallest first, as many as fit: sizes are known without reading a line.
    const sizes = [...used.map((id) => this.places.sizeOf(id)), ...memory.map((l) => Buffer.byteLength(l))];
    const order = sizes.map((_, i) => i).sort((a, b) => (sizes[a] as number) - (sizes[b] as number));
    let bytes = 0;
    let kept = 0;
    for (const i of order) {
      if (bytes + (sizes[i] as number) > maxBytes) break;
      bytes += sizes[i] as number;
      kept++;
    }
    const files = await segmentFiles(this.dir);
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `.compact-${randomBytes(4).toString("hex")}.tmp`);
    await new Promise<void>((resolve, reject) => {
      const w = createWriteStream(tmp);
      w.on("error", reject);
      for (const i of order.slice(0, kept)) {
        const id = used[i];
        w.write(id === undefined ? memory[i - used.length] : (this.lineAt(id) ?? ""));
      }
      w.end(() => resolve());
    });
    await this.close();
    for (const f of files) await rm(join(this.dir, f), { force: true });
    await rename(tmp, join(this.dir, "responses-compacted.jsonl"));
    return { removed: index.size + this.memory.size - kept, entries: kept, bytes };
  }

  /** Line `id` as it is on disk; undefined when its segment is gone or unreadable since. */
  private lineAt(id: number): string | undefined {
    try {
      return readAt(this.fd(this.places.fileOf(id)), this.places.offsetOf(id), this.places.sizeOf(id));
    } catch {
      // The answer is asked for again; it is not counted as a line that did not verify.
      return undefined;
    }
  }
}
