// Fails when the committed dist/ differs from a fresh build of the sources.
import { execFileSync } from "node:child_process";

execFileSync("node", ["scripts/build.mjs"], { stdio: "inherit" });
const changed = execFileSync("git", ["status", "--porcelain", "--", "dist"], { encoding: "utf8" });
if (changed.trim() !== "") {
  console.error(`dist/ is stale; run \`npm run build\` and commit dist/:\n${changed}`);
  process.exit(1);
}
console.log("dist/ matches a fresh build.");
