// The benchmark's OpenAI-compatible server, in a process of its own so that it is as independent
// of the measured tool as a real endpoint is: the test suite's server (bundled once for plain
// node), started in a child process and driven over IPC. `--server URL` names a server that is
// already running instead; figures that need the server's own counters are then left out.
import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const self = fileURLToPath(import.meta.url);

/** Bundles the suite's server into `work` once; returns the module's path. */
export async function bundleServer(work) {
  const out = join(work, "openai-server.mjs");
  await build({
    entryPoints: [join(root, "__tests__/support/openai-server.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    logLevel: "warning",
  });
  return out;
}

/**
 * A server in a child process. `faults` are the suite server's (latencyMs, requestsPerSecond, ...).
 * Returns { url, stats(), reset(), close() }; stats() gives { total, byStatus, maxInFlight,
 * firstAt, lastAt }.
 */
export async function startServer(work, faults) {
  const module = await bundleServer(work);
  const child = fork(self, ["--serve", module, JSON.stringify(faults)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let pending = new Map();
  let seq = 0;
  const ready = new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the benchmark server exited (${code})`)));
    child.on("message", (m) => {
      if (m.ready) resolve(m.url);
      else pending.get(m.seq)?.(m.value);
    });
  });
  const url = await ready;
  const ask = (op) =>
    new Promise((resolve) => {
      seq++;
      pending.set(seq, resolve);
      child.send({ seq, op });
    });
  return {
    url,
    independent: false,
    stats: () => ask("stats"),
    reset: () => ask("reset"),
    close: async () => {
      child.removeAllListeners("exit");
      child.kill();
      pending = new Map();
    },
  };
}

/** A server somebody else runs: no counters, no reset. */
export function externalServer(url) {
  return { url, independent: true, stats: async () => null, reset: async () => {}, close: async () => {} };
}

// The child's side: start the server, answer the parent's questions.
if (process.argv[2] === "--serve") {
  const { startOpenAIServer } = await import(pathToFileURL(process.argv[3]).href);
  const server = await startOpenAIServer({ faults: JSON.parse(process.argv[4]) });
  process.on("message", async ({ seq, op }) => {
    let value = null;
    if (op === "stats") {
      const s = server.stats();
      const at = s.requests.map((r) => r.at);
      value = {
        total: s.total,
        byStatus: s.byStatus,
        maxInFlight: s.maxInFlight,
        // When the first and the last request arrived (ms since the epoch), to time the requests alone.
        firstAt: at.length > 0 ? Math.min(...at) : null,
        lastAt: at.length > 0 ? Math.max(...at) : null,
      };
    } else if (op === "reset") server.reset();
    process.send({ seq, value });
  });
  process.on("disconnect", () => server.close().then(() => process.exit(0)));
  process.send({ ready: true, url: server.url });
}
