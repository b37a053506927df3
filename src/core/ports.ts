import type { ChatRequest, ModelResponse } from "./types.js";

/**
 * The system under test, as seen by the runner: one attempt at one chat completion per call.
 * Throws `RetryableError` for faults worth another attempt; the runner owns retries.
 */
export interface ModelProvider {
  complete(request: ChatRequest, options?: { signal?: AbortSignal }): Promise<ModelResponse>;
}

/** A content-addressed store of responses; keys are hex digests of everything that decides one. */
export interface ResponseCache {
  get(key: string): Promise<ModelResponse | undefined>;
  set(key: string, value: ModelResponse): Promise<void>;
}

/**
 * Texts put aside while a run goes on (on disk), read back when its report is written. Numbered
 * 0, 1, 2, … in the order they are put.
 */
export interface TextStore {
  put(text: string): number;
  get(id: number): string;
}

/** Reads a repository file on one side: the workspace (head) or a git revision (base). */
export interface FileSource {
  /** For messages: `workspace` or `git:abc1234`. */
  readonly label: string;
  /** The file's text, or null when it does not exist on this side. */
  read(path: string): Promise<string | null>;
}

export interface Clock {
  now(): number;
  /** Waits `ms`, or less when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// performance.now() loads Node's perf_hooks on first use (about 1.3 ms, before the first request);
// process.hrtime is the same monotonic clock, here in ms from when this module loaded.
const [originS, originNs] = process.hrtime();
export const monotonicMs = (): number => {
  const [s, ns] = process.hrtime();
  return (s - originS) * 1e3 + (ns - originNs) / 1e6;
};

export const systemClock: Clock = {
  now: monotonicMs,
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    }),
};

export type ProgressEvent =
  | {
      kind: "start";
      total: number;
      /** What runs, for the log: each set's file and how many of its cases (after filters and shards). */
      sets?: { name: string; path: string; visibility: "full" | "aggregate"; cases: number }[];
    }
  | { kind: "run"; done: number; total: number; cached: boolean; error?: string }
  | { kind: "note"; message: string };
