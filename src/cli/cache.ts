import { resolve } from "node:path";
import { DiskCache } from "../adapters/cache/disk-cache.js";
import { trackedFilesUnder } from "../adapters/files/git.js";
import type { CommandContext } from "./command.js";

/**
 * The CLI's on-disk response cache. Files git tracks are never read: a branch that commits cache
 * files would otherwise bring its own answers to a local `run --base`.
 */
export async function openLocalCache(root: string, dir: string, cwd: string): Promise<DiskCache> {
  const at = resolve(cwd, dir);
  const tracked = await trackedFilesUnder(root, at);
  const cache = new DiskCache(at, { distrust: (file) => tracked.has(file) });
  cache.warm();
  return cache;
}

/** Flushes the cache and says what it could not save, did not read, or dropped. */
export async function closeLocalCache(cache: DiskCache | undefined, ctx: CommandContext): Promise<void> {
  if (!cache) return;
  await cache.close();
  if (cache.problem) ctx.err(`warning: ${cache.problem}; the next run asks for these answers again\n`);
  if (cache.refused.length > 0) {
    ctx.err(
      `warning: not read: ${cache.refused.length} response cache file(s) that git tracks (${cache.refused.slice(0, 5).join(", ")}); keep the cache folder out of git\n`,
    );
  }
  if (cache.dropped > 0) {
    ctx.err(`warning: ${cache.dropped} response cache line(s) did not verify and were dropped\n`);
  }
}
