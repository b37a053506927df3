import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { UserError } from "../core/errors.js";

/**
 * Runs exported functions of repository JS modules (script graders) in worker threads: one
 * persistent worker per module, so the module loads once, and calls to it one at a time, so each
 * call's time limit counts its own time only. A call past its limit terminates that worker (an
 * infinite loop cannot hang the run) and the next call starts a fresh one.
 */
export interface ScriptRunner {
  /** Calls `exportName(args)` of the module at the absolute `file`; resolves to what it returned. */
  run(file: string, exportName: string, args: unknown, timeoutMs: number): Promise<unknown>;
  /** Terminates every worker; calls still waiting are rejected. */
  close(): Promise<void>;
}

export interface ScriptRunnerOptions {
  /** Where the scripts' console output goes (default: stderr, so it never mixes into stdout's JSON). */
  log?: (text: string) => void;
  /** Heap limit per worker, so a runaway script ends its worker instead of the process (default 512). */
  maxHeapMb?: number;
}

// The worker is inline code rather than a file, so it works the same from the TypeScript sources
// (tests) and from the bundled dist/ files. It runs as CommonJS; `import()` loads ESM and CJS alike.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { format } = require("node:util");
// The script's console output comes to the runner as messages: piped worker streams would keep
// the process alive, and inherited ones would write into stdout (a JSON report, say).
const log = (text) => parentPort.postMessage({ log: String(text) });
for (const name of ["log", "info", "warn", "error", "debug", "trace"]) {
  console[name] = (...args) => log(format(...args) + "\\n");
}
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    log(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") done();
    return true;
  };
}
let loading;
function load() {
  loading ??= import(workerData.url);
  return loading;
}
function message(e) {
  if (e instanceof Error) return e.message || e.name;
  try { return typeof e === "string" ? e : JSON.stringify(e) ?? String(e); } catch { return String(e); }
}
parentPort.on("message", async ({ id, exportName, args }) => {
  let mod;
  try {
    mod = await load();
  } catch (e) {
    parentPort.postMessage({ id, ok: false, kind: "load", message: message(e) });
    return;
  }
  let fn = mod[exportName];
  if (typeof fn !== "function" && mod.default && typeof mod.default === "object") fn = mod.default[exportName];
  if (typeof fn !== "function") {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    parentPort.postMessage({ id, ok: false, kind: "export", message: names.join(", ") });
    return;
  }
  let value;
  try {
    value = await fn(args);
  } catch (e) {
    parentPort.postMessage({ id, ok: false, kind: "throw", message: message(e) });
    return;
  }
  try {
    parentPort.postMessage({ id, ok: true, value });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, kind: "clone", message: message(e) });
  }
});
`;

type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; kind: "load" | "export" | "throw" | "clone"; message: string };

interface Call {
  id: number;
  exportName: string;
  args: unknown;
  timeoutMs: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** One module's worker and its queue of calls. */
class ModuleWorker {
  private worker?: Worker;
  private current?: { call: Call; timer: NodeJS.Timeout };
  private readonly queue: Call[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly options: Required<ScriptRunnerOptions>,
  ) {}

  run(exportName: string, args: unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("the script runner is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, exportName, args, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const call = this.queue.shift();
    if (!call) return;
    const worker = this.start();
    const timer = setTimeout(() => {
      // The worker goes first, so the next call in the queue starts on a fresh one.
      this.kill();
      this.finish(call, new Error(`timed out after ${call.timeoutMs} ms (the script was stopped)`));
    }, call.timeoutMs);
    this.current = { call, timer };
    try {
      worker.postMessage({ id: call.id, exportName: call.exportName, args: call.args });
    } catch (e) {
      this.finish(call, new Error(`its arguments could not be passed to it (${(e as Error).message})`));
    }
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { url: pathToFileURL(this.file).href },
      // Repository code: it gets no copy of the environment (API keys, tokens).
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb },
    });
    worker.on("message", (reply: Reply | { log: string }) => {
      if ("log" in reply) {
        this.options.log(reply.log);
        return;
      }
      const call = this.current?.call;
      if (!call || reply.id !== call.id) return;
      if (reply.ok) this.finish(call, undefined, reply.value);
      else this.finish(call, this.replyError(reply, call.exportName));
    });
    worker.on("error", (e) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const call = this.current?.call;
      if (call) this.finish(call, new Error(`it crashed: ${e.message}`));
    });
    worker.on("exit", (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const call = this.current?.call;
      if (call) this.finish(call, new Error(`its worker exited (code ${code}) before it answered`));
    });
    // An idle worker must not keep the process alive; a call's timer does while one runs. (After
    // the listeners: adding a "message" listener refs the worker again.)
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private replyError(reply: Extract<Reply, { ok: false }>, exportName: string): Error {
    switch (reply.kind) {
      case "load": {
        const esm = /Cannot use import statement|Unexpected token 'export'/.test(reply.message);
        return new UserError(`the script ${this.file} could not be loaded: ${reply.message}`, {
          field: "script.path",
          fix: esm
            ? 'The module uses ESM syntax in a .js file of a CommonJS package: rename it to .mjs, or set "type": "module" in its package.json.'
            : "Fix the module so that `node` can import it.",
        });
      }
      case "export":
        return new UserError(`the script ${this.file} exports no function \`${exportName}\``, {
          field: "script.export",
          fix: reply.message
            ? `Name one of its exported functions: ${reply.message}.`
            : "Export the function, e.g. `export function grade({ case: c, output, trajectory }) { ... }`.",
        });
      case "clone":
        return new Error(`it returned a value that cannot be copied out of its worker (${reply.message})`);
      default:
        return new Error(`it threw: ${reply.message}`);
    }
  }

  private finish(call: Call, error: Error | undefined, value?: unknown): void {
    if (this.current?.call !== call) return;
    clearTimeout(this.current.timer);
    this.current = undefined;
    if (error) call.reject(error);
    else call.resolve(value);
    this.pump();
  }

  private kill(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    const waiting = this.queue.splice(0);
    const current = this.current;
    this.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      current.call.reject(new Error("the run was stopped"));
    }
    for (const call of waiting) call.reject(new Error("the run was stopped"));
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

export function createScriptRunner(options: ScriptRunnerOptions = {}): ScriptRunner {
  const resolved: Required<ScriptRunnerOptions> = {
    log: options.log ?? ((text) => void process.stderr.write(text)),
    maxHeapMb: options.maxHeapMb ?? 512,
  };
  const workers = new Map<string, ModuleWorker>();
  let closed = false;
  return {
    run(file, exportName, args, timeoutMs) {
      if (closed) return Promise.reject(new Error("the script runner is closed"));
      let worker = workers.get(file);
      if (!worker) {
        worker = new ModuleWorker(file, resolved);
        workers.set(file, worker);
      }
      return worker.run(exportName, args, timeoutMs);
    },
    async close() {
      closed = true;
      const all = [...workers.values()];
      workers.clear();
      await Promise.all(all.map((w) => w.close()));
    },
  };
}
