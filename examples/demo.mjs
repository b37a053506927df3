// The offline example, end to end: a throwaway git repo whose main branch holds the support
// assistant's prompt and whose PR commit rewrites it; then `eval-gate run --base main` as a
// developer would run it. No API key, no network: responses come from recordings.jsonl.
// The repo is removed at the end unless `--keep` is given (`npm run example -- --keep`).
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = mkdtempSync(join(tmpdir(), "eval-gate-example-"));
const git = (...args) => execFileSync("git", args, { cwd: repo, stdio: "pipe" });

cpSync(join(root, "examples/support"), repo, { recursive: true });
rmSync(join(repo, "make-example.mjs"));
git("init", "-q", "-b", "main");
git("config", "user.email", "demo@example.invalid");
git("config", "user.name", "demo");
git("config", "commit.gpgsign", "false");
git("add", "-A");
git("commit", "-q", "-m", "main: support assistant with its eval sets");
git("checkout", "-q", "-b", "shorter-prompt");
cpSync(join(repo, "pr/support.md"), join(repo, "prompts/support.md"));
git("commit", "-q", "-am", "PR: a shorter prompt");

const keep = process.argv.includes("--keep");
console.log(
  [
    keep
      ? `Example repo: ${repo} (kept: --keep)`
      : `Example repo: ${repo} (removed at the end; \`npm run example -- --keep\` keeps it)`,
    "Running: eval-gate run --base main  (the PR shortens the system prompt)",
    "",
  ].join("\n"),
);
const result = spawnSync(
  process.execPath,
  [join(root, "dist/cli.js"), "run", "--base", "main", "--no-cache"],
  {
    cwd: repo,
    stdio: "inherit",
  },
);
if (!keep) rmSync(repo, { recursive: true, force: true });
const where = keep
  ? `The example repo is still at ${repo}: cd there, look at \`git log -p\` and .eval-gate/report.json, rerun \`node ${join(root, "dist/cli.js")} run --base main\`; remove it when done.`
  : "The example repo was removed; run `npm run example -- --keep` to keep it and look around.";
if (result.status === 1) {
  console.log(
    `\nExit code 1: the gate failed the PR, as it should. The shorter prompt lost the address rule.\n${where}`,
  );
  process.exit(0);
}
console.log(
  `\nUnexpected exit code ${result.status}: the example should have caught the regression.\n${where}`,
);
process.exit(1);
