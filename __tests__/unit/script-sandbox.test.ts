// Issue 12: what a script grader can reach, tried for real on the runner's child processes.
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptRunner, type ScriptRunner } from "../../src/adapters/scripts/script-runner.js";

const SECRET = "sk-eval-gate-unit-secret-5f1c9a";
let repo: string;
let outside: string;
let runner: ScriptRunner;
let server: Server;
let port: number;
let connections = 0;
const logged: string[] = [];

// Each attack runs as written; a denial comes back as `it threw: <code>: <message>`.
const ATTACKS = `
import fs from "node:fs";
import os from "node:os";
const code = (f) => async (a) => { try { return { pass: true, reason: String(await f(a)) }; } catch (e) { throw new Error((e.code ?? e.name) + ": " + e.message); } };
export const environ = code(() => fs.readFileSync("/proc/self/environ", "utf8"));
export const parentEnviron = code(() => fs.readFileSync("/proc/" + process.ppid + "/environ", "utf8"));
export const env = code(() => JSON.stringify(process.env));
export const read = code(({ path }) => fs.readFileSync(path, "utf8"));
export const append = code(({ path }) => fs.appendFileSync(path, "verdict=pass\\n"));
export const spawn = code(async () => (await import("node:child_process")).execSync("env").toString());
export const worker = code(async () => { const { Worker } = await import("node:worker_threads"); new Worker("1", { eval: true }); });
export const binding = code(() => Object.keys(process.binding("fs")).length);
export const addon = code(() => process.dlopen({ exports: {} }, "/nonexistent.node"));
export const inspector = code(async () => (await import("node:inspector")).open(0));
export const kill = code(() => process.kill(process.ppid, 0));
export const tracing = code(async () => (await import("node:trace_events")).createTracing({ categories: ["v8"] }).enable());
export const connect = code(async ({ port }) => { const net = await import("node:net"); return await new Promise((ok, no) => { const c = net.connect(port, "127.0.0.1"); c.on("connect", () => ok("connected")); c.on("error", no); }); });
export const tls = code(async ({ port }) => { const tls = await import("node:tls"); return await new Promise((ok, no) => { const c = tls.connect(port, "127.0.0.1", { rejectUnauthorized: false }); c.on("secureConnect", () => ok("connected")); c.on("error", no); }); });
export const http = code(async ({ port }) => { const http = await import("node:http"); return await new Promise((ok, no) => http.get("http://127.0.0.1:" + port + "/", (r) => ok(r.statusCode)).on("error", no)); });
export const udp = code(async ({ port }) => { const dgram = await import("node:dgram"); return await new Promise((ok, no) => dgram.createSocket({ type: "udp4", lookup: (h, o, cb) => cb(null, h, 4) }).send("x", port, "127.0.0.1", (e) => (e ? no(e) : ok("sent")))); });
export const fetchIt = code(async ({ port }) => { try { return await (await fetch("http://127.0.0.1:" + port + "/")).text(); } catch (e) { throw e.cause ?? e; } });
export const lookup = code(async () => (await import("node:dns")).promises.lookup("localhost"));
export const temp = code(() => { const f = os.tmpdir() + "/scratch.txt"; fs.writeFileSync(f, "kept"); return os.tmpdir() + " " + fs.readFileSync(f, "utf8"); });
export const commands = code(() => {
  for (const line of ["::set-output name=verdict::pass", "::add-mask::" + "x", "  ::stop-commands::tok", "ok ##[set-output name=verdict]pass", "a\\r::error::forged", "\\u001b[2K::notice::x"]) console.log(line);
  process.stderr.write("::warning::from stderr\\n");
  fs.writeSync(1, "::set-env name=NODE_OPTIONS::--require=/tmp/x\\n");
  return "printed";
});
`;

const run = (name: string, args: unknown = {}) => runner.run(join(repo, "attacks.mjs"), name, args, 10_000);
const denied = (name: string, args?: unknown) =>
  expect(run(name, args)).rejects.toThrow(/^it threw: ERR_ACCESS_DENIED/);

beforeAll(async () => {
  process.env.EVAL_GATE_UNIT_SECRET = SECRET;
  repo = await mkdtemp(join(tmpdir(), "eval-gate-sandbox-repo-"));
  outside = await mkdtemp(join(tmpdir(), "eval-gate-sandbox-runner-"));
  await writeFile(join(repo, "attacks.mjs"), ATTACKS);
  await mkdir(join(repo, ".git"));
  await writeFile(join(repo, ".git", "config"), `[http]\n\textraheader = AUTHORIZATION: basic ${SECRET}\n`);
  await mkdir(join(repo, "sub"));
  await symlink("/", join(repo, "root-link"));
  await symlink("..", join(repo, "sub", "up"));
  await writeFile(join(outside, "output.txt"), "");
  await writeFile(join(outside, "env.txt"), `SECRET=${SECRET}\n`);
  server = createServer((socket) => {
    connections++;
    socket.end("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nleaked");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  port = (server.address() as { port: number }).port;
  runner = createScriptRunner({ readableRoot: repo, log: (t) => logged.push(t) });
});
afterAll(async () => {
  await runner.close();
  delete process.env.EVAL_GATE_UNIT_SECRET;
  await new Promise((ok) => server.close(ok));
  await rm(repo, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe("a script grader", () => {
  it("gets an environment without eval-gate's variables", async () => {
    const result = (await run("env")) as { reason: string };
    const env = JSON.parse(result.reason) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(["TEMP", "TMP", "TMPDIR"]);
    expect(result.reason).not.toContain(SECRET);
  });

  it("cannot read its own or eval-gate's /proc/<pid>/environ", async () => {
    await denied("environ");
    await denied("parentEnviron");
  });

  it("cannot read outside the repository, nor through a link, nor .git", async () => {
    await denied("read", { path: join(outside, "env.txt") });
    await denied("read", { path: "/etc/hostname" });
    await denied("read", { path: join(repo, ".git", "config") });
    await denied("read", { path: join(repo, "root-link", "proc", String(process.pid), "environ") });
    await denied("read", { path: join(repo, "sub", "up", ".git", "config") });
    await expect(run("read", { path: join(repo, "attacks.mjs") })).resolves.toMatchObject({ pass: true });
  });

  it("cannot write outside its temporary folder, and that folder goes with the runner", async () => {
    await denied("append", { path: join(outside, "output.txt") });
    await denied("append", { path: join(repo, "written.txt") });
    expect(await readFile(join(outside, "output.txt"), "utf8")).toBe("");
    expect(existsSync(join(repo, "written.txt"))).toBe(false);
    const { reason } = (await run("temp")) as { reason: string };
    const [dir, text] = reason.split(" ");
    expect(text).toBe("kept");
    expect(dir).toMatch(/eval-gate-script-/);
    expect(existsSync(join(dir as string, "scratch.txt"))).toBe(true);
    const own = createScriptRunner({ readableRoot: repo, log: () => {} });
    const { reason: other } = (await own.run(join(repo, "attacks.mjs"), "temp", {}, 10_000)) as {
      reason: string;
    };
    const otherDir = other.split(" ")[0] as string;
    expect(otherDir).not.toBe(dir);
    await own.close();
    expect(existsSync(otherDir)).toBe(false);
  });

  it("cannot start processes or workers, load addons, open the inspector or reach internal bindings", async () => {
    for (const name of ["spawn", "worker", "binding", "inspector"]) await denied(name);
    await expect(run("addon")).rejects.toThrow(/^it threw: ERR_DLOPEN_DISABLED/);
  });

  it("cannot signal other processes or start tracing into the repository", async () => {
    await denied("kill");
    await denied("tracing");
    expect(readdirSync(repo).filter((f) => f.includes("trace"))).toEqual([]);
  });

  it("cannot open a socket or look up a name by the public APIs", async () => {
    for (const name of ["connect", "tls", "http", "fetchIt", "udp"]) await denied(name, { port });
    await denied("lookup");
    expect(connections).toBe(0);
  });

  it("prints nothing the Actions runner would take for a workflow command", async () => {
    logged.length = 0;
    await run("commands");
    await new Promise((r) => setTimeout(r, 100));
    const lines = logged.join("").split(/\r\n|\r|\n/);
    expect(lines.filter((l) => l.includes("::")).length).toBeGreaterThanOrEqual(7);
    for (const line of lines.filter((l) => l !== "")) {
      expect(line).toMatch(/^\[script attacks\.mjs\] /);
      expect(line.trimStart().startsWith("::")).toBe(false);
      expect(line).not.toContain("##[");
    }
    expect(logged.join("")).not.toContain(SECRET);
  });
});
