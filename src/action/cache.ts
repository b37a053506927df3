import * as core from "@actions/core";

const PREFIX = "eval-gate-v1-";

/**
 * Cache entries are immutable, so each run saves under its own key and restores the newest entry
 * by prefix: a PR restores what its base branch's last run saved.
 */
export async function restoreResponses(dir: string, env: Record<string, string | undefined>): Promise<void> {
  const cache = await cacheClient(env);
  if (!cache) {
    core.debug("@actions/cache is not available here; the response cache stays on disk only.");
    return;
  }
  try {
    const hit = await cache.restoreCache([dir], runKey(env), [PREFIX]);
    core.info(hit ? `Restored the response cache from ${hit}.` : "No saved response cache yet.");
  } catch (e) {
    core.warning(`Could not restore the response cache: ${(e as Error).message}`);
  }
}

export async function saveResponses(dir: string, env: Record<string, string | undefined>): Promise<void> {
  const cache = await cacheClient(env);
  if (!cache) return;
  try {
    await cache.saveCache([dir], runKey(env));
  } catch (e) {
    core.warning(`Could not save the response cache: ${(e as Error).message}`);
  }
}

function runKey(env: Record<string, string | undefined>): string {
  return `${PREFIX}${env.GITHUB_RUN_ID ?? Date.now()}-${env.GITHUB_RUN_ATTEMPT ?? "1"}`;
}

/** The @actions/cache client, loaded only on a runner that offers the cache service. */
async function cacheClient(env: Record<string, string | undefined>) {
  if (!env.ACTIONS_CACHE_URL && !env.ACTIONS_RESULTS_URL) return null;
  const cache = await import("@actions/cache");
  return cache.isFeatureAvailable() ? cache : null;
}
