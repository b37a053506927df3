import type { Config } from "../../core/config/config.js";
import type { ResolvedTarget } from "../../core/config/target.js";
import { MissingKeyError, UserError } from "../../core/errors.js";
import type { ModelProvider } from "../../core/ports.js";
import { openAIProvider } from "./openai-provider.js";
import { replayProvider } from "./replay-provider.js";

/** Builds the provider a side's target asks for; the key comes from the variable its config names. */
export function makeProvider(
  target: ResolvedTarget,
  config: Config,
  env: Record<string, string | undefined>,
  secrets: readonly string[] = [],
): ModelProvider {
  if (target.provider === "replay") {
    const rec = target.recordings;
    if (!rec)
      throw new UserError("the replay provider needs `target.recordings`", { field: "target.recordings" });
    return replayProvider(rec.text, rec.file);
  }
  const apiKey = env[target.apiKeyEnv];
  if (!apiKey) {
    throw new MissingKeyError(
      target.apiKeyEnv,
      `Pass the key to the step as env ${target.apiKeyEnv}: \${{ secrets.${target.apiKeyEnv} }} (any non-empty value for endpoints that need no key).`,
      {
        fix: `Set it in your shell before running eval-gate, e.g. \`export ${target.apiKeyEnv}=...\` (any non-empty value for an endpoint that needs no key), or name another variable in the config's \`target.api_key_env\`.`,
      },
    );
  }
  return openAIProvider({
    baseURL: target.endpoint,
    apiKey,
    timeoutMs: config.requests.timeout_ms,
    secrets,
  });
}
