import type { ChatRequest, ModelResponse } from "./types.js";

/** The system under test, as seen by the runner: one chat completion per call. */
export interface ModelProvider {
  complete(request: ChatRequest): Promise<ModelResponse>;
}

/** A content-addressed store of responses; keys are hex digests of everything that decides one. */
export interface ResponseCache {
  get(key: string): Promise<ModelResponse | undefined>;
  set(key: string, value: ModelResponse): Promise<void>;
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
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type ProgressEvent =
  | { kind: "start"; total: number }
  | { kind: "run"; done: number; total: number; cached: boolean; error?: string }
  | { kind: "note"; message: string };
