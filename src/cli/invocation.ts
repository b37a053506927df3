import { basename, sep } from "node:path";

/** The name the package is published under (a test keeps it equal to package.json's). */
export const PACKAGE_NAME = "eval-gate";

/**
 * The command that runs eval-gate again the way this run was started, for the next steps a command
 * prints: `npx eval-gate` under npx or from a project's node_modules (it needs no global install);
 * `node …/dist/cli.js` when a clone's bundle was run with node; `eval-gate` otherwise (a global
 * install, `npm link`), where the bin is on the PATH.
 */
export function invocation(env: Record<string, string | undefined>, scriptPath: string | undefined): string {
  const script = scriptPath ?? "";
  if (env.npm_command === "exec" || script.split(sep).includes("node_modules")) return `npx ${PACKAGE_NAME}`;
  if (basename(script) === "cli.js") return `node ${/\s/.test(script) ? `"${script}"` : script}`;
  return "eval-gate";
}
