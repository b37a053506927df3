import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as core from "@actions/core";
import { DiskCache } from "../adapters/cache/disk-cache.js";
import { isInside, trackedFilesUnder } from "../adapters/files/git.js";
import type { EventInfo } from "./event.js";
import type { ActionInputs } from "./inputs.js";

/**
 * The response cache, filled only from the Actions cache and this run's own answers. It lives
 * under RUNNER_TEMP unless the workflow names a folder; a folder inside the checkout is one a PR
 * can commit answers into, so on a pull request none of its files is read, and elsewhere none
 * that git tracks.
 */
export async function openCache(
  inputs: ActionInputs,
  event: EventInfo,
  workspace: string,
  scope: string,
  env: Record<string, string | undefined>,
): Promise<DiskCache> {
  const dir = inputs.cacheDir
    ? resolve(workspace, inputs.cacheDir)
    : join(env.RUNNER_TEMP ? resolve(env.RUNNER_TEMP) : tmpdir(), "eval-gate-cache");
  const inside = isInside(workspace, dir);
  const pullRequest = event.baseSha !== null;
  if (inside && pullRequest) {
    core.warning(
      `The response cache ${inputs.cacheDir} is inside the checkout, where a pull request can commit answers: none of its files is read on a pull request. Leave \`cache-dir\` unset to keep the cache under RUNNER_TEMP.`,
    );
    return new DiskCache(dir, { distrust: () => true });
  }
  await (await import("./cache.js")).restoreResponses(dir, scope, env);
  const tracked = inside ? await trackedFilesUnder(workspace, dir) : new Set<string>();
  const cache = new DiskCache(dir, { distrust: (file) => tracked.has(file) });
  cache.warm();
  return cache;
}

export async function closeCache(cache: DiskCache | undefined): Promise<void> {
  await cache?.close();
  if (!cache) return;
  if (cache.problem) core.warning(`${cache.problem}; the next run asks for these answers again`);
  if (cache.refused.length > 0) {
    const shown = cache.refused.slice(0, 5).join(", ");
    const more = cache.refused.length > 5 ? ` and ${cache.refused.length - 5} more` : "";
    core.warning(
      `Not read: ${cache.refused.length} response cache file(s) in the checkout (${shown}${more}); every answer they held was asked for again.`,
    );
  }
  if (cache.dropped > 0) {
    core.warning(
      `${cache.dropped} response cache line(s) did not verify against their digest and were dropped; those answers were asked for again.`,
    );
  }
}
