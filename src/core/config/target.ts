import { posix } from "node:path";
import { OutsideRepositoryError, UserError, UserErrors } from "../errors.js";
import type { FileSource } from "../ports.js";
import { jsonErrorOffset, jsonReason, lineColumn } from "../text/json-error.js";
import type { Config } from "./config.js";
import type { LineOf } from "./parse-config.js";
import type { TargetSpec } from "./requests.js";

export const OPENAI_DEFAULT_URL = "https://api.openai.com/v1";
/** The `allowed-base-urls` entry that lets a workflow run a recorded (replay) target. */
export const REPLAY = "replay";

/** A side's target with what its provider needs: which kind, the key's variable, the recordings. */
export interface ResolvedTarget extends TargetSpec {
  provider: "openai" | "replay";
  apiKeyEnv: string;
  recordings?: { file: string; text: string };
  /** US dollars per million tokens, when the config names them. */
  prices?: { prompt: number; completion: number };
}

/** Paths in a config are relative to the config file's folder. */
export function resolvePath(configPath: string, p: string): string {
  return posix.normalize(posix.join(posix.dirname(configPath), p));
}

/**
 * Reads the files a side's `target` names from that side's source (workspace or git revision).
 * `lineOf` (from parseConfigWithLines) lets a missing file's error name its line of the config.
 * Every missing or unreadable file is reported at once.
 */
export async function resolveTarget(
  config: Config,
  configPath: string,
  source: FileSource,
  env: Record<string, string | undefined>,
  lineOf?: LineOf,
): Promise<ResolvedTarget> {
  const t = config.target;
  const errors: UserError[] = [];
  const read = async (key: "system" | "tools" | "recordings", p: string) => {
    const file = resolvePath(configPath, p);
    const where = { file: configPath, line: lineOf?.(["target", key]), field: `target.${key}` };
    const text = await readAt(source, file, where, errors);
    if (text === undefined) return null;
    if (text === null) {
      errors.push(
        new UserError(`${file} does not exist (${source.label})`, {
          file: configPath,
          line: lineOf?.(["target", key]),
          field: `target.${key}`,
          fix: `Create ${file} or fix the path; paths are relative to the config file's folder.`,
        }),
      );
      return null;
    }
    return { file, text };
  };
  const system = t.system ? await read("system", t.system) : null;
  let tools: unknown[] | undefined;
  if (t.tools) {
    const found = await read("tools", t.tools);
    if (found) {
      try {
        tools = parseTools(found.text, found.file);
      } catch (e) {
        if (e instanceof UserError) errors.push(e);
        else throw e;
      }
    }
  }
  const recordings =
    t.provider === "replay" && t.recordings
      ? ((await read("recordings", t.recordings)) ?? undefined)
      : undefined;
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new UserErrors(errors);
  return {
    endpoint:
      t.provider === "replay"
        ? `replay:${recordings?.file}`
        : normalizeUrl(t.base_url ?? env.OPENAI_BASE_URL ?? OPENAI_DEFAULT_URL),
    model: t.model,
    system: system?.text ?? null,
    ...(system ? { systemFile: system.file } : {}),
    params: t.params,
    ...(tools ? { tools } : {}),
    provider: t.provider,
    apiKeyEnv: t.api_key_env,
    ...(t.prices ? { prices: t.prices } : {}),
    ...(recordings ? { recordings } : {}),
  };
}

/**
 * A repository file's text, or null when absent. A path refused when read (a link out of the
 * repository) is added to `errors` at the config line that named it, and gives undefined.
 */
export async function readAt(
  source: FileSource,
  file: string,
  where: { file: string; line?: number | undefined; field: string },
  errors: UserError[],
): Promise<string | null | undefined> {
  try {
    return await source.read(file);
  } catch (e) {
    if (!(e instanceof OutsideRepositoryError)) throw e;
    errors.push(
      new UserError(e.message, {
        file: where.file,
        ...(where.line ? { line: where.line } : {}),
        field: where.field,
        ...(e.fix ? { fix: e.fix } : {}),
      }),
    );
    return undefined;
  }
}

function parseTools(text: string, file: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const offset = jsonErrorOffset(text);
    const place = offset === undefined ? undefined : lineColumn(text, offset);
    throw new UserError(`not valid JSON${place ? ` at column ${place.column}` : ""}: ${jsonReason(e)}`, {
      file,
      ...(place ? { line: place.line } : {}),
      field: "target.tools",
      fix: 'Write a JSON array of OpenAI function tool definitions, e.g. [{"type": "function", "function": {"name": "refund", "parameters": {"type": "object"}}}].',
    });
  }
  const list = Array.isArray(value) ? value : (value as { tools?: unknown })?.tools;
  if (!Array.isArray(list)) {
    throw new UserError("expected a JSON array of tool definitions", {
      file,
      line: 1,
      field: "target.tools",
      fix: 'Write e.g. [{"type": "function", "function": {"name": "refund", "parameters": {"type": "object"}}}].',
    });
  }
  return list;
}

export function normalizeUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/**
 * A PR must not send the workflow's key to an endpoint of its choosing: the URL must be the
 * workflow's OPENAI_BASE_URL, OpenAI's own, or one the workflow listed.
 */
export function checkEndpoint(
  target: ResolvedTarget,
  allowed: string[],
  where: { file: string; line?: number },
): void {
  if (target.provider === "replay") {
    // Recorded answers come from a file of the repository, which a PR can write: a PR that
    // switched its side to replay would grade answers of its own. Only a workflow that says so
    // (the offline example's) lets that through.
    if (allowed.includes(REPLAY)) return;
    throw new UserError(
      "`provider: replay` serves answers from a file of the repository, which a pull request can write",
      {
        file: where.file,
        ...(where.line ? { line: where.line } : {}),
        field: "target.provider",
        fix: "Call a model (drop `provider` and `recordings`), or, for an offline example only, add `replay` to the action's `allowed-base-urls` input.",
      },
    );
  }
  const ok = new Set([OPENAI_DEFAULT_URL, ...allowed].filter(Boolean).map(normalizeUrl));
  if (!ok.has(target.endpoint)) {
    throw new UserError(`endpoint ${target.endpoint} is not allowed`, {
      file: where.file,
      ...(where.line ? { line: where.line } : {}),
      field: "target.base_url",
      fix: `Use the workflow's OPENAI_BASE_URL or ${OPENAI_DEFAULT_URL}, or add the URL to the action's \`allowed-base-urls\` input.`,
    });
  }
}

/**
 * A PR must not choose which of the workflow's secrets is sent as the bearer token: the variable
 * `api_key_env` names must be one the workflow listed (`allowed-key-envs`). Null lets any through
 * (the CLI on a developer's own machine); the runner's own variables are refused by the config schema.
 */
export function checkKeyEnv(
  target: ResolvedTarget,
  allowed: readonly string[] | null,
  where: { file: string; line?: number },
): void {
  if (target.provider !== "openai" || allowed === null) return;
  if (allowed.includes(target.apiKeyEnv)) return;
  throw new UserError(`api_key_env ${target.apiKeyEnv} is not an allowed key variable`, {
    file: where.file,
    ...(where.line ? { line: where.line } : {}),
    field: "target.api_key_env",
    fix: `Use one of ${allowed.join(", ") || "(none listed)"}, or add ${target.apiKeyEnv} to the action's \`allowed-key-envs\` input.`,
  });
}
