import { posix } from "node:path";
import type { Config } from "./config.js";
import { UserError } from "./errors.js";
import type { FileSource } from "./ports.js";
import type { TargetSpec } from "./requests.js";

export const OPENAI_DEFAULT_URL = "https://api.openai.com/v1";

/** A side's target with what its provider needs: which kind, the key's variable, the recordings. */
export interface ResolvedTarget extends TargetSpec {
  provider: "openai" | "replay";
  apiKeyEnv: string;
  recordings?: { file: string; text: string };
}

/** Paths in a config are relative to the config file's folder. */
export function resolvePath(configPath: string, p: string): string {
  return posix.normalize(posix.join(posix.dirname(configPath), p));
}

/** Reads the files a side's `target` names from that side's source (workspace or git revision). */
export async function resolveTarget(
  config: Config,
  configPath: string,
  source: FileSource,
  env: Record<string, string | undefined>,
): Promise<ResolvedTarget> {
  const t = config.target;
  const read = async (field: string, p: string) => {
    const file = resolvePath(configPath, p);
    const text = await source.read(file);
    if (text === null) {
      throw new UserError(`${file} does not exist (${source.label})`, {
        file: configPath,
        field,
        fix: `Create ${file} or fix the path; paths are relative to the config file's folder.`,
      });
    }
    return { file, text };
  };
  const system = t.system ? await read("target.system", t.system) : null;
  let tools: unknown[] | undefined;
  if (t.tools) {
    const { file, text } = await read("target.tools", t.tools);
    tools = parseTools(text, file);
  }
  const recordings =
    t.provider === "replay" && t.recordings ? await read("target.recordings", t.recordings) : undefined;
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
    ...(recordings ? { recordings } : {}),
  };
}

function parseTools(text: string, file: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`not valid JSON (${(e as Error).message})`, {
      file,
      fix: "Write a JSON array of OpenAI function tool definitions.",
    });
  }
  const list = Array.isArray(value) ? value : (value as { tools?: unknown })?.tools;
  if (!Array.isArray(list)) {
    throw new UserError("expected a JSON array of tool definitions", {
      file,
      fix: 'Write e.g. [{"type": "function", "function": {"name": "refund", "parameters": {...}}}].',
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
export function checkEndpoint(target: ResolvedTarget, allowed: string[], where: { file: string }): void {
  if (target.provider !== "openai") return;
  const ok = new Set([OPENAI_DEFAULT_URL, ...allowed].filter(Boolean).map(normalizeUrl));
  if (!ok.has(target.endpoint)) {
    throw new UserError(`endpoint ${target.endpoint} is not allowed`, {
      file: where.file,
      field: "target.base_url",
      fix: `Use the workflow's OPENAI_BASE_URL or ${OPENAI_DEFAULT_URL}, or add the URL to the action's \`allowed-base-urls\` input.`,
    });
  }
}
