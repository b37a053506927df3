import { pathToFileURL } from "node:url";
import { UserError } from "../../core/errors.js";
import { type ChildSetup, type ScriptChild, startChild } from "./script-child.js";

/**
 * The children of one script module: up to `poolSize` warm processes, each of which loads the
 * module once and runs one call at a time, so each call's time limit counts its own time only. A
 * call past its limit kills its child (an infinite loop cannot hang the run); a fresh one starts
 * for the next call. The answers and failures of a child become the call's value or error.
 */

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

/** One child's place in a pool: its process (started on demand) and the call it runs. */
interface Slot {
  child?: ScriptChild;
  current?: { call: Call; timer: NodeJS.Timeout };
}

/** The warm children of one module and its queue of calls. */
export class ModulePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Call[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly prefix: string,
    private readonly setup: ChildSetup,
    private readonly options: { poolSize: number; write: (text: string) => void },
  ) {}

  run(exportName: string, args: unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("the script runner is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, exportName, args, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** Gives waiting calls to idle children: warm ones first, then a new one while the pool may grow. */
  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      const idle = this.slots.filter((s) => !s.current);
      let slot = idle.find((s) => s.child) ?? idle[0];
      if (!slot && this.slots.length < this.options.poolSize) {
        slot = {};
        this.slots.push(slot);
      }
      if (!slot) return;
      this.start(slot, this.queue.shift() as Call);
    }
  }

  private start(slot: Slot, call: Call): void {
    const timer = setTimeout(() => {
      // The child goes first, so the next call in the queue starts on a fresh one.
      this.kill(slot);
      this.finish(slot, call, new Error(`timed out after ${call.timeoutMs} ms (the script was stopped)`));
    }, call.timeoutMs);
    slot.current = { call, timer };
    let child: ScriptChild;
    try {
      child = this.spawn(slot);
    } catch (e) {
      // spawn() throws some errors (E2BIG: too many grants for a command line) instead of emitting them.
      this.finish(slot, call, new Error(`its process could not be started (${(e as Error).message})`));
      return;
    }
    const failed = (e: Error | null) => {
      if (e) this.finish(slot, call, new Error(`its arguments could not be passed to it (${e.message})`));
    };
    try {
      child.process.send({ id: call.id, exportName: call.exportName, args: call.args }, failed);
    } catch (e) {
      failed(e as Error);
    }
  }

  private spawn(slot: Slot): ScriptChild {
    if (slot.child) return slot.child;
    const child = startChild(this.setup, pathToFileURL(this.file).href, this.prefix, this.options.write);
    const gone = (why: () => string) => {
      if (slot.child !== child) return;
      slot.child = undefined;
      child.flush();
      if (slot.current) this.finish(slot, slot.current.call, new Error(why()));
    };
    child.process.on("message", (reply: Reply | { crash: string }) => {
      const call = slot.current?.call;
      if (slot.child !== child || !call) return;
      if ("crash" in reply) gone(() => `it crashed: ${reply.crash}`);
      else if (reply.id !== call.id) return;
      else if (reply.ok) this.finish(slot, call, undefined, reply.value);
      else this.finish(slot, call, this.replyError(reply, call.exportName));
    });
    child.process.on("error", (e) => gone(() => `its process failed: ${e.message}`));
    child.process.on("exit", (code, signal) =>
      gone(() =>
        child.outOfMemory()
          ? `it ran out of memory (its heap limit is ${this.setup.maxHeapMb} MB)`
          : `its process exited (${code === null ? signal : `code ${code}`}) before it answered`,
      ),
    );
    slot.child = child;
    return child;
  }

  private replyError(reply: Extract<Reply, { ok: false }>, exportName: string): Error {
    switch (reply.kind) {
      case "load": {
        const esm = /Cannot use import statement|Unexpected token 'export'/.test(reply.message);
        return new UserError(`the script ${this.file} could not be loaded: ${reply.message}`, {
          field: "script.path",
          fix: esm
            ? 'The module uses ESM syntax in a .js file of a CommonJS package: rename it to .mjs, or set "type": "module" in its package.json.'
            : "Fix the module so that `node` can import it (it may read only files of the repository).",
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
        return new Error(`it returned a value that cannot be copied out of its process (${reply.message})`);
      default:
        return new Error(`it threw: ${reply.message}`);
    }
  }

  private finish(slot: Slot, call: Call, error: Error | undefined, value?: unknown): void {
    if (slot.current?.call !== call) return;
    clearTimeout(slot.current.timer);
    slot.current = undefined;
    slot.child?.flush();
    if (error) call.reject(error);
    else call.resolve(value);
    this.pump();
  }

  private kill(slot: Slot): void {
    const child = slot.child;
    slot.child = undefined;
    child?.flush();
    // Referenced again, so that whoever waits for its exit (close) keeps eval-gate alive until then.
    child?.process.ref();
    child?.process.kill("SIGKILL");
  }

  async close(): Promise<void> {
    this.closed = true;
    const stopped = new Error("the run was stopped");
    for (const call of this.queue.splice(0)) call.reject(stopped);
    await Promise.all(
      this.slots.map((slot) => {
        const call = slot.current?.call;
        if (call) this.finish(slot, call, stopped);
        const child = slot.child?.process;
        this.kill(slot);
        return child && child.exitCode === null && child.signalCode === null
          ? new Promise((done) => child.once("exit", done))
          : undefined;
      }),
    );
  }
}
