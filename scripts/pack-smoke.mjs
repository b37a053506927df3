// Packs the package as `npm publish` would, installs the tarball the two ways the README gives
// (into a project, run with npx; and globally) and runs it from there, away from this checkout's
// node_modules: --help, init (whose next steps must name the command that works) and the offline
// example, which must catch its regression. The package has no dependencies (dist/ bundles them),
// so the installs need no registry: they run with --offline.
// `node scripts/pack-smoke.mjs` (after `npm run build`); `--keep` keeps the temporary folder.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const work = mkdtempSync(join(tmpdir(), "eval-gate-pack-"));
// An npm_command inherited from `npm run` would stand for this script's own npm, not the CLI's.
const env = { ...process.env, NO_COLOR: "1", npm_command: "" };
const npmQuiet = ["--offline", "--no-audit", "--no-fund", "--loglevel=error"];

function run(cmd, args, cwd, extraEnv = {}) {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: "utf8" });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function check(what, ok, detail = "") {
  if (!ok) {
    console.error(`pack-smoke: FAILED: ${what}${detail ? `\n${detail}` : ""}`);
    console.error(`(files kept in ${work})`);
    process.exit(1);
  }
  console.log(`ok   ${what}`);
}

try {
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", work, "--loglevel=error"], {
      cwd: root,
      env,
      encoding: "utf8",
    }),
  );
  const tarball = join(work, packed[0].filename);
  console.log(`packed ${packed[0].filename}: ${packed[0].files.length} files, ${packed[0].size} bytes`);

  // 1. Into a project, run with npx (the README's `npx eval-gate run --base main`).
  const project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), '{ "private": true }\n');
  let r = run("npm", ["install", ...npmQuiet, tarball], project);
  check("npm install --offline of the tarball into a project", r.code === 0, r.err);
  const installed = readdirSync(join(project, "node_modules")).filter((d) => !d.startsWith("."));
  check("it installs no dependency", installed.join() === "eval-gate", installed.join(", "));
  r = run("npx", ["--offline", "eval-gate", "--help"], project);
  check("npx eval-gate --help", r.code === 0 && r.out.includes("Usage: eval-gate <command>"), r.out + r.err);
  r = run("npx", ["--offline", "eval-gate", "init", "--dir", "starter"], project);
  check(
    "npx eval-gate init prints `npx eval-gate run --base main`",
    r.code === 0 && r.out.includes("npx eval-gate run --base main"),
    r.out + r.err,
  );

  // 2. Globally (the README's `npm install -g eval-gate`), under a prefix of its own.
  const prefix = join(work, "global");
  r = run("npm", ["install", "-g", "--prefix", prefix, ...npmQuiet, tarball], work);
  check("npm install -g --offline of the tarball", r.code === 0, r.err);
  const bin = join(prefix, process.platform === "win32" ? "eval-gate.cmd" : "bin/eval-gate");
  r = run(bin, ["init", "--dir", join(work, "global-starter")], work);
  check(
    "the global eval-gate bin runs; init prints `eval-gate run --base main`",
    r.code === 0 && r.out.includes("  eval-gate run --base main"),
    r.out + r.err,
  );

  // 3. The offline example through the installed bin: the gate must fail the PR (exit 1).
  const repo = join(work, "example");
  cpSync(join(root, "examples/support"), repo, { recursive: true });
  rmSync(join(repo, "make-example.mjs"));
  const git = (...args) => execFileSync("git", args, { cwd: repo, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "smoke@example.invalid");
  git("config", "user.name", "smoke");
  git("config", "commit.gpgsign", "false");
  git("add", "-A");
  git("commit", "-q", "-m", "main");
  git("checkout", "-q", "-b", "pr");
  cpSync(join(repo, "pr/support.md"), join(repo, "prompts/support.md"));
  git("commit", "-q", "-am", "PR: a shorter prompt");
  r = run(bin, ["run", "--base", "main", "--no-cache"], repo);
  check(
    "eval-gate run --base main on the offline example fails the PR (exit 1)",
    r.code === 1 && r.out.includes("address_change"),
    `exit ${r.code}\n${r.out}${r.err}`,
  );
  console.log("pack-smoke: the packed package installs and runs.");
} finally {
  if (!process.argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
}
