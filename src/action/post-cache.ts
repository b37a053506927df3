import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import * as core from "@actions/core";
import { describeError } from "../core/errors.js";
import { cacheClient, MAX_CACHE_BYTES, runKey } from "./cache.js";
import { State } from "./state.js";

/** Saves `paths` under `key`: @actions/cache's saveCache, or a stand-in in tests. */
export type SaveCache = (paths: string[], key: string) => Promise<unknown>;

interface Saving {
  dir: string;
  key: string;
  /** Answers this run added; the whole folder (`bytes`) is saved. */
  answers: number;
  bytes: number;
}

export type PostOutcome =
  | { kind: "nothing"; why: string }
  | ({ kind: "saved" } & Saving)
  | ({ kind: "no-service" } & Saving)
  | { kind: "failed"; message: string };

/**
 * The `post:` step runs after every job that used the action, so it decides from the main step's
 * state alone, with no network and no cache client, when there is nothing to do: the main step
 * saved (or had no cache), or this run added no answer. Only a main step that stopped before its
 * own save (cancelled, killed, crashed) leaves answers to save; they are saved as they are, not
 * pruned, because which entries the unfinished run would have used is not known.
 */
export async function saveAfterMain(options: {
  state: (name: string) => string;
  env: Record<string, string | undefined>;
  /** Null when the runner offers no cache service: the outcome then says what would be saved. */
  save: () => Promise<SaveCache | null>;
}): Promise<PostOutcome> {
  const { state } = options;
  const dir = state(State.cacheDir);
  if (!dir) return { kind: "nothing", why: "the main step kept no response cache" };
  if (state(State.cacheSaved) === "true") return { kind: "nothing", why: "the main step saved the cache" };
  try {
    const { answers, bytes } = await newAnswers(dir, Number(state(State.cacheSince)) || 0);
    if (answers === 0) return { kind: "nothing", why: "the main step added no answer to the cache" };
    if (bytes > MAX_CACHE_BYTES) return { kind: "nothing", why: `${dir} is over the cache's size ceiling` };
    const key = runKey(state(State.cacheScope), options.env);
    const save = await options.save();
    if (save) await save([dir], key);
    return { kind: save ? "saved" : "no-service", dir, key, answers, bytes };
  } catch (e) {
    return { kind: "failed", message: describeError(e) };
  }
}

/**
 * The answers in files changed since `since` (this run's segments; restored files keep their
 * archived times) and the folder's size. A torn last line has no newline and is not counted.
 * The second of slack covers file systems that keep whole seconds.
 */
async function newAnswers(dir: string, since: number): Promise<{ answers: number; bytes: number }> {
  let answers = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isFile()) continue;
    const file = join(dir, entry.name);
    const info = await stat(file);
    bytes += info.size;
    if (info.mtimeMs < since - 1000) continue;
    const text = await readFile(file, "utf8");
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) answers++;
  }
  return { answers, bytes };
}

/** The post step's entry: logs what it did and never fails the job. */
export async function runPost(env: Record<string, string | undefined> = process.env): Promise<void> {
  try {
    const outcome = await saveAfterMain({
      state: core.getState,
      env,
      save: async () => {
        const cache = await cacheClient(env);
        return cache ? (paths, key) => cache.saveCache(paths, key) : null;
      },
    });
    const why = core.getState(State.cancelled)
      ? ` (the main step was cancelled by ${core.getState(State.cancelled)})`
      : "";
    const what = (o: Saving) =>
      `${o.dir} as ${o.key} (${o.answers} new answer(s), ${Math.round(o.bytes / 1024)} KiB)`;
    if (outcome.kind === "nothing") core.debug(`Nothing to save: ${outcome.why}.`);
    else if (outcome.kind === "saved") core.info(`Saved the response cache${why}: ${what(outcome)}.`);
    else if (outcome.kind === "no-service")
      core.info(`No Actions cache service on this runner${why}: would save ${what(outcome)}.`);
    else core.warning(`Could not save the response cache: ${outcome.message}`);
  } catch (e) {
    core.warning(`eval-gate's post step: ${describeError(e)}`);
  }
}
