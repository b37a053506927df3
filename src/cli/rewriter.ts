// The model behind `perturb --rewrite`: the config's target endpoint and key variable, through the
// provider the gate builds, so a rewrite goes where `eval-gate run` sends its requests.

import { workspaceSource } from "../adapters/files/git.js";
import { makeProvider } from "../adapters/providers/providers.js";
import { type Config, configSchema } from "../core/config/config.js";
import { parseConfigWithLines } from "../core/config/parse-config.js";
import { type ResolvedTarget, resolveTarget } from "../core/config/target.js";
import { describeError, MissingKeyError, UserError } from "../core/errors.js";
import type { RewriteFn } from "../core/lifecycle/rewrite.js";
import { backoffMs, defaultRetryPolicy, RetryableError } from "../core/run/retry.js";
import { exists, relativePath } from "./lifecycle-io.js";

const REWRITE_ATTEMPTS = 5;

export interface Rewriter {
  rewrite: RewriteFn;
  model: string;
  endpoint: string;
  /** The variable the key came from. */
  keyEnv: string;
  /** The config the endpoint came from, or null (OPENAI_BASE_URL or OpenAI's). */
  configPath: string | null;
}

/**
 * The config's target (`--config`, else eval-gate.yml when it exists), or without one the defaults
 * a config would get: OPENAI_BASE_URL (else OpenAI's endpoint) and OPENAI_API_KEY.
 */
async function rewriteTarget(
  cwd: string,
  env: Record<string, string | undefined>,
  configOption: string | undefined,
): Promise<{ config: Config; target: ResolvedTarget; configPath: string | null }> {
  const file = configOption ?? "eval-gate.yml";
  if (configOption === undefined && !(await exists(cwd, file))) {
    const config = configSchema.parse({ version: 1, target: { model: "unused" }, sets: { none: "none" } });
    const target = await resolveTarget(config, "eval-gate.yml", workspaceSource(cwd), env);
    return { config, target, configPath: null };
  }
  const configPath = relativePath(cwd, file);
  const source = workspaceSource(cwd);
  const text = await source.read(configPath);
  if (text === null) {
    throw new UserError("the config file does not exist", {
      file: configPath,
      field: "--config",
      fix: "Point --config at your eval-gate.yml, whose target (base_url, api_key_env) the rewrites use.",
    });
  }
  const { config, lineOf } = parseConfigWithLines(text, configPath);
  const target = await resolveTarget(config, configPath, source, env, lineOf);
  return { config, target, configPath };
}

/** One rewrite per call at temperature 0, with retries, through the gate's provider. */
export async function rewriterFor(
  cwd: string,
  env: Record<string, string | undefined>,
  options: { config?: string; model?: string },
): Promise<Rewriter> {
  const { config, target, configPath } = await rewriteTarget(cwd, env, options.config);
  if (target.provider === "replay") {
    throw new UserError("the config's target answers from recordings (`provider: replay`)", {
      ...(configPath ? { file: configPath } : {}),
      field: "--rewrite",
      fix: "Rewrites need a model: point --config at a config whose target calls one, or leave out --rewrite.",
    });
  }
  const model = options.model ?? (configPath ? config.target.model : undefined);
  if (!model) {
    throw new UserError("--rewrite needs --model", {
      field: "--model",
      fix: "e.g. --model gpt-4o-mini (with a config, its target.model is the default)",
    });
  }
  let provider: ReturnType<typeof makeProvider>;
  try {
    provider = makeProvider(target, config, env);
  } catch (e) {
    if (!(e instanceof MissingKeyError)) throw e;
    throw new UserError(`${e.variable} is not set`, {
      field: "--rewrite",
      fix: `Export ${e.variable}, the key for ${target.endpoint}${configPath ? ` (target.api_key_env in ${configPath})` : " (and OPENAI_BASE_URL for another OpenAI-compatible endpoint)"}, or leave out --rewrite.`,
    });
  }
  const rewrite: RewriteFn = async (instruction, text) => {
    const request = {
      endpoint: target.endpoint,
      model,
      messages: [
        { role: "system" as const, content: instruction },
        { role: "user" as const, content: text },
      ],
      params: { temperature: 0 },
      sample: 0,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return (await provider.complete(request)).content;
      } catch (e) {
        if (!(e instanceof RetryableError) || attempt >= REWRITE_ATTEMPTS) {
          throw new UserError(`a rewrite request to ${target.endpoint} failed: ${describeError(e)}`, {
            field: "--rewrite",
            fix: `Check the endpoint, the key and the model (${model}); nothing was written.`,
          });
        }
        const policy = { ...defaultRetryPolicy, maxDelayMs: 10_000 };
        await new Promise((r) => setTimeout(r, backoffMs(attempt, policy, Math.random, e.retryAfterMs)));
      }
    }
  };
  return { rewrite, model, endpoint: target.endpoint, keyEnv: target.apiKeyEnv, configPath };
}
