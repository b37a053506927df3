import { canonicalJson } from "../../core/config/requests.js";
import { describeError, UserError } from "../../core/errors.js";
import type { GraderContext } from "../../core/graders/types.js";
import { type Clock, type ResponseCache, systemClock } from "../../core/ports.js";
import { RequestPipeline, RunStop } from "../../core/run/request-pipeline.js";
import type { RetryPolicy } from "../../core/run/retry.js";
import { secretScrubber } from "../../core/run/secrets.js";
import { sha256Hex } from "../../core/text/digest.js";
import type { ModelResponse } from "../../core/types.js";
import { createPatternEngine, type PatternEngine } from "../patterns/patterns.js";
import { parseEmbeddings, readVector } from "../providers/embedding-vectors.js";
import { openAIEndpoint } from "../providers/openai-http.js";
import { parseCompletion, scrubResponse } from "../providers/openai-provider.js";
import { createScriptRunner, type ScriptRunner } from "../scripts/script-runner.js";
import { inRepository, scriptFile } from "./grader-files.js";

export interface GraderContextOptions {
  /** The head side's base URL, e.g. `https://api.openai.com/v1`. */
  endpoint: string;
  apiKey: string;
  timeoutMs: number;
  /** Other secrets of the run to cut out of answers and errors (the key itself always is). */
  secrets?: readonly string[];
  /** The config's folder, a posix path relative to the repository root (`.` for the root). */
  configDir: string;
  /** A repository file's text by its posix path from the root; null when absent. */
  readRepoFile: (path: string) => Promise<string | null>;
  /**
   * The repository root on disk (absolute), under which scripts are resolved; a function when the
   * tree must be made first (the base commit's files, for a pull request's definition).
   */
  repoRoot: string | (() => Promise<string>);
  /** Judge answers and embeddings are kept here with the responses (keys never collide). */
  cache?: ResponseCache;
  embeddingModel: string;
  judgeModel: string | null;
  /** Judge and embedding requests in flight at most: their own budget beside the target's (default 8). */
  concurrency?: number;
  /** The run's stop, shared with the target's requests (default: one of this context's own). */
  stop?: RunStop;
  /** Retries of judge and embedding requests (default: 4 attempts, backoff from 500 ms). */
  retry?: Partial<RetryPolicy>;
  random?: () => number;
  clock?: Clock;
  /** Default: a runner of its own that may read the repository root only, closed by `close()`. */
  scriptRunner?: ScriptRunner;
  /** Default: a pattern engine of its own (1 s limit for patterns that need its worker), closed by `close()`. */
  patterns?: PatternEngine;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, rateLimitRetries: 8, baseDelayMs: 500, maxDelayMs: 10_000 };

/** Cache keys of this module; the runner's response keys are bare hex digests. */
const EMBED_PREFIX = "embedding:";
const JUDGE_PREFIX = "judge:";

/**
 * The side effects graders need, against the head side's endpoint: embeddings and judge
 * completions (cached; sent through a request pipeline of their own, so a fault that persists
 * throws and the run is an error, and an endpoint that is down, hangs or is rate-limited without
 * end stops the whole run), rubric files relative to the config, scripts of the repository in
 * processes that may read it only, and patterns whose matches are bounded in time.
 */
export function makeGraderContext(options: GraderContextOptions): GraderContext & { close(): Promise<void> } {
  const post = openAIEndpoint({
    baseURL: options.endpoint,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs,
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  const cache = options.cache ?? memoryCache();
  const requests = new RequestPipeline({
    concurrency: options.concurrency ?? 8,
    policy: { ...DEFAULT_RETRY, ...options.retry },
    clock: options.clock ?? systemClock,
    stop: options.stop ?? new RunStop(),
    ...(options.random ? { random: options.random } : {}),
    // A judge whose quota ran out does not come back within the run: better one clear stop than
    // every case spending its rate-limit retries.
    endlessRateLimits: true,
  });
  const ownRunner = options.scriptRunner === undefined;
  // Made on the first script: the root may be a tree still to be checked out (the base commit's).
  let runner: Promise<ScriptRunner> | undefined;
  const scriptRunner = (root: string) => {
    runner ??= Promise.resolve(options.scriptRunner ?? createScriptRunner({ readableRoot: root }));
    return runner;
  };
  const ownPatterns = options.patterns === undefined;
  const patterns = options.patterns ?? createPatternEngine();
  const secrets = [options.apiKey, ...(options.secrets ?? [])];
  const scrub = secretScrubber(secrets);
  const scrubAnswer = secretScrubber(secrets, { parts: false });

  /** One answer through the pipeline; a failure says who failed, after how many attempts, and why. */
  async function ask<T>(who: string, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let tries = 0;
    try {
      return await requests.send(who, async (signal) => {
        tries++;
        try {
          return await attempt(signal);
        } catch (e) {
          // Before the pipeline sees it: a cause may become the run's stop reason, shown everywhere.
          if (e instanceof Error) e.message = scrub(e.message);
          throw e;
        }
      });
    } catch (e) {
      throw new Error(
        scrub(`${who} failed${tries > 1 ? ` after ${tries} attempts` : ""}: ${describeError(e)}`),
        { cause: e },
      );
    }
  }

  // Concurrent runs often embed the same reference: one lookup and one request per text at a time.
  // Registered before any await, so graders that start in the same tick share them.
  const inFlight = new Map<string, Promise<number[]>>();

  async function embed(texts: string[], model: string): Promise<number[][]> {
    const keys = texts.map((text) => EMBED_PREFIX + digest({ endpoint: options.endpoint, model, text }));
    const textOf = new Map(keys.map((k, i) => [k, texts[i] as string]));
    const pending = new Map<string, Promise<number[]>>();
    const fresh: string[] = [];
    for (const key of new Set(keys)) {
      const shared = inFlight.get(key);
      if (shared) pending.set(key, shared);
      else fresh.push(key);
    }
    if (fresh.length > 0) {
      const batch = lookUpOrEmbed(fresh, textOf, model);
      for (const key of fresh) {
        const one = batch.then((vectors) => vectors.get(key) as number[]);
        one.catch(() => {}); // awaited below; a second waiter may never come
        pending.set(key, one);
        inFlight.set(key, one);
      }
      batch
        .finally(() => {
          for (const key of fresh) if (inFlight.get(key) === pending.get(key)) inFlight.delete(key);
        })
        .catch(() => {});
    }
    return Promise.all(keys.map((key) => pending.get(key) as Promise<number[]>));
  }

  /** Vectors from the cache, and one request for the texts it does not hold. */
  async function lookUpOrEmbed(
    keys: string[],
    textOf: Map<string, string>,
    model: string,
  ): Promise<Map<string, number[]>> {
    const hits = await Promise.all(keys.map((key) => cache.get(key)));
    const vectors = new Map<string, number[]>();
    const missing: string[] = [];
    keys.forEach((key, i) => {
      const hit = hits[i];
      const vector = hit ? readVector(hit) : undefined;
      if (vector) vectors.set(key, vector);
      else missing.push(key);
    });
    if (missing.length === 0) return vectors;
    const fetched = await ask(`the embedding model (${model})`, async (signal) => {
      const body = await post(
        "embeddings",
        { model, input: missing.map((key) => textOf.get(key)), encoding_format: "float" },
        signal,
      );
      return parseEmbeddings(body, missing.length);
    });
    await Promise.all(
      missing.map((key, i) => {
        const vector = fetched[i] as number[];
        vectors.set(key, vector);
        return cache.set(key, { content: JSON.stringify(vector) });
      }),
    );
    return vectors;
  }

  async function complete(request: Parameters<GraderContext["complete"]>[0]): Promise<ModelResponse> {
    const params = request.params ?? {};
    const key =
      JUDGE_PREFIX +
      digest({ endpoint: options.endpoint, model: request.model, messages: request.messages, params });
    const hit = await cache.get(key);
    if (hit) return hit;
    const response = await ask(`the judge (${request.model})`, async (signal) => {
      const body = await post(
        "chat/completions",
        { ...params, model: request.model, messages: request.messages, stream: false },
        signal,
      );
      return parseCompletion(body);
    });
    const clean = scrubResponse(response, scrubAnswer);
    await cache.set(key, clean);
    return clean;
  }

  const rubrics = new Map<string, Promise<string | null>>();

  async function readFile(path: string): Promise<string | null> {
    const repoPath = inRepository(options.configDir, path, "judge.rubric_file");
    let text = rubrics.get(repoPath);
    if (!text) {
      text = options.readRepoFile(repoPath);
      rubrics.set(repoPath, text);
    }
    return text;
  }

  async function runScript(path: string, exportName: string, args: unknown, timeoutMs: number) {
    const repoPath = inRepository(options.configDir, path, "script.path");
    if (!/\.(?:m?js|cjs)$/.test(repoPath)) {
      throw new UserError(`the script ${repoPath} is not a JavaScript module`, {
        field: "script.path",
        fix: "Name a .js, .mjs or .cjs file of the repository.",
      });
    }
    const root = typeof options.repoRoot === "string" ? options.repoRoot : await options.repoRoot();
    const file = await scriptFile(root, repoPath);
    return (await scriptRunner(root)).run(file, exportName, args, timeoutMs);
  }

  return {
    embed,
    complete,
    readFile,
    runScript,
    patterns: { compile: patterns.compile, shareLimit: patterns.shareLimit },
    defaults: { embeddingModel: options.embeddingModel, judgeModel: options.judgeModel },
    async close() {
      const made = ownRunner ? await runner : undefined;
      await Promise.all([made?.close(), ownPatterns ? patterns.close() : undefined]);
    },
  };
}

function digest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

function memoryCache(): ResponseCache {
  const map = new Map<string, ModelResponse>();
  return {
    get: async (key) => map.get(key),
    set: async (key, value) => {
      map.set(key, value);
    },
  };
}
