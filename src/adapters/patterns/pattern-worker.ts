import type { MessagePort, Worker } from "node:worker_threads";
import { PatternTimeout } from "../../core/graders/patterns.js";
import { lazyWorkerThreads } from "../process/builtin.js";

// Matches run in a worker so that one past its time limit can be stopped (a regexp cannot be
// interrupted on the thread that runs it). The caller blocks on shared memory until the answer or
// the limit: graders and ajv call patterns synchronously, and a synchronous call is what a match
// was before, so nothing else changes for them. Inline CommonJS, like the script runner's worker, so
// it runs the same from the TypeScript sources and from the bundle.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { port, signal } = workerData;
const state = new Int32Array(signal);
const compiled = new Map();
port.on("message", ({ id, pattern, flags, text }) => {
  let reply;
  try {
    const key = flags + "/" + pattern;
    let re = compiled.get(key);
    if (!re) {
      if (compiled.size >= 256) compiled.clear();
      re = new RegExp(pattern, flags);
      compiled.set(key, re);
    }
    re.lastIndex = 0;
    const m = re.exec(text);
    reply = { id, match: m === null ? null : [m.index, m[0]] };
  } catch (e) {
    reply = { id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
  Atomics.store(state, 0, id);
  Atomics.notify(state, 0);
});
Atomics.store(state, 1, 1);
Atomics.notify(state, 1);
`;

type Reply = { id: number; match: [number, string] | null } | { id: number; error: string };

interface Running {
  worker: Worker;
  port: MessagePort;
  /** [0]: the id of the last answer (0 while waiting); [1]: 1 once the worker listens. */
  state: Int32Array;
}

/** A new worker is waited for this long; a busy runner can take a while to start a thread. */
const START_LIMIT_MS = 10_000;

/**
 * One worker for all non-linear patterns of a run: calls never overlap, since each blocks the
 * thread until it is answered. A call past the limit terminates the worker; the next call starts a
 * fresh one.
 */
export class PatternWorker {
  private running?: Running;
  private nextId = 1;
  /** Inside `shareLimit`: the time its matches have taken so far. */
  private shared?: { spentMs: number };

  constructor(readonly limitMs: number) {}

  /** The first match of `pattern` in `text` as [index, text], or null; PatternTimeout past the limit. */
  exec(pattern: string, flags: string, text: string): [number, string] | null {
    const remaining = this.limitMs - (this.shared?.spentMs ?? 0);
    if (remaining <= 0) throw new PatternTimeout(pattern, flags, this.limitMs);
    const { port, state } = this.start();
    const id = this.nextId++;
    Atomics.store(state, 0, 0);
    const started = performance.now();
    port.postMessage({ id, pattern, flags, text });
    const woke = Atomics.wait(state, 0, 0, remaining);
    if (this.shared) this.shared.spentMs += performance.now() - started;
    if (woke === "timed-out") {
      this.stop();
      throw new PatternTimeout(pattern, flags, this.limitMs);
    }
    const { receiveMessageOnPort } = lazyWorkerThreads();
    for (let got = receiveMessageOnPort(port); got; got = receiveMessageOnPort(port)) {
      const reply = got.message as Reply;
      if (reply.id !== id) continue;
      if ("error" in reply) throw new Error(`/${pattern}/${flags} failed in its worker: ${reply.error}`);
      return reply.match;
    }
    this.stop();
    throw new Error(`/${pattern}/${flags}: its worker signalled an answer it did not send`);
  }

  /** Runs `run` (synchronous, so nothing else can match meanwhile) with one limit for all its matches. */
  shareLimit<T>(run: () => T): T {
    if (this.shared) return run();
    this.shared = { spentMs: 0 };
    try {
      return run();
    } finally {
      this.shared = undefined;
    }
  }

  private start(): Running {
    if (this.running) return this.running;
    const signal = new SharedArrayBuffer(8);
    const state = new Int32Array(signal);
    const { MessageChannel, Worker } = lazyWorkerThreads();
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, signal },
      transferList: [port2],
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    // A worker that dies (out of memory) leaves its caller waiting for the limit, which is enough;
    // without a listener its error would be thrown in this thread.
    worker.on("error", () => {});
    // Neither the idle worker nor the port may keep the process alive.
    worker.unref();
    port1.unref();
    if (Atomics.wait(state, 1, 0, START_LIMIT_MS) === "timed-out") {
      void worker.terminate();
      throw new Error(`the pattern worker did not start within ${START_LIMIT_MS / 1000} s`);
    }
    this.running = { worker, port: port1, state };
    return this.running;
  }

  private stop(): Promise<unknown> | undefined {
    const running = this.running;
    this.running = undefined;
    running?.port.close();
    return running?.worker.terminate();
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
