// Files for the eval-set life-cycle commands (sample, rotate, check, perturb): the config and its
// sets read with the same parsers as `run`, and globs. The trace flags are in trace-flags.ts.

import { readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { workspaceSource } from "../adapters/files/git.js";
import type { Config } from "../core/config/config.js";
import { type LineOf, parseConfigWithLines } from "../core/config/parse-config.js";
import { parseSet } from "../core/config/sets.js";
import { UserError, UserErrors } from "../core/errors.js";
import { loadSets } from "../core/evaluate.js";
import type { ExistingCase } from "../core/lifecycle/sample.js";
import type { FileSource } from "../core/ports.js";
import { caseText } from "../core/text/words.js";
import type { EvalSet, Visibility } from "../core/types.js";

/** A path as the config and messages write it: relative to `cwd`, with `/`. */
export function relativePath(cwd: string, p: string): string {
  return relative(cwd, resolve(cwd, p)).split(sep).join("/");
}

export async function readTextFile(cwd: string, p: string, what: string, field?: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, p), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code === "ENOENT" ? `${what} ${p} does not exist` : `${what} ${p} cannot be read (${code})`,
      {
        ...(field ? { field } : {}),
        fix: "Check the path; it is relative to the current folder.",
      },
    );
  }
}

export async function exists(cwd: string, p: string): Promise<boolean> {
  return (await stat(resolve(cwd, p)).catch(() => null)) !== null;
}

function globToRegExp(segment: string): RegExp {
  const body = segment
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[^/]*")
    .replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}

/**
 * Files matching `pattern` (`*` and `?` within a path segment; no `**`), sorted. A pattern without
 * wildcards is the file itself. Quote patterns on the command line, or the shell expands them first.
 */
export async function expandGlob(cwd: string, pattern: string): Promise<string[]> {
  if (!/[*?]/.test(pattern)) return [pattern];
  const absolute = isAbsolute(pattern);
  const parts = pattern.split(/[/\\]+/).filter((p, i) => p !== "" || (i === 0 && absolute));
  let found = [absolute ? "/" : ""];
  for (const [i, part] of parts.entries()) {
    if (absolute && i === 0) continue;
    const next: string[] = [];
    for (const dir of found) {
      if (!/[*?]/.test(part)) {
        next.push(dir === "" ? part : join(dir, part));
        continue;
      }
      const entries = await readdir(resolve(cwd, dir === "" ? "." : dir)).catch(() => [] as string[]);
      const re = globToRegExp(part);
      for (const e of entries.sort()) if (re.test(e)) next.push(dir === "" ? e : join(dir, e));
    }
    found = next;
  }
  const files: string[] = [];
  for (const f of found) if ((await stat(resolve(cwd, f)).catch(() => null))?.isFile()) files.push(f);
  if (files.length === 0) {
    throw new UserError(`--exclude ${pattern} matches no file`, {
      field: "--exclude",
      fix: "Check the pattern; `*` matches within one folder.",
    });
  }
  return files.sort();
}

export interface Project {
  configPath: string;
  config: Config;
  lineOf: LineOf;
  sets: EvalSet[];
  source: FileSource;
}

/**
 * The config and every set it lists, parsed as `run` parses them; every problem is reported at
 * once. `graders: true` also checks each case's graders against the registry (for `check`);
 * `skipMissingSets` passes over set files that do not exist yet (for `sample` and `rotate`).
 */
export async function loadProject(
  cwd: string,
  config: string,
  options: { graders?: boolean; skipMissingSets?: boolean } = {},
): Promise<Project> {
  const configPath = relativePath(cwd, config);
  const source = workspaceSource(cwd);
  const text = await source.read(configPath);
  if (text === null) {
    throw new UserError("the config file does not exist", {
      file: configPath,
      fix: "Point --config at your eval-gate.yml.",
    });
  }
  const { config: parsed, lineOf } = parseConfigWithLines(text, configPath);
  const errors: UserError[] = [];
  const sets = await loadSets(parsed, configPath, source, lineOf, errors, {
    graders: options.graders ?? false,
    skipMissingSets: options.skipMissingSets ?? false,
  });
  if (errors.length > 0) throw new UserErrors(errors);
  return { configPath, config: parsed, lineOf, sets, source };
}

/** A set file outside any config (`--exclude`, `perturb SET.jsonl`). */
export async function loadSetFile(
  cwd: string,
  p: string,
  visibility: Visibility = "full",
): Promise<EvalSet & { text: string }> {
  const file = relativePath(cwd, p);
  const text = await readTextFile(cwd, p, "set file");
  const name = (file.split("/").pop() ?? file).replace(/\.jsonl?$/i, "");
  return { ...parseSet(text, file, name, visibility), text };
}

/**
 * The cases traces must not repeat: every set of the config (when there is one: `--config`, or
 * eval-gate.yml when it exists) and every file `--exclude` names, without reading a file twice.
 */
export async function loadExisting(
  cwd: string,
  values: { config?: unknown; exclude?: unknown },
): Promise<{ sets: EvalSet[]; project: Project | null }> {
  let project: Project | null = null;
  const config = typeof values.config === "string" ? values.config : "eval-gate.yml";
  if (typeof values.config === "string" || (await exists(cwd, config)))
    project = await loadProject(cwd, config, { skipMissingSets: true });
  const sets = [...(project?.sets ?? [])];
  const seen = new Set(sets.map((s) => s.path));
  const patterns = Array.isArray(values.exclude) ? (values.exclude as string[]) : [];
  for (const pattern of patterns.flatMap((p) => p.split(",")).filter((p) => p.trim() !== "")) {
    for (const file of await expandGlob(cwd, pattern.trim())) {
      const path = relativePath(cwd, file);
      if (seen.has(path)) continue;
      seen.add(path);
      sets.push(await loadSetFile(cwd, file));
    }
  }
  return { sets, project };
}

export function existingCases(sets: readonly EvalSet[]): ExistingCase[] {
  return sets.flatMap((s) => s.cases.map((c) => ({ set: s.name, id: c.id, text: caseText(c) })));
}

/** A number option, checked: `share` in [0, 1], `count` a whole number >= min. */
export function numberOption(
  name: string,
  value: unknown,
  kind: "share" | "count" | "probability",
  min = 0,
): number {
  const n = Number(value);
  const ok =
    typeof value === "string" &&
    value.trim() !== "" &&
    Number.isFinite(n) &&
    (kind === "share"
      ? n >= 0 && n <= 1
      : kind === "probability"
        ? n > 0 && n < 1
        : Number.isInteger(n) && n >= min);
  if (!ok) {
    const want =
      kind === "share"
        ? "a number from 0 to 1, e.g. 0.2"
        : kind === "probability"
          ? "a number between 0 and 1, e.g. 0.8"
          : `a whole number of at least ${min}`;
    throw new UserError(`--${name} is "${String(value)}"`, { field: `--${name}`, fix: `Use ${want}.` });
  }
  return n;
}

/** Extra positionals are usually a glob the shell expanded: say how to pass it. */
export function onePositional(command: string, positionals: string[], what: string): string {
  if (positionals.length === 0) {
    throw new UserError(`${command} needs a ${what}`, { fix: `Run \`eval-gate ${command} --help\`.` });
  }
  if (positionals.length > 1) {
    throw new UserError(`${command} takes one ${what}, got ${positionals.length} arguments`, {
      fix: "If a glob was expanded by the shell, quote it: --exclude 'evals/*.jsonl'.",
    });
  }
  return positionals[0] as string;
}
