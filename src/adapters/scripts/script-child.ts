import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { lazyChildProcess } from "../process/builtin.js";
import { LineRelay } from "./script-output.js";

/**
 * One script grader's process: a Node started with the permission model, reading only what
 * `grants` names, writing only to `tempDir`, with no child processes, workers, addons, WASI or
 * inspector (none is allowed), and an environment made from nothing. It loads one module and
 * answers `{ id, exportName, args }` messages over the IPC channel (v8 serialization: what a
 * worker could return, a process can).
 */

// Inline code rather than a file, so it works the same from the TypeScript sources (tests) and
// from the bundled dist/ files, and needs no read grant of its own. CommonJS; `import()` loads
// ESM and CJS modules alike. The module's URL is the first argument.
const CHILD_SOURCE = `"use strict";
// Node before 25 has no network permission, and a socket reaches more than the internet (a
// Docker socket, a metadata service): the public ways to open one are closed before the script
// loads. This is JavaScript, not the permission model: see the README for what it does not stop.
const deny = (what) => function denied() {
  const error = new Error(what + " is not available to script graders");
  error.code = "ERR_ACCESS_DENIED";
  throw error;
};
const net = require("node:net");
net.Socket.prototype.connect = deny("the network");
net.Server.prototype.listen = deny("the network");
const dgram = require("node:dgram");
for (const name of ["bind", "connect", "send"]) dgram.Socket.prototype[name] = deny("the network");
const dns = require("node:dns");
for (const api of [dns, dns.promises, dns.Resolver.prototype, dns.promises.Resolver.prototype]) {
  for (const name of Object.getOwnPropertyNames(api)) {
    if (/^(lookup|resolve|reverse)/.test(name) && typeof api[name] === "function") api[name] = deny("DNS");
  }
}
// Signals reach any process of the same user; the permission model does not cover them.
process.kill = deny("process.kill");
process._kill = deny("process.kill");
// Node 20 writes trace files without asking the permission model.
require("node:trace_events").createTracing = deny("tracing");

let loading;
const load = () => (loading ??= import(process.argv[1]));
function message(e) {
  if (e instanceof Error) return e.message || e.name;
  try { return typeof e === "string" ? e : JSON.stringify(e) ?? String(e); } catch { return String(e); }
}
function reply(answer) {
  try {
    process.send(answer);
  } catch (e) {
    process.send({ id: answer.id, ok: false, kind: "clone", message: message(e) });
  }
}
process.on("message", async ({ id, exportName, args }) => {
  let mod;
  try {
    mod = await load();
  } catch (e) {
    return reply({ id, ok: false, kind: "load", message: message(e) });
  }
  let fn = mod[exportName];
  if (typeof fn !== "function" && mod.default && typeof mod.default === "object") fn = mod.default[exportName];
  if (typeof fn !== "function") {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    return reply({ id, ok: false, kind: "export", message: names.join(", ") });
  }
  try {
    reply({ id, ok: true, value: await fn(args) });
  } catch (e) {
    reply({ id, ok: false, kind: "throw", message: message(e) });
  }
});
// An error the script leaves behind (a throw in a timer) ends the process, saying why first.
process.on("uncaughtException", (e) => {
  try { process.send({ crash: message(e) }, () => process.exit(70)); } catch { process.exit(70); }
});
process.on("disconnect", () => process.exit(0));
`;

export interface ChildSetup {
  /** Paths the script may read (see readableGrants). */
  grants: string[];
  /** The one folder it may write to (and read); also its TMPDIR. */
  tempDir: string;
  /** Its working directory, e.g. the repository root, so that relative paths read as before. */
  cwd: string;
  maxHeapMb: number;
}

/** Node's flags for the child, as this Node spells them (20: --experimental-permission; 22+: --permission). */
export function childArgs(setup: ChildSetup, moduleUrl: string): string[] {
  const flags = process.allowedNodeEnvironmentFlags;
  const args = [flags.has("--permission") ? "--permission" : "--experimental-permission"];
  for (const path of [...setup.grants, setup.tempDir]) args.push(`--allow-fs-read=${path}`);
  args.push(`--allow-fs-write=${setup.tempDir}`, `--max-old-space-size=${setup.maxHeapMb}`);
  // Node 20 warns that the permission model is experimental, at every start, into the log.
  args.push(flags.has("--disable-warning") ? "--disable-warning=ExperimentalWarning" : "--no-warnings");
  // node:sqlite (Node 22.5+) opens and creates database files without asking the permission model.
  if (flags.has("--experimental-sqlite")) args.push("--no-experimental-sqlite");
  // Should tracing be started anyway, its file goes to the temporary folder, not the repository.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Node's own placeholder, not a template
  args.push(`--trace-event-file-pattern=${join(setup.tempDir, "node-trace.${rotation}.log")}`);
  args.push("-e", CHILD_SOURCE, moduleUrl);
  return args;
}

export interface ScriptChild {
  process: ChildProcess;
  /** Writes out partial lines of output (at the end of a call). */
  flush(): void;
  /** True once the process said on stderr that it ran out of heap. */
  outOfMemory(): boolean;
}

/** Starts the child for the module at `moduleUrl`; its output goes, line by line, to `write`. */
export function startChild(
  setup: ChildSetup,
  moduleUrl: string,
  prefix: string,
  write: (text: string) => void,
): ScriptChild {
  const child = lazyChildProcess().spawn(process.execPath, childArgs(setup, moduleUrl), {
    cwd: setup.cwd,
    // Made from nothing: no API key, token, GITHUB_* file path, ACTIONS_* variable or NODE_OPTIONS
    // (which could load code before the permission model is on) of eval-gate's own.
    env: { TMPDIR: setup.tempDir, TMP: setup.tempDir, TEMP: setup.tempDir },
    // Pipes, never eval-gate's own stdout and stderr: its output is relayed, escaped.
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced",
    windowsHide: true,
  });
  track(child);
  let oom = false;
  const relays = [child.stdout, child.stderr].map((stream, i) => {
    const relay = new LineRelay(prefix, write);
    stream?.setEncoding("utf8");
    stream?.on("data", (text: string) => {
      if (i === 1 && text.includes("heap out of memory")) oom = true;
      relay.push(text);
    });
    stream?.on("end", () => relay.flush());
    return relay;
  });
  // An idle child must not keep eval-gate alive; a running call's timer does.
  child.unref();
  child.channel?.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as Readable & { unref?(): void })?.unref?.();
  return {
    process: child,
    flush: () => {
      for (const relay of relays) relay.flush();
    },
    outOfMemory: () => oom,
  };
}

// Children still alive when eval-gate exits without closing its runner (a crash, process.exit)
// are stopped with it, not left running a loop.
const live = new Set<ChildProcess>();
let hooked = false;
function track(child: ChildProcess): void {
  if (!hooked) process.on("exit", stopAll);
  hooked = true;
  live.add(child);
  child.once("exit", () => live.delete(child));
}
function stopAll(): void {
  for (const child of live) child.kill("SIGKILL");
}
