// What an evaluation reads and checks before its first request (evaluate.ts): the base side's
// project, whose gate definition judges the run, and the checks on both sides' configs (endpoints,
// key variables, cases leaked into the prompt, placeholders the base's cases lack).
import { describeError, isUserError, UserError, UserErrors } from "../errors.js";
import type { FileSource } from "../ports.js";
import { findLeaks, findLeaksInTurns, type Leak } from "../text/leaks.js";
import type { EvalSet } from "../types.js";
import { checkSystemVars, loadProject, type ParseMemo, type Project } from "./project.js";
import { checkEndpoint, checkKeyEnv, type ResolvedTarget } from "./target.js";

/** The two sides of an evaluation and what their configs may name (of `EvaluateOptions`). */
export interface Sides {
  /** The config's path, relative to the repository root (posix separators). */
  configPath: string;
  head: { source: FileSource };
  base: { source: FileSource; ref: string; sha: string } | null;
  allowedEndpoints: string[] | null;
  allowedKeyEnvs?: readonly string[] | null;
  forceBaseDefinition?: boolean;
}

/**
 * Whose gate definition judges the run. On a pull request the base commit's, so a PR cannot
 * loosen the rule that judges it; the base's own `gate.definition: head` opts out (the PR's value
 * of that key counts for the PRs after it). Without a usable base, the workspace's.
 */
export function judgingDefinition(head: Project, base: Project | null, options: Sides) {
  if (base && options.base && (base.config.gate.definition === "base" || options.forceBaseDefinition)) {
    return { project: base, from: "base" as const, source: options.base.source, sha: options.base.sha };
  }
  return { project: head, from: "head" as const, source: options.head.source, sha: null };
}

/** Placeholders the head's prompt needs that the base's cases lack: every one an error. */
export function checkBaseVars(headTarget: ResolvedTarget, baseSets: EvalSet[]): void {
  const missing = checkSystemVars(headTarget, baseSets).map(onBaseCases);
  if (missing.length > 0) throw new UserErrors(missing);
}

/** A placeholder the PR's prompt needs but the base's cases lack: said in the terms of the base rule. */
function onBaseCases(e: UserError): UserError {
  return new UserError(`${e.message} (the gate runs the base branch's cases on a pull request)`, {
    ...(e.file ? { file: e.file } : {}),
    ...(e.line ? { line: e.line } : {}),
    ...(e.field ? { field: e.field } : {}),
    fix: "Add the var to the cases in a pull request of its own first, then change the prompt; or set `gate.definition: head` on the base branch.",
  });
}

/**
 * Eval cases pasted into the prompt turn the gate into a memory test: an error on a PR, found
 * before any request. Elsewhere a push must still warm the cache, so there it is a note: see
 * leakNotes.
 */
export function checkLeaks(target: ResolvedTarget, sets: EvalSet[]): void {
  const leaks = target.system ? findLeaks({ prompts: promptsOf(target), sets }) : [];
  if (leaks.length > 0) throw new UserErrors(leaks.map((l) => leakError(l, fileOf(sets, l.set))));
}

/** The leaks as notes, looked for a few hundred cases a turn (the requests are in flight by then). */
export async function leakNotes(target: ResolvedTarget, sets: EvalSet[]): Promise<string[]> {
  const leaks = target.system ? await findLeaksInTurns({ prompts: promptsOf(target), sets }) : [];
  return leaks.map((l) => leakError(l, fileOf(sets, l.set)).format());
}

function promptsOf(target: ResolvedTarget) {
  return [{ file: target.systemFile ?? "the system prompt", text: target.system as string }];
}

function fileOf(sets: EvalSet[], set: string): string {
  return sets.find((x) => x.name === set)?.path ?? set;
}

/** Endpoints and key variables each side's config names, checked before any request. */
export function checkTargets(options: Sides, head: Project, base: Project | null): void {
  const sides = [
    { project: head, file: options.configPath },
    ...(base && options.base
      ? [{ project: base, file: `${options.configPath}@${options.base.sha.slice(0, 7)}` }]
      : []),
  ];
  for (const { project, file } of sides) {
    const at = (key: string) => ({ file, line: project.lineOf(["target", key]) });
    const endpointKey = project.target.provider === "replay" ? "provider" : "base_url";
    if (options.allowedEndpoints) checkEndpoint(project.target, options.allowedEndpoints, at(endpointKey));
    checkKeyEnv(project.target, options.allowedKeyEnvs ?? null, at("api_key_env"));
  }
}

/** The base side's project, or null (with a note) when the base has no usable config. */
export async function loadBaseProject(
  base: NonNullable<Sides["base"]>,
  configPath: string,
  env: Record<string, string | undefined>,
  notes: string[],
  memo?: ParseMemo,
): Promise<Project | null> {
  if ((await base.source.read(configPath)) === null) {
    notes.push(`No baseline: ${configPath} does not exist at ${base.ref} (${base.sha.slice(0, 7)})`);
    return null;
  }
  try {
    return await loadProject(base.source, configPath, env, memo);
  } catch (e) {
    if (!isUserError(e)) throw e;
    notes.push(`No baseline: the config at ${base.ref} could not be used (${describeError(e)})`);
    return null;
  }
}

function leakError(leak: Leak, file: string): UserError {
  const which = leak.id === null ? "a case" : `case \`${leak.id}\``;
  const how = leak.kind === "exact" ? "word for word" : `${Math.round(leak.share * 100)}% of its 8-word runs`;
  return new UserError(`the ${leak.field} of ${which} is in ${leak.prompt}:${leak.prompt_line} (${how})`, {
    file,
    line: leak.line,
    field: leak.field,
    fix: "Keep eval cases out of the prompt (as few-shot examples they test memory, not the model), or drop the case; `eval-gate check` lists every leak.",
  });
}
