import { posix } from "node:path";
import { OutsideRepositoryError, UserError } from "../errors.js";
import type { GraderSpec } from "../types.js";
import type { LineOf } from "./parse-config.js";
import { resolvePath } from "./target.js";

/**
 * A path from the repository root as its parts; anything that could leave the repository or read
 * git's own files (where actions/checkout keeps the token) is refused before any file is touched.
 */
export function repositoryPath(path: string): string[] {
  const normal = posix.normalize(path.replace(/\\/g, "/"));
  const parts = normal.split("/").filter((p) => p !== "" && p !== ".");
  if (
    path.startsWith("/") ||
    /^[A-Za-z]:/.test(path) ||
    parts.includes("..") ||
    parts.some((p) => p.toLowerCase() === ".git") ||
    path.includes("\0") ||
    parts.length === 0
  ) {
    throw new OutsideRepositoryError(path, "is not a file inside the repository");
  }
  return parts;
}

/** Every file a config names, with the config key it is written under. */
function namedFiles(config: {
  target: { system?: string | undefined; tools?: string | undefined; recordings?: string | undefined };
  sets: Record<string, { path: string }>;
  graders: GraderSpec[];
  judge?: { calibration?: string | undefined } | undefined;
}): { path: (string | number)[]; value: string }[] {
  const out: { path: (string | number)[]; value: string }[] = [];
  for (const key of ["system", "tools", "recordings"] as const) {
    const value = config.target[key];
    if (value !== undefined) out.push({ path: ["target", key], value });
  }
  for (const [name, spec] of Object.entries(config.sets))
    out.push({ path: ["sets", name], value: spec.path });
  if (config.judge?.calibration)
    out.push({ path: ["judge", "calibration"], value: config.judge.calibration });
  config.graders.forEach((spec, i) => {
    for (const [i2, value] of graderFiles(spec)) out.push({ path: ["graders", i, i2], value });
  });
  return out;
}

/** The files a grader reads: a judge's rubric file, a script's module. */
export function graderFiles(spec: GraderSpec): [string, string][] {
  const out: [string, string][] = [];
  if (spec.type === "judge" && typeof spec.rubric_file === "string")
    out.push(["rubric_file", spec.rubric_file]);
  if (spec.type === "script" && typeof spec.path === "string") out.push(["path", spec.path]);
  return out;
}

/**
 * Every path the config names must resolve inside the repository: a config error at its line
 * otherwise, before anything is read (`system: ../../../proc/self/environ` would send the
 * process's environment to the endpoint). Links are checked when the file is read.
 */
export function configPathErrors(
  config: Parameters<typeof namedFiles>[0],
  configPath: string,
  lineOf: LineOf,
  file = configPath,
): UserError[] {
  const errors: UserError[] = [];
  for (const { path, value } of namedFiles(config)) {
    const problem = pathProblem(configPath, value);
    if (problem) {
      errors.push(
        new UserError(problem, {
          file,
          line: lineOf(path),
          field: path.join("."),
          fix: "Name a file inside the repository, relative to the config file's folder, and not under .git.",
        }),
      );
    }
  }
  return errors;
}

/** Why `value` (relative to the config's folder) is not a file of the repository, or null. */
export function pathProblem(configPath: string, value: string): string | null {
  try {
    if (/^[A-Za-z]:|^[\\/]/.test(value)) throw new OutsideRepositoryError(value, "is an absolute path");
    repositoryPath(resolvePath(configPath, value.replace(/\\/g, "/")));
    return null;
  } catch (e) {
    if (e instanceof OutsideRepositoryError)
      return `the path ${JSON.stringify(value)} is outside the repository`;
    throw e;
  }
}
