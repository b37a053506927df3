import { createHash } from "node:crypto";
import { realpath, stat } from "node:fs/promises";
import { posix, resolve, sep } from "node:path";
import { describeError, UserError } from "../core/errors.js";
import type { GraderContext } from "../core/graders/types.js";
import type { ResponseCache } from "../core/ports.js";
import { canonicalJson } from "../core/requests.js";
import { backoffMs, RetryableError, type RetryPolicy } from "../core/retry.js";
import type { ModelResponse } from "../core/types.js";
import { openAIEndpoint } from "./openai-http.js";
import { parseCompletion } from "./openai-provider.js";
import { createScriptRunner, type ScriptRunner } from "./script-runner.js";

export interface GraderContextOptions {
  /** The head side's base URL, e.g. `https://api.openai.com/v1`. */
  endpoint: string;
  apiKey: string;
  timeoutMs: number;
  /** The config's folder, a posix path relative to the repository root (`.` for the root). */
  configDir: string;
  /** A repository file's text by its posix path from the root; null when absent. */
  readRepoFile: (path: string) => Promise<string | null>;
  /** The repository root on disk (absolute), under which scripts are resolved. */
  repoRoot: string;
  /** Judge answers and embeddings are kept here with the responses (keys never collide). */
  cache?: ResponseCache;
  embeddingModel: string;
  judgeModel: string | null;
  /** Retries of judge and embedding requests (default: 4 attempts, backoff from 500 ms). */
  retry?: Partial<RetryPolicy>;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Default: a runner of its own that may read `repoRoot`, closed by `close()`. */
  scriptRunner?: ScriptRunner;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, rateLimitRetries: 8, baseDelayMs: 500, maxDelayMs: 10_000 };

/** Cache keys of this module; the runner's response keys are bare hex digests. */
const EMBED_PREFIX = "embedding:";
const JUDGE_PREFIX = "judge:";

/**
 * The side effects graders need, against the head side's endpoint: embeddings and judge
 * completions (cached, retried; a fault that persists throws, so the run is an error), rubric
 * files relative to the config, and scripts of the repository in processes that may read it only.
 */
export function makeGraderContext(options: GraderContextOptions): GraderContext & { close(): Promise<void> } {
  const post = openAIEndpoint({
    baseURL: options.endpoint,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs,
  });
  const cache = options.cache ?? memoryCache();
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const ownRunner = options.scriptRunner === undefined;
  const runner = options.scriptRunner ?? createScriptRunner({ readableRoot: options.repoRoot });
  const scrub = (text: string) =>
    options.apiKey.length >= 4 ? text.split(options.apiKey).join("***") : text;

  /** Tries `attempt` until it succeeds, a fault is not worth retrying, or the policy runs out. */
  async function withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    let faults = 0;
    let rateLimits = 0;
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        const retryable = e instanceof RetryableError;
        if (retryable && e.rateLimited) rateLimits++;
        else faults++;
        if (!retryable || faults >= policy.attempts || rateLimits > policy.rateLimitRetries) {
          const tries = faults + rateLimits;
          throw new Error(
            scrub(`${what} failed${tries > 1 ? ` after ${tries} attempts` : ""}: ${describeError(e)}`),
            { cause: e },
          );
        }
        await sleep(backoffMs(n, policy, random, e.retryAfterMs));
      }
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
    const fetched = await withRetries(`embeddings (${model})`, async () => {
      const body = await post("embeddings", {
        model,
        input: missing.map((key) => textOf.get(key)),
        encoding_format: "float",
      });
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
    const response = await withRetries(`the judge (${request.model})`, async () => {
      const body = await post("chat/completions", {
        ...params,
        model: request.model,
        messages: request.messages,
        stream: false,
      });
      return parseCompletion(body);
    });
    const clean: ModelResponse = response.content.includes(options.apiKey)
      ? { ...response, content: scrub(response.content) }
      : response;
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
    const file = await scriptFile(options.repoRoot, repoPath);
    return runner.run(file, exportName, args, timeoutMs);
  }

  return {
    embed,
    complete,
    readFile,
    runScript,
    defaults: { embeddingModel: options.embeddingModel, judgeModel: options.judgeModel },
    async close() {
      if (ownRunner) await runner.close();
    },
  };
}

function digest(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/**
 * A path written relative to the config's folder, as a posix path from the repository root.
 * Refuses absolute paths and any that climb out of the repository.
 */
export function inRepository(configDir: string, path: string, field: string): string {
  const absolute = path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("\\");
  const joined = posix.normalize(posix.join(configDir || ".", path.replace(/\\/g, "/")));
  if (absolute || joined === ".." || joined.startsWith("../")) {
    throw new UserError(`the path ${JSON.stringify(path)} is outside the repository`, {
      field,
      fix: "Give a path inside the repository, relative to the config's folder.",
    });
  }
  return joined;
}

/** The script's file on disk, which must exist and (symbolic links followed) stay inside the repository. */
async function scriptFile(repoRoot: string, repoPath: string): Promise<string> {
  const file = resolve(repoRoot, ...repoPath.split("/"));
  let real: string;
  let root: string;
  try {
    [real, root] = await Promise.all([realpath(file), realpath(repoRoot)]);
    if (!(await stat(real)).isFile()) throw new Error("not a file");
  } catch {
    throw new UserError(`the script ${repoPath} does not exist`, {
      field: "script.path",
      fix: "Give the path of a JS module of the repository, relative to the config's folder.",
    });
  }
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new UserError(`the script ${repoPath} links to a file outside the repository`, {
      field: "script.path",
      fix: "Point the grader at a module inside the repository.",
    });
  }
  return real;
}

function readVector(response: ModelResponse): number[] | undefined {
  try {
    const value: unknown = JSON.parse(response.content);
    return Array.isArray(value) && value.every((x) => typeof x === "number") ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The vectors of an embeddings answer, in input order; floats, or base64 float32 from servers that ignore `encoding_format`. */
function parseEmbeddings(body: unknown, count: number): number[][] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== count) {
    throw new RetryableError(
      `malformed embeddings response (${Array.isArray(data) ? `${data.length} vectors for ${count} texts` : "no data"})`,
    );
  }
  const out: (number[] | undefined)[] = Array.from({ length: count }, () => undefined);
  data.forEach((item: unknown, position) => {
    const { index, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
    const at = typeof index === "number" && index >= 0 && index < count ? index : position;
    let vector: number[] | undefined;
    if (typeof embedding === "string") {
      const bytes = Buffer.from(embedding, "base64");
      vector = Array.from({ length: Math.floor(bytes.length / 4) }, (_, i) => bytes.readFloatLE(i * 4));
    } else if (Array.isArray(embedding) && embedding.every((x) => typeof x === "number")) {
      vector = embedding;
    }
    if (!vector || vector.length === 0) throw new RetryableError("malformed embeddings response (no vector)");
    out[at] = vector;
  });
  if (out.some((v) => v === undefined)) throw new RetryableError("malformed embeddings response (indexes)");
  return out as number[][];
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
