// Node built-ins that only some runs need (https for an https endpoint, child_process for git and
// scripts, worker_threads for regex graders) are loaded on first use instead of at start-up: each
// costs 1-4 ms of module loading that a run which never touches it would pay before its first
// request. The ES `import` of a built-in cannot be deferred without making its callers async, so
// these go through CommonJS `require`, which gives the very same module object.
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export const lazyHttps = (): typeof import("node:https") => load("node:https");
export const lazyChildProcess = (): typeof import("node:child_process") => load("node:child_process");
export const lazyWorkerThreads = (): typeof import("node:worker_threads") => load("node:worker_threads");
