import * as core from "@actions/core";
import type { DiskCache } from "../adapters/cache/disk-cache.js";
import { State } from "./state.js";

/** The saved cache's ceiling; GitHub keeps 10 GB per repository across all caches. */
export const MAX_CACHE_BYTES = 512 * 1024 * 1024;

/**
 * Cache entries are immutable, so each run saves under its own key and restores the newest entry
 * by prefix: a PR restores what its base branch's last run saved. The prefix carries the gate's
 * `comment-id`, so two gates in one repository keep their caches apart.
 * Once restored, the folder and scope are handed to the post step, which saves them if this run
 * is cancelled before it saves them itself.
 */
export async function restoreResponses(
  dir: string,
  scope: string,
  env: Record<string, string | undefined>,
): Promise<void> {
  const cache = await cacheClient(env);
  if (!cache) {
    core.debug("@actions/cache is not available here; the response cache stays on disk only.");
  } else {
    try {
      const hit = await cache.restoreCache([dir], runKey(scope, env), [prefix(scope)]);
      core.info(hit ? `Restored the response cache from ${hit}.` : "No saved response cache yet.");
    } catch (e) {
      core.warning(`Could not restore the response cache: ${(e as Error).message}`);
    }
  }
  core.saveState(State.cacheDir, dir);
  core.saveState(State.cacheScope, scope);
  core.saveState(State.cacheSince, String(Date.now()));
}

/** Prunes what this run did not use, then saves, unless the run changed nothing. */
export async function saveResponses(
  disk: DiskCache,
  scope: string,
  env: Record<string, string | undefined>,
): Promise<void> {
  try {
    const cache = await cacheClient(env);
    if (!cache) return;
    const pruned = await disk.prune(MAX_CACHE_BYTES);
    if (disk.writes === 0 && pruned.removed === 0) return;
    core.info(
      `Saving the response cache: ${pruned.entries} entries, ${Math.round(pruned.bytes / 1024)} KiB (${pruned.removed} pruned).`,
    );
    await cache.saveCache([disk.dir], runKey(scope, env));
  } catch (e) {
    core.warning(`Could not save the response cache: ${(e as Error).message}`);
  } finally {
    // Saved, nothing to save, no service, or a save that failed (it would fail again): the post
    // step has nothing to do. Only a main step that never got here leaves the save to it.
    core.saveState(State.cacheSaved, "true");
  }
}

/** `:` ends the scope: a comment-id cannot contain it, so one scope is never a prefix of another. */
function prefix(scope: string): string {
  // v2: cache lines carry a digest; v1 entries would all be dropped, so they are not restored.
  return `eval-gate-v2:${scope}:`;
}

export function runKey(scope: string, env: Record<string, string | undefined>): string {
  return `${prefix(scope)}${env.GITHUB_RUN_ID ?? Date.now()}-${env.GITHUB_RUN_ATTEMPT ?? "1"}`;
}

/** The @actions/cache client, loaded only on a runner that offers the cache service. */
export async function cacheClient(env: Record<string, string | undefined>) {
  if (!env.ACTIONS_CACHE_URL && !env.ACTIONS_RESULTS_URL) return null;
  const cache = await import("@actions/cache");
  return cache.isFeatureAvailable() ? cache : null;
}
