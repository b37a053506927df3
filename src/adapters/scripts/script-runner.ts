import { rmSync } from "node:fs";
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { isAbsolute, join, relative, sep } from "node:path";
import { UserError } from "../../core/errors.js";
import { readableGrants } from "../files/readable-paths.js";
import type { ChildSetup } from "./script-child.js";
import { limitOutput, outputPrefix } from "./script-output.js";
import { ModulePool } from "./script-pool.js";

/**
 * Runs exported functions of repository JS modules (script graders) in child processes under
 * Node's permission model (script-child.ts says what a child can reach), a small pool of warm
 * children per module (script-pool.ts). The README's `script` section says what a script can and
 * cannot reach; the tests in __tests__/unit/script-sandbox.test.ts try each claim.
 */
export interface ScriptRunner {
  /** Calls `exportName(args)` of the module at the absolute `file` (inside the readable root); resolves to what it returned. */
  run(file: string, exportName: string, args: unknown, timeoutMs: number): Promise<unknown>;
  /** Kills every child, rejects calls still waiting, removes the temporary folder. */
  close(): Promise<void>;
}

export interface ScriptRunnerOptions {
  /**
   * The folder scripts may read (absolute), and their working directory: the repository's root,
   * or a snapshot of it. Its `.git` entries and symbolic links stay hidden (readable-paths.ts).
   * Every module run must be inside it.
   */
  readableRoot: string;
  /** Where the scripts' console output goes, escaped and prefixed (default: stderr, never stdout). */
  log?: (text: string) => void;
  /** Heap limit per child, so a runaway script ends its child instead of the machine (default 512). */
  maxHeapMb?: number;
  /** Warm children per module at most (default: min(4, cores)). */
  poolSize?: number;
  /** Script output relayed per runner at most, in bytes (default 1 MiB). */
  maxOutputBytes?: number;
}

export function createScriptRunner(options: ScriptRunnerOptions): ScriptRunner {
  const write = limitOutput(
    options.log ?? ((text) => void process.stderr.write(text)),
    options.maxOutputBytes ?? 1024 * 1024,
  );
  const poolSize = Math.max(1, options.poolSize ?? Math.min(4, availableParallelism()));
  const maxHeapMb = options.maxHeapMb ?? 512;
  const pools = new Map<string, ModulePool>();
  let closed = false;
  // What every child shares, made on the first call: the grants, and the one writable folder.
  let prepared: Promise<{ root: string; setup: ChildSetup }> | undefined;
  const prepare = async () => {
    const root = await realpath(options.readableRoot);
    const tempDir = await realpath(await mkdtemp(join(tmpdir(), "eval-gate-script-")));
    removeAtExit(tempDir);
    const grants = await readableGrants(root).catch(async (e: unknown) => {
      await rm(tempDir, { recursive: true, force: true });
      throw e;
    });
    return { root, setup: { grants, tempDir, cwd: root, maxHeapMb } };
  };

  return {
    async run(file, exportName, args, timeoutMs) {
      if (closed) throw new Error("the script runner is closed");
      prepared ??= prepare();
      const { root, setup } = await prepared;
      if (closed) throw new Error("the script runner is closed");
      const path = pathInside(root, file);
      if (path === undefined) {
        throw new UserError(`the script ${file} is outside the folder scripts may read (${root})`, {
          field: "script.path",
          fix: "Give the path of a module inside the repository.",
        });
      }
      let pool = pools.get(file);
      if (!pool) {
        pool = new ModulePool(file, outputPrefix(path), setup, { poolSize, write });
        pools.set(file, pool);
      }
      return pool.run(exportName, args, timeoutMs);
    },
    async close() {
      closed = true;
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close()));
      const done = await prepared?.catch(() => undefined);
      if (done) await rm(done.setup.tempDir, { recursive: true, force: true });
      if (done) leftovers.delete(done.setup.tempDir);
    },
  };
}

/** `file`'s path from `root` (posix), or undefined when it is not strictly inside. */
function pathInside(root: string, file: string): string | undefined {
  const path = relative(root, file);
  const outside = path === "" || path === ".." || path.startsWith(`..${sep}`) || isAbsolute(path);
  return isAbsolute(file) && !outside ? path.split(sep).join("/") : undefined;
}

// Temporary folders of runners that eval-gate exits without closing (a crash, process.exit).
const leftovers = new Set<string>();
let hooked = false;
function removeAtExit(dir: string): void {
  if (!hooked) process.on("exit", removeLeftovers);
  hooked = true;
  leftovers.add(dir);
}
function removeLeftovers(): void {
  for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
}
