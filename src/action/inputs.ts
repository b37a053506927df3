import * as core from "@actions/core";
import { RESERVED_KEY_PREFIXES, reservedKeyPrefix } from "../core/config/config.js";
import { UserError } from "../core/errors.js";

export type FailOn = "regression" | "review" | "never";

/** Every input of action.yml, read once into one typed object. */
export interface ActionInputs {
  config: string;
  githubToken: string;
  baseRef: string;
  failOn: FailOn;
  comment: boolean;
  commentId: string;
  cache: boolean;
  /** The cache folder as the workflow named it (relative to the workspace); empty: under RUNNER_TEMP. */
  cacheDir: string;
  allowedBaseUrls: string[];
  /** The variables a config's `target.api_key_env` may name. */
  allowedKeyEnvs: string[];
  /** A PR from a fork is evaluated only once it carries this label (empty: no label needed). */
  requiredLabel: string;
  overrideLabel: string;
  /** What a run without an API key does: `error` (the default) or `skip` (opt-in, for fork PRs). */
  missingKey: "error" | "skip";
  /** A report to post (from another job's artifact) instead of running the evals. */
  postReport: string;
  /** `i/N`: run a deterministic share of the cases and write a partial result. */
  shard: string;
  /** A folder (or file) of partial results to merge into the one report, comment and verdict. */
  merge: string;
  /** Where to write a JUnit XML report as well (relative to the workspace); empty: none. */
  junit: string;
}

export function readInputs(): ActionInputs {
  const failOn = core.getInput("fail-on") || "regression";
  if (failOn !== "regression" && failOn !== "review" && failOn !== "never") {
    throw new UserError(`fail-on is "${failOn}"`, {
      field: "fail-on",
      fix: "Use regression, review or never.",
    });
  }
  const commentId = core.getInput("comment-id") || "default";
  if (!/^[A-Za-z0-9_.-]+$/.test(commentId)) {
    throw new UserError(`comment-id "${commentId}" has characters a marker cannot carry`, {
      field: "comment-id",
      fix: "Use letters, digits, '.', '_' or '-'.",
    });
  }
  return {
    config: core.getInput("config") || "eval-gate.yml",
    githubToken: core.getInput("github-token"),
    baseRef: core.getInput("base-ref"),
    failOn,
    comment: bool("comment", true),
    commentId,
    cache: bool("cache", true),
    cacheDir: core.getInput("cache-dir"),
    allowedBaseUrls: list("allowed-base-urls"),
    allowedKeyEnvs: keyEnvs(core.getInput("allowed-key-envs") || DEFAULT_KEY_ENVS),
    requiredLabel: core.getInput("required-label").trim(),
    overrideLabel: core.getInput("override-label") || "eval-gate:accept",
    missingKey: oneOf("missing-key", ["error", "skip"] as const, "error"),
    postReport: core.getInput("post-report"),
    shard: core.getInput("shard"),
    merge: core.getInput("merge"),
    junit: core.getInput("junit"),
  };
}

const DEFAULT_KEY_ENVS = "OPENAI_API_KEY,AZURE_OPENAI_API_KEY";

function list(name: string): string[] {
  return core
    .getInput(name)
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The workflow's own list is checked too: listing the runner's variables would defeat the point. */
function keyEnvs(raw: string): string[] {
  const names = raw
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    const reserved = reservedKeyPrefix(name);
    if (reserved) {
      throw new UserError(`allowed-key-envs lists ${name}, a variable of the runner or the action`, {
        field: "allowed-key-envs",
        fix: `Names starting with ${RESERVED_KEY_PREFIXES.join(", ")} are never sent as a model key; list the variable you set from a secret, e.g. OPENAI_API_KEY.`,
      });
    }
  }
  return names;
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const raw = core.getInput(name).trim();
  if (raw === "") return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UserError(`${name} is "${raw}"`, { field: name, fix: `Use ${allowed.join(" or ")}.` });
}

function bool(name: string, fallback: boolean): boolean {
  const raw = core.getInput(name).trim().toLowerCase();
  if (raw === "") return fallback;
  if (["true", "yes", "1", "on"].includes(raw)) return true;
  if (["false", "no", "0", "off"].includes(raw)) return false;
  throw new UserError(`${name} is "${raw}"`, { field: name, fix: "Use true or false." });
}
