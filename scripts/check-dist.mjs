// Fails when the committed dist/ differs from a fresh build of the sources, its file modes included:
// dist/cli.js is executable on disk and in git (100755), so running it never dirties the tree.
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";

execFileSync("node", ["scripts/build.mjs"], { stdio: "inherit" });
const changed = execFileSync("git", ["status", "--porcelain", "--", "dist"], { encoding: "utf8" });
if (changed.trim() !== "") {
  console.error(`dist/ is stale; run \`npm run build\` and commit dist/:\n${changed}`);
  process.exit(1);
}
// git status sees a mode change only where core.fileMode is on; the index's mode is checked here.
const staged = execFileSync("git", ["ls-files", "--stage", "--", "dist/cli.js"], { encoding: "utf8" });
const onDisk = statSync("dist/cli.js").mode & 0o777;
if (!staged.startsWith("100755 ") || onDisk !== 0o755) {
  console.error(
    `dist/cli.js must be executable in git and on disk (git: ${staged.split(" ")[0] || "untracked"}, disk: ${onDisk.toString(8)}); run \`npm run build\`, then \`git update-index --chmod=+x dist/cli.js\` and commit.`,
  );
  process.exit(1);
}
console.log("dist/ matches a fresh build.");
