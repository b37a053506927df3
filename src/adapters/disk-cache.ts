import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
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
}
