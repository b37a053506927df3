import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ResponseCache } from "../core/ports.js";
import type { ModelResponse } from "../core/types.js";

/**
 * Responses on disk, one JSON file per key under a two-character fan-out folder. Writes go through
 * a temporary file and a rename, so a run killed mid-write never leaves a torn entry behind.
 */
export class DiskCache implements ResponseCache {
  readonly used = new Set<string>();
  hits = 0;
  writes = 0;

  constructor(readonly dir: string) {}

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<ModelResponse | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(key), "utf8");
    } catch {
      return undefined;
    }
    try {
      const value = JSON.parse(text) as { response?: ModelResponse };
      if (!value.response || typeof value.response.content !== "string") return undefined;
      this.used.add(key);
      this.hits++;
      return value.response;
    } catch {
      return undefined; // A damaged entry is a miss: the response is asked for again and rewritten.
    }
  }

  async set(key: string, response: ModelResponse): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, JSON.stringify({ v: 1, response }));
    await rename(tmp, path);
    this.used.add(key);
    this.writes++;
  }

  /**
   * Removes the entries this run did not use, so the saved cache holds what the next run needs
   * and no more; then, above `maxBytes`, the largest entries go first. Returns what is left.
   */
  async prune(maxBytes: number): Promise<{ removed: number; entries: number; bytes: number }> {
    let removed = 0;
    const kept: { path: string; size: number }[] = [];
    const folders = await readdir(this.dir).catch(() => [] as string[]);
    for (const folder of folders) {
      const files = await readdir(join(this.dir, folder)).catch(() => [] as string[]);
      for (const file of files) {
        const path = join(this.dir, folder, file);
        const key = file.endsWith(".json") ? file.slice(0, -5) : "";
        if (!this.used.has(key)) {
          await rm(path, { force: true });
          removed++;
          continue;
        }
        kept.push({ path, size: (await stat(path)).size });
      }
    }
    kept.sort((a, b) => a.size - b.size);
    let bytes = kept.reduce((n, k) => n + k.size, 0);
    while (bytes > maxBytes && kept.length > 0) {
      const largest = kept.pop() as { path: string; size: number };
      await rm(largest.path, { force: true });
      bytes -= largest.size;
      removed++;
    }
    return { removed, entries: kept.length, bytes };
  }
}
